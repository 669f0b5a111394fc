"""Muon: momentum SGD for 2-D parameters whose update is orthogonalised by a Newton-Schulz
iteration in bfloat16 (``torch.optim.Muon``)."""
from __future__ import annotations

import math

from ..api import creation, dtypes
from ..api.tensor import Tensor
from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, scalar

EPS = 1e-7
DEFAULT_A, DEFAULT_B, DEFAULT_C = 3.4445, -4.7750, 2.0315
DEFAULT_NS_STEPS = 5


def _bf16(x: Tensor) -> Tensor:
    """``x`` rounded to bfloat16. On a device without bfloat16 the rounding is done in float32
    (Veltkamp's split keeps the 8 leading significant bits, rounded to nearest), so the values
    are the same and the result stays float32."""
    if dtypes.bfloat16 in x._backend.supported_dtypes:
        return x.to(dtypes.bfloat16)
    x = x.float()
    scaled = x * 65537.0  # 2^16 + 1: 24 - 16 = 8 significant bits survive
    return scaled - (scaled - x)


def zeropower_via_newtonschulz(grad: Tensor, ns_coefficients, ns_steps: int, eps: float) -> Tensor:
    """``grad`` pushed towards the nearest semi-orthogonal matrix, in bfloat16.

    The matrices PyTorch keeps in bfloat16 (the iterate, its Gram matrix and the polynomial in
    it) are rounded to bfloat16 here too; each product and ``addmm`` is accumulated in float32
    and rounded once, as a float32-accumulating bfloat16 GEMM does."""
    if ns_steps >= 100:
        raise ValueError("Number of steps must be less than 100 for computational efficiency")
    if len(grad.shape) != 2:
        raise ValueError("Input tensor gradient must be a 2D matrix")
    if len(ns_coefficients) != 3:
        raise ValueError("Coefficients must be a tuple of exactly 3 values")
    a, b, c = ns_coefficients
    x = _bf16(grad)
    tall = grad.shape[0] > grad.shape[1]
    if tall:
        x = x.T
    norm = _bf16(_bf16(x.float().norm()).clamp(min=eps))
    x = _bf16(x.float() / norm.float())
    for _ in range(ns_steps):
        xf = x.float()
        gram = _bf16(xf @ xf.T).float()
        gram_update = _bf16(gram * b + (gram @ gram) * c).float()
        x = _bf16(xf * a + gram_update @ xf)
    return x.T if tall else x


def adjust_lr(lr: float, adjust_lr_fn, param_shape) -> float:
    rows, cols = param_shape[:2]
    if adjust_lr_fn is None or adjust_lr_fn == "original":
        ratio = math.sqrt(max(1, rows / cols))
    elif adjust_lr_fn == "match_rms_adamw":
        ratio = 0.2 * math.sqrt(max(rows, cols))
    else:
        ratio = 1.0
    return lr * ratio


class Muon(Optimizer):
    """MomentUm Orthogonalized by Newton-Schulz, for 2-D parameters only."""

    _tensor_step = False

    def __init__(self, params, lr: float = 1e-3, weight_decay: float = 0.1, momentum: float = 0.95,
                 nesterov: bool = True, ns_coefficients=(DEFAULT_A, DEFAULT_B, DEFAULT_C),
                 eps: float = EPS, ns_steps: int = DEFAULT_NS_STEPS, adjust_lr_fn=None) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 <= momentum:
            raise ValueError(f"momentum should be >= 0 but is: {momentum}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight decay should be >= 0 but is: {weight_decay}")
        if adjust_lr_fn is not None and adjust_lr_fn not in ("original", "match_rms_adamw"):
            raise ValueError(f"Adjust learning rate function {adjust_lr_fn} is not supported")
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum,
                                      nesterov=nesterov, ns_coefficients=ns_coefficients, eps=eps,
                                      ns_steps=ns_steps, adjust_lr_fn=adjust_lr_fn))
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError("Muon only supports 2D parameters whereas we found a parameter "
                                     f"with size: {p.size()}")

    @no_grad()
    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, decay, momentum = scalar(group["lr"]), group["weight_decay"], group["momentum"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = p.grad
                if grad.ndim != 2:
                    raise ValueError("Param gradient must be a 2D matrix")
                state = self.state[p]
                if "momentum_buffer" not in state:
                    state["momentum_buffer"] = creation.zeros_like(grad)
                buf = state["momentum_buffer"]
                buf.lerp_(grad, 1 - momentum)
                update = grad.lerp(buf, momentum) if group["nesterov"] else buf
                update = zeropower_via_newtonschulz(update, group["ns_coefficients"],
                                                    group["ns_steps"], group["eps"])
                p.mul_(1 - lr * decay)
                # in the parameter's dtype, as PyTorch computes ``p + alpha * update``
                p.add_(update.to(p.dtype), alpha=-adjust_lr(lr, group["adjust_lr_fn"], p.shape))
        return loss
