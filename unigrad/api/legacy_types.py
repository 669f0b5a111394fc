"""PyTorch's legacy tensor types: ``FloatTensor(2, 3)``, ``LongTensor([1, 2])``, ``x.type()``
returning ``'torch.FloatTensor'``, ``x.type(torch.LongTensor)``, ``isinstance(x, torch.FloatTensor)``
and ``set_default_tensor_type``.

Each legacy type is a class whose metaclass builds tensors and answers ``isinstance`` by dtype and
device type, as PyTorch's ``tensortype`` does. Type strings keep PyTorch's spelling
(``'torch.FloatTensor'``, ``'torch.cuda.LongTensor'``) because programs compare them as text.
"""
from __future__ import annotations

import numbers
import warnings

import numpy as np

from . import dtypes
from .tensor import Size, Tensor

_NAMES = {
    dtypes.float32: "FloatTensor", dtypes.float64: "DoubleTensor", dtypes.float16: "HalfTensor",
    dtypes.bfloat16: "BFloat16Tensor", dtypes.int64: "LongTensor", dtypes.int32: "IntTensor",
    dtypes.int16: "ShortTensor", dtypes.int8: "CharTensor", dtypes.uint8: "ByteTensor",
    dtypes.bool: "BoolTensor",
}


def type_name(dtype: dtypes.dtype, device_type: str) -> str:
    """``'torch.FloatTensor'`` for a cpu float32 tensor, ``'torch.cuda.LongTensor'`` and so on."""
    prefix = "torch." if device_type == "cpu" else f"torch.{device_type}."
    return prefix + _NAMES[dtype]


class _LegacyTensorType(type):
    """Metaclass of ``FloatTensor`` and friends."""

    dtype: dtypes.dtype
    device_type: str

    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj._dtype is cls.dtype and obj._device.type == cls.device_type

    def __subclasscheck__(cls, other) -> bool:
        return other is cls

    def __repr__(cls) -> str:
        return f"<class '{type_name(cls.dtype, cls.device_type)}'>"

    @property
    def is_cuda(cls) -> bool:
        return cls.device_type == "cuda"

    @property
    def is_sparse(cls) -> bool:
        return False

    def __call__(cls, *args, device=None, size=None):
        from .creation import empty, tensor
        if device is None:
            device = cls.device_type
        elif _device_type(device) != cls.device_type:
            raise RuntimeError(f"legacy constructor expects device type: {cls.device_type} but "
                               f"device type: {_device_type(device)} was passed")
        if size is not None:
            args = (tuple(size),)
        if not args:
            return empty(0, dtype=cls.dtype, device=device)
        if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args):
            return empty(*args, dtype=cls.dtype, device=device)
        if len(args) != 1:
            raise TypeError(f"new() received an invalid combination of arguments: {args!r}")
        data = args[0]
        if isinstance(data, Size):
            return empty(*data, dtype=cls.dtype, device=device)
        if isinstance(data, Tensor):
            if data._dtype is not cls.dtype or data._device.type != cls.device_type:
                raise TypeError(f"expected {type_name(cls.dtype, cls.device_type)} "
                                f"(got {type_name(data._dtype, data._device.type)})")
            return data.detach()  # shares the storage, as PyTorch's does
        if isinstance(data, numbers.Number):
            raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")
        if isinstance(data, np.ndarray) or isinstance(data, (list, tuple)):
            return tensor(data, dtype=cls.dtype, device=device)
        raise TypeError(f"new(): data must be a sequence (got {type(data).__name__})")


def _device_type(device) -> str:
    from .device import device as Device
    return Device(device).type


def _make_type(dtype: dtypes.dtype, device_type: str) -> type:
    name = _NAMES[dtype]
    cls = _LegacyTensorType(name, (), {"dtype": dtype, "device_type": device_type,
                                       "__module__": "torch" if device_type == "cpu" else f"torch.{device_type}",
                                       "__doc__": f"Legacy constructor of {dtype.name} tensors on {device_type}."})
    return cls


CPU_TYPES = {name: _make_type(dtype, "cpu") for dtype, name in _NAMES.items()}
CUDA_TYPES = {name: _make_type(dtype, "cuda") for dtype, name in _NAMES.items()}


def legacy_type_for(device_type: str, name: str) -> type:
    """The legacy class named ``name`` (``"FloatTensor"``) for ``device_type``."""
    table = CPU_TYPES if device_type == "cpu" else CUDA_TYPES if device_type == "cuda" else None
    if table is not None:
        return table[name]
    dtype = next(d for d, n in _NAMES.items() if n == name)
    return _make_type(dtype, device_type)


def _parse_type_name(text: str):
    """``'torch.cuda.LongTensor'`` -> (int64, 'cuda'); ValueError for anything else."""
    parts = text.split(".")
    if len(parts) in (2, 3) and parts[0] in ("torch", "unigrad"):
        device_type = parts[1] if len(parts) == 3 else "cpu"
        for dtype, name in _NAMES.items():
            if name == parts[-1]:
                return dtype, device_type
    raise ValueError(f"invalid type: '{text}'")


def tensor_type(self: Tensor, dtype=None, non_blocking: bool = False, **kwargs):
    """``x.type()``: the type name (``'torch.FloatTensor'``); ``x.type(t)``: ``x`` converted to
    ``t`` (a legacy type, its name, or a dtype), ``x`` itself when it already is one."""
    if dtype is None:
        return type_name(self._dtype, self._device.type)
    if isinstance(dtype, str):
        target_dtype, device_type = _parse_type_name(dtype)
    elif isinstance(dtype, _LegacyTensorType):
        target_dtype, device_type = dtype.dtype, dtype.device_type
    else:
        return self.to(dtypes.as_dtype(dtype))
    if target_dtype is self._dtype and device_type == self._device.type:
        return self
    device = self._device if device_type == self._device.type else device_type
    return self.to(device=device, dtype=target_dtype)


def set_default_tensor_type(t) -> None:
    """Deprecated in PyTorch 2.1: sets the default floating dtype and, for a device type other
    than cpu (``torch.cuda.FloatTensor``), the default device."""
    from .device import set_default_device
    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.",
                  UserWarning, stacklevel=2)
    if isinstance(t, str):
        dtype, device_type = _parse_type_name(t)
    elif isinstance(t, _LegacyTensorType):
        dtype, device_type = t.dtype, t.device_type
    else:
        raise TypeError(f"invalid type object: only floating-point types are supported as the "
                        f"default type, got {t!r}")
    if not dtype.is_floating_point:
        raise TypeError("only floating-point types are supported as the default type")
    dtypes.set_default_dtype(dtype)
    set_default_device(device_type)
