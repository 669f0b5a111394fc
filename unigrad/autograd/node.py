"""Graph nodes: one per differentiable op, holding the op's backward and its inputs' nodes.

``Node`` is also PyTorch's ``torch.autograd.graph.Node``: ``name()``, ``next_functions``,
``metadata``, ``register_hook`` and ``register_prehook``.
"""
from __future__ import annotations

import traceback
import weakref


class _AnomalyState:
    """``autograd.set_detect_anomaly``: process-wide, as in PyTorch."""

    enabled = False
    check_nan = True


anomaly = _AnomalyState()

#: the ``(pack, unpack)`` pairs of open ``autograd.graph.saved_tensors_hooks`` scopes (innermost last)
saved_tensors_hooks_stack: list = []


class RemovableHandle:
    """Returned by hook registrations; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook) -> None:
        self._hooks, self._hook = hooks, hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self.remove()

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
    node = tensor._grad_fn if tensor._base is None else tensor.grad_fn  # a view may regenerate it
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

    __slots__ = ("_name", "backward_fn", "_next", "saved", "_pre_hooks", "_retained", "_node_hooks",
                 "_metadata", "_packed", "__weakref__")

    def __init__(self, name: str, backward_fn, inputs, saved=()) -> None:
        self._name = name
        self.backward_fn = backward_fn
        edges = []  # edge_of per input, with the common cases inline (this runs once per op)
        for t in inputs:
            if t is None or not t._requires_grad:
                edges.append(None)
            else:
                if t._base is None:  # (a view's node may need regenerating: edge_of does that)
                    node = t._grad_fn or t._grad_accumulator
                    edges.append(node if node is not None else edge_of(t))
                else:
                    edges.append(edge_of(t))
        self._next = tuple(edges)
        if saved:
            self.saved = tuple([(t, t._version[0]) for t in saved])
            self._packed = pack_saved(saved) if saved_tensors_hooks_stack else None
        else:
            self.saved = ()
            self._packed = None
        self._pre_hooks = None  # tensor hooks (Tensor.register_hook), each ``hook(grad)``
        self._retained = None
        self._node_hooks = None  # PyTorch's Node hooks: {"pre": [...], "post": [...]}
        self._metadata = {"traceback_": traceback.format_stack()[:-2]} if anomaly.enabled else None

    def name(self) -> str:
        return self._name

    @property
    def next_functions(self) -> tuple:
        """``((node, 0), ...)``, one pair per input: the node its gradient flows into (its
        grad_fn, or AccumulateGrad for a leaf), or None when it needs no gradient."""
        return tuple((node, 0) for node in self._next)

    @property
    def metadata(self) -> dict:
        """A dict for the user's own annotations (anomaly mode keeps the forward traceback here
        under ``"traceback_"``)."""
        if self._metadata is None:
            self._metadata = {}
        return self._metadata

    def _register_tensor_hook(self, hook) -> None:
        if self._pre_hooks is None:
            self._pre_hooks = []
        self._pre_hooks.append(hook)

    def _hooks(self, kind: str) -> list:
        if self._node_hooks is None:
            self._node_hooks = {"pre": [], "post": []}
        return self._node_hooks[kind]

    def register_prehook(self, fn) -> RemovableHandle:
        """``fn(grad_outputs) -> grad_outputs or None``, called before this node runs."""
        hooks = self._hooks("pre")
        hooks.append(fn)
        return RemovableHandle(hooks, fn)

    def register_hook(self, fn) -> RemovableHandle:
        """``fn(grad_inputs, grad_outputs) -> grad_inputs or None``, called after this node has
        computed the gradients of its inputs (``grad_inputs``, one per ``next_functions`` entry)."""
        hooks = self._hooks("post")
        hooks.append(fn)
        return RemovableHandle(hooks, fn)

    def retain_for(self, tensor) -> None:
        if self._retained is None:
            self._retained = []
        self._retained.append(weakref.ref(tensor))

    def unpack_saved(self) -> None:
        """Call the unpack hooks of the saved tensors packed when this node was recorded. The
        backward of a built-in op still computes from the tensors it holds, so hooks observe
        (and may count, log or copy) what is saved, but cannot substitute other values."""
        for packed, unpack in self._packed:
            check_unpacked(unpack(packed))

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
        self._packed = None

    def __repr__(self) -> str:
        # PyTorch's C++ nodes are named "torch::autograd::CopySlices" and shown as "CopySlices"
        return f"<{self._name.rpartition('::')[2]} object at {id(self):#x}>"


def node_over(name: str, backward_fn, edges, saved=()) -> Node:
    """A node whose inputs are given as edges (nodes or None), for nodes that stand between
    others without a tensor of their own (PyTorch's view nodes around a fused kernel)."""
    node = Node(name, backward_fn, (), saved)
    node._next = tuple(edges)
    return node


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
        self._node_hooks = None
        self._metadata = None
        self._packed = None
        self.variable = variable
        self._post_hooks = None  # called with the leaf once its .grad holds the new gradient

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"  # PyTorch's name for this node

    def release(self) -> None:
        pass


def pack_saved(tensors) -> list:
    """``[(pack(t), unpack), ...]`` with the innermost saved-tensors hooks."""
    pack, unpack = saved_tensors_hooks_stack[-1]
    return [(pack(t), unpack) for t in tensors if t is not None]


def check_unpacked(value):
    if not hasattr(value, "_buf"):
        raise TypeError(f"Output of saved tensor unpack_hook expected to be a Tensor but got result "
                        f"of type {type(value).__name__}")
    return value
