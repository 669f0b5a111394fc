"""The pickle of ``save``: unigrad objects written under PyTorch's names.

A tensor is written as ``torch._utils._rebuild_tensor_v2(storage, offset, size, stride,
requires_grad, OrderedDict())`` with the storage as a persistent id ``('storage',
torch.FloatStorage, key, location, numel)``; a Parameter as ``torch._utils._rebuild_parameter``;
dtypes, devices and sizes as ``torch.float32``, ``torch.device``, ``torch.Size``. So ``torch.load``
reads unigrad checkpoints and ``unigrad.load`` reads PyTorch's. Everything else pickles as usual.

The names are written as raw GLOBAL opcodes (``pickle`` itself would import ``torch`` to check
them), which needs the pure-Python pickler; tensors are persistent ids, so the pickle stays small.
"""
from __future__ import annotations

import io
import pickle
import types
from collections import OrderedDict

from ..api import dtypes
from ..api.device import device as Device
from ..api.tensor import Size, Tensor
from .storage_plan import STORAGE_TYPES, StoragePlan


class TorchGlobal:
    """A name written into the pickle as a global without importing it (``torch._utils ...``)."""

    __name__ = "TorchGlobal"  # save_reduce reads it
    _interned: dict = {}

    def __new__(cls, module: str, name: str) -> "TorchGlobal":
        found = cls._interned.get((module, name))
        if found is None:
            found = object.__new__(cls)
            found.module, found.name = module, name
            cls._interned[(module, name)] = found
        return found

    def __call__(self, *args):  # pickle requires reduce functions to be callable
        raise TypeError(f"{self.module}.{self.name} is a name written into checkpoints, not a function")

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"


_REBUILD_TENSOR = TorchGlobal("torch._utils", "_rebuild_tensor_v2")
_REBUILD_PARAMETER = TorchGlobal("torch._utils", "_rebuild_parameter")
_SIZE = TorchGlobal("torch", "Size")
_DEVICE = TorchGlobal("torch", "device")


class _StorageRef:
    """Stands for a storage in the pickle; ``persistent_id`` turns it into PyTorch's tuple."""

    __slots__ = ("storage",)

    def __init__(self, storage) -> None:
        self.storage = storage


class TorchPickler(pickle._Pickler):
    """Pickles ``obj`` with unigrad tensors as PyTorch storages. With ``plan=None`` it only
    collects the tensors it meets (``tensors``), for planning the storages."""

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol: int, plan: StoragePlan | None) -> None:
        super().__init__(file, protocol=protocol)
        self.plan = plan
        self.tensors: list[Tensor] = []

    def persistent_id(self, obj):
        if type(obj) is _StorageRef:
            s = obj.storage
            return ("storage", TorchGlobal("torch", STORAGE_TYPES[s.dtype.name]), s.key, s.location, s.numel)
        return None

    def save_tensor(self, obj: Tensor) -> None:
        if obj._is_param:
            data = Tensor._make(obj._buf, obj._dtype, obj._device, obj._backend)
            self.save_reduce(_REBUILD_PARAMETER, (data, obj._requires_grad, OrderedDict()), obj=obj)
            return
        if self.plan is None:
            self.tensors.append(obj)
            self.memoize(obj)
            return
        storage, offset, strides = self.plan.locate(obj)
        args = (_StorageRef(storage), offset, tuple(obj._buf.shape), strides, obj._requires_grad, OrderedDict())
        self.save_reduce(_REBUILD_TENSOR, args, obj=obj)

    def save_torch_global(self, obj: TorchGlobal) -> None:
        if self.proto >= 4:
            self.save(obj.module)
            self.save(obj.name)
            self.write(pickle.STACK_GLOBAL)
        else:
            self.write(pickle.GLOBAL + obj.module.encode("utf-8") + b"\n" + obj.name.encode("utf-8") + b"\n")
        self.memoize(obj)

    def save_global(self, obj, name=None) -> None:
        qualname = name or getattr(obj, "__qualname__", None) or getattr(obj, "__name__", "")
        if "<locals>" in qualname:  # the error type and text Python's C pickler (and torch.save) give
            raise AttributeError(f"Can't pickle local object {qualname!r}")
        super().save_global(obj, name)

    def save_dtype(self, obj) -> None:
        self.save_torch_global(TorchGlobal("torch", obj.name))

    def save_size(self, obj: Size) -> None:
        self.save_reduce(_SIZE, (tuple(obj),), obj=obj)

    def save_device(self, obj: Device) -> None:
        self.save_reduce(_DEVICE, (obj.type,) if obj.index is None else (obj.type, obj.index), obj=obj)

    dispatch[types.FunctionType] = save_global
    dispatch[Tensor] = save_tensor
    dispatch[TorchGlobal] = save_torch_global
    dispatch[dtypes.dtype] = save_dtype
    dispatch[Size] = save_size
    dispatch[Device] = save_device


def pickle_checkpoint(obj, protocol: int) -> tuple[bytes, StoragePlan]:
    """``data.pkl`` for ``obj`` and the storages it refers to: one pass meets the tensors, the
    storages are planned (views of one allocation share one), a second pass writes the pickle."""
    collector = TorchPickler(_Discard(), protocol, None)
    collector.dump(obj)
    plan = StoragePlan(collector.tensors)
    out = io.BytesIO()
    TorchPickler(out, protocol, plan).dump(obj)
    return out.getvalue(), plan


class _Discard:
    @staticmethod
    def write(data) -> None:
        pass
