"""Movement ops and views against torch, including aliasing through views."""
import numpy as np
import pytest
from hypothesis import given, strategies as st

import unigrad
from parity import check

R = np.random.default_rng(2)
X = R.standard_normal((2, 3, 4))

MOVEMENT = {
    "reshape": lambda lib, x: x.reshape(4, -1),
    "view": lambda lib, x: x.view(6, 4),
    "view_noncontig_reshape": lambda lib, x: x.transpose(0, 2).reshape(-1),
    "permute": lambda lib, x: x.permute(2, 0, 1),
    "transpose": lambda lib, x: lib.transpose(x, 0, -1),
    "T": lambda lib, x: x[0].T,
    "mT": lambda lib, x: x.mT,
    "flatten": lambda lib, x: x.flatten(1),
    "unflatten": lambda lib, x: x.unflatten(2, (2, 2)),
    "squeeze": lambda lib, x: x[:, :1].squeeze(),
    "squeeze_dim": lambda lib, x: x[:, :1].squeeze(1),
    "unsqueeze": lambda lib, x: x.unsqueeze(-1).unsqueeze(0),
    "expand": lambda lib, x: x[:, :1].expand(2, 5, 4),
    "expand_new_dims": lambda lib, x: x.expand(3, 2, 3, 4),
    "broadcast_to": lambda lib, x: lib.broadcast_to(x[0, 0], (3, 4)),
    "flip": lambda lib, x: x.flip(0, 2) if hasattr(lib, "Tensor") and lib.__name__ == "torch" else x.flip((0, 2)),
    "flip_list": lambda lib, x: lib.flip(x, [1]),
    "narrow": lambda lib, x: x.narrow(2, 1, 2),
    "select": lambda lib, x: x.select(1, -1),
    "diagonal": lambda lib, x: x.diagonal(0, 1, 2),
    "diagonal_offset": lambda lib, x: x.diagonal(1, -1, -2),
    "movedim": lambda lib, x: x.movedim(0, -1),
    "repeat": lambda lib, x: x.repeat(2, 1, 1, 3),
    "tile": lambda lib, x: x.tile((2,)),
    "contiguous": lambda lib, x: x.transpose(0, 1).contiguous(),
    "clone": lambda lib, x: x.clone(),
    "triu": lambda lib, x: x[0].triu(1),
    "tril": lambda lib, x: lib.tril(x, -1),
    "cat": lambda lib, x: lib.cat([x, x * 2], 1),
    "cat_negative_dim": lambda lib, x: lib.cat([x[:, :, :1], x], -1),
    "stack": lambda lib, x: lib.stack([x, x + 1], 2),
    "split": lambda lib, x: x.split(2, dim=2),
    "split_sizes": lambda lib, x: lib.split(x, [1, 2], 1),
    "chunk": lambda lib, x: x.chunk(3, 1),
    "unbind": lambda lib, x: x.unbind(1),
    "hstack": lambda lib, x: lib.hstack([x, x]),
    "vstack": lambda lib, x: lib.vstack([x[0], x[1]]),
}


@pytest.mark.parametrize("name", sorted(MOVEMENT))
def test_movement(name):
    check(MOVEMENT[name], X)


@pytest.mark.parametrize("name", ["reshape", "permute", "flip", "narrow", "select", "expand",
                                  "cat", "split", "diagonal"])
def test_movement_of_noncontiguous_negative_stride_input(name):
    # Chainer's trick: a [::-2] slice of a buffer twice the size gives negative strides.
    big = R.standard_normal((4, 6, 8))
    check(lambda lib, x: MOVEMENT[name](lib, x.flip(0)[::2, ::2, ::2]), big)


def test_view_rejects_incompatible_layout():
    x = unigrad.zeros(3, 4).t()
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        x.view(12)
    assert x.reshape(12).shape == (12,)


def test_view_errors_leave_tensor_unchanged():
    x = unigrad.arange(6.0)
    with pytest.raises(RuntimeError, match="invalid for input of size 6"):
        x.view(4, 2)
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]


def test_views_alias_their_base():
    base = unigrad.zeros(3, 4)
    row = base[1]
    col = base[:, 2]
    transposed = base.t()
    reshaped = base.view(2, 6)
    row.fill_(1.0)
    col.add_(10.0)
    transposed[0, 0] = 5.0
    reshaped[1, 5] = -1.0
    expected = np.zeros((3, 4))
    expected[1] = 1.0
    expected[:, 2] += 10.0
    expected[0, 0] = 5.0
    expected[2, 3] = -1.0
    np.testing.assert_array_equal(base.numpy(), expected)
    np.testing.assert_array_equal(row.numpy(), expected[1])
    assert base._version is row._version and base._version[0] == 4


def test_flip_returns_a_copy_like_torch():
    x = unigrad.arange(4.0)
    y = x.flip(0)
    y[0] = 100.0
    assert x.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_cat_promotes_and_checks_shapes():
    a = unigrad.ones(2, dtype=unigrad.int64)
    b = unigrad.ones(3, dtype=unigrad.float32)
    assert unigrad.cat([a, b]).dtype == unigrad.float32
    with pytest.raises(RuntimeError, match="Sizes of tensors must match except in dimension 0"):
        unigrad.cat([unigrad.zeros(2, 3), unigrad.zeros(2, 4)])


def test_stride_and_contiguity_reporting():
    x = unigrad.zeros(2, 3, 4)
    assert x.stride() == (12, 4, 1) and x.is_contiguous()
    t = x.transpose(0, 2)
    assert t.stride() == (1, 4, 12) and not t.is_contiguous()
    assert x[:, ::2].stride() == (12, 8, 1)
    assert x.expand(5, 2, 3, 4).stride() == (0, 12, 4, 1)


@given(shape=st.lists(st.integers(0, 4), min_size=1, max_size=4), data=st.data())
def test_permute_reshape_roundtrip_property(shape, data):
    n = len(shape)
    order = data.draw(st.permutations(range(n)))
    array = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    check(lambda lib, x: x.permute(*order).reshape(-1), array)
