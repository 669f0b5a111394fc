"""Tensor utility methods programs call beside the math: memory queries (``data_ptr``,
``storage_offset``, ``nbytes``), ``apply_``/``map_``, ``share_memory_``, ``pin_memory``,
``resize_``, the legacy ``new``, ``is_*`` flags, ``__contains__``/``__reversed__`` and NumPy's
``__array_wrap__``. ``METHODS`` is attached to ``Tensor`` by ``unigrad.api.methods``."""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from ..autograd.grad_mode import no_grad
from . import creation, layouts
from .legacy_types import tensor_type
from .ops import inplace, shape as sh
from .ops.support import contiguous_strides, sum_to_shape
from .tensor import Size, Tensor

__all__ = ["METHODS"]


# ----- memory -------------------------------------------------------------------------------
def data_ptr(self: Tensor) -> int:
    """Where this tensor's first element lives (an address on cpu and cuda)."""
    pointer = self._backend.data_ptr(self._buf)
    if pointer is None:
        raise RuntimeError(f"device {self._device} does not expose memory addresses "
                           f"(its backend has no data_ptr)")
    return pointer


def storage_offset(self: Tensor) -> int:
    """The position of this tensor's first element in its storage, in elements (relative to the
    tensor that owns the storage, whose first element is at offset 0)."""
    position = self._backend.storage_position
    if position is None:
        raise RuntimeError(f"device {self._device} does not tell where a tensor lies in its storage "
                           f"(its backend has no storage_position)")
    root = self._base if self._base is not None else self
    from .ops.strided import root_offset
    return root_offset(root) + (position(self._buf)[1] - position(root._buf)[1]) // self._dtype.itemsize


def _storage_extent(t: Tensor) -> int:
    """How many storage elements from the first one ``t`` spans (its numel when contiguous)."""
    if 0 in t._buf.shape:
        return 0
    return 1 + sum((n - 1) * s for n, s in zip(t._buf.shape, t.stride()))


def share_memory_(self: Tensor) -> Tensor:
    """Move the storage into memory that processes forked afterwards share (Hogwild training);
    a no-op on devices without such memory. Views made earlier keep the old storage."""
    root = self._base if self._base is not None else self
    backend = self._backend
    if backend.is_shared(root._buf):
        return self
    shared = backend.share_memory(root._buf)
    if shared is None:
        return self
    root._buf = shared
    if root is not self:
        with no_grad():
            self._buf = self._view_fn(root)._buf
    return self


def is_shared(self: Tensor) -> bool:
    return self._backend.is_shared(self._buf)


def pin_memory(self: Tensor, device=None) -> Tensor:
    """A copy for fast transfer to the accelerator. unigrad does not page-lock host memory, so
    this is a plain copy (``is_pinned()`` stays False); without an accelerator it raises, as
    PyTorch does."""
    from .. import accelerator
    if not accelerator.is_available():
        raise RuntimeError("Cannot access accelerator device when none is available.")
    return sh.clone(self)


def is_pinned(self: Tensor, device=None) -> bool:
    return False


# ----- element-wise Python callables ----------------------------------------------------------
def _check_no_grad(self: Tensor, name: str) -> None:
    if self._requires_grad:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. "
                           f"Use var.detach().{name}() instead.")


def _write_values(self: Tensor, values: np.ndarray) -> Tensor:
    result = creation.tensor(np.asarray(values).astype(self._dtype.numpy), device=self._device)
    return inplace.copy_(self, result)


def apply_(self: Tensor, callable) -> Tensor:
    """Replace every element ``v`` with ``callable(v)`` (a Python function, so values visit
    the host)."""
    _check_no_grad(self, "apply_")
    return _write_values(self, np.frompyfunc(callable, 1, 1)(self._host()))


def map_(self: Tensor, tensor: Tensor, callable) -> Tensor:
    """``self[i] = callable(self[i], tensor[i])``, ``tensor`` broadcast to this shape."""
    _check_no_grad(self, "map_")
    other = sh.expand(tensor.detach(), self._buf.shape)
    return _write_values(self, np.frompyfunc(callable, 2, 1)(self._host(), other._host()))


def map2_(self: Tensor, x: Tensor, y: Tensor, callable) -> Tensor:
    """``self[i] = callable(self[i], x[i], y[i])``, ``x`` and ``y`` broadcast to this shape."""
    _check_no_grad(self, "map2_")
    first = sh.expand(x.detach(), self._buf.shape)
    second = sh.expand(y.detach(), self._buf.shape)
    return _write_values(self, np.frompyfunc(callable, 3, 1)(self._host(), first._host(), second._host()))


# ----- resizing -------------------------------------------------------------------------------
def resize_(self: Tensor, *sizes, memory_format=None) -> Tensor:
    """Give this tensor a new shape (contiguous strides) over its storage, keeping the elements
    in memory order: shrinking re-views the storage; growing an owned tensor moves it to larger
    storage whose first elements are the old ones (the rest uninitialised). Views made earlier
    keep the old storage; growing a view itself is refused."""
    shape = creation._shape_args(sizes)
    if self._requires_grad:
        raise RuntimeError("cannot resize variables that require grad")
    numel = Size(shape).numel()
    backend = self._backend
    extent = _storage_extent(self)
    if numel <= extent:
        buf = backend.as_strided(self._buf, shape, contiguous_strides(shape), 0)
    elif self._base is not None:
        raise RuntimeError(f"resize_: cannot grow a view of {extent} storage elements to shape "
                           f"{list(shape)} in unigrad; resize the base tensor or clone() first")
    else:
        buf = backend.empty(shape, self._dtype)
        if extent:
            target = backend.as_strided(buf, (extent,), (1,), 0)
            backend.copy_(target, backend.as_strided(self._buf, (extent,), (1,), 0))
    self._buf = buf
    self._version[0] += 1
    return self


def resize_as_(self: Tensor, other: Tensor, memory_format=None) -> Tensor:
    return resize_(self, tuple(other.shape))


# ----- legacy construction and conversion --------------------------------------------------------
def new(self: Tensor, *args, device=None):
    """The legacy ``x.new(...)``: ``new(2, 3)`` an uninitialised tensor, ``new([1, 2])`` from
    data, ``new()`` an empty one, all with ``x``'s dtype and device."""
    device = self._device if device is None else device
    if not args:
        return creation.empty(0, dtype=self._dtype, device=device)
    if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args):
        return creation.empty(*args, dtype=self._dtype, device=device)
    if len(args) == 1 and isinstance(args[0], Size):
        return creation.empty(*args[0], dtype=self._dtype, device=device)
    if len(args) == 1 and isinstance(args[0], Tensor):
        other = args[0]
        if other._dtype is not self._dtype:
            raise TypeError(f"expected {self.type()} (got {other.type()})")
        return other.detach()
    if len(args) == 1 and isinstance(args[0], (list, tuple, np.ndarray)):
        return creation.tensor(args[0], dtype=self._dtype, device=device)
    raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")


def _check_layout(layout) -> None:
    if layout is not None and layout is not layouts.strided:
        raise RuntimeError(f"unigrad tensors are strided; layout={layout!r} is not supported")


def _new_factory(factory):
    """``x.new_zeros(...)`` and friends: ``factory`` with ``x``'s dtype and device by default."""
    def method(self: Tensor, *size, dtype=None, device=None, requires_grad: bool = False,
               layout=None, pin_memory: bool = False, **kwargs):
        _check_layout(layout)
        if "size" in kwargs:
            size = (kwargs.pop("size"),)
        return factory(*size, dtype=dtype or self._dtype, device=device or self._device,
                       requires_grad=requires_grad, **kwargs)
    method.__name__ = f"new_{factory.__name__}"
    method.__doc__ = f"A new tensor from ``{factory.__name__}`` with this tensor's dtype and device."
    return method


def new_full(self: Tensor, size, fill_value, *, dtype=None, device=None, requires_grad: bool = False,
             layout=None, pin_memory: bool = False) -> Tensor:
    _check_layout(layout)
    return creation.full(size, fill_value, dtype=dtype or self._dtype, device=device or self._device,
                         requires_grad=requires_grad)


def new_tensor(self: Tensor, data, *, dtype=None, device=None, requires_grad: bool = False,
               layout=None, pin_memory: bool = False) -> Tensor:
    """A copy of ``data`` with this tensor's dtype and device by default."""
    _check_layout(layout)
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()."
                      "requires_grad_(True), rather than tensor.new_tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    return creation.tensor(data, dtype=dtype or self._dtype, device=device or self._device,
                           requires_grad=requires_grad)


def type_as(self: Tensor, other: Tensor) -> Tensor:
    """This tensor converted to ``other``'s type: dtype and device type, as ``x.type(other.type())``."""
    return tensor_type(self, other.type())


def sum_to_size(self: Tensor, *size) -> Tensor:
    """Sum this tensor down to ``size``, which must be expandable to its shape."""
    shape = tuple(size[0]) if len(size) == 1 and not isinstance(size[0], numbers.Integral) else tuple(size)
    try:
        target = sh.broadcast_shapes(shape, self._buf.shape, op="sum_to_size")
    except RuntimeError:
        target = None
    if target != self._buf.shape:
        raise RuntimeError(f"size {{{list(shape)}}} is not expandable to size "
                           f"{{{list(self._buf.shape)}}}.")
    return sum_to_shape(self, shape)


def dim_order(self: Tensor) -> tuple:
    """Dimensions from outermost to innermost in memory (by decreasing stride)."""
    strides = self.stride()
    return tuple(sorted(range(self.ndim), key=lambda d: -strides[d]))


# ----- queries --------------------------------------------------------------------------------
def is_set_to(self: Tensor, other: Tensor) -> bool:
    """Whether both are the same view of the same storage (offset, sizes and strides)."""
    same_memory = (self._buf is other._buf) if self._backend.data_ptr(self._buf) is None else (
        data_ptr(self) == data_ptr(other))
    return same_memory and self.shape == other.shape and self.stride() == other.stride() \
        and self._device is other._device


def is_nonzero(self: Tensor) -> bool:
    from .queries import is_nonzero as nonzero
    return nonzero(self)


def _contains(self: Tensor, element) -> bool:
    if not isinstance(element, (Tensor, numbers.Number)):
        raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in "
                           f"a {type(element)}.")
    return bool((self == element).any().item())


def _reversed(self: Tensor) -> Tensor:
    return self if not self._buf.shape else sh.flip(self, 0)


def _array_wrap(self: Tensor, array, context=None, return_scalar: bool = False) -> Tensor:
    """NumPy ufuncs on tensors (``np.exp(t)``) give tensors back, as in PyTorch."""
    return creation.tensor(np.asarray(array), device=self._device)


def _imag(self: Tensor):
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")


def _device_flag(device_type: str):
    return property(lambda self: self._device.type == device_type,
                    doc=f"Whether this tensor is on a {device_type!r} device.")


_FALSE = property(lambda self: False)
_NOTHING = property(lambda self: None)

METHODS = {
    "data_ptr": data_ptr, "const_data_ptr": data_ptr, "storage_offset": storage_offset,
    "nbytes": property(lambda self: self.numel() * self._dtype.itemsize),
    "itemsize": property(lambda self: self._dtype.itemsize),
    "ndimension": lambda self: len(self._buf.shape),
    "share_memory_": share_memory_, "is_shared": is_shared,
    "pin_memory": pin_memory, "is_pinned": is_pinned,
    "apply_": apply_, "map_": map_, "map2_": map2_,
    "resize_": resize_, "resize_as_": resize_as_,
    "new": new, "new_zeros": _new_factory(creation.zeros), "new_ones": _new_factory(creation.ones),
    "new_empty": _new_factory(creation.empty), "new_full": new_full, "new_tensor": new_tensor,
    "type": tensor_type, "type_as": type_as, "sum_to_size": sum_to_size,
    "dim_order": dim_order, "record_stream": lambda self, stream: None,
    "to_dense": lambda self, dtype=None, *, masked_grad=None: self if dtype is None else self.to(dtype),
    # PyTorch's flags: device types (a plugin's own are answered by Tensor.__getattr__) ...
    **{f"is_{kind}": _device_flag(kind)
       for kind in ("cpu", "cuda", "xpu", "mps", "meta", "ipu", "xla", "maia", "mtia", "vulkan", "hpu")},
    # ... and layouts and number kinds unigrad does not have
    "is_sparse": _FALSE, "is_sparse_csr": _FALSE, "is_quantized": _FALSE, "is_mkldnn": _FALSE,
    "is_nested": _FALSE, "volatile": _FALSE, "layout": property(lambda self: layouts.strided),
    "output_nr": property(lambda self: 0), "name": _NOTHING,
    "is_complex": lambda self: False, "is_conj": lambda self: False, "is_neg": lambda self: False,
    "is_distributed": lambda self: False, "is_signed": lambda self: self._dtype.is_signed,
    "is_nonzero": is_nonzero, "is_same_size": lambda self, other: self.shape == other.shape,
    "is_set_to": is_set_to,
    # real tensors are their own conjugate and real part
    "conj": lambda self: self, "resolve_conj": lambda self: self, "resolve_neg": lambda self: self,
    "real": property(lambda self: self), "imag": property(_imag),
    "__contains__": _contains, "__reversed__": _reversed, "__array_wrap__": _array_wrap,
}
