"""``grad_fn`` names as users print them (``y.grad_fn``, ``y.grad_fn.next_functions``): ~100
common expressions are built with unigrad and with torch, and the node names are compared two
levels down ``next_functions`` (None entries included, as PyTorch lists a Python scalar operand
as an input that needs no gradient)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import unigrad

R = np.random.default_rng(3)


def structure(node, depth: int = 2):
    """``(name, [children...])`` ``depth`` levels down ``next_functions``."""
    if node is None:
        return None
    if depth == 0:
        return node.name()
    return (node.name(), [structure(child, depth - 1) for child, _ in node.next_functions])


def leaves(lib):
    """Inputs requiring grad, the same values for both libraries."""
    def leaf(*shape):
        return lib.tensor(R.standard_normal(shape), dtype=lib.float32, requires_grad=True)
    R.bit_generator.state = np.random.default_rng(3).bit_generator.state
    return {"v": leaf(4), "m": leaf(3, 4), "s": leaf(4, 4), "b": leaf(2, 3, 4), "i": leaf(2, 3, 6, 6),
            "q": leaf(2, 5, 4), "x1": leaf(2, 3, 8), "p": lib.tensor(R.random((3, 4)), dtype=lib.float32,
                                                                       requires_grad=True)}


def modules(lib, name):
    lib.manual_seed(0)
    nn = lib.nn
    return {
        "linear": lambda: nn.Linear(4, 2), "linear_nobias": lambda: nn.Linear(4, 2, bias=False),
        "conv2d": lambda: nn.Conv2d(3, 2, 3), "rnn": lambda: nn.RNN(4, 3, batch_first=True),
        "lstm": lambda: nn.LSTM(4, 3, batch_first=True), "gru": lambda: nn.GRU(4, 3, batch_first=True),
        "embedding": lambda: nn.Embedding(10, 4), "bn": lambda: nn.BatchNorm2d(3),
        "ln": lambda: nn.LayerNorm(4),
    }[name]()


def expressions(lib):
    F = lib.nn.functional
    t = leaves(lib)
    v, m, s, b, i, q, x1, p = (t[k] for k in ("v", "m", "s", "b", "i", "q", "x1", "p"))
    target = lib.tensor([1, 0, 3])
    return {
        # arithmetic with tensors and Python scalars
        "add": lambda: m + v, "add_scalar": lambda: m + 1, "radd": lambda: 1 + m,
        "sub_scalar": lambda: m - 2, "rsub": lambda: 2 - m, "mul_scalar": lambda: m * 3,
        "rmul": lambda: 3 * m, "div_scalar": lambda: m / 2, "rdiv": lambda: 2 / m,
        "mul": lambda: m * v, "div": lambda: m / (v + 3), "neg": lambda: -m,
        "pow_scalar": lambda: m ** 2, "pow_tensor": lambda: p ** v, "rpow": lambda: 2 ** m,
        "sqrt": lambda: p.sqrt(), "exp": lambda: m.exp(), "log": lambda: p.log(), "abs": lambda: m.abs(),
        "tanh": lambda: m.tanh(), "sigmoid": lambda: m.sigmoid(), "sin": lambda: m.sin(),
        "clamp": lambda: m.clamp(-0.5, 0.5), "clamp_min": lambda: m.clamp(min=0),
        "maximum": lambda: lib.maximum(m, v), "where": lambda: lib.where(m > 0, m, v),
        # reductions
        "sum": lambda: m.sum(), "sum_dim": lambda: m.sum(1), "mean": lambda: m.mean(),
        "mean_dim": lambda: m.mean(0), "max_dim": lambda: m.max(1)[0], "min_dim": lambda: m.min(0)[0],
        "max": lambda: m.max(), "amax": lambda: m.amax(1), "prod": lambda: m.prod(1),
        "var": lambda: m.var(1), "std": lambda: m.std(), "logsumexp": lambda: m.logsumexp(1),
        "norm": lambda: m.norm(), "norm_dim": lambda: m.norm(dim=1), "norm_p1": lambda: m.norm(p=1),
        "linalg_norm": lambda: lib.linalg.vector_norm(m, dim=1), "cumsum": lambda: m.cumsum(1),
        "softmax": lambda: m.softmax(1), "log_softmax": lambda: F.log_softmax(m, 1),
        # views and shape
        "t": lambda: m.t(), "T": lambda: m.T, "transpose": lambda: b.transpose(0, 2),
        "mT": lambda: b.mT, "permute": lambda: b.permute(2, 0, 1), "view": lambda: m.view(12),
        "reshape": lambda: m.reshape(4, 3), "reshape_copy": lambda: m.t().reshape(12),
        "flatten": lambda: b.flatten(1), "unsqueeze": lambda: m.unsqueeze(0), "squeeze": lambda: m[None].squeeze(0),
        "expand": lambda: v.expand(3, 4), "select": lambda: m[0], "select_last": lambda: b[:, -1],
        "select_select": lambda: b[0, 1], "slice": lambda: m[1:], "slice_cols": lambda: m[:, :2],
        "select_slice": lambda: b[0, 1:], "none_index": lambda: m[None], "ellipsis": lambda: m[...],
        "advanced_index": lambda: m[[0, 2]], "mask_index": lambda: m[m > 0], "narrow": lambda: m.narrow(1, 1, 2),
        "split": lambda: m.split(2)[1], "split_sizes": lambda: m.split([1, 2])[0], "chunk": lambda: m.chunk(2, 1)[0],
        "unbind": lambda: m.unbind()[1], "iteration": lambda: list(m)[2], "diagonal": lambda: s.diagonal(),
        "movedim": lambda: b.movedim(0, -1), "unflatten": lambda: m.unflatten(1, (2, 2)),
        "contiguous": lambda: m.t().contiguous(), "clone": lambda: m.clone(), "detach_op": lambda: m.detach() * v,
        "cat": lambda: lib.cat([m, m * 2]), "stack": lambda: lib.stack([v, v * 2]), "repeat": lambda: v.repeat(2),
        "flip": lambda: m.flip(0), "roll": lambda: m.roll(1, 0), "gather": lambda: m.gather(1, target[:, None]),
        "masked_fill": lambda: m.masked_fill(m > 0, 0.0), "index_select": lambda: m.index_select(0, target[:2]),
        "type_as": lambda: m.double(), "tril": lambda: s.tril(), "triu": lambda: s.triu(1),
        # matrix products
        "mm": lambda: m @ s, "mv": lambda: m @ v, "dot": lambda: v @ v, "bmm": lambda: b @ s,
        "matmul_3d_2d": lambda: lib.matmul(b, s), "matmul_2d_3d": lambda: lib.matmul(m, b.transpose(1, 2)),
        "outer": lambda: lib.outer(v, v),
        # activations
        "relu": lambda: F.relu(m), "relu_method": lambda: m.relu(), "gelu": lambda: F.gelu(m),
        "gelu_tanh": lambda: F.gelu(m, approximate="tanh"), "silu": lambda: F.silu(m),
        "leaky_relu": lambda: F.leaky_relu(m, 0.1), "elu": lambda: F.elu(m), "selu": lambda: F.selu(m),
        "celu": lambda: F.celu(m), "softplus": lambda: F.softplus(m), "hardtanh": lambda: F.hardtanh(m),
        "relu6": lambda: F.relu6(m), "hardsigmoid": lambda: F.hardsigmoid(m), "hardswish": lambda: F.hardswish(m),
        "mish": lambda: F.mish(m), "logsigmoid": lambda: F.logsigmoid(m), "softsign": lambda: F.softsign(m),
        "tanhshrink": lambda: F.tanhshrink(m), "prelu": lambda: F.prelu(m, lib.tensor([0.25], requires_grad=True)),
        "glu": lambda: F.glu(m, 1), "dropout_eval": lambda: F.dropout(m * 1, 0.5, training=False),
        # layers and losses
        "linear": lambda: modules(lib, "linear")(m), "linear_nobias": lambda: modules(lib, "linear_nobias")(m),
        "linear_3d": lambda: modules(lib, "linear")(b), "linear_1d": lambda: modules(lib, "linear")(v),
        "conv2d": lambda: modules(lib, "conv2d")(i), "embedding": lambda: modules(lib, "embedding")(target),
        "batch_norm": lambda: modules(lib, "bn")(i), "layer_norm": lambda: modules(lib, "ln")(b),
        "rnn": lambda: modules(lib, "rnn")(q)[0], "rnn_h": lambda: modules(lib, "rnn")(q)[1],
        "gru": lambda: modules(lib, "gru")(q)[0],
        "max_pool2d": lambda: F.max_pool2d(i, 2), "avg_pool2d": lambda: F.avg_pool2d(i, 2),
        "adaptive_avg_pool2d": lambda: F.adaptive_avg_pool2d(i, 1),
        "adaptive_avg_pool2d_3": lambda: F.adaptive_avg_pool2d(i, 3),
        "adaptive_max_pool2d": lambda: F.adaptive_max_pool2d(i, 2),
        "adaptive_avg_pool1d": lambda: F.adaptive_avg_pool1d(x1, 4),
        "interpolate_nearest": lambda: F.interpolate(i, scale_factor=2),
        "interpolate_bilinear": lambda: F.interpolate(i, scale_factor=2, mode="bilinear"),
        "interpolate_bicubic": lambda: F.interpolate(i, size=(4, 4), mode="bicubic", align_corners=True),
        "interpolate_linear": lambda: F.interpolate(x1, scale_factor=2, mode="linear"),
        "interpolate_nearest1d": lambda: F.interpolate(x1, size=5),
        "mse": lambda: F.mse_loss(m, p), "l1": lambda: F.l1_loss(m, p), "cross_entropy": lambda: F.cross_entropy(m, target),
        "nll": lambda: F.nll_loss(F.log_softmax(m, 1), target), "bce": lambda: F.binary_cross_entropy(p, p.detach()),
        "bce_logits": lambda: F.binary_cross_entropy_with_logits(m, p.detach()),
        "smooth_l1": lambda: F.smooth_l1_loss(m, p), "kl_div": lambda: F.kl_div(F.log_softmax(m, 1), p.detach(), reduction="batchmean"),
        "cosine_similarity": lambda: F.cosine_similarity(m, p), "normalize": lambda: F.normalize(m, dim=1),
        "pad": lambda: F.pad(m, (1, 1)), "one_minus_sigmoid_mean": lambda: (1 - m.sigmoid()).mean(),
        # in-place ops
        "mul_": lambda: (m * 1).mul_(2), "add_tensor_": lambda: (m * 1).add_(v), "relu_": lambda: (m * 1).relu_(),
        "clamp_": lambda: (m * 1).clamp_(0, 1), "sigmoid_": lambda: (m * 1).sigmoid_(),
        "masked_fill_": lambda: (m * 1).masked_fill_(m > 0, 1.0), "exp_": lambda: (m * 1).exp_(),
        "sub_alpha_": lambda: (m * 1).sub_(v, alpha=2), "copy_": lambda: (m * 1).copy_(v),
        "fill_": lambda: (m * 1).fill_(2), "zero_": lambda: (m * 1).zero_(),
        "setitem": lambda: (lambda y: (y.__setitem__(0, v), y)[1])(m * 1),
        "setitem_mask": lambda: (lambda y: (y.__setitem__(y > 0, 2.0), y)[1])(m * 1),
        "view_mul_": lambda: (lambda y: (y[0].mul_(2), y)[1])(m * 1),
        "view_after_base_op": lambda: (lambda y: (y.mul_(2), y[0])[1])(m * 1),
        "view_before_base_op": lambda: (lambda y: (lambda r: (y.mul_(2), r)[1])(y[0]))(m * 1),
    }


NAMES = list(expressions(unigrad))
# The recurrent layers are one fused node each in unigrad: their outputs are named as PyTorch's
# (the stacked steps, the last step's activation), not the nodes of every step below. LSTM and
# einsum are left out: PyTorch's graph for them depends on its build (oneDNN) and contraction path.
DEPTH = {"rnn": 1, "rnn_h": 1, "gru": 1}


@pytest.mark.parametrize("case", NAMES)
def test_grad_fn_and_next_functions_match_torch(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = expressions(unigrad)[case](), expressions(torch)[case]()
    assert theirs.grad_fn is not None
    depth = DEPTH.get(case, 2)
    assert structure(ours.grad_fn, depth) == structure(theirs.grad_fn, depth)


def test_linear_weight_edge_is_a_transpose_node():
    """Tutorials walk ``addmm``'s inputs: the weight reaches its AccumulateGrad through ``t()``."""
    for lib in (unigrad, torch):
        layer = modules(lib, "linear")
        node = layer(leaves(lib)["m"]).grad_fn
        weight_edge = node.next_functions[2][0]
        assert weight_edge.name() == "TBackward0"
        assert weight_edge.next_functions[0][0].variable is layer.weight


def test_repr_of_nodes():
    ours = expressions(unigrad)["view_mul_"]().grad_fn
    assert repr(ours).startswith("<CopySlices object at 0x")
    assert repr((unigrad.ones(2, requires_grad=True) * 2).grad_fn).startswith("<MulBackward0 object at 0x")
