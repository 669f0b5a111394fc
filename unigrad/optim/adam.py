"""Adam and AdamW (PyTorch's single-tensor update, step for step)."""
from __future__ import annotations

from ..api import creation
from ..jit import scalars
from . import foreach
from .optimizer import (Optimizer, check_fused, check_hyperparameters, scalar,
                        use_grad_for_differentiable, weight_decayed)


class Adam(Optimizer):
    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused=None, decoupled_weight_decay: bool = False) -> None:
        check_hyperparameters(lr, eps, weight_decay, betas=betas)
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                                      capturable=capturable, differentiable=differentiable,
                                      fused=fused, decoupled_weight_decay=decoupled_weight_decay))
        check_fused(fused, foreach, differentiable)

    @use_grad_for_differentiable
    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            if foreach.applies(group):
                foreach.adam(self, group)
                continue
            beta1, beta2 = (scalar(b) for b in group["betas"])
            lr, eps = scalar(group["lr"]), group["eps"]
            names = ["exp_avg", "exp_avg_sq"] + (["max_exp_avg_sq"] if group["amsgrad"] else [])
            new_state = lambda p: {name: creation.zeros_like(p) for name in names}  # noqa: E731
            for p, grad, state in self._stepped(group, new_state):
                step = scalars.item(state["step"])  # traced inside a compiled step
                grad = weight_decayed(p, grad, group)
                exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
                exp_avg.lerp_(grad, 1 - beta1)
                exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                bias_correction1 = 1 - beta1 ** step
                bias_correction2_sqrt = scalars.sqrt(1 - beta2 ** step)
                step_size = lr / bias_correction1
                if group["amsgrad"]:
                    state["max_exp_avg_sq"].maximum_(exp_avg_sq)
                    denom = (state["max_exp_avg_sq"].sqrt() / bias_correction2_sqrt).add_(eps)
                else:
                    denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
                # p.addcdiv_(exp_avg, denom, value=-step_size), op for op, without its test of the
                # value against 1 (which a traced step size cannot answer)
                p.copy_(p + exp_avg / denom * -step_size)
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (default 0.01)."""

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach=None, capturable: bool = False, differentiable: bool = False, fused=None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            group["decoupled_weight_decay"] = True
