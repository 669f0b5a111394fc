"""Reductions against torch: dims as int/tuple/None, keepdim, ties, NaN, empty inputs."""
import numpy as np
import pytest

import unigrad
from parity import check

R = np.random.default_rng(1)
X = R.standard_normal((3, 4, 5))

DIMS = [None, 0, -1, (0, 2), (1,)]


REDUCTIONS = ["sum", "mean", "amax", "amin", "var", "std", "prod", "logsumexp", "norm"]
CASES = [(name, dim) for name in REDUCTIONS for dim in DIMS
         if not (name == "prod" and isinstance(dim, tuple))]  # torch.prod takes a single dim


@pytest.mark.parametrize("name,dim", CASES)
@pytest.mark.parametrize("keepdim", [False, True])
def test_reductions(name, dim, keepdim):
    if name == "logsumexp" and dim is None:
        dim = (0, 1, 2)
    if dim is None:
        if name in ("amax", "amin"):
            fn = lambda lib, x: getattr(x, name)()
        elif name == "norm":
            fn = lambda lib, x: x.norm()
        else:
            fn = lambda lib, x: getattr(lib, name)(x)
    elif name == "norm":
        fn = lambda lib, x: x.norm(dim=dim, keepdim=keepdim)
    else:
        fn = lambda lib, x: getattr(x, name)(dim, keepdim=keepdim)
    check(fn, X, rtol=1e-10, atol=1e-10)


def test_float32_sum_and_mean():
    x = R.standard_normal((64, 33)).astype(np.float32)
    check(lambda lib, t: t.sum(0), x, rtol=1e-5, atol=1e-5)
    check(lambda lib, t: t.mean(), x, rtol=1e-5, atol=1e-6)


def test_integer_and_bool_sums_promote_to_int64():
    check(lambda lib, t: t.sum(), np.array([1, 2, 3], dtype=np.int32), grad=False)
    check(lambda lib, t: t.sum(0), np.array([[True, False], [True, True]]), grad=False)
    check(lambda lib, t: t.sum(dtype=lib.float64), np.array([1, 2, 3], dtype=np.int32), grad=False)


def test_max_min_with_dim_return_values_and_indices():
    x = np.array([[1.0, 3.0, 3.0], [2.0, -1.0, 2.0]])
    for name in ("max", "min"):
        out = check(lambda lib, t: getattr(t, name)(1), x)
        assert out.indices.dtype == unigrad.int64
        check(lambda lib, t: getattr(lib, name)(t, 0, keepdim=True), x)
        check(lambda lib, t: getattr(t, name)(), x)  # ties share the gradient


def test_argmax_argmin_ties_and_nan():
    x = np.array([[1.0, 5.0, 5.0], [np.nan, 2.0, 0.0], [-1.0, -1.0, -3.0]])
    for name in ("argmax", "argmin"):
        check(lambda lib, t: getattr(t, name)(1), x, grad=False)
        check(lambda lib, t: getattr(lib, name)(t), x, grad=False)
        check(lambda lib, t: getattr(t, name)(0, keepdim=True), x, grad=False)
    ints = np.array([3, -2**63, 7, 7], dtype=np.int64)
    check(lambda lib, t: t.argmin(), ints, grad=False)
    check(lambda lib, t: t.argmax(), ints, grad=False)


def test_prod_gradient_with_zeros():
    check(lambda lib, t: t.prod(1), np.array([[1.0, 0.0, 3.0], [0.0, 0.0, 2.0], [1.0, 2.0, 3.0]]))
    check(lambda lib, t: t.prod(), np.array([2.0, 0.0, 3.0]))


def test_nan_propagates_in_max_and_sum():
    x = np.array([1.0, np.nan, 2.0])
    check(lambda lib, t: t.amax(), x, grad=False)
    check(lambda lib, t: t.sum(), x, grad=False)


def test_empty_reductions():
    empty = np.zeros((0, 3))
    check(lambda lib, t: t.sum(0), empty)
    check(lambda lib, t: t.sum(), empty)
    check(lambda lib, t: t.prod(0), empty, grad=False)
    check(lambda lib, t: t.mean(0), empty, grad=False)
    with pytest.raises((RuntimeError, IndexError)):
        unigrad.tensor(empty).amax()
    with pytest.raises((RuntimeError, IndexError)):
        unigrad.tensor(empty).max(0)


def test_softmax_family():
    x = R.standard_normal((2, 3, 4)) * 10
    for dim in (0, 1, -1):
        check(lambda lib, t: t.softmax(dim), x)
        check(lambda lib, t: t.log_softmax(dim), x)
        check(lambda lib, t: lib.logsumexp(t, dim), x)
    big = np.array([[1000.0, 1000.0], [-np.inf, 0.0]])
    check(lambda lib, t: t.log_softmax(1), big, grad=False)
    check(lambda lib, t: lib.logsumexp(t, 1), np.array([[-np.inf, -np.inf], [1.0, 2.0]]), grad=False)


def test_composite_softmax_matches_fast_path():
    from unigrad.api.ops import reduction
    x = unigrad.tensor(R.standard_normal((5, 7)), requires_grad=True)
    fast = x.log_softmax(1)
    reduction._FORCE_COMPOSITE[0] = True
    try:
        composite = x.log_softmax(1)
        composite_soft = x.softmax(0)
    finally:
        reduction._FORCE_COMPOSITE[0] = False
    assert fast.allclose(composite, rtol=1e-12, atol=1e-12)
    assert x.softmax(0).allclose(composite_soft, rtol=1e-12, atol=1e-12)


def test_all_any_count_nonzero():
    x = np.array([[0.0, 1.0], [2.0, 3.0]])
    for fn in (lambda lib, t: t.all(), lambda lib, t: t.any(1), lambda lib, t: lib.all(t, 0),
               lambda lib, t: t.count_nonzero(), lambda lib, t: (t > 1).any(0, keepdim=True)):
        check(fn, x, grad=False)


def test_var_correction_and_unbiased_flags():
    check(lambda lib, t: t.var(0, unbiased=False), X)
    check(lambda lib, t: t.var(1, correction=0), X)
    check(lambda lib, t: t.std((0, 1), keepdim=True), X)


def test_cumsum():
    check(lambda lib, t: t.cumsum(1), X)
    check(lambda lib, t: t.cumsum(0), np.array([1, 2, 3], dtype=np.int64), grad=False)
