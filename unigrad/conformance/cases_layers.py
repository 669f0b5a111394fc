"""Conformance cases of the layer families: activations, normalisations, distances, embedding
bags, losses (margin, likelihood, CTC), attention and the Transformer layers. Each is a
composite of existing primitives, so a backend that passes these runs them as the reference does."""
from __future__ import annotations

import numpy as np

from .cases import Case, _module_case, fixed, index

_WIDE = ("float32", "float64")


def _signs(shape):
    return lambda rng: rng.choice([-1.0, 1.0], shape)


def _uniform(shape, low, high):
    return lambda rng: rng.uniform(low, high, shape)


def _multilabel(rng):
    targets = np.full((3, 5), -1)
    for row in range(3):
        count = rng.integers(1, 5)
        targets[row, :count] = rng.choice(5, count, replace=False)
    return targets


def _ctc_targets(rng):
    return rng.integers(1, 4, (2, 3))


def _functional(lib):
    return lib.nn.functional


def _activations(lib, x, w):
    F = _functional(lib)
    lib.manual_seed(0)
    return (F.prelu(x, w), F.rrelu(x, 0.1, 0.3), F.rrelu(x, 0.1, 0.3, training=True), F.threshold(x, 0.2, -1.0),
            F.hardshrink(x, 0.4), F.softshrink(x, 0.4), F.tanhshrink(x), F.leaky_relu_(x * 1.0, 0.2),
            F.elu_(x * 1.0), F.hardsigmoid(x * 3.0))


def _norms(lib, x, w):
    F = _functional(lib)
    return (F.rms_norm(x, (5,), w), F.rms_norm(x, (4, 5), eps=1e-3), F.local_response_norm(x, 3, 0.5),
            F.instance_norm(x), F.normalize(x, dim=1))


def _distances(lib, a, b):
    F = _functional(lib)
    return (F.pairwise_distance(a, b), F.pairwise_distance(a, b, p=1.0, keepdim=True),
            F.pairwise_distance(a, b[0], p=float("inf")), F.cosine_similarity(a, b), F.cosine_similarity(a, b[:1], dim=-1),
            F.pdist(a), F.pdist(b, p=1.0))


def _embedding_bags(lib, weight, indices, per_sample):
    F = _functional(lib)
    offsets = lib.tensor([0, 2, 2, 5], device=indices.device)
    return (F.embedding_bag(indices, weight, offsets, mode="sum", per_sample_weights=per_sample),
            F.embedding_bag(indices, weight, offsets, mode="mean", padding_idx=1),
            F.embedding_bag(indices, weight, offsets, mode="max"),
            F.embedding_bag(indices.reshape(2, 4), weight, mode="mean"),
            F.embedding(indices, weight, scale_grad_by_freq=True))


def _margin_losses(lib, x, y, t, signs, labels, multilabel):
    F = _functional(lib)
    return (F.margin_ranking_loss(x[:, 0], y[:, 0], signs[:, 0], margin=0.2),
            F.hinge_embedding_loss(x, signs, reduction="sum"), F.soft_margin_loss(x, signs.detach(), reduction="none"),
            F.multi_margin_loss(x, labels), F.multi_margin_loss(x, labels, p=2, reduction="none"),
            F.multilabel_margin_loss(x, multilabel), F.multilabel_soft_margin_loss(x, (signs > 0).to(x.dtype)),
            F.triplet_margin_loss(x, y, t), F.triplet_margin_loss(x, y, t, p=1.0, swap=True, reduction="none"))


def _likelihood_losses(lib, x, y, variance, probabilities, labels):
    F = _functional(lib)
    return (F.gaussian_nll_loss(x, y, variance, full=True), F.poisson_nll_loss(x, probabilities * 4, full=True),
            F.binary_cross_entropy(probabilities, (y > 0).to(x.dtype), reduction="none"),
            F.binary_cross_entropy_with_logits(x, probabilities, pos_weight=variance[0]),
            F.mse_loss(x, y), F.smooth_l1_loss(x, y, beta=0.5), F.huber_loss(x, y, delta=0.7),
            F.nll_loss(x.log_softmax(1), labels, ignore_index=2), F.cosine_embedding_loss(x, y, labels.to(x.dtype) - 1))


def _ctc(lib, logits, targets):
    log_probs = logits.log_softmax(2)
    F = _functional(lib)
    return (F.ctc_loss(log_probs, targets, [6, 5], [3, 2], reduction="none"),
            F.ctc_loss(log_probs, targets, [6, 4], [3, 1], reduction="mean", zero_infinity=True))


def _attention(lib, q, k, v):
    F = _functional(lib)
    mask = lib.ones(4, 5, dtype=lib.bool, device=q.device).tril()
    return (F.scaled_dot_product_attention(q, k, v), F.scaled_dot_product_attention(q, k, v, attn_mask=mask),
            F.scaled_dot_product_attention(q, q, q, is_causal=True))


CASES = [
    Case("nn.activations_more", "nn", _activations, fixed(((3, 4), "real"), ((4,), "positive")), ("matrix",),
         _WIDE + ("float16", "bfloat16"), True, "transcendental", ("where", "mul", "random_bits", "exp")),
    Case("nn.norms_more", "nn", _norms, fixed(((2, 3, 4, 5), "real"), ((5,), "positive")), ("matrix",), _WIDE,
         True, "transcendental", ("sum", "sqrt", "div", "pow")),
    Case("nn.distances", "nn", _distances, fixed(((4, 6), "real"), ((4, 6), "real")), ("matrix",), _WIDE, True,
         "transcendental", ("sum", "sqrt", "abs", "max")),
    Case("nn.embedding_bag", "nn", _embedding_bags, fixed(((7, 3), "real"), index((8,), 7), ((8,), "real")),
         ("matrix",), _WIDE, True, "reduction", ("gather", "scatter_add", "where"), lambda inputs: (8, 4.0)),
    Case("nn.losses_margin", "nn", _margin_losses,
         fixed(((3, 5), "real"), ((3, 5), "real"), ((3, 5), "real"), _signs((3, 5)), index((3,), 5), _multilabel),
         ("matrix",), _WIDE, True, "transcendental", ("gather", "maximum", "where", "exp", "log1p")),
    Case("nn.losses_likelihood", "nn", _likelihood_losses,
         fixed(((3, 4), "real"), ((3, 4), "real"), _uniform((3, 4), 0.5, 2.0), _uniform((3, 4), 0.05, 0.95),
               index((3,), 4)),
         ("matrix",), _WIDE, True, "transcendental", ("log", "exp", "gather", "where")),
    # the loss is a log of sums over alignments built step by step, and its gradient a difference
    # of probabilities: round-off grows like a reduction's over the steps x extended labels
    Case("nn.ctc_loss", "nn", _ctc, fixed(((6, 2, 4), "real"), _ctc_targets), ("matrix",), _WIDE, True,
         "reduction", ("exp", "log", "gather", "scatter_add", "where", "max"), lambda inputs: (6 * 7, 1.0)),
    Case("nn.attention_masks", "nn", _attention, fixed(((2, 2, 4, 3), "real"), ((2, 2, 5, 3), "real"),
                                                       ((2, 2, 5, 3), "real")),
         ("matrix",), _WIDE, True, "transcendental", ("matmul", "exp", "where")),
]


def _layer_case(*args, **kwargs) -> Case:
    return _module_case(*args, dtypes=_WIDE, **kwargs)


def _with_kwargs(lib, build, **kwargs):
    """A module calling ``build(lib)`` with keyword arguments (masks made on the input's device)."""
    class Call(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = build(lib)

        def forward(self, *inputs):
            made = {k: v(lib, inputs[0]) if callable(v) else v for k, v in kwargs.items()}
            return self.inner(*inputs, **made)
    return Call()


def _causal(size):
    return lambda lib, x: lib.nn.Transformer.generate_square_subsequent_mask(size, device=x.device, dtype=x.dtype)


MODULE_CASES = [
    _layer_case("BatchNorm3d_train", lambda lib: lib.nn.BatchNorm3d(3), [((2, 3, 2, 3, 2), "real")], "transcendental",
                 ("sum", "sqrt")),
    _layer_case("InstanceNorm1d_stats", lambda lib: lib.nn.InstanceNorm1d(3, affine=True, track_running_stats=True),
                 [((2, 3, 5), "real")], "transcendental", ("sum", "sqrt")),
    _layer_case("RMSNorm", lambda lib: lib.nn.RMSNorm([3, 4]), [((2, 3, 4), "real")], "transcendental", ("sum", "sqrt")),
    _layer_case("LocalResponseNorm", lambda lib: lib.nn.LocalResponseNorm(3, alpha=0.3), [((2, 5, 3, 3), "real")],
                 "transcendental", ("pow", "sum")),
    _layer_case("CrossMapLRN2d", lambda lib: lib.nn.CrossMapLRN2d(3, alpha=0.3), [((2, 5, 3, 3), "real")],
                 "transcendental", ("pow", "matmul")),
    _layer_case("PReLU", lambda lib: lib.nn.PReLU(3), [((2, 3, 4), "real")], "rounded", ("where", "mul")),
    _layer_case("EmbeddingBag", lambda lib: lib.nn.EmbeddingBag(9, 4, mode="max"), [index((3, 4), 9)], "exact",
                 ("gather", "where")),
    _layer_case("MultiheadAttention_kdim_bias_kv",
                 lambda lib: _with_kwargs(lib, lambda lib: lib.nn.MultiheadAttention(8, 2, kdim=5, vdim=3, add_bias_kv=True,
                                                                                     add_zero_attn=True)),
                 [((4, 2, 8), "real"), ((5, 2, 5), "real"), ((5, 2, 3), "real")], "transcendental", ("matmul", "exp")),
    _layer_case("TransformerEncoderLayer_causal",
                 lambda lib: _with_kwargs(lib, lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16, 0.0, norm_first=True),
                                          src_mask=_causal(5), is_causal=True),
                 [((5, 2, 8), "real")], "reduction", ("matmul", "exp", "sqrt")),
    _layer_case("TransformerDecoderLayer",
                 lambda lib: lib.nn.TransformerDecoderLayer(8, 2, 16, 0.0, "gelu", batch_first=True),
                 [((2, 4, 8), "real"), ((2, 5, 8), "real")], "reduction", ("matmul", "exp", "erf")),
    _layer_case("AdaptiveLogSoftmaxWithLoss", lambda lib: lib.nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0),
                 [((5, 8), "real"), lambda rng: np.array([0, 4, 9, 2, 7])], "transcendental",
                 ("matmul", "exp", "gather", "nonzero")),
]
