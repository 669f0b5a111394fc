"""The globals a checkpoint may name by default, resolved to unigrad objects (PyTorch's
``weights_only`` allowlist): rebuild functions, storage types, dtypes, ``torch.Size``,
``torch.device``, ``torch.nn.Parameter``, ``OrderedDict``/``Counter``, and the few builtins Python's
pickle uses for bytes, sets and complex numbers. Each builtin is wrapped so its arguments are
checked: ``bytearray(10**12)`` from a file allocates nothing.
"""
from __future__ import annotations

import codecs
from collections import Counter, OrderedDict

from ..api import dtypes
from ..api.device import device as Device
from ..api.tensor import Tensor
from ..nn.parameter import Parameter
from . import rebuild
from .errors import CheckpointError
from .storage_plan import STORAGE_TYPES


class StorageType:
    """``torch.FloatStorage`` and friends as a checkpoint names them: just a dtype."""

    def __init__(self, name: str, dtype) -> None:
        self.name, self.dtype = name, dtype

    def __repr__(self) -> str:
        return f"torch.{self.name}"


class ForeignDtype:
    """A PyTorch dtype unigrad does not have (``torch.complex64``...): loads as a value, but a
    storage of it is refused."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"torch.{self.name}"


class TorchConstant:
    """A named PyTorch constant loaded as a value: the layouts (``torch.strided``; unigrad tensors
    are all strided) and the quantization schemes (``torch.per_tensor_affine``)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


_LAYOUTS = {name: TorchConstant(name) for name in ("torch.strided", "torch.sparse_coo", "torch.sparse_csr",
                                             "torch.sparse_csc", "torch.sparse_bsr", "torch.sparse_bsc",
                                             "torch._mkldnn", "torch.jagged")}
_FOREIGN_DTYPES = ("complex32", "complex64", "complex128", "uint16", "uint32", "uint64", "qint8", "quint8",
                   "qint32", "quint4x2", "quint2x4", "float8_e4m3fn", "float8_e5m2", "float8_e4m3fnuz",
                   "float8_e5m2fnuz", "float8_e8m0fnu", "float4_e2m1fn_x2", "bits8", "bits16", "bits1x8",
                   "bits2x4", "bits4x2", "int1", "int2", "int3", "int4", "int5", "int6", "int7", "uint1",
                   "uint2", "uint3", "uint4", "uint5", "uint6", "uint7")
_FOREIGN_STORAGES = ("ComplexFloatStorage", "ComplexDoubleStorage", "QInt8Storage", "QUInt8Storage",
                     "QInt32Storage", "QUInt4x2Storage", "QUInt2x4Storage")


def get_layout(name):
    """``torch.serialization._get_layout``."""
    if name not in _LAYOUTS:
        raise CheckpointError(f"unknown layout {name!r:.100}")
    return _LAYOUTS[name]


def device(*args):
    """``torch.device('cuda', 0)`` / ``torch.device('cpu')``."""
    if not 1 <= len(args) <= 2 or not isinstance(args[0], str) or len(args) == 2 and type(args[1]) is not int:
        raise CheckpointError(f"malformed torch.device arguments {args!r:.100}")
    try:
        return Device(*args)
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"malformed torch.device arguments: {error}") from None


def encode(text, encoding="utf-8", errors="strict"):
    """``_codecs.encode``, which protocol-2 pickles use for ``bytes``: latin-1 only."""
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1") or errors != "strict":
        raise CheckpointError("_codecs.encode is only allowed as encode(str, 'latin1'), the way pickle "
                              "writes bytes")
    return codecs.encode(text, "latin1")


def make_bytearray(*args):
    if args and not (isinstance(args[0], (bytes, bytearray)) and len(args) == 1
                     or isinstance(args[0], str) and len(args) == 2 and args[1] in ("latin1", "latin-1")):
        raise CheckpointError("bytearray is only rebuilt from bytes (or a latin-1 string)")
    return bytearray(*args)


def _from_collection(kind):
    def make(*args):
        if len(args) > 1 or args and not isinstance(args[0], (list, tuple, set, frozenset)):
            raise CheckpointError(f"{kind.__name__} is only rebuilt from a list or tuple")
        return kind(*args)
    make.__qualname__ = kind.__name__
    return make


def make_complex(*args):
    if len(args) > 2 or not all(type(a) in (int, float) for a in args):
        raise CheckpointError("complex is only rebuilt from numbers")
    return complex(*args)


def make_mapping(kind):
    def make(*args):
        if len(args) > 1 or args and not isinstance(args[0], (dict, list, tuple)):
            raise CheckpointError(f"{kind.__name__} is only rebuilt from a dict or a list of pairs")
        return kind(*args)
    make.__qualname__ = kind.__name__
    return make


def default_globals() -> dict:
    """``{"module.name": object}``: what a checkpoint may name without an allowlist."""
    table = {
        "collections.OrderedDict": OrderedDict,
        "collections.Counter": Counter,
        "torch.nn.parameter.Parameter": Parameter,
        "torch.serialization._get_layout": get_layout,
        "torch.Size": rebuild.make_size,
        "torch.Tensor": Tensor,
        "torch.device": device,
        "_codecs.encode": encode,
        "builtins.bytearray": make_bytearray,
        "builtins.set": _from_collection(set),
        "builtins.frozenset": _from_collection(frozenset),
        "builtins.complex": make_complex,
        "torch._utils._rebuild_tensor": rebuild.rebuild_tensor,
        "torch._utils._rebuild_tensor_v2": rebuild.rebuild_tensor_v2,
        "torch._utils._rebuild_tensor_v3": rebuild.rebuild_tensor_v3,
        "torch._utils._rebuild_parameter": rebuild.rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": rebuild.rebuild_parameter_with_state,
        "torch._utils._rebuild_device_tensor_from_cpu_tensor": rebuild.rebuild_device_tensor_from_cpu_tensor,
        "torch._utils._rebuild_device_tensor_from_numpy": rebuild.rebuild_device_tensor_from_numpy,
        "torch._utils._rebuild_qtensor": rebuild.unsupported("quantized tensors"),
        "torch._utils._rebuild_sparse_tensor": rebuild.unsupported("sparse tensors"),
        "torch._utils._rebuild_nested_tensor": rebuild.unsupported("nested tensors"),
        "torch._utils._rebuild_meta_tensor_no_storage": rebuild.unsupported("meta tensors"),
        "torch._utils._rebuild_wrapper_subclass": rebuild.unsupported("tensor subclasses"),
        "torch._tensor._rebuild_from_type_v2": rebuild.rebuild_from_type_v2,
    }
    for d in dtypes.ALL_DTYPES:
        table[f"torch.{d.name}"] = d
    for name in _FOREIGN_DTYPES:
        table[f"torch.{name}"] = ForeignDtype(name)
    for scheme in ("per_tensor_affine", "per_tensor_symmetric", "per_channel_affine",
                   "per_channel_symmetric", "per_channel_affine_float_qparams"):
        table[f"torch.{scheme}"] = TorchConstant(f"torch.{scheme}")
    for name, storage in STORAGE_TYPES.items():
        for module in ("torch", "torch.cuda"):
            table[f"{module}.{storage}"] = StorageType(storage, dtypes.as_dtype(name))
    for storage in _FOREIGN_STORAGES:
        table[f"torch.{storage}"] = StorageType(storage, None)
    untyped = StorageType("UntypedStorage", dtypes.uint8)
    table["torch.UntypedStorage"] = table["torch.storage.UntypedStorage"] = untyped
    return table


def mapping_constructors() -> dict:
    """REDUCE on ``OrderedDict``/``Counter`` goes through argument checks too."""
    return {OrderedDict: make_mapping(OrderedDict), Counter: make_mapping(Counter),
            Parameter: _parameter}


def _parameter(*args):
    if not args or not isinstance(args[0], Tensor) or len(args) > 2 or len(args) == 2 and type(args[1]) is not bool:
        raise CheckpointError("torch.nn.Parameter is only rebuilt from (tensor, requires_grad)")
    return Parameter(*args)


def unigrad_equivalent(module: str, name: str):
    """For full (``weights_only=False``) loading: the unigrad class a ``torch.*`` global stands for
    (``torch.nn.modules.linear.Linear`` -> ``unigrad.nn.Linear``), or None."""
    from .. import nn, optim
    if module.startswith("torch.nn.modules.") or module == "torch.nn":
        found = getattr(nn, name, None)
        return found if isinstance(found, type) else None
    if module.startswith("torch.optim"):
        found = getattr(optim, name, None) or getattr(optim.lr_scheduler, name, None)
        return found if isinstance(found, type) else None
    return None
