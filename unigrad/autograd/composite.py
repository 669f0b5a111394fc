"""Composite nodes: one graph node, named as PyTorch names its fused kernel
(``ConvolutionBackward0``, ``NativeLayerNormBackward0``, ``MseLossBackward0``...), standing for the
several ops unigrad composes such a function from.

``@presents_as("ConvolutionBackward0", "input", "weight", "bias")`` on a function makes its output's
``grad_fn`` that one node, whose ``next_functions`` are PyTorch's (one entry per listed argument).
For the engine the node is a pass-through in front of the ops' own subgraph, so values, gradients,
double backward and the freeing of saved tensors are exactly those of the composition, at the cost
of one identity node. A post hook (``grad_fn.register_hook``) needs the gradients of the declared
inputs: registering one turns the node into a real one that runs its subgraph itself
(``engine.run_subgraph``) and hands the hook ``(grad_input, grad_weight, grad_bias)``.
"""
from __future__ import annotations

import functools
import inspect

from .engine import run_subgraph
from .grad_mode import _state as _grad_state
from .node import Node, edge_of

__all__ = ["CompositeNode", "presents_as"]


def _pass_through(grad):
    return (grad,)


class _SubgraphBackward:
    """The backward of a composite node run by itself (holds no reference to the node)."""

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

    __slots__ = ("_edges",)

    def __init__(self, name: str, root, inputs) -> None:
        super().__init__(name, _pass_through, ())
        self._next = (root,)
        self._edges = tuple([edge_of(t) for t in inputs])

    @property
    def next_functions(self) -> tuple:
        return tuple((node, 0) for node in self._edges)

    def register_hook(self, fn):
        if self.backward_fn is _pass_through:  # run the subgraph here, to know the inputs' grads
            self.backward_fn = _SubgraphBackward(self._next[0], self._edges)
            self._next = self._edges
        return super().register_hook(fn)

    def release(self) -> None:
        if isinstance(self.backward_fn, _SubgraphBackward):
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
