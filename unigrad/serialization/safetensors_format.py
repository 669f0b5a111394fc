"""safetensors files: a strict reader, a streaming writer, and unigrad's former checkpoints.

The file is an 8-byte little-endian header length, a JSON header naming each tensor's dtype, shape
and byte range, then the tensors' bytes. The reader is at least as strict as the safetensors
library: the length is checked before anything else is read; the header must be a JSON object of
at most ``MAX_HEADER_BYTES`` and ``MAX_ENTRIES`` tensors; every shape and offset a non-negative
integer (no floats, no booleans); the byte ranges must tile the data section exactly (no overlap,
no gap, no trailing bytes); names may not repeat. Any violation is a ``CheckpointError`` naming the
file and the reason. Tensors are read straight into their buffers (or mapped, ``mmap=True``).

unigrad's checkpoints before the PyTorch-format ``save`` were safetensors files whose metadata
held the object's structure as JSON (``"format": "unigrad-checkpoint"``); they still load.
"""
from __future__ import annotations

import json
import struct
from collections import OrderedDict

import numpy as np

from ..api import dtypes
from ..api.tensor import Tensor
from .errors import CHUNK_BYTES, MAX_ENTRIES, MAX_HEADER_BYTES, MAX_JSON_NESTING, CheckpointError
from .storage import allocate, fill, share_host
from .unpickler import _too_deep

FORMAT = "unigrad-checkpoint"
CODES = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "int16": "I16", "int32": "I32", "int64": "I64",
         "float16": "F16", "bfloat16": "BF16", "float32": "F32", "float64": "F64"}
_BY_CODE = {code: dtypes.as_dtype(name) for name, code in CODES.items()}
#: dtypes the safetensors format has and unigrad does not
_FOREIGN = {"U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64", "E4M3"}
_U64 = (1 << 64) - 1
_MAX_BYTES = 1 << 62  # what NumPy can index; sizes beyond are not real tensors


class _Fail:
    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, reason: str) -> CheckpointError:
        return CheckpointError(f"{self.name}: {reason}")


def _pairs_without_duplicates(fail):
    def hook(pairs):
        result = {}
        for key, value in pairs:
            if key in result:
                raise fail(f"corrupted safetensors header: key {key!r:.100} appears twice")
            result[key] = value
        return result
    return hook


def _refuse_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def _parse_json(text: str, fail, what: str, limit: int):
    try:
        value = json.loads(text, object_pairs_hook=_pairs_without_duplicates(fail),
                           parse_constant=_refuse_constant)
    except RecursionError:
        raise fail(f"corrupted {what}: nested too deeply") from None
    except (json.JSONDecodeError, ValueError) as error:
        if isinstance(error, CheckpointError):
            raise
        raise fail(f"corrupted {what} ({error})") from None
    if _too_deep(value, limit):
        raise fail(f"corrupted {what}: nested deeper than {limit}")
    return value


def _index(value) -> bool:
    return type(value) is int and 0 <= value <= _U64


def read_header(source) -> tuple:
    """``(entries, metadata, data_start)`` of a safetensors file, every entry checked:
    entries are ``(name, dtype, shape, begin, end)`` in data order."""
    fail = _Fail(source.name)
    size = source.size
    if size < 8:
        raise fail(f"not a checkpoint (file of {size} bytes is too short)")
    (length,) = struct.unpack("<Q", source.read_at(0, 8, "the header length"))
    if length > MAX_HEADER_BYTES:
        raise fail(f"not a checkpoint, or corrupted: a header of {length} bytes is announced "
                   f"(at most {MAX_HEADER_BYTES})")
    if 8 + length > size:
        raise fail(f"not a checkpoint, or truncated: a header of {length} bytes is announced, the file "
                   f"has {size}")
    try:
        text = source.read_at(8, length, "the header").decode("utf-8")
    except UnicodeDecodeError:
        raise fail("corrupted safetensors header: not UTF-8") from None
    if not text.lstrip(" \t\r\n").startswith("{"):
        raise fail("corrupted safetensors header: not a JSON object")
    header = _parse_json(text, fail, "safetensors header", 4)
    if not isinstance(header, dict):
        raise fail("corrupted safetensors header: not a JSON object")
    metadata = header.pop("__metadata__", None)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise fail("corrupted safetensors header: __metadata__ must map strings to strings")
    if len(header) > MAX_ENTRIES:
        raise fail(f"safetensors header lists {len(header)} tensors (at most {MAX_ENTRIES} are read)")
    entries = [_entry(name, entry, fail) for name, entry in header.items()]
    entries.sort(key=lambda e: (e[3], e[4]))
    position = 0
    for name, _, _, begin, end in entries:
        if begin != position:
            kind = "overlaps the tensor before it" if begin < position else f"leaves a gap at byte {position}"
            raise fail(f"corrupted safetensors header: tensor {name!r} at [{begin}, {end}) {kind}")
        position = end
    data_start = 8 + length
    if data_start + position < size:
        raise fail(f"corrupted safetensors file: {size - data_start - position} trailing bytes after "
                   f"the tensors' {position} bytes")
    if data_start + position > size:
        raise fail(f"truncated checkpoint: the tensors need {position} bytes, {size - data_start} remain")
    return entries, metadata, data_start


def _entry(name: str, entry, fail) -> tuple:
    if not isinstance(entry, dict):
        raise fail(f"corrupted safetensors header: the entry of tensor {name!r} is of type "
                   f"{type(entry).__name__}, not an object")
    code, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(code, str):
        raise fail(f"corrupted safetensors header: tensor {name!r} has no dtype name")
    if code not in _BY_CODE:
        known = "a dtype unigrad does not support" if code in _FOREIGN else "an unknown dtype"
        raise fail(f"tensor {name!r} has {known} {code!r:.40}")
    if not isinstance(shape, list) or not all(_index(n) for n in shape):
        raise fail(f"corrupted safetensors header: tensor {name!r} has shape {shape!r:.100} (a list of "
                   "non-negative integers is required)")
    if not isinstance(offsets, list) or len(offsets) != 2 or not all(_index(v) for v in offsets) \
            or offsets[0] > offsets[1]:
        raise fail(f"corrupted safetensors header: tensor {name!r} has data_offsets {offsets!r:.100} "
                   "(two non-negative integers, begin <= end, are required)")
    dtype = _BY_CODE[code]
    elements, nonzero = 1, 1
    for n in shape:
        elements *= n
        nonzero *= max(n, 1)
        if elements > _U64 or nonzero * dtype.itemsize > _MAX_BYTES:
            raise fail(f"corrupted safetensors header: tensor {name!r} of shape {shape} is larger than "
                       "any memory")
    begin, end = offsets
    if end - begin != elements * dtype.itemsize:
        raise fail(f"corrupted safetensors header: tensor {name!r} of shape {shape} and dtype {code} "
                   f"needs {elements * dtype.itemsize} bytes but spans [{begin}, {end})")
    return name, dtype, tuple(shape), begin, end


def load_safetensors(source, placement, mmap: bool):
    """The tensors of a safetensors file by name, or the object of a former unigrad checkpoint."""
    entries, metadata, data_start = read_header(source)
    unigrad_format = metadata.get("format") == FORMAT
    tensors = {}
    for name, dtype, shape, begin, end in entries:
        location = metadata.get(f"device:{name}", "cpu") if unigrad_format else "cpu"

        def load(device, dtype, numel, begin=begin, end=end):
            if mmap and np.little_endian:
                mapped = np.frombuffer(source.mapping(), dtype=dtype.numpy, count=numel, offset=data_start + begin)
                shared = share_host(device, dtype, mapped)
                if shared is not None:
                    return shared
            storage = allocate(device, dtype, numel)
            fill(storage, lambda start, target: source.readinto_at(data_start + begin + start, target),
                 byteswap=np.little_endian is False)
            return storage

        numel = (end - begin) // dtype.itemsize
        storage = placement.storage(location, f"{dtype.name} storage", dtype, numel, load)
        strides = _contiguous(shape)
        tensors[name] = storage.view(0, shape, strides)
    if not unigrad_format:
        return tensors
    fail = _Fail(source.name)
    structure = metadata.get("unigrad")
    if not isinstance(structure, str):
        raise fail("corrupted checkpoint structure (no 'unigrad' metadata)")
    return _decode(_parse_json(structure, fail, "checkpoint structure", MAX_JSON_NESTING), tensors, fail)


def _contiguous(shape) -> tuple:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= max(n, 1)
    return tuple(reversed(strides))


def _decode(value, tensors: dict, fail):
    """The object of a former unigrad checkpoint from its JSON structure (depth already bounded)."""
    if isinstance(value, list):
        return [_decode(v, tensors, fail) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tensor__" in value:
        t = _lookup(tensors, value["__tensor__"], fail)
        requires_grad, parameter = value.get("requires_grad", False), value.get("parameter", False)
        if type(requires_grad) is not bool or type(parameter) is not bool:
            raise fail("corrupted checkpoint structure: tensor flags must be booleans")
        if parameter:
            from ..nn.parameter import Parameter
            return Parameter(t, requires_grad=requires_grad and t.dtype.is_floating_point)
        if requires_grad and t.dtype.is_floating_point:
            t.requires_grad_(True)
        return t
    if "__ndarray__" in value:
        return np.array(_lookup(tensors, value["__ndarray__"], fail).numpy())
    if "__float__" in value:
        text = value["__float__"]
        if text not in ("nan", "inf", "-inf"):
            raise fail(f"corrupted checkpoint structure: float {text!r:.40}")
        return float(text)
    if "__dtype__" in value:
        name = value["__dtype__"]
        if name not in CODES:
            raise fail(f"corrupted checkpoint structure: dtype {name!r:.40}")
        return dtypes.as_dtype(name)
    if "__tuple__" in value:
        items = value["__tuple__"]
        if not isinstance(items, list):
            raise fail("corrupted checkpoint structure: a tuple's items are not a list")
        return tuple(_decode(v, tensors, fail) for v in items)
    if "__dict__" in value:
        items, ordered = value["__dict__"], value.get("ordered", False)
        if not isinstance(items, list) or type(ordered) is not bool \
                or not all(isinstance(p, list) and len(p) == 2 for p in items):
            raise fail("corrupted checkpoint structure: a dict's items are not [key, value] pairs")
        result = OrderedDict() if ordered else {}
        for key, item in items:
            key = _hashable(_decode(key, tensors, fail), fail)
            result[key] = _decode(item, tensors, fail)
        return result
    raise fail(f"corrupted checkpoint structure (unknown entry {sorted(value)[:5]})")


def _hashable(key, fail):
    if isinstance(key, list):
        return tuple(_hashable(k, fail) for k in key)
    if isinstance(key, (dict, Tensor, np.ndarray)):
        raise fail("corrupted checkpoint structure: a dict key is not hashable")
    return key


def _lookup(tensors: dict, key, fail):
    if not isinstance(key, str) or key not in tensors:
        raise fail(f"corrupted checkpoint (missing tensor {key!r:.40})")
    return tensors[key]


def save_safetensors(tensors: dict, f, metadata: dict | None = None) -> None:
    """Write a flat ``{name: tensor}`` dict as a safetensors file (readable by the safetensors
    library and by ``unigrad.load``), streaming each tensor's bytes. No pickle is involved: the
    format holds tensors only. Tensors sharing memory are written once each, as copies."""
    from .atomic import atomic_output
    from .sources import is_path
    if not isinstance(tensors, dict) or not all(isinstance(k, str) and isinstance(v, Tensor)
                                                for k, v in tensors.items()):
        raise TypeError("save_safetensors takes a dict of str -> Tensor")
    if metadata is not None and not all(isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise TypeError("safetensors metadata must map str to str")
    header: dict = {"__metadata__": dict(metadata)} if metadata else {}
    offset = 0
    for name, t in tensors.items():
        nbytes = t.numel() * t.dtype.itemsize
        header[name] = {"dtype": CODES[t.dtype.name], "shape": list(t.shape),
                        "data_offsets": [offset, offset + nbytes]}
        offset += nbytes
    raw = json.dumps(header, allow_nan=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # the data section starts 8-byte aligned

    def write(out) -> None:
        out.write(struct.pack("<Q", len(raw)))
        out.write(raw)
        for t in tensors.values():
            for chunk in _host_chunks(t):
                out.write(chunk)

    if is_path(f):
        with atomic_output(f) as out:
            write(out)
    else:
        write(f)


def _host_chunks(t: Tensor):
    flat = t.detach().contiguous().reshape(-1)
    step = max(1, CHUNK_BYTES // t.dtype.itemsize)
    for begin in range(0, flat.numel(), step):
        host = np.ascontiguousarray(flat[begin:begin + step]._host()).astype(t.dtype.numpy.newbyteorder("<"),
                                                                             copy=False)
        yield memoryview(host.view(np.uint8))

