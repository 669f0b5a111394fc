"""Affine maps: ``linear`` and ``bilinear``."""
from __future__ import annotations

from ...api import autocast_state
from ...api.autocast_state import autocast_op
from ...api.ops import linalg
from ...api.tensor import Tensor

_autocast = autocast_state.local


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias``."""
    if _autocast.active:
        return autocast_state.dispatch("linear", linear, (x, weight, bias), {})
    return linalg.linear(x, weight, bias)


@autocast_op("bilinear")
def bilinear(x1: Tensor, x2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``y[..., o] = x1 @ weight[o] @ x2 + bias[o]``."""
    out_features, in1, in2 = weight.shape
    lead = x1.shape[:-1]
    left = linalg.matmul(x1.reshape(-1, in1), weight.permute(1, 0, 2).reshape(in1, out_features * in2))
    out = (left.reshape(-1, out_features, in2) * x2.reshape(-1, 1, in2)).sum(-1)
    out = out.reshape(tuple(lead) + (out_features,))
    return out + bias if bias is not None else out
