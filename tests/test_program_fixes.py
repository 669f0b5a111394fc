"""Gaps the acceptance programs (tests/programs) ran into, each pinned to PyTorch's behaviour.

``range`` indices (nn_tutorial's ``input[range(n), target]``), a lazy ``RandomSampler`` (minGPT
asks for 1e10 samples), ``size=``/``requires_grad=`` on factories (d2l), NumPy's ``axis``/
``keepdims`` spellings (d2l), ``out=`` (the 60-minute blitz), ``nn.modules.activation.
MultiheadAttention`` (word_language_model's safe globals).
"""
import itertools
import warnings

import numpy as np
import pytest
import torch

import unigrad
from parity import assert_close, check

# ----- indexing with a range ---------------------------------------------------------------------


def test_range_index_selects_like_a_list(rng):
    x = rng.standard_normal((5, 4)).astype(np.float32)
    target = np.array([3, 0, 1, 2, 0])
    check(lambda lib, t: t[range(5), lib.tensor(target)], x)
    check(lambda lib, t: t[range(1, 4)], x)
    check(lambda lib, t: t[:, range(0, 4, 2)], x)


def test_range_index_assignment():
    ours, theirs = unigrad.zeros(3, 4), torch.zeros(3, 4)
    ours[range(3), unigrad.tensor([1, 2, 3])] = 7.0
    theirs[range(3), torch.tensor([1, 2, 3])] = 7.0
    assert_close(ours, theirs)


# ----- RandomSampler -----------------------------------------------------------------------------


def test_random_sampler_with_replacement_is_lazy():
    sampler = unigrad.utils.data.RandomSampler(range(7), replacement=True, num_samples=int(1e10))
    assert len(sampler) == int(1e10)
    first = list(itertools.islice(iter(sampler), 100))
    assert len(first) == 100 and all(0 <= i < 7 for i in first)


@pytest.mark.parametrize("num_samples", [5, 32, 45])
def test_random_sampler_with_replacement_draws_num_samples(num_samples):
    drawn = list(unigrad.utils.data.RandomSampler(range(7), replacement=True, num_samples=num_samples))
    assert len(drawn) == num_samples and all(0 <= i < 7 for i in drawn)


def test_random_sampler_without_replacement_covers_each_pass():
    drawn = list(unigrad.utils.data.RandomSampler(range(7), num_samples=17))
    assert len(drawn) == 17
    assert sorted(drawn[:7]) == list(range(7)) and sorted(drawn[7:14]) == list(range(7))
    assert len(set(drawn[14:])) == 3


def test_random_sampler_of_empty_dataset_is_refused_as_in_pytorch():
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        torch.utils.data.RandomSampler([])
    with pytest.raises(ValueError, match="num_samples should be a positive integer"):
        unigrad.utils.data.RandomSampler([])


# ----- factories ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_factories_take_size_as_keyword(name):
    for size in ((2, 3), [4], ()):
        ours = getattr(unigrad, name)(size=size)
        theirs = getattr(torch, name)(size=size)
        assert tuple(ours.shape) == tuple(theirs.shape)
    with pytest.raises(TypeError, match="must be tuple of ints, not int"):
        getattr(unigrad, name)(size=5)
    with pytest.raises(TypeError):
        getattr(unigrad, name)(2, size=(3,))


def test_normal_of_numbers_can_require_grad():
    w = unigrad.normal(0, 0.01, size=(2, 1), requires_grad=True)
    reference = torch.normal(0, 0.01, size=(2, 1), requires_grad=True)
    assert (w.requires_grad, w.is_leaf, tuple(w.shape)) == (reference.requires_grad, reference.is_leaf, (2, 1))
    assert not unigrad.normal(0.0, 1.0, (3,)).requires_grad
    with pytest.raises(TypeError):
        unigrad.normal(0.0, 1.0)


# ----- axis= / keepdims= -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "amax", "amin", "argmax", "argmin", "std",
                                  "var", "logsumexp", "all", "any"])
def test_reductions_accept_numpy_argument_names(name, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    if name in ("all", "any"):
        x = x > 0
    grad = name not in ("argmax", "argmin", "all", "any")
    check(lambda lib, t: getattr(lib, name)(t, axis=1), x, grad=grad)
    check(lambda lib, t: getattr(t, name)(axis=0, keepdims=True), x, grad=grad)


def test_max_min_and_softmax_accept_axis(rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    check(lambda lib, t: tuple(t.max(axis=1)), x)
    check(lambda lib, t: tuple(lib.min(t, axis=0, keepdims=True)), x)
    check(lambda lib, t: lib.softmax(t, axis=1), x)


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "logcumsumexp", "unsqueeze", "softmax", "nansum",
                                  "nanmean", "diff"])
def test_dim_taking_functions_and_methods_accept_axis(name, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    check(lambda lib, t: getattr(lib, name)(t, axis=1), x)
    check(lambda lib, t: getattr(t, name)(axis=0), x)


@pytest.mark.parametrize("name", ["sort", "cummax", "median", "mode", "kthvalue", "topk"])
def test_axis_on_functions_returning_values_and_indices(name, rng):
    x = rng.permutation(12).reshape(3, 4).astype(np.float32)  # distinct: the indices are unique
    extra = (2,) if name in ("kthvalue", "topk") else ()
    check(lambda lib, t: tuple(getattr(lib, name)(t, *extra, axis=1)), x, grad=False)
    check(lambda lib, t: tuple(getattr(t, name)(*extra, axis=0)), x, grad=False)


def test_cat_and_stack_accept_axis(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    check(lambda lib, t: lib.cat([t, t * 2], axis=1), x)
    check(lambda lib, t: lib.stack([t, t], axis=1), x)


def test_median_keepdim_without_dim_is_refused_as_torch():
    with pytest.raises(TypeError, match='missing 1 required positional arguments: "dim"'):
        unigrad.median(unigrad.ones(3), keepdim=True)


def test_axis_and_dim_together_are_refused():
    with pytest.raises(TypeError, match="multiple values for argument 'dim'"):
        unigrad.ones(2, 2).sum(axis=0, dim=0)


# ----- out= --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name,args", [("add", (1.5,)), ("mul", (None,)), ("matmul", (None,)),
                                       ("sub", (None,)), ("exp", ()), ("sum", (1,)), ("mean", (0,))])
def test_out_receives_the_result(name, args, rng):
    x = rng.standard_normal((3, 3)).astype(np.float32)

    def run(lib):
        t = lib.tensor(x)
        out = lib.empty(0)
        operands = [t if a is None else a for a in args]
        returned = getattr(lib, name)(t, *operands, out=out)
        assert returned is out
        return out
    assert_close(run(unigrad), run(torch))


def test_out_of_the_right_shape_is_written_in_place():
    a = unigrad.ones(2, 2)
    out = unigrad.zeros(2, 2)
    storage_view = out[0]
    unigrad.mul(a, 3.0, out=out)
    assert storage_view.tolist() == [3.0, 3.0]


def test_out_of_another_shape_is_resized_with_a_warning():
    with pytest.warns(UserWarning, match="was resized"):
        out = unigrad.cat([unigrad.ones(2), unigrad.ones(3)], out=unigrad.zeros(2))
    assert out.tolist() == [1.0] * 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        unigrad.add(unigrad.ones(2), 1, out=unigrad.empty(0))


def test_out_refuses_what_pytorch_refuses():
    a = unigrad.ones(2, 2)
    with pytest.raises(RuntimeError, match="result type Float can't be cast to the desired output type Long"):
        unigrad.add(a, 0.5, out=unigrad.empty(2, 2, dtype=unigrad.long))
    with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
        unigrad.mul(unigrad.ones(2, requires_grad=True), 2, out=unigrad.empty(2))
    with pytest.raises(TypeError, match="argument 'out' must be Tensor"):
        unigrad.add(a, 1, out=np.zeros((2, 2)))


def test_out_keeps_its_dtype():
    out = unigrad.empty(2, dtype=unigrad.float64)
    unigrad.add(unigrad.ones(2), 1, out=out)
    reference = torch.empty(2, dtype=torch.float64)
    torch.add(torch.ones(2), 1, out=reference)
    assert_close(out, reference)


# ----- module paths ------------------------------------------------------------------------------


def test_multihead_attention_is_importable_from_activation():
    from unigrad.nn.modules.activation import MultiheadAttention
    assert MultiheadAttention is unigrad.nn.MultiheadAttention
