"""matmul and friends against torch: 1-D rules, batch broadcasting, transposed operands."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import unigrad
from parity import check

R = np.random.default_rng(6)

SHAPES = [
    ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (3, 4)),
    ((2, 3), (5, 3, 4)), ((1, 2, 3), (4, 3, 2)), ((2, 1, 2, 3), (3, 3, 2)), ((0, 3), (3, 2)),
    ((2, 0), (0, 3)),
]


@pytest.mark.parametrize("a_shape,b_shape", SHAPES)
def test_matmul_shapes(a_shape, b_shape):
    check(lambda lib, a, b: a @ b, R.standard_normal(a_shape), R.standard_normal(b_shape),
          rtol=1e-10, atol=1e-10)


def test_matmul_float32_and_transposed_operands():
    a = R.standard_normal((8, 5)).astype(np.float32)
    b = R.standard_normal((8, 6)).astype(np.float32)
    check(lambda lib, x, y: x.t() @ y, a, b, rtol=1e-5, atol=1e-5)
    check(lambda lib, x, y: lib.matmul(x.flip(0)[::2].t(), y[::2]), a, b, rtol=1e-5, atol=1e-5)


def test_named_products():
    a, b = R.standard_normal((3, 4)), R.standard_normal((4, 2))
    v = R.standard_normal(4)
    check(lambda lib, x, y: lib.mm(x, y), a, b)
    check(lambda lib, x, y: x.mv(y), a, v)
    check(lambda lib, x, y: lib.dot(x, y), v, v * 2)
    check(lambda lib, x, y: lib.outer(x, y), v, v[:3])
    check(lambda lib, x, y: lib.bmm(x, y), R.standard_normal((2, 3, 4)), R.standard_normal((2, 4, 5)))
    check(lambda lib, c, x, y: lib.addmm(c, x, y, beta=0.5, alpha=2.0), R.standard_normal((3, 2)), a, b)


def test_integer_matmul():
    a = R.integers(-5, 5, (3, 4))
    b = R.integers(-5, 5, (4, 2))
    check(lambda lib, x, y: x @ y, a, b, grad=False)


@given(n=st.integers(1, 4), k=st.integers(1, 4), m=st.integers(1, 4),
       batch=st.lists(st.integers(1, 3), max_size=2))
def test_matmul_property(n, k, m, batch):
    rng = np.random.default_rng(n * 100 + k * 10 + m)
    check(lambda lib, a, b: a @ b, rng.standard_normal(tuple(batch) + (n, k)),
          rng.standard_normal((k, m)), rtol=1e-10, atol=1e-10)
