"""Rprop: per-element step sizes grown or shrunk by the sign agreement of successive gradients."""
from __future__ import annotations

from ..api import creation
from ..api.ops import pointwise as pw
from .optimizer import Optimizer, check_hyperparameters, scalar, use_grad_for_differentiable


class Rprop(Optimizer):
    """The resilient backpropagation algorithm (``torch.optim.Rprop``)."""

    def __init__(self, params, lr: float = 1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        check_hyperparameters(lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        super().__init__(params, dict(lr=lr, etas=etas, step_sizes=step_sizes, foreach=foreach,
                                      maximize=maximize, differentiable=differentiable,
                                      capturable=capturable))

    @use_grad_for_differentiable
    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            etaminus, etaplus = group["etas"]
            step_size_min, step_size_max = group["step_sizes"]
            lr = scalar(group["lr"])

            def new_state(p, lr=lr):
                return {"prev": creation.zeros_like(p), "step_size": creation.full_like(p, lr)}

            for p, grad, state in self._stepped(group, new_state):
                prev, step_size = state["prev"], state["step_size"]
                agreement = grad.mul(prev)
                flipped = agreement < 0
                # PyTorch writes etaplus/etaminus/1 over the sign by masks; NaNs stay NaN
                factor = pw.where(agreement > 0, etaplus,
                                  pw.where(flipped, etaminus, pw.where(agreement == 0, 1.0, agreement.sign())))
                step_size.mul_(factor).clamp_(step_size_min, step_size_max)
                grad = pw.where(flipped, 0.0, grad)
                p.addcmul_(grad.sign(), step_size, value=-1)
                prev.copy_(grad)
        return loss
