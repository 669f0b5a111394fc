"""Views and in-place ops under autograd, with PyTorch's semantics (its "View + Inplace" notes).

A view shares its base's storage and version counter (``_version``). Writing into either is an
in-place op on the storage, and the graph is rewritten as PyTorch does:

- an in-place op on a view gives the base a new history, ``CopySlices``: the base's old value
  outside the view's region, the op's result inside it (``rebase``);
- a view's ``grad_fn`` is regenerated when it is read after the version counter moved (an
  in-place op on the base, on another view or on the view itself): ``AsStridedBackward0`` over
  the base's current history, made by replaying the view function (``view_grad_fn``);
- views remember how they were made (PyTorch's CreationMeta): in no-grad or inference mode, as
  one of several outputs (``split``, ``chunk``, ``unbind``) or by a custom Function. Such views
  may not be modified in place while recording a graph, nor be rebased after their base was;
  the errors read like PyTorch's.

Views of a storage that does not require grad are remembered, weakly, in the shared version list
(``_version[1:]``): when an in-place op makes the storage require grad (``x[:2].copy_(w)``), the
views made earlier require grad too. Nothing here runs for tensors that are not views.
"""
from __future__ import annotations

import re
import weakref

from ..api import dtypes
from .grad_mode import _state as _grad_state
from .node import Node, edge_of

__all__ = ["NO_GRAD_MODE", "INFERENCE_MODE", "IN_CUSTOM_FUNCTION", "multi_output", "creation_in_mode",
           "register_view", "check_inplace", "view_grad_fn", "rebase", "CopySlices"]

# PyTorch's CreationMeta, as (kind, output number); None is DEFAULT
NO_GRAD_MODE = ("no_grad", 0)
INFERENCE_MODE = ("inference", 0)
IN_CUSTOM_FUNCTION = ("custom_function", 0)
_MULTI_OUTPUT_INHERITED = ("multi_output", 0)


def multi_output(index: int) -> tuple:
    """The creation of output ``index`` of an op returning several views (``split``...)."""
    return ("multi_output", index)


def creation_in_mode(parent, name: str = ""):
    """The creation of a new view (made by the op whose node is called ``name``) of a tensor
    whose own creation is ``parent`` (None for a base), by PyTorch's propagation rule: a view of
    a special view is special in the same way."""
    if _grad_state.enabled:
        if parent is None or parent is INFERENCE_MODE:
            return parent
        if parent[0] == "multi_output":
            return _MULTI_OUTPUT_INHERITED
        return (parent[0], 0, name)  # a view of a no-grad view: its errors name this view's op
    if parent is INFERENCE_MODE:
        return parent
    return INFERENCE_MODE if _grad_state.inference else NO_GRAD_MODE


def as_multi_output(view, index: int) -> None:
    """Mark ``view`` as output ``index`` of a multi-output view op (made in grad mode)."""
    if _grad_state.enabled and view._base is not None and view._view_creation is not INFERENCE_MODE:
        view._view_creation = multi_output(index)


# ----- requires_grad of views made before the storage required grad ------------------------------
def register_view(version: list, view) -> None:
    """Remember ``view`` (of a storage that does not require grad) in its version list."""
    version.append(weakref.ref(view))
    n = len(version)
    if n >= 64 and not n & (n - 1):  # at each power of two: forget views that no longer exist
        version[1:] = [ref for ref in version[1:] if ref() is not None]


def _storage_requires_grad(root) -> None:
    """``root`` now requires grad: so do the views of it made before."""
    version = root._version
    for ref in version[1:]:
        view = ref()
        if view is not None and view._base is root:
            view._requires_grad = True
    del version[1:]


# ----- errors ---------------------------------------------------------------------------------------
_SUFFIX = {
    "multi_output": " This view is the output of a function that returns multiple views. Such "
                    "functions do not allow the output views to be modified inplace. You should "
                    "replace the inplace operation by an out-of-place one.",
    "no_grad": " Given that this use case is ambiguous and error-prone, it is forbidden. You can "
               "clarify your code by moving both the view and the inplace either both inside the "
               "no_grad block (if you don't want the inplace to be tracked) or both outside (if "
               "you want the inplace to be tracked).",
    "inference": " Given that this use case is ambiguous and error-prone, it is forbidden. You can "
                 "clarify your code by moving both the view and the inplace either both inside the "
                 "inference_mode block (if you don't want the inplace to be tracked) or both outside "
                 "(if you want the inplace to be tracked).",
    "custom_function": " This view was created inside a custom Function (or because an input was "
                       "returned as-is) and the autograd logic to handle view+inplace would override "
                       "the custom backward associated with the custom Function, leading to "
                       "incorrect gradients. This behavior is forbidden. You can fix this by cloning "
                       "the output of the custom Function.",
}
LEAF_MESSAGE = "a leaf Variable that requires grad is being used in an in-place operation."
LEAF_VIEW_MESSAGE = "a view of a leaf Variable that requires grad is being used in an in-place operation."


def _op_name(node_name: str) -> str:
    return re.sub(r"Backward\d*$", "", node_name.rpartition("::")[2])


def _rebase_message(view, creation, indirect: bool) -> str:
    kind, index = creation[:2]
    node = view._grad_fn
    made_by = _op_name(node.name()) if node is not None else (
        _op_name(creation[2]) if len(creation) > 2 else None)
    modified = "its base or another view of its base has been" if indirect else "is being"
    if kind in ("no_grad", "inference") or made_by is None:
        prefix = (f"Output {index} of {made_by} is a view of a view which was created in"
                  if made_by is not None else "A view was created in")
        if kind == "inference":
            message = f"{prefix} inference mode and {modified} modified inplace in normal mode."
        else:
            message = f"{prefix} no_grad mode and {modified} modified inplace with grad mode enabled."
    else:
        message = f"Output {index} of {made_by} is a view and {modified} modified inplace."
    return message + _SUFFIX[kind]


def check_inplace(x) -> None:
    """Refuse an in-place op on ``x`` that would record a graph where PyTorch refuses it."""
    base = x._base
    if base is not None:
        creation = x._view_creation
        if creation is not None:
            raise RuntimeError(_rebase_message(x, creation, False))
        if base._grad_fn is None and (base._requires_grad or x._requires_grad):
            raise RuntimeError(LEAF_VIEW_MESSAGE)
    elif x._requires_grad and x._grad_fn is None:
        raise RuntimeError(LEAF_MESSAGE)


def requires_grad_inplace(x) -> bool:
    """Whether ``x`` counts as requiring grad for an in-place op (a view also through its base)."""
    if x._requires_grad:
        return True
    base = x._base
    return base is not None and base._requires_grad


# ----- a view's grad_fn -----------------------------------------------------------------------------
def view_grad_fn(view):
    """``view.grad_fn``: regenerated from the base's current history when the storage was
    modified in place since it was set."""
    node = view._grad_fn
    base = view._base
    if node is None and not base._requires_grad:
        return None
    if view._view_version == view._version[0]:
        return node
    creation = view._view_creation
    if creation is not None:
        raise RuntimeError(_rebase_message(view, creation, True))
    old, node = view._grad_fn, _replayed(view, base)
    _move_retained(view, old, node)
    view._grad_fn = node
    view._requires_grad = view._requires_grad or node is not None
    view._view_version = view._version[0]
    return node


def _replayed(view, base):
    """An ``AsStridedBackward0`` node from ``view`` to ``base``'s current history: the view
    function replayed on the base (one node, or a composite one standing for a chain)."""
    previous = _grad_state.enabled
    _grad_state.enabled = True
    try:
        replayed = view._view_fn(base)
    finally:
        _grad_state.enabled = previous
    node = replayed._grad_fn
    if node is None:
        return None
    if node._next == (edge_of(base),):
        node._name = "AsStridedBackward0"
        return node
    from .composite import CompositeNode
    return CompositeNode("AsStridedBackward0", node, (base,))


# ----- in-place ops on views ------------------------------------------------------------------------
def rebase(x, new) -> None:
    """Make ``new`` (the value just written into ``x``, whose ``grad_fn`` is the in-place op's
    node) ``x``'s history; for a view, its base's."""
    base = x._base
    if base is None:
        old, x._grad_fn = x._grad_fn, _node_of(new)
        _move_retained(x, old, x._grad_fn)
        if not x._requires_grad:
            x._requires_grad = True
            _storage_requires_grad(x)
        return
    old, base._grad_fn = base._grad_fn, CopySlices(base, x, new)
    _move_retained(base, old, base._grad_fn)
    if not base._requires_grad:
        base._requires_grad = True
        _storage_requires_grad(base)
    x._requires_grad = True  # its grad_fn is regenerated over the CopySlices on next use


def _move_retained(tensor, old, new) -> None:
    """``retain_grad()`` follows the tensor to its new history, as in PyTorch."""
    retained = old._retained if old is not None else None
    if not retained or new is None:
        return
    for ref in list(retained):
        if ref() is tensor:
            retained.remove(ref)
            new.retain_for(tensor)


def _node_of(new):
    node = new._grad_fn if new._base is None else new.grad_fn
    if node is None or new._base is not None:  # a leaf or a view: x's own node passes through
        node = Node("AliasBackward0", _identity, (new,))
    return node


def _identity(g):
    return (g,)


class CopySlices(Node):
    """The history of a base after an in-place op on its view: the gradient outside the view's
    region goes to the base's old value, the gradient inside to the op's result (whose own node
    routes what the view's old value receives through the view's old history).

    ``next_functions`` shows PyTorch's: the base's old history, then the op's other inputs."""

    __slots__ = ()

    def __init__(self, base, view, new) -> None:
        replay = view._view_fn
        backend = base._backend
        shape, strides = base._buf.shape, backend.strides(base._buf)
        need_base, need_new = base._requires_grad, new._requires_grad

        def backward(g):
            if _grad_state.enabled:  # create_graph: stay differentiable in g
                from ..api.ops.pointwise import where
                region = _zeros_laid_out(g, shape, strides, dtypes.bool)
                target = replay(region)
                target._backend.copy_(target._buf, target._backend.full(target._buf.shape, True,
                                                                        dtypes.bool))
                kept = where(region, 0.0, g) if need_base else None
                return kept, (replay(g) if need_new else None)
            part = replay(g) if need_new else None
            kept = None
            if need_base:
                kept = _zeros_laid_out(g, shape, strides, g._dtype)
                kept._backend.copy_(kept._buf, g._buf)
                target = replay(kept)
                target._backend.copy_(target._buf, target._backend.full(target._buf.shape, 0,
                                                                        g._dtype))
            return kept, part

        super().__init__("torch::autograd::CopySlices", backward, (base, new))

    @property
    def next_functions(self) -> tuple:
        base_edge, op = self._next
        return ((base_edge, 0),) + (op.next_functions[1:] if op is not None else ())


def _zeros_laid_out(like, shape: tuple, strides: tuple, dtype):
    """A zero tensor of ``shape`` on ``like``'s device, with the element ``strides`` of the base
    it stands for (a storage-level view replayed on it then addresses the same elements)."""
    from ..api.ops.support import contiguous_strides
    from ..api.tensor import Tensor
    backend = like._backend
    if 0 in shape or min(strides, default=1) <= 0 or strides == contiguous_strides(shape):
        buf = backend.full(shape, 0, dtype)
    else:
        extent = 1 + sum((n - 1) * s for n, s in zip(shape, strides))
        buf = backend.as_strided(backend.full((extent,), 0, dtype), shape, strides, 0)
    return Tensor._make(buf, dtype, like._device, backend)
