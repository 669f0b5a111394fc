"""PyTorch's autocast op lists, per device type.

Each op an autocast region may recast has one of these policies:

* ``"lower"``: floating arguments (float64 excepted) are cast to the region's low-precision dtype.
* ``"fp32"``: floating arguments (float64 excepted) are cast to float32.
* ``"promote"``: floating arguments are cast to the widest floating dtype among them.
* ``"input"`` (layers only): the layer runs in its input's floating dtype, parameters cast to it.
* ``"banned"``: the op refuses to run under autocast (PyTorch's CUDA list bans
  ``binary_cross_entropy``: its input may be float16, and ``log`` of a rounded probability is not
  safe; use ``binary_cross_entropy_with_logits``).

A backend names the lists its device type follows (``Backend.autocast_lists``). ``"cpu"`` (the
NumPy backend) follows PyTorch's CPU lists (matmul, linear, convolutions, attention and the LSTM/RNN
layers in bfloat16; losses in float32; everything else in the dtype it is given, so softmax of a
bfloat16 tensor stays bfloat16 -- though computed in float32 internally). ``"cuda"`` (the default
for every other backend: CUDA, OpenCL, plugins) follows PyTorch's CUDA lists, which also run reductions,
softmax/log_softmax, layer/group norm, exp/log and pow in float32.
"""
from __future__ import annotations

_LOWER_COMMON = ("matmul", "mm", "bmm", "addmm", "baddbmm", "linear", "conv1d", "conv2d", "conv3d",
                 "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "prelu",
                 "scaled_dot_product_attention")
_LOSSES = ("mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
           "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss", "poisson_nll_loss")
_LOSSES += ("hinge_embedding_loss", "margin_ranking_loss", "multilabel_margin_loss", "soft_margin_loss",
            "triplet_margin_loss", "multi_margin_loss")

CPU = {
    **{name: "lower" for name in _LOWER_COMMON + ("multi_head_attention_forward",)},
    # recurrent layers: PyTorch's CPU list has the fused LSTM layer; its RNN layer is built from
    # linear, so it ends in bfloat16 too; GRU is on no list: it keeps its input's dtype (a float32
    # input and initial state give float32, a bfloat16 input bfloat16)
    "lstm": "lower", "rnn_tanh": "lower", "rnn_relu": "lower", "gru": "input",
    # on a PackedSequence the fused LSTM is off the list (PyTorch lists only its padded overload)
    "lstm_packed": "input", "gru_packed": "input", "rnn_tanh_packed": "lower", "rnn_relu_packed": "lower",
    **{name: "fp32" for name in _LOSSES + ("binary_cross_entropy", "prod", "ctc_loss")},
    "cat": "promote", "stack": "promote",
    # einsum and multi_dot are built on bmm/mm, which PyTorch's CPU list lowers
    **{name: "lower" for name in ("addbmm", "einsum", "multi_dot", "chain_matmul")},
    **{name: "fp32" for name in ("cdist", "trace")},
}

GPU = {
    **{name: "lower" for name in _LOWER_COMMON + ("mv", "addmv", "addr")},
    "lstm": "lower", "gru": "lower", "rnn_tanh": "lower", "rnn_relu": "lower",
    "lstm_packed": "lower", "gru_packed": "lower", "rnn_tanh_packed": "lower", "rnn_relu_packed": "lower",
    "lstm_cell": "lower", "gru_cell": "lower", "rnn_tanh_cell": "lower", "rnn_relu_cell": "lower",
    **{name: "fp32" for name in _LOSSES + (
        "exp", "expm1", "log", "log10", "log1p", "log2", "pow", "rpow", "rdiv", "reciprocal",
        "rsqrt", "tan", "softplus", "layer_norm", "group_norm", "norm", "normalize",
        "acos", "asin", "cosh", "sinh", "erfinv",
        "cosine_similarity", "logsumexp", "sum", "prod", "cumsum", "softmax", "log_softmax",
        "softmin")},
    "binary_cross_entropy": "banned",
    **{name: "lower" for name in ("addbmm", "chain_matmul", "multi_dot", "einsum")},
    **{name: "fp32" for name in ("cumprod", "dist", "pdist", "cdist", "renorm")},
    **{name: "promote" for name in ("cross", "vdot")},
    **{name: "promote" for name in ("addcdiv", "addcmul", "dot", "bilinear", "scatter_add",
                                      "tensordot", "atan2")},
}


TABLES = {"cpu": CPU, "cuda": GPU}
