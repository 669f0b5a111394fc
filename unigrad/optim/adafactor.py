"""Adafactor: Adam-like steps with a factored (row x column) second-moment estimate."""
from __future__ import annotations

import math

from ..api import creation, dtypes
from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, scalar


class Adafactor(Optimizer):
    """``torch.optim.Adafactor``: matrices (and batches of them) keep a row and a column
    variance; vectors keep a full one."""

    def __init__(self, params, lr: float = 1e-2, beta2_decay: float = -0.8, eps=(None, 1e-3),
                 d: float = 1.0, weight_decay: float = 0.0, *, foreach=None,
                 maximize: bool = False) -> None:
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not 0.0 >= beta2_decay:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not 0.0 <= eps[0]:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not 0.0 <= eps[1]:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not 1.0 <= d:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not 0.0 <= weight_decay:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d,
                                      weight_decay=weight_decay, foreach=foreach, maximize=maximize))

    @staticmethod
    def _new_state(p) -> dict:
        grad = p.grad
        if grad.ndim > 1:
            rows, cols = list(grad.shape), list(grad.shape)
            rows[-1], cols[-2] = 1, 1
            return {"row_var": creation.zeros(rows, dtype=grad.dtype, device=grad.device),
                    "col_var": creation.zeros(cols, dtype=grad.dtype, device=grad.device)}
        return {"variance": creation.zeros_like(grad)}

    @no_grad()
    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, d, decay = scalar(group["lr"]), group["d"], group["weight_decay"]
            eps1, eps2 = group["eps"]
            for p, grad, state in self._stepped(group, self._new_state):
                if eps1 is None:  # as PyTorch: the first parameter's dtype decides for the group
                    eps1 = dtypes.finfo(p.dtype).eps
                step = state["step"].item()
                one_minus_beta2 = step ** group["beta2_decay"]
                rho = min(lr, 1 / (step ** 0.5))
                alpha = max(eps2, p.norm(2).item() / (p.numel() ** 0.5)) * rho
                if decay != 0:
                    p.mul_(1 - lr * decay)
                if grad.ndim > 1:
                    row_var, col_var = state["row_var"], state["col_var"]
                    row_mean = grad.norm(dim=-1, keepdim=True).square_().div_(grad.shape[-1])
                    row_var.lerp_(row_mean, one_minus_beta2)
                    col_mean = grad.norm(dim=-2, keepdim=True).square_().div_(grad.shape[-2])
                    col_var.lerp_(col_mean, one_minus_beta2)
                    estimate = row_var @ col_var
                    estimate.div_(row_var.mean(dim=-2, keepdim=True).clamp_(min=eps1))
                else:
                    variance = state["variance"]
                    variance.lerp_(grad * grad, one_minus_beta2)
                    estimate = variance.clone()
                update = estimate.clamp_(min=eps1 * eps1).rsqrt_()
                update.mul_(grad)
                denom = max(1.0, update.norm(2).item() / (math.sqrt(update.numel()) * d))
                p.add_(update, alpha=-alpha / denom)
        return loss
