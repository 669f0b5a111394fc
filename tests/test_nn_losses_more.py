"""Losses against torch: every reduction, weights, ignore_index, values and gradients (float64),
PyTorch's grad_fn names for its one-node losses, float64 gradcheck (CTC especially), the
binary cross-entropy at exactly 0 and 1, CTCLoss edge cases and AdaptiveLogSoftmaxWithLoss."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import unigrad
from nn_parity import compare_module
from parity import check

R = np.random.default_rng(5)
REDUCTIONS = ["none", "mean", "sum"]


def F(lib):
    return lib.nn.functional


def signs(shape, rng=R):
    return rng.choice([-1.0, 1.0], shape)


# each case: (function of (lib, reduction, *arrays), maker of the arrays from rng and batch size)
CASES = {
    "mse": (lambda lib, r, x, t: F(lib).mse_loss(x, t, reduction=r), lambda g, n: [g.standard_normal((n, 3))] * 2),
    "mse_weighted": (lambda lib, r, x, t: F(lib).mse_loss(x, t, reduction=r, weight=lib.tensor(np.arange(1.0, 4.0)).expand(x.shape[0], 3)),
                     lambda g, n: [g.standard_normal((n, 3)), g.standard_normal((n, 3))]),
    "l1_weighted": (lambda lib, r, x, t: F(lib).l1_loss(x, t, reduction=r, weight=t.detach().abs()),
                    lambda g, n: [g.standard_normal((n, 3)), g.standard_normal((n, 3))]),
    "smooth_l1": (lambda lib, r, x, t: F(lib).smooth_l1_loss(x, t * 2, reduction=r, beta=0.5),
                  lambda g, n: [g.standard_normal((n, 3)), g.standard_normal((n, 3))]),
    "smooth_l1_beta0": (lambda lib, r, x, t: F(lib).smooth_l1_loss(x, t, reduction=r, beta=0.0),
                        lambda g, n: [g.standard_normal((n, 3)), g.standard_normal((n, 3))]),
    "huber": (lambda lib, r, x, t: F(lib).huber_loss(x, t * 2, reduction=r, delta=0.7),
              lambda g, n: [g.standard_normal((n, 3)), g.standard_normal((n, 3))]),
    "huber_weighted": (lambda lib, r, x, t: F(lib).huber_loss(x, t * 2, reduction=r, delta=0.7, weight=t.detach().abs()),
                       lambda g, n: [g.standard_normal((n, 3)), g.standard_normal((n, 3))]),
    "nll_weight_ignore": (lambda lib, r, x, t: F(lib).nll_loss(x.log_softmax(1), t, weight=lib.tensor([0.5, 2.0, 1.0, 3.0], dtype=x.dtype), ignore_index=1, reduction=r),
                          lambda g, n: [g.standard_normal((n, 4)), g.integers(0, 4, n)]),
    "nll_spatial": (lambda lib, r, x, t: F(lib).nll_loss(x.log_softmax(1), t, reduction=r),
                    lambda g, n: [g.standard_normal((n, 4, 2, 3)), g.integers(0, 4, (n, 2, 3))]),
    "nll_one_sample": (lambda lib, r, x, t: F(lib).nll_loss(x[0], t[0], reduction=r),
                       lambda g, n: [g.standard_normal((n, 4)), g.integers(0, 4, n)]),
    "cross_entropy_1d_smoothing": (lambda lib, r, x, t: F(lib).cross_entropy(x[0], t[0], reduction=r, label_smoothing=0.2),
                                   lambda g, n: [g.standard_normal((n, 4)), g.integers(0, 4, n)]),
    "bce": (lambda lib, r, x, t: F(lib).binary_cross_entropy(x.sigmoid(), t, reduction=r),
            lambda g, n: [g.standard_normal((n, 3)), g.uniform(0, 1, (n, 3))]),
    "bce_weighted": (lambda lib, r, x, t: F(lib).binary_cross_entropy(x.sigmoid(), t, weight=lib.tensor([1.0, 0.5, 2.0], dtype=x.dtype), reduction=r),
                     lambda g, n: [g.standard_normal((n, 3)), g.uniform(0, 1, (n, 3))]),
    "bce_logits_pos_weight": (lambda lib, r, x, t: F(lib).binary_cross_entropy_with_logits(x * 3, t, pos_weight=lib.tensor([1.0, 3.0, 0.5], dtype=x.dtype), weight=lib.tensor([2.0, 1.0, 0.5], dtype=x.dtype), reduction=r),
                              lambda g, n: [g.standard_normal((n, 3)), g.uniform(0, 1, (n, 3))]),
    "soft_margin": (lambda lib, r, x, t: F(lib).soft_margin_loss(x * 3, t, reduction=r),
                    lambda g, n: [g.standard_normal((n, 3)), signs((n, 3), g)]),
    "margin_ranking": (lambda lib, r, a, b, t: F(lib).margin_ranking_loss(a, b, t, margin=0.3, reduction=r),
                       lambda g, n: [g.standard_normal(n), g.standard_normal(n), signs(n, g)]),
    "hinge_embedding": (lambda lib, r, x, t: F(lib).hinge_embedding_loss(x, t, margin=0.8, reduction=r),
                        lambda g, n: [g.standard_normal((n, 3)), signs((n, 3), g)]),
    "multi_margin_p1": (lambda lib, r, x, t: F(lib).multi_margin_loss(x, t, reduction=r, margin=0.9),
                        lambda g, n: [g.standard_normal((n, 4)), g.integers(0, 4, n)]),
    "multi_margin_p2_weight": (lambda lib, r, x, t: F(lib).multi_margin_loss(x, t, p=2, weight=lib.tensor([1.0, 2.0, 0.5, 1.5], dtype=x.dtype), reduction=r),
                               lambda g, n: [g.standard_normal((n, 4)), g.integers(0, 4, n)]),
    "multi_margin_one_sample": (lambda lib, r, x, t: F(lib).multi_margin_loss(x[0], t[0], reduction=r),
                                lambda g, n: [g.standard_normal((n, 4)), g.integers(0, 4, n)]),
    "multilabel_margin": (lambda lib, r, x, t: F(lib).multilabel_margin_loss(x, t, reduction=r),
                          lambda g, n: [g.standard_normal((n, 5)), _multilabel_targets(g, n, 5)]),
    "multilabel_margin_one_sample": (lambda lib, r, x, t: F(lib).multilabel_margin_loss(x[0], t[0], reduction=r),
                                     lambda g, n: [g.standard_normal((n, 5)), _multilabel_targets(g, n, 5)]),
    "multilabel_soft_margin": (lambda lib, r, x, t: F(lib).multilabel_soft_margin_loss(x, t, weight=lib.tensor([1.0, 2.0, 0.5], dtype=x.dtype), reduction=r),
                               lambda g, n: [g.standard_normal((n, 3)), g.integers(0, 2, (n, 3)).astype(np.float64)]),
    "triplet": (lambda lib, r, a, p, q: F(lib).triplet_margin_loss(a, p, q, margin=0.7, reduction=r),
                lambda g, n: [g.standard_normal((n, 4)) for _ in range(3)]),
    "triplet_p1_swap": (lambda lib, r, a, p, q: F(lib).triplet_margin_loss(a, p, q, p=1, swap=True, reduction=r),
                        lambda g, n: [g.standard_normal((n, 4)) for _ in range(3)]),
    "triplet_distance_fn": (lambda lib, r, a, p, q: F(lib).triplet_margin_with_distance_loss(
        a, p, q, distance_function=lambda u, v: 1.0 - F(lib).cosine_similarity(u, v), margin=0.5, swap=True, reduction=r),
        lambda g, n: [g.standard_normal((n, 4)) for _ in range(3)]),
    "poisson_nll_full": (lambda lib, r, x, t: F(lib).poisson_nll_loss(x, t, full=True, reduction=r),
                         lambda g, n: [g.standard_normal((n, 3)), g.integers(0, 5, (n, 3)).astype(np.float64)]),
    "poisson_nll_rate": (lambda lib, r, x, t: F(lib).poisson_nll_loss(x.exp(), t, log_input=False, eps=1e-4, reduction=r),
                         lambda g, n: [g.standard_normal((n, 3)), g.integers(0, 5, (n, 3)).astype(np.float64)]),
    "gaussian_nll": (lambda lib, r, x, t, v: F(lib).gaussian_nll_loss(x, t, v.abs() + 0.1, full=True, reduction=r),
                     lambda g, n: [g.standard_normal((n, 3)), g.standard_normal((n, 3)), g.standard_normal((n, 3))]),
    "gaussian_nll_homoscedastic": (lambda lib, r, x, t, v: F(lib).gaussian_nll_loss(x, t, v.abs()[:, 0], eps=0.5, reduction=r),
                                   lambda g, n: [g.standard_normal((n, 3)), g.standard_normal((n, 3)), g.standard_normal((n, 3))]),
    "cosine_embedding": (lambda lib, r, a, b, t: F(lib).cosine_embedding_loss(a, b, t, margin=0.2, reduction=r),
                         lambda g, n: [g.standard_normal((n, 3)), g.standard_normal((n, 3)), g.choice([-1, 1, 0], n)]),
}


def _multilabel_targets(rng, n, classes):
    targets = np.full((n, classes), -1)
    for row in range(n):
        count = rng.integers(0, classes)
        targets[row, :count] = rng.choice(classes, count, replace=False)
        if count and rng.random() < 0.3:  # a repeated target and entries after the -1 are allowed
            targets[row, min(count, classes - 1)] = targets[row, 0] if count < classes - 1 else -1
    return targets


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_matches_torch(name, reduction):
    fn, make = CASES[name]
    check(lambda lib, *xs: fn(lib, reduction, *_constant_target(name, xs)), *make(np.random.default_rng(len(name)), 4),
          rtol=1e-9, atol=1e-11)


def _constant_target(name, tensors):
    """soft_margin_loss refuses a target that requires grad (as PyTorch does)."""
    return (tensors[0], tensors[1].detach()) if name == "soft_margin" else tensors


@pytest.mark.parametrize("name", ["mse", "soft_margin", "multi_margin_p2_weight", "multilabel_margin", "nll_spatial",
                                  "triplet_p1_swap", "bce_logits_pos_weight"])
@settings(max_examples=12)
@given(batch=st.integers(1, 5), seed=st.integers(0, 2 ** 16), reduction=st.sampled_from(REDUCTIONS))
def test_loss_matches_torch_for_varied_inputs(name, batch, seed, reduction):
    fn, make = CASES[name]
    check(lambda lib, *xs: fn(lib, reduction, *_constant_target(name, xs)), *make(np.random.default_rng(seed), batch),
          rtol=1e-9, atol=1e-11)


MODULES = [
    ("MarginRankingLoss", {"margin": 0.2}, "margin_ranking"), ("HingeEmbeddingLoss", {"margin": 0.5}, "hinge_embedding"),
    ("SoftMarginLoss", {}, "soft_margin"), ("MultiMarginLoss", {"p": 2, "margin": 0.5}, "multi_margin_p1"),
    ("MultiLabelMarginLoss", {}, "multilabel_margin"), ("MultiLabelSoftMarginLoss", {}, "multilabel_soft_margin"),
    ("TripletMarginLoss", {"margin": 0.4, "p": 3.0, "swap": True}, "triplet"),
    ("TripletMarginWithDistanceLoss", {"margin": 0.4}, "triplet"), ("PoissonNLLLoss", {"full": True}, "poisson_nll_full"),
    ("GaussianNLLLoss", {"full": True}, "gaussian_nll"), ("NLLLoss2d", {"ignore_index": 2}, "nll_spatial"),
    ("CosineEmbeddingLoss", {"margin": 0.1}, "cosine_embedding"),
]


@pytest.mark.parametrize("name, kwargs, data", MODULES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_loss_module_matches_torch(name, kwargs, data, reduction):
    arrays = CASES[data][1](np.random.default_rng(1), 3)
    if name == "GaussianNLLLoss":
        arrays[2] = np.abs(arrays[2]) + 0.1
    check(lambda lib, *xs: getattr(lib.nn, name)(reduction=reduction, **kwargs)(*_constant_target(data, xs)), *arrays,
          rtol=1e-9, atol=1e-11)
    assert repr(getattr(unigrad.nn, name)(**kwargs)) == repr(getattr(torch.nn, name)(**kwargs))


def test_weighted_loss_modules_register_the_weight_as_a_buffer():
    for name in ("MultiMarginLoss", "MultiLabelSoftMarginLoss", "NLLLoss2d"):
        ours = getattr(unigrad.nn, name)(weight=unigrad.ones(3)).state_dict()
        assert list(ours) == list(getattr(torch.nn, name)(weight=torch.ones(3)).state_dict()) == ["weight"]


GRAD_FN = {
    "MseLossBackward0": lambda lib, x, t: F(lib).mse_loss(x, t),
    "SmoothL1LossBackward0": lambda lib, x, t: F(lib).smooth_l1_loss(x, t, reduction="sum"),
    "HuberLossBackward0": lambda lib, x, t: F(lib).huber_loss(x, t, reduction="none"),
    "NllLossBackward0": lambda lib, x, t: F(lib).cross_entropy(x, t.argmax(1)),
    "BinaryCrossEntropyBackward0": lambda lib, x, t: F(lib).binary_cross_entropy(x.sigmoid(), t.sigmoid()),
    "BinaryCrossEntropyWithLogitsBackward0": lambda lib, x, t: F(lib).binary_cross_entropy_with_logits(x, t.sigmoid()),
    "SoftMarginLossBackward0": lambda lib, x, t: F(lib).soft_margin_loss(x, t.sign()),
    "MultiMarginLossBackward0": lambda lib, x, t: F(lib).multi_margin_loss(x, t.argmax(1)),
    "MultilabelMarginLossBackward0": lambda lib, x, t: F(lib).multilabel_margin_loss(x, lib.tensor([[2, 0, -1]] * 4)),
    "CtcLossBackward0": lambda lib, x, t: F(lib).ctc_loss(x.reshape(4, 1, 3).log_softmax(2), lib.tensor([[1, 2]]),
                                                         [4], [2], reduction="none"),
}


@pytest.mark.parametrize("name", sorted(GRAD_FN))
def test_one_node_losses_carry_pytorch_grad_fn_names(name):
    x, t = R.standard_normal((4, 3)), R.standard_normal((4, 3))
    for lib in (unigrad, torch):
        out = GRAD_FN[name](lib, lib.tensor(x, requires_grad=True), lib.tensor(t))
        assert out.grad_fn.name() == name, lib.__name__


def test_binary_cross_entropy_at_exactly_zero_and_one_matches_torch():
    x = np.array([0.0, 1.0, 0.0, 1.0, 0.5, 1e-30, 1.0 - 1e-16, 0.3])
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.3, 0.6, 0.0])
    for reduction in REDUCTIONS:
        results = []
        for lib in (unigrad, torch):
            xi, ti = lib.tensor(x, requires_grad=True), lib.tensor(t, requires_grad=True)
            loss = F(lib).binary_cross_entropy(xi, ti, reduction=reduction)
            (loss * lib.tensor(np.arange(1.0, 9.0)) if reduction == "none" else loss).sum().backward()
            results.append([loss.detach().numpy(), xi.grad.numpy(), ti.grad.numpy()])
        for ours, theirs in zip(*results):
            assert not np.isnan(ours).any()
            np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)  # inf where torch has inf
    if not unigrad.backends.registry.get_backend(unigrad.get_default_device()).deferred_index_checks:
        with pytest.raises(RuntimeError, match="all elements of input should be between 0 and 1"):
            F(unigrad).binary_cross_entropy(unigrad.tensor([1.5]), unigrad.tensor([1.0]))


def test_loss_double_backward_matches_torch():
    x, t = R.standard_normal((3, 4)), R.standard_normal((3, 4))
    labels = R.integers(0, 4, 3)
    losses = [lambda lib, a, b: F(lib).mse_loss(a, b), lambda lib, a, b: F(lib).soft_margin_loss(a, b.detach().sign()),
              lambda lib, a, b: F(lib).binary_cross_entropy_with_logits(a, b.sigmoid(), pos_weight=lib.tensor([2.0] * 4, dtype=a.dtype)),
              lambda lib, a, b: F(lib).smooth_l1_loss(a, b, beta=2.0), lambda lib, a, b: F(lib).huber_loss(a, b, delta=3.0),
              lambda lib, a, b: F(lib).nll_loss(a.log_softmax(1), lib.tensor(labels)),
              lambda lib, a, b: F(lib).binary_cross_entropy(a.sigmoid(), b.sigmoid())]
    for loss in losses:
        results = []
        for lib in (unigrad, torch):
            a, b = lib.tensor(x, requires_grad=True), lib.tensor(t, requires_grad=True)
            (ga,) = lib.autograd.grad(loss(lib, a, b), [a], create_graph=True)
            second = lib.autograd.grad((ga * lib.tensor(np.cos(x))).sum(), [a, b], allow_unused=True)
            results.append([g.detach().numpy() if g is not None else np.zeros_like(x) for g in second])
        for ours, theirs in zip(*results):
            np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["soft_margin", "multi_margin_p2_weight", "multilabel_margin", "triplet",
                                  "margin_ranking", "gaussian_nll", "poisson_nll_full"])
def test_new_losses_pass_gradcheck(name):
    fn, make = CASES[name]
    arrays = make(np.random.default_rng(3), 3)
    inputs = [unigrad.tensor(a, requires_grad=a.dtype.kind == "f" and i == 0) for i, a in enumerate(arrays)]
    assert unigrad.autograd.gradcheck(lambda first: fn(unigrad, "sum", first, *inputs[1:]), [inputs[0]])


# ----- CTC -------------------------------------------------------------------------------------------
def _ctc_case(rng, batch=3, steps=9, classes=5, longest=3, flat=False, blank=0):
    lengths = rng.integers(1, longest + 1, batch)
    labels = [c for c in range(classes) if c != blank]
    targets = rng.choice(labels, (batch, longest))
    targets[0, :2] = targets[0, 0]  # a repeated label needs a blank in between
    inputs = rng.integers(2 * longest + 1, steps + 1, batch)
    if flat:
        targets = np.concatenate([targets[b, :lengths[b]] for b in range(batch)])
    return rng.standard_normal((steps, batch, classes)), targets, inputs, lengths


@pytest.mark.parametrize("flat", [False, True])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("blank", [0, 4])
def test_ctc_loss_matches_torch(flat, reduction, blank):
    x, targets, inputs, lengths = _ctc_case(np.random.default_rng(blank + 2 * flat), flat=flat, blank=blank)
    check(lambda lib, logits, t, il, tl: F(lib).ctc_loss(logits.log_softmax(2), t, il, tl, blank=blank, reduction=reduction),
          x, targets, inputs, lengths, rtol=1e-9, atol=1e-11)


@settings(max_examples=15)
@given(seed=st.integers(0, 2 ** 16), batch=st.integers(1, 4), longest=st.integers(0, 3))
def test_ctc_loss_matches_torch_for_varied_problems(seed, batch, longest):
    rng = np.random.default_rng(seed)
    steps = 2 * longest + 2
    x = rng.standard_normal((steps, batch, 4))
    targets = rng.integers(1, 4, (batch, max(longest, 1)))
    lengths = rng.integers(0, longest + 1, batch)
    inputs = rng.integers(0, steps + 1, batch)  # some too short: infinite losses
    for zero_infinity in (False, True):
        check(lambda lib, logits, t, il, tl: F(lib).ctc_loss(logits.log_softmax(2), t, il, tl, reduction="none",
                                                            zero_infinity=zero_infinity),
              x, targets, inputs, lengths, rtol=1e-9, atol=1e-11, grad=zero_infinity)


def test_ctc_loss_infinite_losses_and_zero_infinity():
    x = R.standard_normal((3, 2, 4))
    targets, inputs, lengths = np.array([[1, 1], [2, 3]]), [3, 2], [2, 2]  # "1 1" needs 3 steps: fine; row 2 too
    for zero_infinity in (False, True):
        check(lambda lib, logits, t: F(lib).ctc_loss(logits.log_softmax(2), t, [2, 2], lengths, reduction="none",
                                                    zero_infinity=zero_infinity), x, targets, grad=zero_infinity)
    check(lambda lib, logits, t: F(lib).ctc_loss(logits.log_softmax(2), t, inputs, lengths), x, targets)


def test_ctc_loss_unbatched_and_module_match_torch():
    x, targets, inputs, lengths = _ctc_case(np.random.default_rng(9), batch=1)
    check(lambda lib, logits, t: F(lib).ctc_loss(logits[:, 0].log_softmax(1), t[0, :lengths[0]], lib.tensor(inputs[0]),
                                                lib.tensor(lengths[0]), reduction="none"), x, targets)
    check(lambda lib, logits, t: lib.nn.CTCLoss(blank=0, zero_infinity=True)(logits.log_softmax(2), t, list(inputs),
                                                                             list(lengths)), x, targets)


def test_ctc_gradient_passes_gradcheck_through_log_softmax():
    x, targets, inputs, lengths = _ctc_case(np.random.default_rng(4), batch=2, steps=7, classes=4, longest=2)
    logits = unigrad.tensor(x, requires_grad=True)
    t = unigrad.tensor(targets)
    assert unigrad.autograd.gradcheck(
        lambda z: F(unigrad).ctc_loss(z.log_softmax(2), t, list(inputs), list(lengths), reduction="sum"), [logits])


def test_ctc_loss_refuses_bad_arguments_like_torch():
    lp = unigrad.randn(5, 2, 4).log_softmax(2)
    t = unigrad.tensor([[1, 2], [3, 1]])
    with pytest.raises(RuntimeError, match="blank must be in label range"):
        F(unigrad).ctc_loss(lp, t, [5, 5], [2, 2], blank=4)
    with pytest.raises(RuntimeError, match="input_lengths must be of size batch_size"):
        F(unigrad).ctc_loss(lp, t, [5], [2, 2])
    with pytest.raises(RuntimeError, match="Expected input_lengths to have value at most 5, but got value 6 "
                                           r"\(while checking arguments for ctc_loss_allocate_outputs\)"):
        F(unigrad).ctc_loss(lp, t, [6, 5], [2, 2])
    with pytest.raises(RuntimeError, match="Expected tensor to have size at least 3 at dimension 1, but got size 2"):
        F(unigrad).ctc_loss(lp, t, [5, 5], [3, 2])
    with pytest.raises(ValueError, match="bad is not a valid value for reduction"):
        F(unigrad).ctc_loss(lp, t, [5, 5], [2, 2], reduction="bad")
    with pytest.raises(RuntimeError, match="Expected tensor to have size 2 at dimension 0, but got size 3"):
        F(unigrad).ctc_loss(lp, unigrad.tensor([1, 2, 3]), [5, 5], [2, 0])
    with pytest.raises(RuntimeError, match="Expected target_lengths to have value at least 0, but got value -1"):
        F(unigrad).ctc_loss(lp, t, [5, 5], [-1, 2])


# ----- errors --------------------------------------------------------------------------------------
ERRORS = [
    (lambda lib: F(lib).multi_margin_loss(lib.randn(3, 4), lib.tensor([0, 1])), RuntimeError,
     r"Expected target size \[3\], but got \[2\]"),
    (lambda lib: F(lib).multi_margin_loss(lib.randn(3, 4), lib.tensor([0, 1, 2]), p=3), ValueError,
     "only p == 1 and p == 2 supported"),
    (lambda lib: F(lib).multi_margin_loss(lib.randn(3, 4), lib.tensor([0, 1, 2]), weight=lib.ones(3)), RuntimeError,
     r"inconsistent weight size, expected 4 but got \[3\]"),
    (lambda lib: F(lib).multi_margin_loss(lib.randn(2, 3, 4), lib.tensor([0, 1])), RuntimeError,
     "Expected non-empty vector or matrix with optional 0-dim batch size, but got: \\[2, 3, 4\\]"),
    (lambda lib: F(lib).multi_margin_loss(lib.randn(3, 4), lib.tensor([0, 1, 5])), RuntimeError, "target out of range"),
    (lambda lib: F(lib).multilabel_margin_loss(lib.randn(3, 4), lib.tensor([0, 1, 2])), RuntimeError,
     r"inconsistent target size: \[3\] for input of size: \[3, 4\]"),
    (lambda lib: F(lib).multilabel_margin_loss(lib.randn(1, 4), lib.tensor([[0, 5, -1, -1]])), RuntimeError,
     "argument #2 'target' is out of range"),
    (lambda lib: F(lib).margin_ranking_loss(lib.randn(3), lib.randn(3), lib.randn(1, 3)), RuntimeError,
     "margin_ranking_loss : All input tensors should have same dimension"),
    (lambda lib: F(lib).triplet_margin_loss(lib.randn(3, 4), lib.randn(3, 4), lib.randn(4)), RuntimeError,
     "anchor 2D, positive 2D, and negative 1D inputs"),
    (lambda lib: F(lib).triplet_margin_loss(lib.randn(3, 4), lib.randn(3, 4), lib.randn(3, 4), margin=0), ValueError,
     "margin must be greater than 0, got 0"),
    (lambda lib: lib.nn.TripletMarginLoss(margin=-1.0), ValueError, "TripletMarginLoss: expected margin to be greater than 0"),
    (lambda lib: F(lib).gaussian_nll_loss(lib.randn(2, 3), lib.randn(2, 3), lib.ones(3)), ValueError, "var is of incorrect size"),
    (lambda lib: F(lib).gaussian_nll_loss(lib.randn(2, 3), lib.randn(2, 3), -lib.ones(2, 3)), ValueError,
     "var has negative entry/entries"),
    (lambda lib: F(lib).nll_loss(lib.randn(2, 3), lib.tensor([[1], [2]])), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda lib: F(lib).nll_loss(lib.randn(2, 3), lib.tensor([0, 1]), weight=lib.ones(4)), RuntimeError,
     r"weight tensor should be defined either for all 3 classes or no classes but got weight tensor of shape: \[4\]"),
    (lambda lib: F(lib).nll_loss(lib.randn(2, 3), lib.rand(2)), RuntimeError,
     "expected target dtype to be Long or Byte, but got Float"),
    (lambda lib: F(lib).nll_loss(lib.randn(3), lib.tensor([1, 2])), ValueError,
     "For 1D input, 1D target must have size 1, but got target size: 2"),
    (lambda lib: F(lib).mse_loss(lib.randn(2), lib.randn(2), reduction="bad"), ValueError, "bad is not a valid value for reduction"),
    (lambda lib: F(lib).mse_loss(lib.randn(2), lib.randn(2), weight=lib.ones(3)), ValueError,
     "Weights and input must have the same size."),
    (lambda lib: F(lib).cosine_embedding_loss(lib.randn(2, 3, 4), lib.randn(2, 3, 4), lib.tensor([1, 1])), RuntimeError,
     r"1D target tensor expects 2D input tensors, but found inputs with sizes \[2, 3, 4\] and \[2, 3, 4\]\."),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_bad_loss_arguments_raise_like_torch(case):
    make, error, message = ERRORS[case]
    if "out of range" in message and \
            unigrad.backends.registry.get_backend(unigrad.get_default_device()).deferred_index_checks:
        pytest.skip("data-dependent target checks are deferred on this device")
    for lib in (unigrad, torch):
        with pytest.raises(error, match=message):
            make(lib)


# ----- AdaptiveLogSoftmaxWithLoss --------------------------------------------------------------------
@pytest.mark.parametrize("head_bias", [False, True])
def test_adaptive_log_softmax_matches_torch(head_bias):
    make = lambda lib: lambda: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 12, [3, 7], div_value=2.0, head_bias=head_bias)  # noqa: E731
    x = torch.tensor(R.standard_normal((6, 8)))
    target = torch.tensor([0, 2, 5, 11, 7, 3])
    ours, theirs = compare_module(make(unigrad), make(torch), [x, target], dtype=torch.float64, rtol=1e-10, atol=1e-12)
    assert repr(ours) == repr(theirs)
    x_ours = unigrad.tensor(x.numpy())
    np.testing.assert_allclose(ours.log_prob(x_ours).detach().numpy(), theirs.log_prob(x).detach().numpy(), rtol=1e-10)
    np.testing.assert_array_equal(ours.predict(x_ours).numpy(), theirs.predict(x).numpy())
    out, loss = ours(x_ours[0], unigrad.tensor(5))
    assert out.shape == () and abs(loss.item() - theirs(x[0], torch.tensor(5)).loss.item()) < 1e-10
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 11\]"):
        ours(x_ours, unigrad.tensor([0, 1, 2, 3, 4, 12]))
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique, positive integers"):
        unigrad.nn.AdaptiveLogSoftmaxWithLoss(8, 12, [3, 3])
