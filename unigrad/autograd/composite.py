"""Composite nodes: one graph node, named as PyTorch names its fused kernel
(``ConvolutionBackward0``, ``NativeLayerNormBackward0``, ``MseLossBackward0``...), standing for the
several ops unigrad composes such a function from.

``@presents_as("ConvolutionBackward0", "input", "weight", "bias")`` on a function makes its output's
``grad_fn`` that one node, with PyTorch's ``next_functions`` (one entry per listed argument). Its
backward runs the ops' own backward over the inner subgraph (``engine.run_subgraph``), so values,
gradients and double backward are exactly those of the composition; the inner nodes are released
with it.
"""
from __future__ import annotations

import functools
import inspect

from .engine import run_subgraph
from .grad_mode import _state as _grad_state
from .node import Node

__all__ = ["CompositeNode", "presents_as"]


class _SubgraphBackward:
    """The backward of a composite node (holds no reference to the node: no cycle)."""

    __slots__ = ("root", "edges", "boundary", "inner")

    def __init__(self, root, edges) -> None:
        self.root, self.edges, self.inner = root, edges, None
        self.boundary = frozenset(edge for edge in edges if edge is not None)

    def __call__(self, grad):
        captured, self.inner = run_subgraph(self.root, grad, self.boundary)
        grads, given = [], set()
        for edge in self.edges:  # an input listed twice gets its gradient once
            grads.append(captured.get(edge) if edge is not None and edge not in given else None)
            given.add(edge)
        return tuple(grads)

    def release_inner(self) -> None:
        for node in self.inner or ():
            node.release()


class CompositeNode(Node):
    """A node standing for the subgraph from ``root`` down to the edges of ``inputs``."""

    __slots__ = ()

    def __init__(self, name: str, root, inputs) -> None:
        super().__init__(name, None, inputs)
        self.backward_fn = _SubgraphBackward(root, self._next)

    def release(self) -> None:
        if self.backward_fn is not None:
            self.backward_fn.release_inner()
        super().release()


def present(out, name: str, inputs):
    """Make ``out.grad_fn`` a composite node named ``name`` over ``inputs`` (tensors or None);
    ``out`` is returned unchanged when no graph was recorded."""
    root = getattr(out, "grad_fn", None)
    if root is None or not _grad_state.enabled:
        return out
    tensors = [t if hasattr(t, "_requires_grad") else None for t in inputs]
    if any(t is not None and t.grad_fn is root for t in tensors):  # it returned an input
        return out
    out.grad_fn = CompositeNode(name, root, tensors)
    return out


def presents_as(name: str, *arguments: str):
    """Decorator: the function's output gets one ``grad_fn`` named ``name`` whose
    ``next_functions`` follow the listed ``arguments`` (parameter names, in PyTorch's order). A
    name ending in ``?`` gets an entry only when a tensor is passed for it (PyTorch lists some
    optional inputs, such as a loss's ``weight``, only when given)."""

    def decorate(function):
        parameters = list(inspect.signature(function).parameters.values())
        position = {p.name: i for i, p in enumerate(parameters)
                    if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)}
        defaults = {p.name: p.default for p in parameters if p.default is not p.empty}
        wanted = [(a.rstrip("?"), a.endswith("?")) for a in arguments]
        missing = [a for a, _ in wanted if a not in position and a not in defaults]
        if missing:
            raise TypeError(f"presents_as: {function.__name__} has no parameter(s) {missing}")

        def inputs(args, kwargs) -> list:
            found = []
            for argument_name, optional in wanted:
                index = position.get(argument_name)
                if index is not None and index < len(args):
                    value = args[index]
                else:
                    value = kwargs.get(argument_name, defaults.get(argument_name))
                if not optional or hasattr(value, "_requires_grad"):
                    found.append(value)
            return found

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            out = function(*args, **kwargs)
            if not _grad_state.enabled or getattr(out, "grad_fn", None) is None:
                return out
            return present(out, name, inputs(args, kwargs))

        return wrapper

    return decorate
