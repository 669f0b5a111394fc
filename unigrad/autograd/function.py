"""Custom differentiable operations: subclass ``Function`` with ``forward`` and ``backward``."""
from __future__ import annotations

from .grad_mode import _state, no_grad
from .node import Node, check_unpacked, saved_tensors_hooks_stack


class FunctionCtx:
    """The ``ctx`` passed to ``forward`` and ``backward`` of a custom Function."""

    def __init__(self) -> None:
        self._saved = ()
        self._saved_versions = ()
        self._packed = False
        self.needs_input_grad = ()
        self.materialize_grads = True
        self._non_differentiable = set()
        self._released = False

    def save_for_backward(self, *tensors) -> None:
        """Keep tensors for ``backward``; an in-place change to one of them is detected. Inside
        ``autograd.graph.saved_tensors_hooks`` only what the pack hook returns is kept, and
        ``saved_tensors`` gives back what the unpack hook makes of it."""
        self._saved_versions = tuple((t._version, t._version[0], tuple(t.shape)) if t is not None else None
                                     for t in tensors)
        if saved_tensors_hooks_stack:
            pack, unpack = saved_tensors_hooks_stack[-1]
            self._saved = tuple((pack(t), unpack) if t is not None else None for t in tensors)
            self._packed = True
        else:
            self._saved = tensors
            self._packed = False

    @property
    def saved_tensors(self) -> tuple:
        if self._released:
            from .node import FREED_MESSAGE
            raise RuntimeError(FREED_MESSAGE)
        for entry in self._saved_versions:
            if entry is not None and entry[0][0] != entry[1]:
                counter, version, shape = entry
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified by an "
                    f"inplace operation: tensor of shape {list(shape)} is at version "
                    f"{counter[0]}; expected version {version} instead.")
        if self._packed:
            return tuple(None if entry is None else check_unpacked(entry[1](entry[0])) for entry in self._saved)
        return self._saved

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable.update(id(t) for t in tensors)

    def mark_dirty(self, *tensors) -> None:
        """Accepted for compatibility; in-place outputs are treated as new values."""

    def set_materialize_grads(self, value: bool) -> None:
        self.materialize_grads = bool(value)


class _OutputGrads:
    """Gradients reaching some outputs of a multi-output Function, merged with ``+``."""

    __slots__ = ("by_index",)

    def __init__(self, by_index: dict) -> None:
        self.by_index = by_index

    def __add__(self, other: "_OutputGrads") -> "_OutputGrads":
        merged = dict(self.by_index)
        for i, g in other.by_index.items():
            merged[i] = g if i not in merged else merged[i] + g
        return _OutputGrads(merged)


class Function:
    """Base class for custom autograd ops (``torch.autograd.Function``)::

        class Exp(Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp(); ctx.save_for_backward(y); return y
            @staticmethod
            def backward(ctx, g):
                (y,) = ctx.saved_tensors; return g * y
    """

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("You must implement the forward function for custom autograd.Function.")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("You must implement the backward function for custom autograd.Function.")

    @classmethod
    def apply(cls, *args, **kwargs):
        from ..api.tensor import Tensor
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        with no_grad():
            result = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(result, tuple)
        outputs = [result] if single else list(result)
        inputs = [a if isinstance(a, Tensor) else None for a in args]
        for i, out in enumerate(outputs):
            if isinstance(out, Tensor) and any(out is a for a in inputs):
                outputs[i] = out.detach()  # a returned input becomes a new output tensor
        if not (_state.enabled and any(ctx.needs_input_grad)):
            return outputs[0] if single else tuple(outputs)
        tensor_positions = [i for i, o in enumerate(outputs) if isinstance(o, Tensor)]
        node_name = f"{cls.__name__}Backward"

        def run(grads_by_index: dict):
            grads = []
            for i, out in enumerate(outputs):
                g = grads_by_index.get(i)
                if g is None and isinstance(out, Tensor) and ctx.materialize_grads:
                    from ..api.creation import zeros_like
                    g = zeros_like(out)
                grads.append(g)
            results = cls.backward(ctx, *grads)
            return validate_gradients(results, args, ctx.needs_input_grad, node_name)

        if len(tensor_positions) == 1 and single:
            node = Node(node_name, lambda g: run({0: g}), inputs)
            _attach_output(outputs[0], node, ctx)
            return outputs[0]
        shared = Node(node_name, lambda merged: run(merged.by_index), inputs)
        for i in tensor_positions:
            select = Node(f"{node_name}Output{i}", lambda g, i=i: (_OutputGrads({i: g}),), ())
            select._next = (shared,)
            _attach_output(outputs[i], select, ctx)
        return outputs[0] if single else tuple(outputs)


def _attach_output(out, node, ctx) -> None:
    if id(out) in ctx._non_differentiable or not out.dtype.is_floating_point:
        return
    out.grad_fn = node
    out._requires_grad = True
    if out._base is not None:  # a view made by forward: in-place changes would bypass backward
        from .views import IN_CUSTOM_FUNCTION
        out._view_creation = IN_CUSTOM_FUNCTION


class once_differentiable:  # noqa: N801 - PyTorch's name
    """Decorator accepted for compatibility: backward runs without building a graph."""

    def __new__(cls, fn):
        import functools

        @functools.wraps(fn)
        def wrapper(ctx, *args):
            with no_grad():
                return fn(ctx, *args)
        return wrapper


def validate_gradients(results, args, needs_input_grad, name: str) -> tuple:
    """Check what a custom Function's backward returned, as PyTorch's engine does: one gradient
    per forward argument (extra trailing Nones are dropped), None for non-tensor arguments; each
    gradient is summed to its input's shape when it is a broadcast of it, cast to its dtype, and
    must be on its device."""
    from ..api.ops.support import sum_to_shape
    from ..api.tensor import Tensor
    if not isinstance(results, tuple):
        results = (results,)
    expected = len(args)
    if len(results) > expected and all(r is None for r in results[expected:]):
        results = results[:expected]
    if len(results) != expected:
        raise RuntimeError(f"function {name} returned an incorrect number of gradients "
                           f"(expected {expected}, got {len(results)})")
    checked = []
    for i, (grad, arg) in enumerate(zip(results, args)):
        if grad is None:
            checked.append(None)
            continue
        if not isinstance(arg, Tensor):
            raise RuntimeError(f"function {name} returned a gradient different than None at position "
                               f"{i + 1}, but the corresponding forward input was not a Variable")
        if not isinstance(grad, Tensor):
            raise TypeError(f"function {name} returned a {type(grad).__name__} as gradient at index "
                            f"{i}; expected a Tensor or None")
        if not needs_input_grad[i]:
            checked.append(None)
            continue
        checked.append(_conformed(grad, arg, i, name, sum_to_shape))
    return tuple(checked)


def _conformed(grad, arg, index: int, name: str, sum_to_shape):
    shape = arg._buf.shape
    if grad._buf.shape != shape:
        if not _expandable(shape, grad._buf.shape):
            raise RuntimeError(f"Function {name} returned an invalid gradient at index {index} - got "
                               f"{list(grad.shape)} but expected shape compatible with {list(shape)}")
        grad = sum_to_shape(grad, shape)
    if grad._device is not arg._device:
        raise RuntimeError(f"Function {name} returned an invalid gradient at index {index} - expected "
                           f"device {arg._device} but got {grad._device}")
    if grad._dtype is not arg._dtype:
        grad = grad.to(arg._dtype)  # as PyTorch's engine: a gradient takes its input's dtype
    return grad


def _expandable(shape: tuple, target: tuple) -> bool:
    """Whether ``shape`` broadcasts to ``target`` (PyTorch's is_expandable_to)."""
    if len(shape) > len(target):
        return False
    for size, full in zip(reversed(shape), reversed(target)):
        if size != full and size != 1:
            return False
    return True
