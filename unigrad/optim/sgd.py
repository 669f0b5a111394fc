"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""
from __future__ import annotations

from . import foreach
from .optimizer import (Optimizer, check_fused, check_hyperparameters, grads_of, scalar,
                        use_grad_for_differentiable)


class SGD(Optimizer):
    _tensor_step = False

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach=None, differentiable: bool = False, fused=None) -> None:
        check_hyperparameters(lr, weight_decay=weight_decay, momentum=momentum)
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, maximize=maximize, foreach=foreach,
                        differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)
        check_fused(fused, foreach, differentiable)

    @use_grad_for_differentiable
    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            lr, momentum, dampening = scalar(group["lr"]), group["momentum"], group["dampening"]
            decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
            pairs = grads_of(group)
            # buffers are read before the loop, as PyTorch does: a parameter listed twice starts
            # both of its updates from the same (possibly missing) buffer
            buffers = [self.state[p].get("momentum_buffer") for p, _ in pairs]
            if foreach.applies(group):
                foreach.sgd(self, group, buffers, pairs)
            else:
                self._single_tensor_step(pairs, buffers, lr, momentum, dampening, decay, nesterov, maximize)
            if momentum != 0:
                for (p, _), buf in zip(pairs, buffers):
                    self.state[p]["momentum_buffer"] = buf
        return loss

    @staticmethod
    def _single_tensor_step(pairs, buffers, lr, momentum, dampening, decay, nesterov, maximize) -> None:
        for i, (p, grad) in enumerate(pairs):
            if maximize:
                grad = -grad
            if decay != 0:
                grad = grad.add(p, alpha=decay)
            if momentum != 0:
                buf = buffers[i]
                if buf is None:
                    buf = buffers[i] = grad.detach().clone()
                else:
                    buf.mul_(momentum).add_(grad, alpha=1 - dampening)
                grad = grad.add(buf, alpha=momentum) if nesterov else buf
            p.add_(grad, alpha=-lr)
