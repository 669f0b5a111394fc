"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer, check_hyperparameters, grads_of


class SGD(Optimizer):
    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None) -> None:
        check_hyperparameters(lr, weight_decay=weight_decay, momentum=momentum)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov, maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            params_grads = list(grads_of(group))
            # momentum buffers are read before and stored after the loop, as PyTorch does (which
            # decides what a parameter listed twice in a group gets)
            buffers = [self.state[p].get("momentum_buffer") for p, _ in params_grads] if momentum else ()
            for i, (p, grad) in enumerate(params_grads):
                if maximize:
                    grad = -grad
                if decay != 0:
                    grad = grad.add(p, alpha=decay)
                if momentum != 0:
                    buf = buffers[i]
                    if buf is None:
                        buf = buffers[i] = grad.clone()
                    else:
                        buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                    grad = grad.add(buf, alpha=momentum) if nesterov else buf
                p.add_(grad, alpha=-lr)
            for (p, _), buf in zip(params_grads, buffers):
                self.state[p]["momentum_buffer"] = buf
        return loss
