"""``unigrad.save`` / ``unigrad.load``: checkpoints that never execute code when loaded.

The file is a standard *safetensors* file: an 8-byte little-endian header length, a JSON header
describing each tensor (dtype, shape, byte range), then the raw little-endian tensor bytes. The
structure around the tensors (nested dicts, lists, tuples, numbers, strings, None) is kept as JSON
in the header's ``__metadata__["unigrad"]`` entry, with each tensor replaced by a reference to its
key. Reading uses ``json`` and ``numpy.frombuffer`` only: nothing in a file is ever executed.
Plain safetensors files written by other tools load as a dict of tensors.
"""
from __future__ import annotations

import json
import math
import os
import struct
import tempfile

import numpy as np

from .api import dtypes
from .api.tensor import Tensor

FORMAT = "unigrad-checkpoint"
VERSION = 1
_MAX_HEADER = 100 * 1024 * 1024

_CODES = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "int16": "I16", "int32": "I32",
          "int64": "I64", "float16": "F16", "bfloat16": "BF16", "float32": "F32", "float64": "F64"}
_NAMES = {code: name for name, code in _CODES.items()}


class CheckpointError(RuntimeError):
    """A file is not a valid unigrad/safetensors checkpoint (corrupted, truncated or foreign)."""


def save(obj, f) -> None:
    """Write ``obj`` (tensors, state dicts, nested containers of them and plain values) to the
    path ``f``, atomically: a crash mid-write leaves any previous file untouched."""
    tensors: dict = {}
    structure = _encode(obj, tensors)
    header: dict = {"__metadata__": {"format": FORMAT, "version": str(VERSION),
                                     "unigrad": json.dumps(structure, allow_nan=False)}}
    offset = 0
    chunks = []
    for key, (array, device) in tensors.items():
        data = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False).tobytes()
        header[key] = {"dtype": _CODES[dtypes.from_numpy_dtype(array.dtype).name],
                       "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        header["__metadata__"][f"device:{key}"] = device
        chunks.append(data)
        offset += len(data)
    raw_header = json.dumps(header, allow_nan=False).encode("utf-8")
    raw_header += b" " * (-len(raw_header) % 8)  # safetensors aligns the data section to 8 bytes
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(prefix=".unigrad-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(struct.pack("<Q", len(raw_header)))
            out.write(raw_header)
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def load(f, map_location=None, weights_only: bool = True, **_ignored):
    """Read a file written by ``save`` (or any safetensors file). ``map_location``: a device
    (``"cpu"``, ``"cuda:0"``...) for every tensor, or a ``{saved: new}`` dict of device names."""
    path = os.fspath(f)
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        raw = handle.read()
    if size < 8:
        raise CheckpointError(f"{path}: not a unigrad checkpoint (file of {size} bytes is too short)")
    (header_length,) = struct.unpack("<Q", raw[:8])
    if header_length > min(_MAX_HEADER, size - 8):
        raise CheckpointError(f"{path}: not a unigrad checkpoint, or truncated (header of "
                              f"{header_length} bytes announced, file has {size})")
    try:
        header = json.loads(raw[8:8 + header_length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path}: corrupted checkpoint header ({error})") from None
    if not isinstance(header, dict):
        raise CheckpointError(f"{path}: corrupted checkpoint header (not a JSON object)")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict):
        raise CheckpointError(f"{path}: corrupted checkpoint metadata")
    data = memoryview(raw)[8 + header_length:]
    arrays = {key: _read_tensor(path, key, entry, data) for key, entry in header.items()}
    tensors = {key: _place(array, metadata.get(f"device:{key}", "cpu"), map_location)
               for key, array in arrays.items()}
    if metadata.get("format") != FORMAT:
        return tensors  # a plain safetensors file: its tensors by name
    try:
        structure = json.loads(metadata["unigrad"])
    except (KeyError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{path}: corrupted checkpoint structure ({error})") from None
    return _decode(structure, tensors, path)


def _read_tensor(path, key, entry, data):
    try:
        name = _NAMES[entry["dtype"]]
        shape = tuple(int(s) for s in entry["shape"])
        start, end = (int(v) for v in entry["data_offsets"])
    except (KeyError, TypeError, ValueError):
        raise CheckpointError(f"{path}: corrupted entry for tensor {key!r}: {entry!r}") from None
    dtype = dtypes.as_dtype(name)
    expected = dtype.itemsize * math.prod(shape)
    if any(s < 0 for s in shape) or end - start != expected or start < 0:
        raise CheckpointError(f"{path}: tensor {key!r} declares {expected} bytes for shape "
                              f"{list(shape)} but spans [{start}, {end})")
    if end > len(data):
        raise CheckpointError(f"{path}: truncated checkpoint (tensor {key!r} ends at byte {end} "
                              f"of a {len(data)}-byte data section)")
    little = dtype.numpy.newbyteorder("<")
    return np.frombuffer(data[start:end], dtype=little).astype(dtype.numpy).reshape(shape)


def _place(array, saved_device: str, map_location):
    from .api.creation import tensor
    if map_location is None:
        device = saved_device
    elif isinstance(map_location, dict):
        device = map_location.get(saved_device, saved_device)
    else:
        device = str(map_location)
    return tensor(array, device=device)


def _encode(value, tensors: dict):
    if isinstance(value, Tensor):
        key = f"t{len(tensors)}"
        tensors[key] = (np.array(value.detach()._host()), str(value.device))
        return {"__tensor__": key, "requires_grad": bool(value.requires_grad),
                "parameter": bool(value._is_param)}
    if isinstance(value, np.ndarray):
        key = f"t{len(tensors)}"
        tensors[key] = (value, "cpu")
        return {"__ndarray__": key}
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return {"__float__": repr(value)}
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return _encode(value.item(), tensors)
    if isinstance(value, dtypes.dtype):
        return {"__dtype__": value.name}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, tensors) for v in value]}
    if isinstance(value, list):
        return [_encode(v, tensors) for v in value]
    if isinstance(value, dict):
        items = [[_encode(k, tensors), _encode(v, tensors)] for k, v in value.items()]
        ordered = type(value).__name__ == "OrderedDict"
        return {"__dict__": items, "ordered": ordered}
    raise TypeError(f"unigrad.save cannot store objects of type {type(value).__name__} (only "
                    "tensors, numbers, strings, None and lists/tuples/dicts of them)")


def _decode(value, tensors: dict, path: str):
    if isinstance(value, list):
        return [_decode(v, tensors, path) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tensor__" in value:
        tensor = _lookup(tensors, value["__tensor__"], path)
        if value.get("parameter"):
            from .nn.parameter import Parameter
            return Parameter(tensor, requires_grad=bool(value.get("requires_grad")))
        if value.get("requires_grad") and tensor.dtype.is_floating_point:
            tensor.requires_grad_(True)
        return tensor
    if "__ndarray__" in value:
        return np.array(_lookup(tensors, value["__ndarray__"], path).numpy())
    if "__float__" in value:
        return float(value["__float__"])
    if "__dtype__" in value:
        return dtypes.as_dtype(value["__dtype__"])
    if "__tuple__" in value:
        return tuple(_decode(v, tensors, path) for v in value["__tuple__"])
    if "__dict__" in value:
        from collections import OrderedDict
        cls = OrderedDict if value.get("ordered") else dict
        return cls((_hashable(_decode(k, tensors, path)), _decode(v, tensors, path))
                   for k, v in value["__dict__"])
    raise CheckpointError(f"{path}: corrupted checkpoint structure (unknown entry {sorted(value)})")


def _hashable(key):
    return tuple(_hashable(k) for k in key) if isinstance(key, list) else key


def _lookup(tensors: dict, key, path: str):
    if key not in tensors:
        raise CheckpointError(f"{path}: corrupted checkpoint (missing tensor {key!r})")
    return tensors[key]
