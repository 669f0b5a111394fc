"""Recording the backend primitives a call makes.

Every tensor holds ``_backend`` and every primitive is an attribute call on it
(``x._backend.add(...)``), so during a capture each backend instance's primitive methods are
shadowed by instance attributes that run the real method and append a ``Call`` to the program;
afterwards the instance attributes are deleted and eager execution pays nothing. Calls a
primitive makes on its own backend (``self.max`` inside ``log_softmax``) run unrecorded: only the
outermost call belongs to the program.

Buffers are tracked by identity: a buffer a recorded call returned is a program value; one that
was already there is an **input**, found again through the world node of the tensor holding it.
A buffer that is neither (a tensor the world walk did not reach) breaks the graph.
"""
from __future__ import annotations

import builtins
import os
import sys
import threading
import weakref

import numpy as np

from ..api import dtypes as _dtypes
from ..api.device import device as _Device
from . import scalars, validation
from .scalars import ScalarNode, TracedFloat
from .world import MAX_CONTAINER as _MAX_CONTAINER

#: backend attributes that are queries, not primitives (never recorded)
METADATA = frozenset({"strides", "data_ptr", "storage_position", "is_shared", "describe",
                      "unsupported_reason", "synchronize", "probe", "device_count", "inventory",
                      "replay_program"})
#: primitives whose use breaks the graph, and why
BREAKING = {
    "nonzero": "an output shape that depends on tensor values (nonzero, boolean-mask indexing)",
    "from_numpy_shared": "a tensor sharing host memory (from_numpy) created inside the function",
    "dlpack": "a DLPack export",
    "share_memory": "share_memory_()",
}
#: host arrays up to this many elements copied to a device inside a capture become constants
MAX_CONSTANT_ELEMENTS = 1 << 16
_PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_CONSTANT_TYPES = (int, float, bool, str, type(None), np.generic, np.dtype, _dtypes.dtype, _Device)


class GraphBreak(Exception):
    """Raised inside a capture with ``fullgraph=True`` (see ``unigrad.compiler.Unsupported``)."""


class Var:
    """A buffer in the program: an input found through a world node, or a call's result."""

    __slots__ = ("index", "backend", "source", "shape", "dtype", "strides", "producer")

    def __init__(self, index: int, backend: int, source=None, shape=None, dtype=None) -> None:
        self.index, self.backend, self.source = index, backend, source
        self.shape, self.dtype, self.strides, self.producer = shape, dtype, None, None

    def __repr__(self) -> str:
        return f"v{self.index}"


class Call:
    """``outputs = backends[backend].name(*args, **kwargs)``; ``outputs`` is a tuple of Vars
    (a primitive returning a tuple), one Var, or None (an in-place primitive)."""

    __slots__ = ("backend", "name", "args", "kwargs", "outputs")

    def __init__(self, backend: int, name: str, args: tuple, kwargs: dict, outputs) -> None:
        self.backend, self.name, self.args, self.kwargs, self.outputs = backend, name, args, kwargs, outputs


class Read:
    """A host read of a one-element buffer whose value feeds traced scalars."""

    __slots__ = ("var", "node", "backend")

    def __init__(self, var: Var, node: ScalarNode, backend: int) -> None:
        self.var, self.node, self.backend = var, node, backend


class Take:
    """``seed, offset = generator.take(words)``: the random stream advances on every replay."""

    __slots__ = ("generator", "words", "seed", "offset")

    def __init__(self, generator, words: int, seed: ScalarNode, offset: ScalarNode) -> None:
        self.generator, self.words, self.seed, self.offset = generator, words, seed, offset


class Check:
    """A validating host read (see ``unigrad.jit.validation``)."""

    __slots__ = ("var", "backend", "kind", "low", "high", "expected", "message", "error")

    def __init__(self, var, backend, kind, low=None, high=None, expected=None, message="") -> None:
        self.var, self.backend, self.kind = var, backend, kind
        self.low, self.high, self.expected, self.message = low, high, expected, message
        self.error = IndexError


class BreakInfo:
    """Why a capture stopped: the operation and the user's source line."""

    def __init__(self, reason: str, location: str, line: str) -> None:
        self.reason, self.location, self.line = reason, location, line

    def __str__(self) -> str:
        where = f" at {self.location}" if self.location else ""
        code = f"\n    {self.line}" if self.line else ""
        return f"{self.reason}{where}{code}"


def user_location(frame=None) -> tuple[str, str]:
    """``("file:line in function", source line)`` of the innermost frame outside unigrad."""
    import linecache
    frame = frame or sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        frame = frame.f_back
    if frame is None:
        return "", ""
    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    return (f"{filename}:{lineno} in {frame.f_code.co_name}",
            linecache.getline(filename, lineno).strip())


_PLUMBING = frozenset({"wrapper", "op", "inner", "inplace", "recorded", "decorate_context", "tripped"})


def _library_operation(frame) -> str:
    """What the user called, from the unigrad frames below the user's frame: the innermost public
    function, and the outermost if it differs (``item in step``)."""
    names = []
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE):
        name = frame.f_code.co_name
        if "/jit/" not in frame.f_code.co_filename and not name.startswith("_") and name not in _PLUMBING:
            names.append(name)
        frame = frame.f_back
    if not names:
        return ""
    return names[0] if len(names) == 1 or names[0] == names[-1] else f"{names[0]} in {names[-1]}"


class Recorder:
    """Shadows the backends' primitives while a call runs and builds the program's steps."""

    def __init__(self, entry_buffers: dict, fullgraph: bool = False) -> None:
        self.entry_buffers = entry_buffers  # id(buf) -> (buf, world node)
        self.fullgraph = fullgraph
        self.steps: list = []
        self.vars: list[Var] = []
        self.inputs: list[Var] = []
        self.backends: list = []
        self._backend_index: dict = {}
        self._known: dict = {}  # id(buf) -> (reference, Var)
        self._strong: list = []  # buffers that cannot be weakly referenced
        self.scalar_nodes: list[ScalarNode] = []
        self.recording = True
        self.depth = 0
        self.allow_read = 0
        self.pending_take = None
        self.break_info: BreakInfo | None = None
        self._installed: list = []  # (owner, name, previous or _ABSENT)
        self.primitive_count = 0
        self.default_device_used = False
        self.thread = threading.get_ident()  # other threads' calls pass through unrecorded

    # ----- installing the shadows ----------------------------------------------------------------
    def install(self, backends) -> None:
        for backend in backends:
            self._shadow_backend(backend)
        self._install_tripwires()
        scalars.active[0] = self

    def uninstall(self) -> None:
        scalars.active[0] = None
        for owner, name, previous in reversed(self._installed):
            if previous is _ABSENT:
                if isinstance(owner, type):
                    delattr(owner, name)
                else:
                    owner.__dict__.pop(name, None)
            else:
                setattr(owner, name, previous)
        self._installed.clear()

    def _index_of(self, backend) -> int:
        index = self._backend_index.get(id(backend))
        if index is None:
            index = self._backend_index[id(backend)] = len(self.backends)
            self.backends.append(backend)
        return index

    def _shadow_backend(self, backend) -> None:
        if any(owner is backend for owner, _, _ in self._installed):
            return
        index = self._index_of(backend)
        state = getattr(backend, "__dict__", None)
        if state is None:
            raise TypeError(f"backend {type(backend).__name__} has no instance __dict__: its "
                            "primitives cannot be recorded")
        cls = type(backend)
        for name in dir(cls):
            if name.startswith("_") or name in METADATA:
                continue
            attribute = getattr(cls, name, None)
            if not callable(attribute) or isinstance(attribute, type):
                continue
            method = getattr(backend, name)
            if method is None:
                continue
            if name == "to_numpy":
                wrapper = self._host_read_wrapper(index, method)
            elif name in BREAKING:
                wrapper = self._breaking_wrapper(method, BREAKING[name])
            else:
                wrapper = self._wrapper(index, name, method)
            self._installed.append((backend, name, state.get(name, _ABSENT)))
            state[name] = wrapper

    def _patch(self, owner, name: str, replacement) -> None:
        previous = owner.__dict__.get(name, _ABSENT) if isinstance(owner, type) else getattr(owner, name)
        self._installed.append((owner, name, previous))
        setattr(owner, name, replacement)

    def _install_tripwires(self) -> None:
        """Python-level operations whose effects a replay cannot repeat: each breaks the graph."""
        from ..api.ops.random import Generator
        from ..api.tensor import Tensor
        from ..autograd.node import Node
        from ..utils.data.dataloader import DataLoader

        recorder = self
        take = Generator.take

        def recorded_take(generator, words):
            result = take(generator, words)
            if recorder.recording and not recorder.depth and _ident() == recorder.thread:
                recorder.pending_take = (generator, words, result)
            return result

        self._patch(Generator, "take", recorded_take)
        for owner, name, reason in (
                (Generator, "manual_seed", "re-seeding a random generator"),
                (Generator, "seed", "re-seeding a random generator"),
                (Generator, "set_state", "setting a random generator's state"),
                (DataLoader, "__iter__", "iterating a DataLoader"),
                (Tensor, "register_hook", "registering a tensor hook"),
                (Tensor, "register_post_accumulate_grad_hook", "registering a gradient hook"),
                (Tensor, "retain_grad", "retain_grad()"),
                (Node, "register_hook", "registering an autograd node hook"),
                (Node, "register_prehook", "registering an autograd node hook")):
            original = getattr(owner, name, None)
            if original is not None:
                self._patch(owner, name, self._tripwire(original, reason))
        self._patch(builtins, "print", self._tripwire(builtins.print, "print()"))
        from ..api import creation
        default_device = creation.get_default_device

        def consulted_default_device():
            if _ident() == recorder.thread:
                recorder.default_device_used = True  # the program then guards the default device
            return default_device()

        self._patch(creation, "get_default_device", consulted_default_device)

    def _tripwire(self, original, reason: str):
        recorder = self

        def tripped(*args, **kwargs):
            if recorder.recording and not recorder.depth and _ident() == recorder.thread:
                recorder.graph_break(reason, sys._getframe(1))
            return original(*args, **kwargs)

        tripped.__name__ = getattr(original, "__name__", "tripwire")
        return tripped

    # ----- wrappers ------------------------------------------------------------------------------
    def _wrapper(self, index: int, name: str, method):
        recorder = self

        def recorded(*args, **kwargs):
            if recorder.depth or not recorder.recording or _ident() != recorder.thread:
                return method(*args, **kwargs)
            plain_args = tuple([scalars.plain(a) for a in args])
            plain_kwargs = {k: scalars.plain(v) for k, v in kwargs.items()} if kwargs else kwargs
            recorder.depth += 1
            try:
                result = method(*plain_args, **plain_kwargs)
            finally:
                recorder.depth -= 1
            if recorder.recording:
                recorder.record(index, name, args, kwargs, result)
            return result

        recorded.__name__ = name
        return recorded

    def _breaking_wrapper(self, method, reason: str):
        recorder = self

        def breaking(*args, **kwargs):
            if not recorder.depth and recorder.recording and _ident() == recorder.thread:
                recorder.graph_break(reason, sys._getframe(1))
            return method(*args, **kwargs)

        return breaking

    def _host_read_wrapper(self, index: int, method):
        recorder = self

        def host_read(x):
            if recorder.depth or not recorder.recording or recorder.allow_read or _ident() != recorder.thread:
                return method(x)
            frame = sys._getframe(1)
            site, site_frame = validation.find_site(frame)
            if site is None:
                recorder.graph_break("a host read of a tensor's value", frame)
                return method(x)
            var = recorder.operand(x)
            if not isinstance(var, Var):
                return method(x)
            recorder.depth += 1
            try:
                host = method(x)
            finally:
                recorder.depth -= 1
            if recorder.recording:
                local = site_frame.f_locals
                if site.kind == "range":
                    low, high = site.low(local), site.high(local)
                    message = site.message.format(low=low, high=high, dim=local.get("dim", "?"),
                                                  size=local.get("size", high))
                    recorder.steps.append(Check(var, index, "range", low, high, message=message))
                else:
                    check = Check(var, index, "same", expected=np.array(host, copy=True), message=site.message)
                    check.error = site.error
                    recorder.steps.append(check)
            return host

        return host_read

    # ----- operands and results --------------------------------------------------------------------
    def operand(self, value):
        """What a primitive argument becomes in the program: a Var for a buffer, a ScalarNode for
        a traced float, the value itself for a constant."""
        cls = value.__class__
        if cls is TracedFloat:
            return self._scalar(value._node)
        if isinstance(value, _CONSTANT_TYPES):
            return value
        if cls is tuple or cls is list:
            return cls(self.operand(v) for v in value)
        found = self._known.get(id(value))
        if found is not None and found[0]() is value:
            return found[1]
        entry = self.entry_buffers.get(id(value))
        if entry is not None and entry[0] is value:
            var = self._new_var(value, self._index_of(entry[2]), source=entry[1])
            self.inputs.append(var)
            entry[1].reads_buffer = True
            return var
        self.graph_break("a tensor the compiler cannot locate (not reachable from the arguments, "
                         "closure or globals of the compiled function, or in a container of more "
                         f"than {_MAX_CONTAINER} items)", sys._getframe(2))
        return value

    def _new_var(self, buf, backend: int, source=None) -> Var:
        var = Var(len(self.vars), backend, source, getattr(buf, "shape", None), getattr(buf, "dtype", None))
        try:
            var.strides = tuple(self.backends[backend].strides(buf))
        except Exception:  # a buffer the backend cannot describe is never reused
            var.strides = None
        self.vars.append(var)
        try:
            reference = weakref.ref(buf)
        except TypeError:
            self._strong.append(buf)
            reference = _Strong(buf)
        self._known[id(buf)] = (reference, var)
        return var

    def _scalar(self, node: ScalarNode) -> ScalarNode:
        """Number ``node`` (and the nodes it is computed from) in the order they were made."""
        if node.index < 0:
            if node.op in ("read", "take.seed", "take.offset"):
                raise AssertionError("a read node is numbered when its step is recorded")
            for operand in node.operands:
                if operand.__class__ is ScalarNode:
                    self._scalar(operand)
            node.index = len(self.scalar_nodes)
            self.scalar_nodes.append(node)
        return node

    def record(self, index: int, name: str, args: tuple, kwargs: dict, result) -> None:
        if result is NotImplemented:
            return  # a fast path declined: nothing happened
        if name == "from_numpy":
            array = args[0] if args else kwargs.get("array")
            if getattr(array, "size", 0) > MAX_CONSTANT_ELEMENTS:
                self.graph_break(f"copying a host array of {array.size} elements to the device inside "
                                 "the function (pass it as a tensor argument instead)", sys._getframe(2))
                return
            operands = (np.array(array, copy=True),)
            named = {}
        elif name == "random_bits":
            operands, named = self._random_operands(args, kwargs)
            if operands is None:
                return
        else:
            operands = tuple([self.operand(a) for a in args])
            named = {k: self.operand(v) for k, v in kwargs.items()} if kwargs else {}
        if not self.recording:
            return
        argument_ids = {id(a) for a in args} | {id(v) for v in kwargs.values()}
        if result is None:
            outputs = None
        elif result.__class__ is tuple:
            outputs = tuple(self._result(r, index, argument_ids) for r in result)
        else:
            outputs = self._result(result, index, argument_ids)
        call = Call(index, name, operands, named, outputs)
        for out in (outputs if outputs.__class__ is tuple else (outputs,)):
            if isinstance(out, Var) and out.producer is None:
                out.producer = call
        self.steps.append(call)
        self.primitive_count += 1

    def _result(self, value, index: int, argument_ids: set):
        if value is None or isinstance(value, _CONSTANT_TYPES):
            return value
        if id(value) in argument_ids:
            found = self._known.get(id(value))
            if found is not None and found[0]() is value:
                return found[1]  # an in-place primitive returning its ``out``
        return self._new_var(value, index)

    def _random_operands(self, args, kwargs):
        values = list(args) + [kwargs[k] for k in ("seed", "offset", "count") if k in kwargs]
        seed, offset, count = values[:3]
        pending, self.pending_take = self.pending_take, None
        if pending is None or pending[2] != (seed, offset):
            self.graph_break("random bits not drawn through a unigrad Generator", sys._getframe(3))
            return None, None
        generator, words, _ = pending
        seed_node = ScalarNode("take.seed", ())
        offset_node = ScalarNode("take.offset", ())
        for node in (seed_node, offset_node):
            node.index = len(self.scalar_nodes)
            self.scalar_nodes.append(node)
        self.steps.append(Take(generator, words, seed_node, offset_node))
        return (seed_node, offset_node, count), {}

    # ----- traced host reads -------------------------------------------------------------------------
    def traced_item(self, t):
        """``t.item()`` as a traced float (see ``unigrad.jit.scalars.item``)."""
        if not self.recording or not t._dtype.is_floating_point:
            return t.item()
        var = self.operand(t._buf)
        if not isinstance(var, Var):
            return t.item()
        self.allow_read += 1
        try:
            value = t.item()
        finally:
            self.allow_read -= 1
        node = ScalarNode("read", (var,))
        node.index = len(self.scalar_nodes)
        self.scalar_nodes.append(node)
        self.steps.append(Read(var, node, self._index_of(t._backend)))
        return TracedFloat(value, node)

    def scalar_escaped(self, node: ScalarNode, how: str) -> None:
        if self.recording:
            self.graph_break(f"a value read from a tensor used in Python ({how})", sys._getframe(3))

    # ----- breaks --------------------------------------------------------------------------------------
    def graph_break(self, reason: str, frame=None) -> None:
        """Stop recording (the call goes on eagerly); with ``fullgraph`` raise instead."""
        if not self.recording:
            return
        frame = frame or sys._getframe(1)
        operation = _library_operation(frame)
        location, line = user_location(frame)
        text = f"{reason} ({operation})" if operation and operation not in reason else reason
        self.break_info = BreakInfo(text, location, line)
        self.recording = False
        if self.fullgraph:
            raise GraphBreak(str(self.break_info))





class _Strong:
    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value

    def __call__(self):
        return self.value


_ABSENT = object()
_ident = threading.get_ident
