"""Autograd Functions used by ``nn.Module`` internals (``torch.nn.modules._functions``)."""
from __future__ import annotations

from ...autograd.function import Function


class BackwardHookFunction(Function):
    """The identity on ``tensors``, whose backward hands the incoming gradients to
    ``on_gradients`` and passes on what it returns (``BackwardHook``'s hook point).

    With ``materialize_grads`` an output that got no gradient contributes zeros (as PyTorch's
    ``grad_input``); without, None (as its ``grad_output``)."""

    @staticmethod
    def forward(ctx, on_gradients, materialize_grads: bool, *tensors):
        ctx.on_gradients = on_gradients
        ctx.set_materialize_grads(materialize_grads)
        # fresh tensor objects (sharing storage) so the ones not requiring grad can be marked
        outputs = tuple(t.detach() for t in tensors)
        ctx.mark_non_differentiable(*[out for out, t in zip(outputs, tensors) if not t.requires_grad])
        return outputs[0] if len(outputs) == 1 else outputs

    @staticmethod
    def backward(ctx, *grads):
        return (None, None) + tuple(ctx.on_gradients(grads))
