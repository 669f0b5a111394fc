"""ASGD: SGD with a decaying step size and a running (Polyak) average of the iterates."""
from __future__ import annotations

from ..api import creation
from .optimizer import (Optimizer, _scalar_dtype, check_hyperparameters, scalar,
                        use_grad_for_differentiable)


class ASGD(Optimizer):
    """Averaged stochastic gradient descent (``torch.optim.ASGD``); the average is ``state["ax"]``."""

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach=None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        check_hyperparameters(lr, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, foreach=foreach, maximize=maximize,
                                      differentiable=differentiable, capturable=capturable))

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        for group in self.param_groups:
            for p in group["params"]:
                entry = self.state.get(p)
                for key in ("eta", "mu"):
                    if entry and key in entry and not hasattr(entry[key], "item"):
                        entry[key] = creation.tensor(entry[key], dtype=_scalar_dtype(), device=p.device)

    @use_grad_for_differentiable
    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = scalar(group["lr"]), group["lambd"], group["alpha"], group["t0"]
            decay = group["weight_decay"]

            def new_state(p, lr=lr):
                # eta and mu are scalar tensors in the step's dtype, read back each step (PyTorch's
                # rounding of them is part of the trajectory)
                return {"eta": creation.tensor(lr, dtype=_scalar_dtype(), device=p.device),
                        "mu": creation.tensor(1.0, dtype=_scalar_dtype(), device=p.device),
                        "ax": creation.zeros_like(p)}

            for p, grad, state in self._stepped(group, new_state):
                eta, mu, ax = state["eta"], state["mu"], state["ax"]
                if decay != 0:
                    grad = grad.add(p, alpha=decay)
                eta_value = eta.item()
                p.mul_(1 - lambd * eta_value)
                p.add_(grad, alpha=-eta_value)
                if mu.item() != 1:
                    ax.add_(p.sub(ax).mul_(mu.to(p.device)))
                else:
                    ax.copy_(p)
                step = state["step"].item()
                # through a tensor of the default dtype, as PyTorch's ``as_tensor`` rounds them
                eta.copy_(creation.tensor(lr / ((1 + lambd * lr * step) ** alpha), device=eta.device))
                mu.copy_(creation.tensor(1 / max(1, step - t0), device=mu.device))
        return loss
