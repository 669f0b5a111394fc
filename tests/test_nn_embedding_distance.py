"""EmbeddingBag and Embedding options, PairwiseDistance and CosineSimilarity against torch."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import unigrad
from nn_parity import compare_module
from parity import check

R = np.random.default_rng(21)


def F(lib):
    return lib.nn.functional


# ----- embedding_bag ---------------------------------------------------------------------------------
def _bag_inputs(rng, rows=9, count=11, bags=4):
    indices = rng.integers(0, rows, count)
    cuts = np.sort(rng.integers(0, count + 1, bags - 1))
    offsets = np.concatenate([[0], cuts])  # empty bags included when cuts repeat or reach the end
    return indices, offsets


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 3])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_embedding_bag_with_offsets_matches_torch(mode, padding_idx, include_last_offset):
    rng = np.random.default_rng(len(mode) + (padding_idx or 0) + include_last_offset)
    weight = rng.standard_normal((9, 3))
    indices, offsets = _bag_inputs(rng)
    indices[:3] = 3  # some padding entries (and a bag that may hold only padding)
    if include_last_offset:
        # the last entry is left out of every bag (unless the last bag starts after it)
        offsets = np.concatenate([offsets, [max(offsets[-1], len(indices) - 1)]])
    check(lambda lib, w, i, o: F(lib).embedding_bag(i, w, o, mode=mode, padding_idx=padding_idx,
                                                    include_last_offset=include_last_offset),
          weight, indices, offsets, rtol=1e-12, atol=1e-14)


@given(seed=st.integers(0, 2 ** 16), count=st.integers(1, 12), bags=st.integers(1, 5),
       mode=st.sampled_from(["sum", "mean", "max"]))
def test_embedding_bag_matches_torch_for_varied_bags(seed, count, bags, mode):
    rng = np.random.default_rng(seed)
    weight = rng.standard_normal((6, 4))
    if mode == "max":  # ties: torch and unigrad both pick the first of equal values
        weight = np.round(weight)
    indices, offsets = _bag_inputs(rng, 6, count, bags)
    check(lambda lib, w, i, o: F(lib).embedding_bag(i, w, o, mode=mode), weight, indices, offsets, rtol=1e-12, atol=1e-14)


def test_embedding_bag_2d_input_per_sample_weights_and_scale_grad_by_freq():
    weight = R.standard_normal((7, 3))
    indices = np.array([[1, 2, 2], [6, 1, 0]])
    per_sample = R.standard_normal((2, 3))
    check(lambda lib, w, i, p: F(lib).embedding_bag(i, w, mode="sum", per_sample_weights=p), weight, indices, per_sample)
    # PyTorch's CPU embedding_bag divides each row's gradient by the count of another row (it
    # indexes its counts by unique-group number); the reference is embedding's, which is right
    for mode in ("sum", "mean"):
        check(lambda lib, w, i: F(lib).embedding_bag(i, w, mode=mode, scale_grad_by_freq=True) if lib is unigrad
              else getattr(F(lib).embedding(i, w, scale_grad_by_freq=True), mode)(1), weight, indices)


def test_embedding_bag_max_norm_renormalises_the_used_rows_like_torch():
    weight = R.standard_normal((6, 3)) * 3
    indices, offsets = np.array([0, 2, 2, 5]), np.array([0, 2])
    results = []
    for lib in (unigrad, torch):
        w = lib.tensor(weight)
        out = F(lib).embedding_bag(lib.tensor(indices), w, lib.tensor(offsets), max_norm=1.5, norm_type=1.0)
        results.append((out.numpy(), w.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_embedding_bag_module_and_from_pretrained_match_torch():
    make = lambda lib: lambda: lib.nn.EmbeddingBag(8, 3, mode="max", padding_idx=-1)  # noqa: E731
    indices = torch.tensor([1, 7, 2, 2, 5, 0])
    offsets = torch.tensor([0, 3, 3])
    ours, theirs = compare_module(make(unigrad), make(torch), [indices, offsets], dtype=torch.float64, rtol=1e-12)
    assert repr(ours) == repr(theirs) and ours.padding_idx == theirs.padding_idx == 7
    table = R.standard_normal((5, 2))
    for freeze in (True, False):
        ours = unigrad.nn.EmbeddingBag.from_pretrained(unigrad.tensor(table), freeze=freeze, mode="sum")
        theirs = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(table), freeze=freeze, mode="sum")
        assert ours.weight.requires_grad == theirs.weight.requires_grad and repr(ours) == repr(theirs)
        x = np.array([[0, 4], [3, 3]])
        np.testing.assert_allclose(ours(unigrad.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy())


EMBEDDING_BAG_ERRORS = [
    (lambda lib, w: F(lib).embedding_bag(lib.tensor([1, 2]), w, lib.tensor([0]), mode="mean",
                                         per_sample_weights=lib.ones(2)), NotImplementedError,
     "per_sample_weights is only supported for mode='sum' \\(got mode='mean'\\)"),
    (lambda lib, w: F(lib).embedding_bag(lib.tensor([[1, 2]]), w, lib.tensor([0])), ValueError,
     "if input is 2D, then offsets has to be None"),
    (lambda lib, w: F(lib).embedding_bag(lib.tensor([1, 2]), w), ValueError, "offsets has to be a 1D Tensor but got None"),
    (lambda lib, w: F(lib).embedding_bag(lib.tensor([1, 2]), w, lib.tensor([0]), mode="max", scale_grad_by_freq=True),
     ValueError, "max mode does not support scaling the gradient by the frequency"),
    (lambda lib, w: F(lib).embedding_bag(lib.tensor([1, 2]), w, lib.tensor([0]), mode="median"), ValueError,
     "mode has to be one of sum, mean or max"),
    (lambda lib, w: F(lib).embedding_bag(lib.tensor([1, 2]), w, lib.tensor([1])), RuntimeError,
     "offsets\\[0\\] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got 1"),
    (lambda lib, w: F(lib).embedding_bag(lib.tensor([1, 2]), w, lib.tensor([0]), per_sample_weights=lib.ones(3),
                                         mode="sum"), ValueError, "then it must have the same shape as the input"),
    (lambda lib, w: lib.nn.EmbeddingBag(4, 2, padding_idx=4), AssertionError, "padding_idx must be within num_embeddings"),
]


@pytest.mark.parametrize("case", range(len(EMBEDDING_BAG_ERRORS)))
def test_embedding_bag_refuses_bad_arguments_like_torch(case):
    make, error, message = EMBEDDING_BAG_ERRORS[case]
    if error is RuntimeError and unigrad.backends.registry.get_backend(unigrad.get_default_device()).deferred_index_checks:
        pytest.skip("data-dependent offset checks are deferred on this device")
    for lib in (unigrad, torch):
        with pytest.raises(error, match=message):
            make(lib, lib.randn(4, 2))


# ----- Embedding options ---------------------------------------------------------------------------
def test_embedding_scale_grad_by_freq_max_norm_and_repr_match_torch():
    weight = R.standard_normal((6, 3)) * 2
    indices = np.array([[0, 2, 2], [5, 2, 0]])
    check(lambda lib, w, i: F(lib).embedding(i, w, scale_grad_by_freq=True), weight, indices)
    check(lambda lib, w, i: F(lib).embedding(i, w, padding_idx=2, scale_grad_by_freq=True), weight, indices)
    make = lambda lib: lambda: lib.nn.Embedding(6, 3, max_norm=1.0, norm_type=3.0, scale_grad_by_freq=True)  # noqa: E731
    ours, theirs = compare_module(make(unigrad), make(torch), [torch.tensor(indices)], dtype=torch.float64, rtol=1e-12)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-12)
    assert repr(ours) == repr(theirs) == "Embedding(6, 3, max_norm=1.0, norm_type=3.0, scale_grad_by_freq=True)"
    pretrained = unigrad.nn.Embedding.from_pretrained(unigrad.tensor(weight), freeze=False, padding_idx=1, max_norm=2.0)
    assert pretrained.weight.requires_grad and pretrained.padding_idx == 1 and pretrained.max_norm == 2.0
    with pytest.raises(AssertionError, match="Shape of weight does not match num_embeddings and embedding_dim"):
        unigrad.nn.Embedding(5, 3, _weight=unigrad.zeros(4, 3))
    with pytest.raises(NotImplementedError, match="sparse=True"):
        unigrad.nn.Embedding(5, 3, sparse=True)(unigrad.tensor([1]))


# ----- distances -------------------------------------------------------------------------------------
@given(p=st.sampled_from([1.0, 2.0, 3.0, 0.5, 0.0, float("inf")]), rows=st.integers(1, 4), cols=st.integers(1, 5),
       keepdim=st.booleans(), broadcast=st.booleans(), seed=st.integers(0, 2 ** 16))
def test_pairwise_distance_matches_torch(p, rows, cols, keepdim, broadcast, seed):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal((rows, cols))
    b = rng.standard_normal(cols if broadcast else (rows, cols))
    check(lambda lib, x, y: F(lib).pairwise_distance(x, y, p=p, keepdim=keepdim), a, b, rtol=1e-9, atol=1e-11)
    check(lambda lib, x, y: lib.nn.PairwiseDistance(p=p, eps=0.0, keepdim=keepdim)(x, y), a, b, rtol=1e-9, atol=1e-11)


@given(rows=st.integers(1, 4), cols=st.integers(1, 5), dim=st.sampled_from([0, 1, -1]), seed=st.integers(0, 2 ** 16))
def test_cosine_similarity_matches_torch(rows, cols, dim, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.standard_normal((rows, cols)), rng.standard_normal((1, cols))
    check(lambda lib, x, y: F(lib).cosine_similarity(x, y, dim=dim), a, b, rtol=1e-9, atol=1e-11)
    check(lambda lib, x, y: lib.nn.CosineSimilarity(dim=dim, eps=1e-3)(x, y * 1e-4), a, b, rtol=1e-9, atol=1e-11)


@given(rows=st.integers(1, 5), cols=st.integers(1, 4), p=st.sampled_from([2.0, 1.0, 0.5, 3.0, float("inf")]),
       seed=st.integers(0, 2 ** 16))
def test_pdist_matches_torch(rows, cols, p, seed):
    x = np.random.default_rng(seed).standard_normal((rows, cols))
    x[-1] = x[0]  # a zero distance (its gradient is 0, as torch's)
    check(lambda lib, t: F(lib).pdist(t, p), x, rtol=1e-9, atol=1e-11)


def test_distances_of_zero_vectors_have_torchs_gradients():
    zeros, ones = np.zeros((2, 3)), np.ones((2, 3))
    check(lambda lib, x, y: F(lib).cosine_similarity(x, y), zeros, ones)
    for p in (2.0, 1.0, 3.0, 0.5, float("inf")):
        check(lambda lib, x, y: F(lib).pairwise_distance(x, y, p=p, eps=0.0), zeros, zeros)
    assert repr(unigrad.nn.PairwiseDistance(3.0)) == repr(torch.nn.PairwiseDistance(3.0)) == "PairwiseDistance()"
    assert repr(unigrad.nn.CosineSimilarity(0)) == "CosineSimilarity()"
    with pytest.raises(RuntimeError, match="pdist only supports 2D tensors, got: 3D"):
        F(unigrad).pdist(unigrad.randn(2, 3, 4))
    with pytest.raises(RuntimeError, match="expected common dtype to be floating point, yet common dtype is Long"):
        F(unigrad).cosine_similarity(unigrad.tensor([1, 2]), unigrad.tensor([2, 3]), dim=0)
