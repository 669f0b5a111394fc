"""SparseAdam: Adam for sparse gradients.

unigrad has no sparse tensors, so every gradient here is dense and ``step`` refuses it exactly as
PyTorch's SparseAdam refuses a dense gradient; the constructor, its checks and the state layout
are PyTorch's, so code that builds a SparseAdam (for an ``Embedding(sparse=True)``) still imports
and fails where PyTorch would with a dense gradient."""
from __future__ import annotations

from ..autograd.grad_mode import no_grad
from .optimizer import Optimizer


class SparseAdam(Optimizer):
    _tensor_step = False  # PyTorch keeps SparseAdam's step as a Python int

    def __init__(self, params, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8,
                 maximize: bool = False) -> None:
        if hasattr(lr, "numel") and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 < lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < eps:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, maximize=maximize))

    @no_grad()
    def step(self, closure=None):
        loss = self._closure_loss(closure)
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None and not getattr(p.grad, "is_sparse", False):
                    raise RuntimeError("SparseAdam does not support dense gradients, please "
                                       "consider Adam instead")
        return loss
