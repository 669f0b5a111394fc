"""getitem / setitem with basic, advanced and boolean keys, against torch (values and grads)."""
import numpy as np
import pytest
import torch

import unigrad
from parity import assert_close, check

R = np.random.default_rng(3)
X = R.standard_normal((4, 5, 6))

KEYS = {
    "int": lambda lib: 1,
    "negative_int": lambda lib: -1,
    "slice": lambda lib: slice(1, 3),
    "slice_step": lambda lib: (slice(None), slice(None, None, 2)),
    "negative_bounds": lambda lib: (slice(-3, -1), slice(None, -2)),
    "ellipsis": lambda lib: (Ellipsis, 2),
    "none": lambda lib: (None, 1, None),
    "mixed_basic": lambda lib: (1, slice(None), None, slice(1, 5, 3)),
    "int_list": lambda lib: [0, 2, 2],
    "int_tensor": lambda lib: lib.tensor([3, 0, -1]),
    "row_tensor": lambda lib: lib.tensor([3, 0, 2, 2, 1]),  # rows in range: one gather
    "2d_index": lambda lib: lib.tensor([[0, 1], [2, 3]]),
    "two_adjacent_arrays": lambda lib: (slice(None), lib.tensor([0, 4]), lib.tensor([1, 5])),
    "separated_arrays": lambda lib: (lib.tensor([0, 3]), slice(None), lib.tensor([1, 2])),
    "array_after_slice": lambda lib: (slice(1, 3), lib.tensor([[0], [4]])),
    "int_and_array": lambda lib: (0, slice(None), lib.tensor([1, 2])),
    "bool_mask_first_dim": lambda lib: lib.tensor([True, False, True, True]),
    "bool_mask_2d": lambda lib: lib.tensor(X[:, :, 0] > 0),
    "bool_mask_full": lambda lib: lib.tensor(X > 0.5),
    "mask_and_slice": lambda lib: (slice(None), lib.tensor([True, False, False, True, True])),
    "empty_index": lambda lib: lib.tensor([], dtype=lib.int64),
}


@pytest.mark.parametrize("name", sorted(KEYS))
def test_getitem(name):
    check(lambda lib, x: x[KEYS[name](lib)], X)


@pytest.mark.parametrize("name", sorted(KEYS))
def test_setitem_values_and_gradients(name):
    def fn(lib, x, v):
        y = x * 1.0
        key = KEYS[name](lib)
        target_shape = y[key].shape
        y[key] = v.reshape(-1)[: int(np.prod(target_shape))].reshape(target_shape) if len(target_shape) else v.reshape(-1)[0]
        return y * 2
    check(fn, X, R.standard_normal(200))


def test_setitem_broadcasts_scalars_and_rows():
    check(lambda lib, x: _set(x, (slice(None), 1), 7.0), X, grad=False)
    check(lambda lib, x: _set(x, lib.tensor([0, 2]), lib.tensor(X[0, 0])), X, grad=False)
    check(lambda lib, x: _set(x, x > 0, 0.0), X, grad=False)


def _set(x, key, value):
    y = x.clone()
    y[key] = value
    return y


def test_setitem_duplicate_indices_last_write_wins():
    x = unigrad.zeros(3)
    x[unigrad.tensor([0, 0, 1])] = unigrad.tensor([1.0, 2.0, 3.0])
    assert x.tolist() == [2.0, 3.0, 0.0]


def test_index_errors():
    x = unigrad.zeros(3, 4)
    with pytest.raises(IndexError, match="index 3 is out of bounds for dimension 0 with size 3"):
        x[3]
    # a device that checks indices in its kernels reports at the next read, as CUDA does
    deferred = unigrad.backends.registry.get_backend(x.device).deferred_index_checks
    with pytest.raises(IndexError, match="out of range" if deferred else "out of bounds"):
        x[:, unigrad.tensor([0, 4])].numpy()
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError):
        x[unigrad.tensor([0.5])]
    x[1, 1] = 5.0
    assert x.sum().item() == 5.0  # failed indexing left x intact


def test_setitem_on_view_updates_base_and_its_gradient():
    for lib in (unigrad, torch):
        a = lib.ones(2, 3, requires_grad=True)
        v = lib.tensor([1.0, 2.0, 3.0], requires_grad=True) if lib is unigrad else \
            torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
        b = a * 2
        b[1] = v * 3  # b[1] is a view; the write must rebase b's graph
        b.sum().backward()
        if lib is unigrad:
            ours = (a.grad.numpy().copy(), v.grad.numpy().copy(), b.detach().numpy().copy())
        else:
            theirs = (a.grad.numpy(), v.grad.numpy(), b.detach().numpy())
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o, t)


def test_inplace_op_on_view_of_nonleaf_propagates_to_base():
    def fn(lib, x):
        y = x * 1.0
        y[:, 1].mul_(3.0)
        y.diagonal().add_(1.0)
        return y
    check(fn, R.standard_normal((3, 3)))


def test_gather_scatter_family():
    x = R.standard_normal((3, 4))
    idx = np.array([[0, 1, 1, 2], [2, 0, 0, 1]])
    check(lambda lib, t: t.gather(0, lib.tensor(idx)), x)
    check(lambda lib, t: lib.gather(t, 1, lib.tensor([[3], [0], [1]])), x)
    src = R.standard_normal((2, 4))
    check(lambda lib, t, s: t.scatter_add(0, lib.tensor(idx), s), x, src)
    check(lambda lib, t, s: t.scatter(0, lib.tensor([[0, 1, 2, 0], [1, 2, 0, 2]]), s), x, src)
    check(lambda lib, t: t.scatter(1, lib.tensor([[0], [1], [2]]), 5.0), x)
    check(lambda lib, t: t.index_select(1, lib.tensor([3, 0, 3])), x)
    check(lambda lib, t: t.masked_fill(t > 0, -1.0), x)
    check(lambda lib, t: t.masked_select(t > 0), x)
    check(lambda lib, t: lib.nonzero(t > 0), x, grad=False)
    check(lambda lib, t: (t > 0).nonzero(as_tuple=True), x, grad=False)


def test_iteration_and_len():
    x = unigrad.tensor(X)
    rows = list(x)
    assert len(rows) == len(x) == 4
    assert_close(rows[2], torch.tensor(X)[2])


def _basic_keys():
    from hypothesis import strategies as st
    bound = st.one_of(st.none(), st.integers(-7, 7))
    item = st.one_of(
        st.integers(-6, 5),
        st.builds(slice, bound, bound, st.one_of(st.none(), st.integers(1, 3))),
        st.none(),
        st.just(Ellipsis),
    )
    return st.lists(item, min_size=1, max_size=5).map(tuple)


def _keep_legal(key, ndim=3, sizes=(4, 5, 6)):
    """The key if PyTorch accepts it for X (at most one Ellipsis, ints in range), else None."""
    if sum(item is Ellipsis for item in key) > 1:
        return None
    consumed = sum(1 for item in key if isinstance(item, (int, slice)))
    if consumed > ndim:
        return None
    dim = 0
    for item in key:
        if item is Ellipsis:
            dim += ndim - consumed
        elif isinstance(item, int):
            if not -sizes[dim] <= item < sizes[dim]:
                return None
            dim += 1
        elif isinstance(item, slice):
            dim += 1
    return key


def test_basic_keys_match_torch_values_gradients_and_graph():
    """Keys of ints, slices (steps >= 1), None and an Ellipsis, in any order (the one-pass path
    for basic keys): the same view, gradient and chain of PyTorch's view nodes."""
    from hypothesis import given, settings

    @settings(max_examples=120, deadline=None)
    @given(_basic_keys())
    def run(key):
        key = _keep_legal(key)
        if key is None:
            return
        ours = unigrad.tensor(X, requires_grad=True)
        theirs = torch.tensor(X, requires_grad=True)
        got, want = ours * 1.0, theirs * 1.0
        got, want = got[key], want[key]
        assert tuple(got.shape) == tuple(want.shape), key
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
        names = []
        for node in (got.grad_fn, want.grad_fn):
            chain = []
            while node is not None and type(node).__name__ not in ("MulBackward0",) and \
                    node.name() not in ("MulBackward0",):
                chain.append(node.name().rpartition("::")[2])
                node = node.next_functions[0][0] if node.next_functions else None
            names.append(chain)
        assert names[0] == names[1], key
        if got.numel():
            got.sum().backward()
            want.sum().backward()
            np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    run()


def test_basic_key_errors_are_pytorchs():
    x = unigrad.zeros(3, 4)
    with pytest.raises(IndexError, match="index -4 is out of bounds for dimension 0 with size 3"):
        x[-4, :]
    with pytest.raises(IndexError, match="too many indices for tensor of dimension 2"):
        x[..., 0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., ...]
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        x[:, ::0]


def test_rows_by_a_tensor_of_row_numbers_match_torch_in_every_rank():
    """``x[index]`` with a 1-D int64 index of rows in range is one gather: values, gradient
    (repeated rows accumulate) and PyTorch's IndexBackward0 for 1-D to 3-D ``x``."""
    for shape in [(6,), (6, 4), (6, 2, 3)]:
        values = np.random.default_rng(len(shape)).standard_normal(shape)
        ours, theirs = unigrad.tensor(values, requires_grad=True), torch.tensor(values, requires_grad=True)
        got, want = ours[unigrad.tensor([5, 0, 5, 2])], theirs[torch.tensor([5, 0, 5, 2])]
        assert got.grad_fn.name() == want.grad_fn.name() == "IndexBackward0"
        np.testing.assert_array_equal(got.detach().numpy(), want.detach().numpy())
        weights = np.arange(got.numel(), dtype=np.float64).reshape(got.shape)
        (got * unigrad.tensor(weights)).sum().backward()
        (want * torch.tensor(weights)).sum().backward()
        np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    x = unigrad.zeros(6, 2)
    deferred = unigrad.backends.registry.get_backend(x.device).deferred_index_checks
    with pytest.raises(IndexError, match="out of range" if deferred else
                       "index 6 is out of bounds for dimension 0 with size 6"):
        x[unigrad.tensor([1, 6])].numpy()
