"""Graph nodes: one per differentiable op, holding the op's backward and its inputs' nodes."""
from __future__ import annotations

import weakref

FREED_MESSAGE = (
    "Trying to backward through the graph a second time (or directly access saved tensors after "
    "they have already been freed). Saved intermediate values of the graph are freed when you call "
    ".backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the "
    "graph a second time or if you need to access saved tensors after calling backward."
)


def edge_of(tensor):
    """The node a gradient for ``tensor`` flows into (its grad_fn, or its AccumulateGrad)."""
    if tensor is None or not tensor._requires_grad:
        return None
    node = tensor.grad_fn
    if node is not None:
        return node
    accumulator = tensor._grad_accumulator
    if accumulator is None:
        accumulator = tensor._grad_accumulator = AccumulateGrad(tensor)
    return accumulator


class Node:
    """An op in the graph: ``backward_fn(grad_output)`` returns one gradient (or None) per input.

    ``saved`` lists ``(tensor, version)`` pairs checked at backward, so an in-place change to a
    tensor the backward needs raises instead of giving a wrong gradient.
    """

    __slots__ = ("_name", "backward_fn", "_next", "saved", "_pre_hooks", "_retained", "__weakref__")

    def __init__(self, name: str, backward_fn, inputs, saved=()) -> None:
        self._name = name
        self.backward_fn = backward_fn
        self._next = tuple([edge_of(t) for t in inputs])
        self.saved = tuple([(t, t._version[0]) for t in saved]) if saved else ()
        self._pre_hooks = None
        self._retained = None

    def name(self) -> str:
        return self._name

    @property
    def next_functions(self) -> tuple:
        return tuple((node, 0) for node in self._next)

    def register_prehook(self, hook) -> None:
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(hook)

    def retain_for(self, tensor) -> None:
        if self._retained is None:
            self._retained = []
        self._retained.append(weakref.ref(tensor))

    def check_saved_versions(self) -> None:
        for tensor, version in self.saved:
            if tensor._version[0] != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: [{tensor.dtype.name} tensor of shape {list(tensor.shape)}], "
                    f"which is output 0 of {self._name}, is at version {tensor._version[0]}; "
                    f"expected version {version} instead.")

    def release(self) -> None:
        self.backward_fn = None
        self.saved = ()

    def __repr__(self) -> str:
        return f"<{self._name} object at {id(self):#x}>"


class AccumulateGrad(Node):
    """The node of a leaf tensor that requires grad: backward adds into ``variable.grad``."""

    __slots__ = ("variable", "_post_hooks")

    def __init__(self, variable) -> None:
        self._name = "AccumulateGrad"
        self.backward_fn = None
        self._next = ()
        self.saved = ()
        self._pre_hooks = None
        self._retained = None
        self.variable = variable
        self._post_hooks = None  # called with the leaf once its .grad holds the new gradient

    def release(self) -> None:
        pass
