"""Shape and indexing breadth against torch: rearranging, splitting, take/put, the index_*
family, scatter_reduce, the *_scatter embeddings, as_strided and the in-place view ops; values,
gradients, views versus copies and error types."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import unigrad
from unigrad.autograd import gradcheck, gradgradcheck
from parity import check

R = np.random.default_rng(12)
X = R.standard_normal((3, 4))


def _read(result):
    """Read results back to the host: a device that checks indices in its kernels reports bad
    ones at the next synchronisation, as CUDA does."""
    for t in result if isinstance(result, (tuple, list)) else (result,):
        if isinstance(t, unigrad.Tensor):
            t.tolist()


def raises_like_torch(fn):
    with pytest.raises(Exception) as theirs:
        fn(torch)
    expected = type(theirs.value)
    if unigrad.backends.registry.get_backend(unigrad.get_default_device()).deferred_index_checks:
        expected = (expected, IndexError)  # such a device raises IndexError for bad indices
    with pytest.raises(expected):
        _read(fn(unigrad))


def grad_fn_name(t):
    return t.grad_fn.name() if t.grad_fn is not None else None


def long(lib, values):
    return lib.tensor(values, dtype=lib.int64)


# ----- rearranging --------------------------------------------------------------------------------
def test_repeat_interleave():
    check(lambda lib, x: (x.repeat_interleave(2), x.repeat_interleave(3, 1), lib.repeat_interleave(x, 0, 0),
                          x.repeat_interleave(long(lib, [1, 0, 2]), 0), x.repeat_interleave(long(lib, [2]), 1),
                          x.repeat_interleave(long(lib, 2), 0),
                          x.repeat_interleave(long(lib, [1, 2, 0, 1]), 1, output_size=4),
                          x[0, 0].repeat_interleave(2), x.t().repeat_interleave(lib.tensor([1, 2, 1, 0],
                                                                                          dtype=lib.int32), 0)), X)
    check(lambda lib, r: (lib.repeat_interleave(r), lib.repeat_interleave(r[:0])), R.integers(0, 3, 5), grad=False)
    raises_like_torch(lambda lib: lib.zeros(2, 3).repeat_interleave(long(lib, [1, 2, 3]), 0))
    raises_like_torch(lambda lib: lib.zeros(2, 3).repeat_interleave(long(lib, [1, -2]), 0))
    raises_like_torch(lambda lib: lib.zeros(2, 3).repeat_interleave(-1, 0))
    raises_like_torch(lambda lib: lib.zeros(2, 3).repeat_interleave(long(lib, [[1, 2]]), 0))


def test_roll_and_rotations():
    x = R.standard_normal((3, 4, 2))
    check(lambda lib, t: (t.roll(1), t.roll(-2, 1), lib.roll(t, (1, -1), (0, 2)), t.roll(5, -1),
                          t[:, :0].roll(1, 1), t.roll((1,)), lib.rot90(t), t.rot90(2), t.rot90(-1, (1, 2)),
                          t.rot90(3, [2, 0]), t.rot90(0), lib.fliplr(t), lib.flipud(t), t[0].fliplr(),
                          t[0, 0].flipud()), x)
    t = unigrad.tensor(x, requires_grad=True)
    assert [grad_fn_name(t.roll(1, 0)), grad_fn_name(t.rot90())] == ["RollBackward0", "Rot90Backward0"]
    raises_like_torch(lambda lib: lib.zeros(2, 3).roll((1, -1), 0))
    raises_like_torch(lambda lib: lib.zeros(2, 3).roll((1, 2)))
    raises_like_torch(lambda lib: lib.zeros(2, 3).rot90(1, (0, 0)))
    raises_like_torch(lambda lib: lib.zeros(3).rot90())
    raises_like_torch(lambda lib: lib.zeros(2, 3).rot90(1, [0, 1, 2]))
    raises_like_torch(lambda lib: lib.zeros(3).fliplr())
    raises_like_torch(lambda lib: lib.tensor(1.0).flipud())


def test_atleast_and_stacks():
    a, v, s = R.standard_normal((2, 3)), R.standard_normal(3), np.asarray(1.5)
    check(lambda lib, x, y, z: (lib.atleast_1d(z), lib.atleast_2d(y), lib.atleast_2d(z), lib.atleast_3d(z),
                                lib.atleast_3d(y), lib.atleast_3d(x), *lib.atleast_1d(z, x),
                                *lib.atleast_2d([y, z]), lib.column_stack([y, x.t(), y]),
                                lib.column_stack([z, z]), lib.dstack([y, y[None]]), lib.dstack([x, x]),
                                lib.row_stack([y, x]), lib.vstack([z, z]), lib.hstack([z, z])), a, v, s)
    x = unigrad.tensor(a)
    assert unigrad.atleast_1d(x) is x and unigrad.atleast_2d(x) is x
    assert unigrad.atleast_3d(x)._base is x  # a view


@settings(max_examples=20)
@given(size=st.integers(0, 7), data=st.data())
def test_tensor_split_property(size, data):
    spec = data.draw(st.one_of(st.integers(1, 8), st.lists(st.integers(-9, 9), max_size=4)))
    x = np.arange(size * 2, dtype=np.float64).reshape(2, size)
    check(lambda lib, t: t.tensor_split(spec, 1), x)


def test_splits_are_views_and_errors():
    x = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    check(lambda lib, t: (*t.tensor_split(long(lib, [1, 3]), 2), *t.tensor_split(long(lib, 2), 1),
                          *lib.hsplit(t, 3), *lib.hsplit(t, [1]), *lib.vsplit(t, [1]), *lib.dsplit(t, 2),
                          *lib.hsplit(t[0, 0], 2), *t.split_with_sizes([1, 3], 2), *lib.split_with_sizes(t, [2, 1], 1),
                          *t.unsafe_split(2, 2), *t.unsafe_chunk(2, 1), *t.unsafe_split_with_sizes([1, 1], 0)), x)
    t = unigrad.tensor(x)
    piece = t.tensor_split(2, 2)[1]
    piece.fill_(-1.0)
    assert t[0, 0].tolist() == [0.0, 1.0, -1.0, -1.0]  # pieces alias the input
    unsafe = t.unsafe_split(2, 0)[0]
    assert unsafe._base is None and grad_fn_name(unigrad.tensor(x, requires_grad=True).unsafe_chunk(2)[0]) == \
        "UnsafeSplitBackward0"
    for fn in [lambda lib: lib.arange(7).tensor_split(0),
               lambda lib: lib.arange(7).tensor_split(lib.tensor([1.0])),
               lambda lib: lib.arange(7).tensor_split(lib.tensor([[1]])),
               lambda lib: lib.tensor(1).tensor_split(1),
               lambda lib: lib.zeros(2, 4).hsplit(3),
               lambda lib: lib.tensor(0.0).hsplit(2),
               lambda lib: lib.zeros(4).vsplit(2),
               lambda lib: lib.zeros(4, 2).dsplit(1),
               lambda lib: lib.zeros(2, 3).split_with_sizes([1, 1], 1),
               lambda lib: lib.zeros(2, 3).split_with_sizes([4, -1], 1)]:
        raises_like_torch(fn)


# ----- take / put / the index_* family ------------------------------------------------------------
def test_take_and_put():
    check(lambda lib, x: (x.take(long(lib, [[0, -1], [5, 5]])), lib.take(x.t(), long(lib, [1, 2])),
                          x.take(long(lib, [])), x.put(long(lib, [0, 0, -1]), x[0, :3] * 2, accumulate=True),
                          x.put(long(lib, [[1, 7]]), x[1, :2]), lib.put(x, long(lib, [3]), x[2, :1])), X)
    check(lambda lib, x: (x * 1).put_(long(lib, [1, 1]), x[0, :2], accumulate=True).put_(long(lib, [2]), x[2, :1]), X)
    t = unigrad.tensor(X, requires_grad=True)
    assert [grad_fn_name(t.take(unigrad.tensor([0]))), grad_fn_name(t.put(unigrad.tensor([0]), t[0, :1]))] == \
        ["TakeBackward0", "PutBackward0"]
    for fn in [lambda lib: lib.zeros(2, 3).take(long(lib, [6])),
               lambda lib: lib.zeros(2, 3).take(lib.tensor([1], dtype=lib.int32)),
               lambda lib: lib.zeros(2, 3).put(long(lib, [0, 0]), lib.ones(3)),
               lambda lib: lib.zeros(2, 3).put(long(lib, [6]), lib.ones(1)),
               lambda lib: lib.zeros(2, 3).put(long(lib, [1]), lib.ones(1, dtype=lib.float64))]:
        raises_like_torch(fn)


def test_index_add_copy_fill():
    i = [0, 2, 2]
    src = R.standard_normal((3, 3))
    check(lambda lib, x, s: (x.index_add(1, long(lib, i), s), lib.index_add(x, 1, long(lib, i), s, alpha=-2.5),
                             x.index_add(0, lib.tensor([1, 1, 0], dtype=lib.int32), s[:, :1].expand(3, 4) * 1),
                             x.index_copy(1, long(lib, [3, 0, 1]), s),
                             lib.index_copy(x, 0, long(lib, [2]), s[:1, :1].expand(1, 4)),
                             x.index_fill(1, long(lib, [0, -1]), 2.5), lib.index_fill(x, 0, long(lib, [1]), s[0, 0]),
                             x.index_add(1, long(lib, [1]), s[:, :1]), x.index_fill(1, long(lib, 2), -1)), X, src)
    check(lambda lib, x, s: ((x * 1).index_add_(1, long(lib, i), s)
                             .index_copy_(0, long(lib, [1]), s[:1, :1].expand(1, 4) * 1)
                             .index_fill_(1, long(lib, [2]), 0.5)), X, src)
    check(lambda lib, x: (x.index_add(0, long(lib, [0, 0]), x[:2]), x.index_fill(0, long(lib, [1]), 7)),
          R.integers(-3, 3, (3, 2)), grad=False)
    t = unigrad.tensor(X, requires_grad=True)
    idx = unigrad.tensor([1])
    assert [grad_fn_name(t.index_add(0, idx, t[:1])), grad_fn_name(t.index_copy(0, idx, t[:1])),
            grad_fn_name(t.index_fill(0, idx, 1.0)), grad_fn_name(t.index_fill(0, idx, t[0, 0]))] == \
        ["IndexAddBackward0", "IndexCopyBackward0", "IndexFillBackward0", "IndexFillBackward1"]
    z = lambda lib: lib.zeros(3, 4)  # noqa: E731
    for fn in [lambda lib: z(lib).index_add(1, long(lib, [[0, 2]]), lib.ones(3, 2)),
               lambda lib: z(lib).index_add(1, lib.tensor([0.0]), lib.ones(3, 1)),
               lambda lib: z(lib).index_add(1, long(lib, [0, 2]), lib.ones(3, 2, dtype=lib.float64)),
               lambda lib: z(lib).index_add(1, long(lib, [0, 2]), lib.ones(3, 3)),
               lambda lib: z(lib).index_add(1, long(lib, [0, 2]), lib.ones(2, 2)),
               lambda lib: z(lib).index_add(1, long(lib, [4]), lib.ones(3, 1)),
               lambda lib: z(lib).index_copy(1, long(lib, [4]), lib.ones(3, 1)),
               lambda lib: z(lib).index_copy(1, lib.tensor([0], dtype=lib.int32), lib.ones(3, 1)),
               lambda lib: z(lib).index_fill(1, long(lib, [4]), 1),
               lambda lib: z(lib).index_fill(1, long(lib, [1]), lib.ones(1)),
               lambda lib: z(lib).index_fill(1, lib.tensor([0], dtype=lib.int32), 1)]:
        raises_like_torch(fn)


def test_index_put_accumulate():
    check(lambda lib, x, v: (x.index_put((long(lib, [0, 0, 2]),), v, accumulate=True),
                             lib.index_put(x, (long(lib, [0, 0]), long(lib, [1, 1])), v[0, 0], accumulate=True),
                             x.index_put([x > 0], v[0, 0] * 0 + 1, accumulate=True),
                             x.index_put((long(lib, [1]),), v[:1]),
                             x.index_put((long(lib, [0, 2, 0]), long(lib, [3, 3, 3])), v[0, :3], accumulate=True)),
          X, R.standard_normal((3, 4)))
    check(lambda lib, x, v: (x * 1).index_put_((long(lib, [2, 2]),), v[:2], accumulate=True), X,
          R.standard_normal((3, 4)))
    raises_like_torch(lambda lib: lib.zeros(3, 4).index_put((slice(None), long(lib, [1])), lib.ones(3)))


REDUCES = ["sum", "prod", "mean", "amax", "amin"]


@pytest.mark.parametrize("reduce", REDUCES)
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce(reduce, include_self):
    x = R.standard_normal((3, 5))
    src = R.standard_normal((3, 4))
    index = np.array([[0, 0, 4, 2], [1, 1, 1, 1], [3, 0, 3, 0]])
    check(lambda lib, t, s, i: (t.scatter_reduce(1, i, s, reduce, include_self=include_self),
                                lib.scatter_reduce(t.t(), 0, i.t()[:3], s.t()[:3] * 1, reduce,
                                                   include_self=include_self)), x, src, index)
    ints = R.integers(-4, 5, (3, 5))
    check(lambda lib, t, s, i: t.scatter_reduce(1, i, s, reduce, include_self=include_self), ints,
          R.integers(-4, 5, (3, 4)), index, grad=False)
    i2 = np.array([[0, 2, 2, 1], [2, 2, 0, 1]])
    check(lambda lib, t, s, i: (t * 1).scatter_reduce_(0, i, s[:2] * 1, reduce, include_self=include_self),
          x, src, i2)
    # an index smaller than src (torch's backward refuses it: values only)
    check(lambda lib, t, s, i: t.scatter_reduce(0, i, s, reduce, include_self=include_self), x, src, i2,
          grad=False)


@settings(max_examples=15)
@given(data=st.data())
def test_scatter_reduce_property(data):
    n, m = data.draw(st.integers(1, 4)), data.draw(st.integers(0, 5))
    reduce = data.draw(st.sampled_from(REDUCES))
    include_self = data.draw(st.booleans())
    rng = np.random.default_rng(n * 10 + m)
    values = rng.integers(-2, 3, (2, m)).astype(np.float64)  # ties and zeros on purpose
    index = rng.integers(0, n, (2, m))
    check(lambda lib, t, s, i: t.scatter_reduce(1, i, s, reduce, include_self=include_self),
          rng.integers(-2, 3, (2, n)).astype(np.float64), values, index)


def test_scatter_reduce_double_backward_names_and_errors():
    x, src = R.standard_normal((2, 4)), R.standard_normal((2, 3))
    index = np.array([[0, 0, 3], [1, 2, 1]])
    for reduce in ("sum", "mean", "amax"):
        assert gradgradcheck(lambda t, s: unigrad.scatter_reduce(t, 1, unigrad.tensor(index), s, reduce),
                             (unigrad.tensor(x, requires_grad=True), unigrad.tensor(src, requires_grad=True)))
    assert gradcheck(lambda t, s: unigrad.scatter_reduce(t, 1, unigrad.tensor(index), s, "prod"),
                     (unigrad.tensor(x, requires_grad=True), unigrad.tensor(src, requires_grad=True)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(lambda lib, t, s: (t.scatter(1, long(lib, index), s, reduce="add"),
                                 t.scatter(1, long(lib, index), s, reduce="multiply"),
                                 t.scatter(1, long(lib, index), 2.0, reduce="add"),
                                 t.index_reduce(1, long(lib, [0, 3, 0]), s, "prod"),
                                 t.index_reduce(1, long(lib, [0, 0, 2]), s, "mean", include_self=False),
                                 lib.index_reduce(t, 0, long(lib, [1]), s[:1, :1].expand(1, 4) * 1, "amax")),
              x, src, grad=False)
        check(lambda lib, t, s: (t.index_reduce(1, long(lib, [0, 3, 0]), s, "amin"),
                                 t.index_reduce(0, long(lib, [1, 1]), t * 2, "mean", include_self=False)), x, src)
        t = unigrad.tensor(x, requires_grad=True)
        assert grad_fn_name(t.index_reduce(1, unigrad.tensor([0]), t[:, :1], "amax")) == "IndexReduceBackward0"
    assert grad_fn_name(t.scatter_reduce(1, unigrad.tensor(index), t[:, :3], "sum")) == "ScatterReduceBackward0"
    z = lambda lib: lib.zeros(3, 4)  # noqa: E731
    i2 = lambda lib: long(lib, [[0, 2]] * 3)  # noqa: E731
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for fn in [lambda lib: z(lib).scatter_reduce(1, i2(lib), lib.ones(3, 2), "foo"),
                   lambda lib: z(lib).scatter_reduce(1, i2(lib), lib.ones(3, 2, dtype=lib.float64), "sum"),
                   lambda lib: z(lib).scatter_reduce(1, lib.zeros(3, 5, dtype=lib.int64), lib.ones(3, 2), "sum"),
                   lambda lib: z(lib).scatter_reduce(1, long(lib, [0, 2]), lib.ones(2), "sum"),
                   lambda lib: z(lib).scatter_reduce(1, lib.full((3, 2), 4), lib.ones(3, 2), "amax"),
                   lambda lib: z(lib).index_reduce(1, long(lib, [0, 2]), lib.ones(3, 2), "sum"),
                   lambda lib: z(lib).scatter(1, i2(lib), lib.ones(3, 2), reduce="foo")]:
            raises_like_torch(fn)


# ----- masked_scatter and the view embeddings ---------------------------------------------------
def test_masked_scatter():
    source = R.standard_normal((3, 5))
    check(lambda lib, x, s: (x.masked_scatter(x > 0, s),
                             lib.masked_scatter(x, lib.tensor([True, False, True, False]), s),
                             lib.masked_scatter(x[0], (x > 0).t()[:, :1].t().expand(3, 4) * 1 > 0, s),
                             (x * 1).masked_scatter_(x < 0, s), x.masked_scatter(x > 10, s[:0])), X, source)
    t = unigrad.tensor(X, requires_grad=True)
    assert grad_fn_name(t.masked_scatter(t > 0, t)) == "MaskedScatterBackward0"
    for fn in [lambda lib: lib.zeros(3, 4).masked_scatter(lib.zeros(3, 4) == 0, lib.arange(11.0)),
               lambda lib: lib.zeros(3, 4).masked_scatter(lib.ones(3, 4), lib.arange(12.0)),
               lambda lib: lib.zeros(3, 4).masked_scatter(lib.zeros(3, 4) == 0, lib.arange(12))]:
        raises_like_torch(fn)


def test_view_embeddings():
    check(lambda lib, x, s: (x.diagonal_scatter(s[:3, 0]), lib.diagonal_scatter(x, s[0, :2], 2),
                             x.diagonal_scatter(s[:2, 0], -1), x.select_scatter(s[:, 0], 1, -1),
                             lib.select_scatter(x, s[0], 0, 1), x.slice_scatter(s[:, :2], 1, 1, 4, 2),
                             lib.slice_scatter(x, s[:1], 0, -1), x.slice_scatter(s[:, :2], 1, None, 2)),
          X, R.standard_normal((3, 4)))
    double_source = unigrad.tensor(R.standard_normal(3), requires_grad=True)
    assert gradgradcheck(lambda x, s: unigrad.diagonal_scatter(x * x, s * s),
                         (unigrad.tensor(X, requires_grad=True), double_source))
    t = unigrad.tensor(X, requires_grad=True)
    assert [grad_fn_name(t.diagonal_scatter(t[0, :3])), grad_fn_name(t.select_scatter(t[0], 0, 0)),
            grad_fn_name(t.slice_scatter(t[:1], 0, 0, 1))] == \
        ["DiagonalScatterBackward0", "SelectScatterBackward0", "SliceScatterBackward0"]
    base = unigrad.tensor(X)
    out = base.diagonal_scatter(unigrad.zeros(3))
    out.fill_(5.0)
    assert base.tolist() == X.tolist()  # a new tensor
    for fn in [lambda lib: lib.zeros(3, 4).diagonal_scatter(lib.ones(2)),
               lambda lib: lib.zeros(3, 4).select_scatter(lib.ones(3), 0, 0),
               lambda lib: lib.zeros(3, 4).slice_scatter(lib.ones(3, 1), 1, 1, 4, 2)]:
        raises_like_torch(fn)


def test_unravel_index():
    check(lambda lib, i: (*lib.unravel_index(i, (2, 3)), *lib.unravel_index(i, 6), *lib.unravel_index(i[0], (3, 2)),
                          *lib.unravel_index(i.to(lib.int32), [1, 2, 3]), *lib.unravel_index(i, ())),
          np.array([4, 1, 6, -1, 7, -7]), grad=False)
    raises_like_torch(lambda lib: lib.unravel_index(lib.tensor(1.0), (2, 3)))
    raises_like_torch(lambda lib: lib.unravel_index(lib.tensor(1), (-2, 3)))


# ----- layouts ------------------------------------------------------------------------------------
def test_ravel_narrow_copy_and_copies():
    check(lambda lib, x: (x.ravel(), x.t().ravel(), lib.ravel(x[:, 1]), x.narrow_copy(1, 1, 2),
                          lib.narrow_copy(x, 0, 2, 1), lib.view_copy(x, (12,)), lib.expand_copy(x[:1], (2, 4)),
                          lib.permute_copy(x, (1, 0)), lib.t_copy(x), lib.transpose_copy(x, 0, 1),
                          lib.select_copy(x, 1, 2), lib.diagonal_copy(x), lib.squeeze_copy(x[:1]),
                          lib.unsqueeze_copy(x, 1), lib.slice_copy(x, 1, 1, 3), lib.alias_copy(x),
                          lib.as_strided_copy(x, (2, 2), (1, 2)),
                          *lib.split_copy(x, 2), *lib.unbind_copy(x, 1), *lib.split_with_sizes_copy(x, [1, 2]),
                          lib.unfold_copy(x, 1, 2, 1)), X)
    check(lambda lib, x: lib.detach_copy(x), X, grad=False)  # no derivative in torch
    t = unigrad.tensor(X)
    assert t.ravel()._base is t and t.t().ravel()._base is not t
    copy = t.narrow_copy(1, 0, 2)
    copy.fill_(0.0)
    assert t.tolist() == X.tolist()
    assert unigrad.view_copy(t, (12,))._base is None


def test_as_strided():
    x = np.arange(12, dtype=np.float64)
    check(lambda lib, t: (t.as_strided((2, 2), (1, 1)), lib.as_strided(t, (3, 2), (4, 1), 2),
                          t[2:].as_strided((2,), (1,), 1), t[2:].as_strided((2, 3), (3, 1)),
                          t.as_strided((2, 2), (0, 1)), t.expand(2, 12).as_strided((3,), (2,)),
                          t.reshape(3, 4).t().as_strided((2, 3), (1, 4), 1)), x)
    t = unigrad.tensor(x)
    view = t.as_strided((2, 2), (1, 2))
    view[0, 0] = -1.0
    assert t[0].item() == -1.0 and view._base is t
    leaf = unigrad.tensor(x[:5], requires_grad=True)
    assert gradcheck(lambda a: a.as_strided((3, 2), (1, 1)), (leaf,))
    assert gradgradcheck(lambda a: (a * a).as_strided((2, 2), (1, 2), 1), (leaf,))
    assert grad_fn_name(leaf.as_strided((2,), (1,))) == "AsStridedBackward0"
    # torch 2.13 sends as_strided_scatter's input gradient to the written region instead of the
    # rest: compare values and the source's gradient, gradcheck the input's
    check(lambda lib, t, s: (t.as_strided_scatter(s, (2, 2), (1, 2)), lib.as_strided_scatter(t, s, (2, 2), (3, 1), 1)),
          x, R.standard_normal((2, 2)), grad=False)
    check(lambda lib, s: lib.as_strided_scatter(lib.zeros(12, dtype=s.dtype), s, (2, 2), (3, 1), 1),
          R.standard_normal((2, 2)))
    assert gradcheck(lambda t, s: unigrad.as_strided_scatter(t, s, (2, 2), (3, 1), 1),
                     (unigrad.tensor(x[:8], requires_grad=True),
                      unigrad.tensor(R.standard_normal((2, 2)), requires_grad=True)))
    for fn in [lambda lib: lib.zeros(4).as_strided((2,), (-1,)),
               lambda lib: lib.zeros(4).as_strided((2,), (1, 1)),
               lambda lib: lib.zeros(4).as_strided((2,), (1,), 3),
               lambda lib: lib.arange(6.0)[2:].as_strided((2,), (1,), 5)]:
        raises_like_torch(fn)


def test_inplace_view_ops():
    def fn(lib, x):
        y = x * 1
        z = x * 1
        return (y.t_(), (x * 1).transpose_(0, 1), (x * 1).swapaxes_(1, 0), (x * 1).swapdims_(0, 1),
                (x[:1] * 1).squeeze_(), (x[:1] * 1).squeeze_(0), (x * 1).unsqueeze_(1),
                (x * 1).as_strided_((2, 3), (1, 2)), z[1:].unsqueeze_(0))
    check(fn, X)
    t = unigrad.tensor(X) * 1
    assert t.t_() is t and tuple(t.shape) == (4, 3) and t.stride() == (1, 4)
    leaf = unigrad.tensor(X, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        leaf.t_()
    names = [grad_fn_name(f(leaf * 1)) for f in (lambda a: a.t_(), lambda a: a.transpose_(0, 1),
                                                 lambda a: a.unsqueeze_(0), lambda a: a.squeeze_(),
                                                 lambda a: a.as_strided_((2,), (1,)))]
    assert names == ["TBackward1", "TransposeBackward1", "UnsqueezeBackward1", "SqueezeBackward3",
                     "AsStridedBackward1"]


def test_triangles_fill_diagonal_and_new_empty_strided():
    check(lambda lib, x: ((x * 1).tril_(), (x * 1).triu_(1), (x * 1).tril_(-1)), X)

    def fills(lib, x):
        outs = [(x * 1).fill_diagonal_(5.0), (x.t() * 1).fill_diagonal_(-1.0)]
        tall = lib.zeros(7, 3, dtype=x.dtype)
        outs += [tall.clone().fill_diagonal_(2.0, wrap=True), tall.clone().fill_diagonal_(2.0),
                 lib.zeros(3, 3, 3).fill_diagonal_(1), (x * 1)[:, 1:].fill_diagonal_(9.0)]
        return outs
    check(fills, X)
    raises_like_torch(lambda lib: lib.zeros(2, 3, 2).fill_diagonal_(1))
    raises_like_torch(lambda lib: lib.zeros(2).fill_diagonal_(1))
    t = unigrad.tensor(X)
    e = t.new_empty_strided((2, 3), (1, 2))
    assert tuple(e.shape) == (2, 3) and e.stride() == (1, 2) and e.dtype == t.dtype
    e64 = t.new_empty_strided((2,), (3,), dtype=unigrad.int64)
    assert e64.dtype == unigrad.int64 and e64.stride() == (3,)


def test_sum_to_size_adjoint_argwhere():
    check(lambda lib, x: (x.sum_to_size(1, 4), x.sum_to_size((3, 1)), x.adjoint(), x.mH, lib.adjoint(x)), X)
    check(lambda lib, x: (x > 0).argwhere(), X, grad=False)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32"])
def test_scatter_reduce_fast_path_matches_the_composite(dtype):
    """The backend's optional ``scatter_reduce`` (its kernel, ufunc.at...) against the frontend's
    comparison composite, NaNs included; a fast path declining with NotImplemented is honoured."""
    from unigrad.api.ops import reduction
    device = unigrad.get_default_device()
    backend = unigrad.backends.registry.get_backend(device)
    if backend.scatter_reduce is None:
        pytest.skip(f"{device} has no scatter_reduce fast path")
    rng = np.random.default_rng(5)
    x = rng.integers(-3, 4, (4, 7)).astype(dtype)
    src = rng.integers(-3, 4, (4, 9)).astype(dtype)
    if dtype.startswith("float"):
        x[0, 2], src[1, 4] = np.nan, np.nan
    index = unigrad.tensor(rng.integers(0, 7, (4, 9)))
    xs, ss = unigrad.tensor(x), unigrad.tensor(src)

    def run():
        return [xs.scatter_reduce(1, index, ss, r, include_self=s).numpy().copy()
                for r in ("prod", "amax", "amin") for s in (True, False)]
    fast = run()
    reduction._FORCE_COMPOSITE[0] = True
    try:
        composite = run()
    finally:
        reduction._FORCE_COMPOSITE[0] = False
    for a, b in zip(fast, composite):
        np.testing.assert_array_equal(a, b)
    backend.scatter_reduce = lambda *args: NotImplemented
    try:
        declined = run()
    finally:
        del backend.scatter_reduce
    for a, b in zip(declined, composite):
        np.testing.assert_array_equal(a, b)
