"""The Tensor: a backend buffer plus dtype, device, autograd state and a version counter.

Only data access and autograd plumbing live here; every op is defined in ``unigrad/api/ops`` and
attached as a method in ``unigrad/api/methods.py``.
"""
from __future__ import annotations

import weakref

import numpy as np

from ..autograd import views as _views
from ..autograd.grad_mode import _state as _grad_state, inference_scopes as _inference_scopes
from ..autograd.node import Node
from . import dtypes


class Size(tuple):
    """A tensor's shape: a tuple of ints, like ``torch.Size``."""

    __slots__ = ()

    def numel(self) -> int:
        n = 1
        for d in self:
            n *= d
        return n

    def __repr__(self) -> str:
        return f"unigrad.Size({list(self)})"

    def __getitem__(self, key):
        result = tuple.__getitem__(self, key)
        return Size(result) if isinstance(key, slice) else result

    def __add__(self, other):
        return Size(tuple(self) + tuple(other))


class Tensor:
    """A multi-dimensional array on a device, with optional gradient tracking (PyTorch's Tensor).

    ``_buf`` is the backend-native buffer, ``_backend`` the backend object that computes on it
    (resolved once per device), ``_version`` a list shared with every view of the same storage
    (``[counter, *weak references to views]``, see ``autograd/views.py``), ``_base`` the tensor a
    view aliases (None for a tensor owning its storage) and ``_view_fn`` the function that makes
    the view from it. Only views set ``_view_version`` (the version their ``grad_fn`` was made
    at) and ``_view_creation`` (PyTorch's CreationMeta); ``_root_storage`` only a storage owner
    that ``as_strided_`` moved within its storage.
    """

    __slots__ = ("_buf", "_backend", "_dtype", "_device", "_requires_grad", "_grad", "_grad_fn",
                 "_version", "_base", "_view_fn", "_grad_accumulator", "_producer", "_is_param",
                 "_inference", "_view_version", "_view_creation", "_root_storage", "__weakref__")

    __array_priority__ = 1000  # numpy defers `ndarray + Tensor` to Tensor.__radd__

    def __init__(self, *args, **kwargs) -> None:
        raise TypeError("create tensors with unigrad.tensor(...), unigrad.zeros(...) and friends")

    # ----- construction (internal) ------------------------------------------------------------
    @staticmethod
    def _make(buf, dtype, device, backend, requires_grad: bool = False) -> "Tensor":
        t = object.__new__(Tensor)
        t._buf = buf
        t._dtype = dtype
        t._device = device
        t._backend = backend
        t._requires_grad = requires_grad
        t._grad = None
        t._grad_fn = None
        t._version = [0]
        t._base = None
        t._view_fn = None
        t._grad_accumulator = None
        t._producer = None
        t._is_param = False
        t._inference = _inference_scopes[0] and _grad_state.inference
        return t

    def _like(self, buf, dtype=None) -> "Tensor":
        """A new tensor on this tensor's device wrapping ``buf`` (no graph)."""
        return Tensor._make(buf, dtype or self._dtype, self._device, self._backend)

    def _attach(self, name: str, backward_fn, inputs, saved=()) -> "Tensor":
        """Record this freshly computed tensor as the output of a differentiable op."""
        if _grad_state.enabled:
            for t in inputs:
                if t is not None and t._requires_grad:
                    node = self._grad_fn = Node(name, backward_fn, inputs, saved)
                    self._requires_grad = True
                    for s in saved:
                        if s._producer is True:  # an alias of this output (see ops._saved)
                            s._producer = weakref.ref(node)
                    break
        return self

    # ----- metadata ---------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        return Size(self._buf.shape)

    def size(self, dim: int | None = None):
        """The shape, or the size of dimension ``dim``."""
        shape = self._buf.shape
        if dim is None:
            return Size(shape)
        return shape[_wrap_dim(dim, len(shape))]

    @property
    def ndim(self) -> int:
        return len(self._buf.shape)

    def dim(self) -> int:
        return len(self._buf.shape)

    def numel(self) -> int:
        n = 1
        for d in self._buf.shape:
            n *= d
        return n

    nelement = numel

    @property
    def dtype(self) -> dtypes.dtype:
        return self._dtype

    @property
    def device(self):
        return self._device

    @property
    def grad_fn(self):
        """The node that made this tensor (None for a leaf). A view whose base (or another view
        of it) was modified in place since gets its node regenerated here, as in PyTorch."""
        if self._base is None:
            return self._grad_fn
        return _views.view_grad_fn(self)

    @grad_fn.setter
    def grad_fn(self, node) -> None:
        self._grad_fn = node
        if self._base is not None:
            self._view_version = self._version[0]

    @property
    def is_leaf(self) -> bool:
        return self.grad_fn is None

    @property
    def requires_grad(self) -> bool:
        """Whether autograd records ops on this tensor (a view also when its base does)."""
        if self._requires_grad:
            return True
        base = self._base
        return base is not None and base._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        self.requires_grad_(value)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set whether autograd records ops on this leaf tensor; returns ``self``."""
        if self.grad_fn is not None and not requires_grad:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if requires_grad and not self._dtype.is_floating_point:
            raise RuntimeError(
                f"only Tensors of floating point dtype can require gradients, got {self._dtype}")
        self._requires_grad = bool(requires_grad)
        return self

    def __getattr__(self, name: str):
        """``is_<device type>`` (``x.is_cuda``, ``x.is_cpu``, ``x.is_opencl``...) for every registered
        device type, plugins' included; any other missing attribute is an AttributeError."""
        if name.startswith("is_"):
            from ..backends import registry
            if any(info.name == name[3:] for info in registry.registered()):
                return self._device.type == name[3:]
        raise AttributeError(f"'Tensor' object has no attribute {name!r}")

    def is_inference(self) -> bool:
        """Whether this tensor was created inside ``inference_mode()``."""
        return bool(self._inference)

    def is_floating_point(self) -> bool:
        return self._dtype.is_floating_point

    def element_size(self) -> int:
        return self._dtype.itemsize

    def get_device(self) -> int:
        return -1 if self._device.index is None else self._device.index

    def _is_view(self) -> bool:
        return self._base is not None

    def stride(self, dim: int | None = None):
        """Strides in elements, like ``torch.Tensor.stride``."""
        strides = self._backend.strides(self._buf)
        return strides if dim is None else strides[_wrap_dim(dim, len(strides))]

    def is_contiguous(self, memory_format=None) -> bool:
        """Whether the elements lie densely in row-major order (or, for ``memory_format=
        channels_last`` / ``channels_last_3d``, with the channels innermost)."""
        shape, strides = self._buf.shape, self.stride()
        if 0 in shape:
            return True
        order = range(len(shape) - 1, -1, -1)  # innermost dimension first
        name = getattr(memory_format, "_name", "contiguous_format")
        if name in ("channels_last", "channels_last_3d"):
            if len(shape) != (4 if name == "channels_last" else 5):
                return False
            order = (1, *range(len(shape) - 1, 1, -1), 0)
        expected = 1
        for dim in order:
            if shape[dim] != 1 and strides[dim] != expected:
                return False
            expected *= shape[dim]
        return True

    @property
    def data(self) -> "Tensor":
        """This tensor's values, detached from autograd: shares the storage but not the version
        counter, so in-place changes through it go unnoticed by autograd (as in PyTorch)."""
        return Tensor._make(self._buf, self._dtype, self._device, self._backend)

    @data.setter
    def data(self, other: "Tensor") -> None:
        self._buf, self._dtype = other._buf, other._dtype
        self._device, self._backend = other._device, other._backend

    @property
    def grad(self) -> "Tensor | None":
        """The gradient ``backward()`` accumulated into this leaf (None until then). Assigning
        checks the value as PyTorch does: a Tensor (or None) of this tensor's shape, dtype and
        device."""
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            _check_assigned_grad(self, value)
        self._grad = value

    @property
    def _version_number(self) -> int:
        return self._version[0]

    # ----- host access ------------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> np.ndarray:
        """The values as a NumPy array; shares memory for CPU tensors, like ``torch``."""
        if self._requires_grad and not force:
            raise RuntimeError(
                "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.")
        return self._backend.to_numpy(self._buf)

    def _host(self) -> np.ndarray:
        return self._backend.to_numpy(self._buf)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        n = self.numel()
        if n != 1:
            raise RuntimeError(
                f"a Tensor with {n} elements cannot be converted to Scalar (shape {list(self.shape)})")
        return self._host().reshape(()).item()

    def tolist(self):
        """The values as (nested) Python lists, or a number for a 0-dim tensor."""
        return self._host().tolist()

    def __array__(self, dtype=None, copy=None):
        array = self._host()
        if dtype is not None:
            array = array.astype(dtype)
        return array.copy() if copy else array

    def __dlpack__(self, *args, **kwargs):
        return self._backend.dlpack(self._buf).__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self._backend.dlpack(self._buf).__dlpack_device__()

    def __len__(self) -> int:
        shape = self._buf.shape
        if not shape:
            raise TypeError("len() of a 0-d tensor")
        return shape[0]

    def __iter__(self):
        if not self._buf.shape:
            raise TypeError("iteration over a 0-d tensor")
        from .ops.shape import unbind
        return iter(unbind(self, 0))  # as PyTorch: the rows are views from one unbind

    def __bool__(self) -> bool:
        if self.numel() != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with {self.numel()} elements is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        self._check_one_element()
        return float(self.item())

    def __int__(self) -> int:
        self._check_one_element()
        return int(self.item())

    def _check_one_element(self) -> None:
        # float(t) and int(t) raise ValueError in PyTorch (t.item() raises RuntimeError)
        if self.numel() != 1:
            raise ValueError(f"only one element tensors can be converted to Python scalars (got "
                             f"{self.numel()} elements, shape {list(self.shape)})")

    def __index__(self) -> int:
        if self._dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        from .printing import tensor_repr
        return tensor_repr(self)

    __str__ = __repr__

    def __format__(self, format_spec: str) -> str:
        """A 0-dim tensor formats as its Python number (``f"{loss:.4f}"``); any other tensor only
        with an empty spec, as in PyTorch."""
        if not self._buf.shape:
            return self.detach().item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __reduce_ex__(self, protocol):
        # For copying and multiprocessing only; unigrad.save writes tensors as PyTorch storages
        # (unigrad/serialization/pickler.py), never through this.
        return (_rebuild, (np.array(self._host()), self._dtype.name, str(self._device),
                           self._requires_grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support "
                               "the deepcopy protocol at the moment.")
        backend = self._backend
        buf = backend.empty(self._buf.shape, self._dtype)
        backend.copy_(buf, self._buf)  # on the device: no trip through host memory
        copied = Tensor._make(buf, self._dtype, self._device, backend, self._requires_grad)
        copied._is_param = self._is_param  # a deep-copied module keeps its nn.Parameters
        memo[id(self)] = copied
        if self.grad is not None:
            copied.grad = self.grad.__deepcopy__(memo)
        return copied


def _check_assigned_grad(t: Tensor, grad) -> None:
    if not isinstance(grad, Tensor):
        raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                        f"{type(grad).__name__}")
    if grad is t:
        raise RuntimeError("can't assign Variable as its own grad")
    if grad._dtype is not t._dtype:
        raise RuntimeError(f"attempting to assign a gradient with dtype '{grad._dtype.name}' to a tensor "
                           f"with dtype '{t._dtype.name}'. Please ensure that the gradient and the tensor "
                           f"have the same dtype")
    if grad._device is not t._device:
        raise RuntimeError(f"attempting to assign a gradient located on device {grad._device} to a tensor "
                           f"located on device {t._device}. Please ensure that the gradient and the tensor "
                           f"are on the same device")
    if grad._buf.shape != t._buf.shape:
        raise RuntimeError(f"attempting to assign a gradient of size '{list(grad._buf.shape)}' to a tensor "
                           f"of size '{list(t._buf.shape)}'. Please ensure that the gradient and the tensor "
                           f"are the same size")


def _rebuild(array, dtype_name, device_name, requires_grad):
    from .creation import tensor
    return tensor(array, dtype=dtypes.as_dtype(dtype_name), device=device_name,
                  requires_grad=requires_grad)


def _wrap_dim(dim: int, ndim: int) -> int:
    """Normalise a possibly negative dim, raising IndexError like PyTorch."""
    bound = max(ndim, 1)
    if not -bound <= dim < bound:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-bound}, {bound - 1}], but got {dim})")
    return dim + bound if dim < 0 else dim
