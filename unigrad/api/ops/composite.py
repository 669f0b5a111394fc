"""Naming a composite op's result the way PyTorch names its single backward node."""
from __future__ import annotations

from .support import Tensor, grad_state


def as_node(out: Tensor, name: str) -> Tensor:
    """``out`` (a fresh result built from differentiable ops) as the output of one node called
    ``name`` (``out.grad_fn.name()`` then reads like PyTorch's); the node passes the gradient to
    the composite graph beneath it, so every order of derivative still flows. Only for results
    that alias no input."""
    if not (out._requires_grad and grad_state.enabled):
        return out
    result = Tensor._make(out._buf, out._dtype, out._device, out._backend)
    result._attach(name, lambda g: (g,), (out,))
    return result
