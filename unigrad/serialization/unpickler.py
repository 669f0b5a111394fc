"""Unpickling a checkpoint: a restricted interpreter for ``weights_only=True``, and Python's
unpickler for the opt-in ``weights_only=False``.

The restricted interpreter executes pickle opcodes itself (as PyTorch's ``_weights_only_unpickler``
does) and never imports anything: a GLOBAL resolves only through the allowlist (PyTorch's default
one, mapped to unigrad objects, plus ``add_safe_globals``). REDUCE calls only allowlisted callables
(the default builtins through argument checks), NEWOBJ builds only allowlisted classes, BUILD sets
state only on their instances; ``os.system``, ``builtins.eval``, ``subprocess.Popen`` and every
other name are refused before anything runs. It is also bounded: no recursion, a memo and nesting
limit, every length checked against the data, tuples (which hashing walks recursively) no deeper
than ``MAX_NESTING``, and the loaded object no deeper either.
"""
from __future__ import annotations

import _compat_pickle
import pickle
import struct
from collections import Counter, OrderedDict

from ..api.tensor import Tensor
from ..nn.parameter import Parameter
from . import safe_globals as allowlist
from . import torch_names
from .errors import (MAX_LONG_BYTES, MAX_MEMO, MAX_NESTING, CheckpointError, ForwardedError, naming,
                     weights_only_error)

_DEFAULTS = None
_MISSING = object()
_LINE_LIMIT = 4096
_NJT = ("torch.nested._internal.nested_tensor.NestedTensor", "torch.nested._internal.nested_tensor._rebuild_njt",
        "torch._dynamo.decorators._DimRange")
_DTENSOR = ("torch.distributed.device_mesh.DeviceMesh", "torch.distributed.tensor._dtensor_spec.DTensorSpec",
            "torch.distributed.tensor._dtensor_spec.TensorMeta", "torch.distributed.tensor.DTensor",
            "torch.distributed.tensor.placement_types.Partial",
            "torch.distributed.tensor.placement_types.Replicate",
            "torch.distributed.tensor.placement_types.Shard")


def defaults() -> dict:
    global _DEFAULTS
    if _DEFAULTS is None:
        _DEFAULTS = torch_names.default_globals()
    return _DEFAULTS


def map_python2_name(module: str, name: str) -> tuple:
    """Python 2 names (``__builtin__.set``) as Python 3 spells them, as pickle and PyTorch map them."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


class RestrictedUnpickler:
    """Loads one pickle from ``data`` (bytes or an mmap) starting at ``position``; ``position``
    is left after its STOP. ``persistent_load(pid)`` resolves PyTorch's storage ids."""

    def __init__(self, data, source: str, persistent_load, *, encoding: str = "utf-8",
                 errors: str = "strict", position: int = 0) -> None:
        self.data, self.source = data, source
        self.position, self.end = position, len(data)
        self.persistent_load = persistent_load
        self.encoding, self.errors = encoding, errors
        user = allowlist.user_allowed()
        self.allowed = {**defaults(), **user}
        constructors = torch_names.mapping_constructors()
        self.calls = {}
        for value in defaults().values():
            if callable(value) and value is not Tensor:
                self.calls[id(value)] = constructors.get(value, value)
        self.user_classes = set()
        for value in user.values():
            self.calls[id(value)] = value
            if isinstance(value, type):
                self.user_classes.add(value)
        self.new_classes = {OrderedDict: OrderedDict, Counter: Counter, Parameter: constructors[Parameter]}

    # ----- reading -----------------------------------------------------------------------------
    def _malformed(self, reason: str) -> CheckpointError:
        return CheckpointError(f"{self.source}: malformed pickle at byte {self.position}: {reason}")

    def _refuse(self, message: str, kind: str = "other"):
        return weights_only_error(self.source, message, kind)

    def _read(self, n: int):
        start = self.position
        if n < 0 or start + n > self.end:
            raise self._malformed(f"an opcode wants {n} bytes, {self.end - start} remain")
        self.position = start + n
        return self.data[start:start + n]

    def _unpack(self, fmt: str):
        size = struct.calcsize(fmt)
        return struct.unpack(fmt, self._read(size))[0]

    def _readline(self) -> str:
        start = self.position
        stop = self.data.find(b"\n", start, min(self.end, start + _LINE_LIMIT))
        if stop < 0:
            raise self._malformed("a GLOBAL name is unterminated or too long")
        self.position = stop + 1
        try:
            return bytes(self.data[start:stop]).decode("utf-8")
        except UnicodeDecodeError:
            raise self._malformed("a GLOBAL name is not UTF-8") from None

    def _pop(self):
        if not self.stack:
            raise self._malformed("stack underflow")
        return self.stack.pop()

    def _top(self):
        if not self.stack:
            raise self._malformed("stack underflow")
        return self.stack[-1]

    def _pop_mark(self) -> list:
        if not self.metastack:
            raise self._malformed("MARK missing")
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    def _tuple(self, items) -> tuple:
        """A tuple, refused when tuples nest deeper than MAX_NESTING (hashing one recurses in C)."""
        depth = 1
        for item in items:
            if type(item) is tuple or type(item) is frozenset:
                known = self.depths.get(id(item))
                depth = max(depth, (known[0] if known is not None else 1) + 1)
        if depth > MAX_NESTING:
            raise self._malformed(f"tuples nested deeper than {MAX_NESTING}")
        result = tuple(items)
        if depth > 1:
            self.depths[id(result)] = (depth, result)
        return result

    def _frozenset(self, items) -> frozenset:
        nested = self._tuple(items)
        result = frozenset(nested)
        known = self.depths.get(id(nested))
        if known is not None:
            self.depths[id(result)] = (known[0], result)
        return result

    def _decode(self, raw):
        if self.encoding == "bytes":
            return bytes(raw)
        return bytes(raw).decode(self.encoding, self.errors)

    # ----- the loop ------------------------------------------------------------------------------
    def load(self):
        self.stack: list = []
        self.metastack: list = []
        self.memo: dict = {}
        self.depths: dict = {}
        handlers = _HANDLERS
        try:
            while True:
                if self.position >= self.end:
                    raise self._malformed("the pickle ends without STOP")
                code = self.data[self.position]
                self.position += 1
                handler = handlers.get(code)
                if handler is None:
                    if code in _REFUSED:
                        raise self._refuse(f"Unsupported operand {code}")
                    raise self._malformed(f"unknown opcode {code}")
                if handler(self):
                    break
            result = self._pop()
        except CheckpointError as error:
            raise naming(self.source, error) from None
        except ForwardedError:
            raise
        except Exception as error:  # anything else is a malformed file (bad types, bad keys...)
            raise self._malformed(f"{type(error).__name__}: {error}") from None
        if _too_deep(result, MAX_NESTING):
            raise CheckpointError(f"{self.source}: the loaded object nests containers deeper than {MAX_NESTING}")
        return result

    # ----- opcodes -----------------------------------------------------------------------------
    def op_proto(self):
        version = self._read(1)[0]
        if version > pickle.HIGHEST_PROTOCOL:
            raise self._malformed(f"unsupported pickle protocol {version}")

    def op_frame(self):
        length = self._unpack("<Q")
        if self.position + length > self.end:
            raise self._malformed(f"a frame of {length} bytes runs past the data")

    def op_stop(self):
        return True

    def op_none(self):
        self.stack.append(None)

    def op_true(self):
        self.stack.append(True)

    def op_false(self):
        self.stack.append(False)

    def op_binint(self):
        self.stack.append(self._unpack("<i"))

    def op_binint1(self):
        self.stack.append(self._read(1)[0])

    def op_binint2(self):
        self.stack.append(self._unpack("<H"))

    def op_long1(self):
        n = self._read(1)[0]
        self.stack.append(int.from_bytes(self._read(n), "little", signed=True))

    def op_long4(self):
        n = self._unpack("<i")
        if not 0 <= n <= MAX_LONG_BYTES:
            raise self._malformed(f"an integer of {n} bytes")
        self.stack.append(int.from_bytes(self._read(n), "little", signed=True))

    def op_binfloat(self):
        self.stack.append(self._unpack(">d"))

    def _unicode(self, fmt: str):
        raw = self._read(self._unpack(fmt))
        self.stack.append(bytes(raw).decode("utf-8", "surrogatepass"))

    def op_binunicode(self):
        self._unicode("<I")

    def op_short_binunicode(self):
        self._unicode("<B")

    def op_binunicode8(self):
        self._unicode("<Q")

    def op_binbytes(self):
        self.stack.append(bytes(self._read(self._unpack("<I"))))

    def op_short_binbytes(self):
        self.stack.append(bytes(self._read(self._read(1)[0])))

    def op_binbytes8(self):
        self.stack.append(bytes(self._read(self._unpack("<Q"))))

    def op_bytearray8(self):
        self.stack.append(bytearray(self._read(self._unpack("<Q"))))

    def op_binstring(self):
        n = self._unpack("<i")
        if n < 0:
            raise self._malformed("negative string length")
        self.stack.append(self._decode(self._read(n)))

    def op_short_binstring(self):
        self.stack.append(self._decode(self._read(self._read(1)[0])))

    def op_empty_tuple(self):
        self.stack.append(())

    def op_empty_list(self):
        self.stack.append([])

    def op_empty_dict(self):
        self.stack.append({})

    def op_empty_set(self):
        self.stack.append(set())

    def op_mark(self):
        if len(self.metastack) >= MAX_NESTING:
            raise self._malformed(f"MARKs nested deeper than {MAX_NESTING}")
        self.metastack.append(self.stack)
        self.stack = []

    def op_tuple(self):
        items = self._tuple(self._pop_mark())
        self.stack.append(items)

    def op_tuple1(self):
        self.stack.append(self._tuple([self._pop()]))

    def op_tuple2(self):
        second = self._pop()
        self.stack.append(self._tuple([self._pop(), second]))

    def op_tuple3(self):
        third, second = self._pop(), self._pop()
        self.stack.append(self._tuple([self._pop(), second, third]))

    def op_list(self):
        items = self._pop_mark()
        self.stack.append(items)

    def op_dict(self):
        items = self._pop_mark()
        if len(items) % 2:
            raise self._malformed("DICT with an odd number of items")
        result = {items[i]: items[i + 1] for i in range(0, len(items), 2)}
        self.stack.append(result)

    def op_frozenset(self):
        items = self._frozenset(self._pop_mark())
        self.stack.append(items)

    def op_pop(self):
        if self.stack:
            self.stack.pop()
        else:
            self._pop_mark()

    def op_pop_mark(self):
        self._pop_mark()

    def op_dup(self):
        self.stack.append(self._top())

    def _target(self, kinds, opcode: str):
        target = self._top()
        if type(target) not in kinds:
            names = ", ".join(k.__name__ for k in kinds)
            raise self._refuse(f"Can only {opcode} for {names}, but got {type(target)}")
        return target

    def op_append(self):
        item = self._pop()
        self._target((list,), "append").append(item)

    def op_appends(self):
        items = self._pop_mark()
        self._target((list,), "extend").extend(items)

    def op_setitem(self):
        value, key = self._pop(), self._pop()
        self._target((dict, OrderedDict, Counter), "SETITEM")[key] = value

    def op_setitems(self):
        items = self._pop_mark()
        if len(items) % 2:
            raise self._malformed("SETITEMS with an odd number of items")
        target = self._target((dict, OrderedDict, Counter), "SETITEMS")
        for i in range(0, len(items), 2):
            target[items[i]] = items[i + 1]

    def op_additems(self):
        items = self._pop_mark()
        self._target((set,), "add items").update(items)

    def op_binget(self):
        self._get(self._read(1)[0])

    def op_long_binget(self):
        self._get(self._unpack("<I"))

    def _get(self, key: int):
        if key not in self.memo:
            raise self._malformed(f"memo key {key} was never stored")
        self.stack.append(self.memo[key])

    def op_binput(self):
        self._put(self._read(1)[0])

    def op_long_binput(self):
        self._put(self._unpack("<I"))

    def op_memoize(self):
        self._put(len(self.memo))

    def _put(self, key: int):
        if key not in self.memo and len(self.memo) >= MAX_MEMO:
            raise self._malformed(f"more than {MAX_MEMO} memo entries")
        self.memo[key] = self._top()

    def op_global(self):
        module = self._readline()
        name = self._readline()
        self.stack.append(self._resolve(module, name))

    def op_stack_global(self):
        name, module = self._pop(), self._pop()
        if type(name) is not str or type(module) is not str:
            raise self._malformed("STACK_GLOBAL needs two strings")
        self.stack.append(self._resolve(module, name))

    def _resolve(self, module: str, name: str):
        module, name = map_python2_name(module, name)
        full = f"{module}.{name}"
        if module.split(".", 1)[0] in allowlist.BLOCKED_MODULES:
            raise self._refuse(f"Trying to load unsupported GLOBAL {full} whose module {module} is blocked.",
                               "blocked")
        found = self.allowed.get(full, _MISSING)
        if found is not _MISSING:
            return found
        if full in _NJT:
            raise self._refuse("``torch.nested`` and ``torch._dynamo`` must be imported to load nested "
                               "jagged tensors (NJTs)")
        if full in _DTENSOR:
            raise self._refuse("``torch.distributed.tensor`` must be imported to load DTensors")
        shown = full[len("builtins."):] if full.startswith("builtins.") else full
        raise self._refuse(
            f"Unsupported global: GLOBAL {shown} was not an allowed global by default. Please use "
            f"`torch.serialization.add_safe_globals([{shown}])` or the "
            f"`torch.serialization.safe_globals([{shown}])` context manager to allowlist this global "
            "if you trust this class/function.", "global")

    def op_reduce(self):
        args = self._pop()
        func = self._top()
        call = self.calls.get(id(func))
        if call is None:
            message = f"Trying to call reduce for unrecognized function {func!r:.200}"
            if hasattr(func, "__self__"):
                message += f" which belongs to {func.__self__!r:.200}"
            raise self._refuse(message)
        if type(args) is not tuple:
            raise self._malformed("REDUCE arguments are not a tuple")
        self.stack[-1] = call(*args)

    def _new(self, cls, args, kwargs):
        if type(args) is not tuple or type(kwargs) is not dict:
            raise self._malformed("NEWOBJ arguments are not a tuple (and a dict)")
        make = self.new_classes.get(cls) if type(cls) is type or cls is Parameter else None
        if make is not None and not kwargs:
            return make(*args)
        if cls in self.user_classes:
            return cls.__new__(cls, *args, **kwargs)
        raise self._refuse("Can only create new object for nn.Parameter or classes allowlisted via "
                           f"`add_safe_globals` but got {cls!r:.200}")

    def op_newobj(self):
        args = self._pop()
        cls = self._pop()
        self.stack.append(self._new(cls, args, {}))

    def op_newobj_ex(self):
        kwargs, args = self._pop(), self._pop()
        cls = self._pop()
        self.stack.append(self._new(cls, args, kwargs))

    def op_build(self):
        state = self._pop()
        inst = self._top()
        cls = type(inst)
        if cls is OrderedDict or cls is Counter:
            if state:
                if type(state) is not dict:
                    raise self._malformed(f"BUILD state of an {cls.__name__} is not a dict")
                inst.__dict__.update(state)
            return
        if cls not in self.user_classes:
            raise self._refuse("Can only build Tensor, Parameter, OrderedDict or types allowlisted via "
                               f"`add_safe_globals`, but got {cls}")
        setstate = getattr(cls, "__setstate__", None)  # the class's, never one the file put on the instance
        if setstate is not None:
            setstate(inst, state)
            return
        slotstate = None
        if type(state) is tuple and len(state) == 2:
            state, slotstate = state
        if state:
            if type(state) is not dict or not all(type(k) is str for k in state):
                raise self._malformed("BUILD state is not a dict of attribute names")
            inst.__dict__.update(state)
        if slotstate:
            if type(slotstate) is not dict:
                raise self._malformed("BUILD slot state is not a dict")
            for key, value in slotstate.items():
                setattr(inst, key, value)

    def op_binpersid(self):
        pid = self._pop()
        if type(pid) is not tuple or not pid:
            raise self._refuse(f"persistent_load id must be tuple or int, but got {type(pid)}")
        tag = pid[0].decode("ascii") if isinstance(pid[0], bytes) else pid[0]
        if tag != "storage":
            raise self._refuse(f"Only persistent_load of storage is allowed, but got {tag!r:.100}")
        self.stack.append(self.persistent_load(pid))


_OPS = {
    pickle.PROTO: "op_proto", pickle.FRAME: "op_frame", pickle.STOP: "op_stop", pickle.NONE: "op_none",
    pickle.NEWTRUE: "op_true", pickle.NEWFALSE: "op_false", pickle.BININT: "op_binint",
    pickle.BININT1: "op_binint1", pickle.BININT2: "op_binint2", pickle.LONG1: "op_long1",
    pickle.LONG4: "op_long4", pickle.BINFLOAT: "op_binfloat", pickle.BINUNICODE: "op_binunicode",
    pickle.SHORT_BINUNICODE: "op_short_binunicode", pickle.BINUNICODE8: "op_binunicode8",
    pickle.BINBYTES: "op_binbytes", pickle.SHORT_BINBYTES: "op_short_binbytes",
    pickle.BINBYTES8: "op_binbytes8", pickle.BYTEARRAY8: "op_bytearray8", pickle.BINSTRING: "op_binstring",
    pickle.SHORT_BINSTRING: "op_short_binstring", pickle.EMPTY_TUPLE: "op_empty_tuple",
    pickle.EMPTY_LIST: "op_empty_list", pickle.EMPTY_DICT: "op_empty_dict", pickle.EMPTY_SET: "op_empty_set",
    pickle.MARK: "op_mark", pickle.TUPLE: "op_tuple", pickle.TUPLE1: "op_tuple1", pickle.TUPLE2: "op_tuple2",
    pickle.TUPLE3: "op_tuple3", pickle.LIST: "op_list", pickle.DICT: "op_dict", pickle.FROZENSET: "op_frozenset",
    pickle.POP: "op_pop", pickle.POP_MARK: "op_pop_mark", pickle.DUP: "op_dup", pickle.APPEND: "op_append",
    pickle.APPENDS: "op_appends", pickle.SETITEM: "op_setitem", pickle.SETITEMS: "op_setitems",
    pickle.ADDITEMS: "op_additems", pickle.BINGET: "op_binget", pickle.LONG_BINGET: "op_long_binget",
    pickle.BINPUT: "op_binput", pickle.LONG_BINPUT: "op_long_binput", pickle.MEMOIZE: "op_memoize",
    pickle.GLOBAL: "op_global", pickle.STACK_GLOBAL: "op_stack_global", pickle.REDUCE: "op_reduce",
    pickle.NEWOBJ: "op_newobj", pickle.NEWOBJ_EX: "op_newobj_ex", pickle.BUILD: "op_build",
    pickle.BINPERSID: "op_binpersid",
}
_HANDLERS = {code[0]: getattr(RestrictedUnpickler, name) for code, name in _OPS.items()}
#: opcodes that would import, call or look up something outside the allowlist
_REFUSED = {code[0] for code in (pickle.INST, pickle.OBJ, pickle.PERSID, pickle.EXT1, pickle.EXT2, pickle.EXT4,
                                 pickle.NEXT_BUFFER, pickle.READONLY_BUFFER, pickle.INT, pickle.LONG,
                                 pickle.STRING, pickle.UNICODE, pickle.FLOAT, pickle.GET, pickle.PUT)}


def _children(obj):
    """The objects a container holds, or None for a leaf (tensors, strings, numbers...)."""
    kind = type(obj)
    if kind is list or kind is tuple or kind is set or kind is frozenset:
        return obj
    if isinstance(obj, dict):
        return [*obj.keys(), *obj.values()]
    if kind in _LEAVES or isinstance(obj, Tensor):
        return None
    state = getattr(obj, "__dict__", None)
    return list(state.values()) if type(state) is dict and state else None


_LEAVES = {str, bytes, bytearray, int, float, complex, bool, type(None)}


def _too_deep(root, limit: int) -> bool:
    """Whether containers nest deeper than ``limit`` in ``root`` (iteratively: heights of a graph
    that may share and cycle)."""
    height: dict = {}
    on_path: set = set()
    stack = [(root, _children(root))]
    while stack:
        obj, children = stack.pop()
        if children is None:
            continue
        key = id(obj)
        if key in on_path:  # every child is done
            on_path.discard(key)
            deepest = max((height.get(id(child), 0) for child in children), default=0)
            if deepest + 1 > limit:
                return True
            height[key] = deepest + 1
            continue
        if key in height:
            continue
        on_path.add(key)
        if len(on_path) > limit:
            return True
        stack.append((obj, children))
        for child in children:
            if id(child) not in height and id(child) not in on_path:
                grandchildren = _children(child)
                if grandchildren is not None:
                    stack.append((child, grandchildren))
    return False


def full_unpickler(pickle_module, file, source: str, persistent_load, **kwargs):
    """``pickle_module.Unpickler`` over ``file`` that maps PyTorch's names to unigrad's and imports
    anything else: the file can run arbitrary code (``weights_only=False``)."""

    class FullUnpickler(pickle_module.Unpickler):
        def find_class(self, module, name):
            module, name = map_python2_name(module, name)
            found = defaults().get(f"{module}.{name}", _MISSING)
            if found is not _MISSING:
                return found
            if module == "torch" or module.startswith("torch."):
                equivalent = torch_names.unigrad_equivalent(module, name)
                if equivalent is None:
                    raise CheckpointError(f"{source}: the checkpoint refers to {module}.{name}, which "
                                          "unigrad cannot provide")
                return equivalent
            return super().find_class(module, name)

    unpickler = FullUnpickler(file, **kwargs)
    unpickler.persistent_load = persistent_load
    return unpickler
