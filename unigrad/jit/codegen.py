"""Turn a Program into one straight-line Python function: guards, then the replay.

The generated ``run(args, kwargs)`` first resolves every world node and checks what the capture
assumed (returning a ``Miss`` naming the first failed guard), then loads the input buffers,
calls the recorded primitives through bound methods held as constants -- no Tensor objects, no
autograd, no promotion or shape logic -- recomputes traced scalars, repeats the validating host
reads, performs the effects (``p.grad = ...``, version counters) and builds the return value.
A variable is deleted right after its last use (see ``unigrad.jit.memory``), so intermediates are
freed as early as eager frees them, or earlier.
"""
from __future__ import annotations

import math

import numpy as np

from ..api import autocast_state, device as _device_module, dtypes as _dtypes
from ..api.tensor import Tensor
from ..autograd.grad_mode import _state as _grad_state, inference_scopes
from ..autograd.node import Node
from . import validation
from .memory import plan_memory
from .recorder import Call, Check, Read, Take, Var
from .scalars import ScalarNode

_SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "pow": "**"}


class Miss:
    """A failed guard: ``index`` into the program's ``guard_descriptions``."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


def released_node(name: str) -> Node:
    """A graph node that was already run (backward through it raises, as after eager
    ``loss.backward()``)."""
    node = Node(name, None, ())
    return node


def tensor_matches(t: Tensor, shape, dtype, device, strides) -> bool:
    """Slow path of a tensor guard: the buffer object changed, is it still alike?"""
    buf = t._buf
    return (buf.shape == shape and t._dtype is dtype and t._device is device
            and (strides is None or t._backend.strides(buf) == strides))


class Emitter:
    """Lines of Python plus the constants they refer to."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict = {"Tensor": Tensor, "_make": Tensor._make, "_sqrt": math.sqrt,
                                "_released": released_node, "_tensor_matches": tensor_matches,
                                "_check_range": validation.check_range,
                                "_check_same": validation.check_same,
                                "_array_equal": np.array_equal, "_grad": _grad_state,
                                "_scopes": inference_scopes, "_autocast": autocast_state.local,
                                "_dtypes": _dtypes, "_devices": _device_module}
        self._names: dict = {}
        self.guards: list[str] = []
        self.tensors: set = set()  # TensorSpecs already built in the replay

    def const(self, value, prefix: str = "K") -> str:
        name = self._names.get(id(value))
        if name is None:
            name = f"{prefix}{len(self._names)}"
            self._names[id(value)] = name
            self.namespace[name] = value
        return name

    def literal(self, value) -> str:
        cls = value.__class__
        if value is None or cls is bool or cls is int or cls is str:
            return repr(value)
        if cls is float and math.isfinite(value):
            return repr(value)
        if cls is tuple:
            inner = ", ".join(self.literal(v) for v in value)
            return f"({inner},)" if len(value) == 1 else f"({inner})"
        return self.const(value)

    def line(self, text: str, indent: int = 1) -> None:
        self.lines.append("    " * indent + text)

    def guard(self, condition: str, description: str) -> None:
        index = len(self.guards)
        self.guards.append(description)
        self.line(f"if {condition}: return _MISS[{index}]", 2)


def generate(program, memory_planning: bool = True, replay_hook: bool = False) -> None:
    """Build ``program.run`` (and its ``source`` and ``guard_descriptions``)."""
    e = Emitter()
    plan = plan_memory(program, reuse=memory_planning)
    program.plan = plan
    hooked = replay_hook and _hookable(program)
    if hooked:
        _emit_body(e, program, plan)
    e.lines.append("def run(args, kwargs):")
    e.line("try:")
    _emit_world(e, program)
    _emit_aliasing(e, program.world)
    _emit_global_state(e, program.global_state, program.uses_default_device)
    e.line("except Exception:")
    e.line("return _MISS_ERROR", 2)
    e.guards.append("the guarded objects could not be looked up (a container changed shape)")
    for var in program.inputs:
        e.line(f"{var!r} = o{var.source.index}._buf")
    emitted_scalars: set = set()
    if hooked:
        kept = _kept_list(program)
        inputs = "".join(f"{v!r}, " for v in program.inputs)
        targets = "".join(f"v{i}, " for i in kept)
        e.line(f"{targets or '_'} = _REPLAY[0](({inputs}))" if kept else f"_REPLAY[0](({inputs}))")
    else:
        bound: dict = {}
        for position, step in enumerate(program.steps):
            _emit_step(e, program, step, position, plan, bound, emitted_scalars)
            dead = plan.frees.get(position)
            if dead:
                e.line("del " + ", ".join(f"v{i}" for i in dead))
    _emit_effects(e, program, emitted_scalars)
    e.line(f"return {_render_output(e, program, program.output, emitted_scalars)}")
    source = "\n".join(e.lines) + "\n"
    misses = [Miss(i) for i in range(len(e.guards))]
    e.namespace["_MISS"] = misses
    e.namespace["_MISS_ERROR"] = misses[-1]
    namespace = dict(e.namespace)
    exec(compile(source, "<unigrad compiled program>", "exec"), namespace)
    if hooked:
        namespace["_REPLAY"] = [_FirstReplay(program, namespace["body"], namespace)]
    program.run = namespace["run"]
    program.source = source
    program.guard_descriptions = e.guards
    program.hooked = hooked


# ----- whole programs handed to a backend (replay_program) -------------------------------------------
def _hookable(program) -> bool:
    """A program of primitive calls on one backend with constant arguments only: what a graph
    capture (CUDA graphs) can replay as it is."""
    if not program.steps or any(step.__class__ is not Call for step in program.steps):
        return False
    if len({step.backend for step in program.steps} | {v.backend for v in program.inputs}) != 1:
        return False
    if getattr(program.backends[program.steps[0].backend], "replay_program", None) is None:
        return False
    return not any(_has_scalar_node(a) for step in program.steps
                   for a in list(step.args) + list(step.kwargs.values()))


def _has_scalar_node(value) -> bool:
    if isinstance(value, ScalarNode):
        return True
    return value.__class__ in (tuple, list) and any(_has_scalar_node(v) for v in value)


def _kept_list(program) -> list:
    from .memory import kept_vars
    return sorted(kept_vars(program))


def _emit_body(e: Emitter, program, plan) -> None:
    """``body(inputs) -> kept buffers``: the steps as a pure function of the input buffers."""
    e.lines.append("def body(inputs):")
    names = "".join(f"{v!r}, " for v in program.inputs)
    if names:
        e.line(f"{names} = inputs")
    bound: dict = {}
    for position, step in enumerate(program.steps):
        _emit_step(e, program, step, position, plan, bound, set())
        dead = plan.frees.get(position)
        if dead:
            e.line("del " + ", ".join(f"v{i}" for i in dead))
    e.line("return (" + "".join(f"v{i}, " for i in _kept_list(program)) + ")")


def written_inputs(program) -> frozenset:
    """Positions (in ``program.inputs``) of the inputs the program writes in place."""
    root = {v.index: v.index for v in program.inputs}
    written = set()
    for step in program.steps:
        if step.__class__ is not Call:
            continue
        targets = []
        if "out" in step.kwargs and isinstance(step.kwargs["out"], Var):
            targets.append(step.kwargs["out"])
        if step.name in ("copy_", "scatter", "scatter_add", "scatter_reduce") and step.args \
                and isinstance(step.args[0], Var):
            targets.append(step.args[0])
        for target in targets:
            written.add(root.get(target.index, target.index))
        outputs = step.outputs
        if isinstance(outputs, Var) and step.name == "as_strided" and isinstance(step.args[0], Var):
            root[outputs.index] = root.get(step.args[0].index, step.args[0].index)
    positions = {v.index: i for i, v in enumerate(program.inputs)}
    return frozenset(positions[i] for i in written if i in positions)


class _FirstReplay:
    """On the first replay, offer the program to the backend's ``replay_program`` hook; use
    what it returns from then on (or the plain body if it declines)."""

    def __init__(self, program, body, namespace) -> None:
        self.program, self.body, self.namespace = program, body, namespace

    def __call__(self, inputs):
        program = self.program
        backend = program.backends[program.steps[0].backend]
        stable = frozenset(i for i, var in enumerate(program.inputs) if var.source.stable)
        replay = backend.replay_program(self.body, inputs, written_inputs(program), stable)
        if replay is None:
            replay = self.body
            program.hooked = False
        self.namespace["_REPLAY"][0] = replay
        return replay(inputs)


# ----- guards ----------------------------------------------------------------------------------------
def _edge_expression(e: Emitter, node) -> str:
    edge = node.edge
    kind = edge[0]
    if kind == "arg":
        return f"args[{edge[1]}]"
    if kind == "kwarg":
        return f"kwargs[{edge[1]!r}]"
    if kind == "global":
        return f"{e.const(edge[1], 'G')}[{edge[2]!r}]"
    if kind == "const":
        return e.const(edge[1])
    if kind == "cell":
        return e.const(edge[1], "C")
    if kind == "contents":
        return f"o{node.parent.index}.cell_contents"
    if kind == "attr":
        return f"d{node.parent.index}[{edge[1]!r}]"
    if kind == "item":
        key = edge[1]
        rendered = e.literal(key) if key.__class__ in (int, str, bool) else e.const(key)
        return f"o{node.parent.index}[{rendered}]"
    if kind == "grad":
        return f"o{node.parent.index}.grad"
    raise AssertionError(f"unknown edge {edge}")


def _emit_world(e: Emitter, program) -> None:
    world = program.world
    e.guard(f"len(args) != {world.arg_count} or len(kwargs) != {len(world.kwarg_names)}",
            f"called with {world.arg_count} positional and {len(world.kwarg_names)} keyword arguments")
    if world.kwarg_names:
        e.guard(f"kwargs.keys() != {e.const(frozenset(world.kwarg_names))}",
                f"keyword arguments {sorted(world.kwarg_names)}")
    # whether .grad fields matter: a program that reads or assigns gradients (a training step)
    # guards which ones are None; a forward pass does not look at them
    grads_matter = any(w.kind == "grad" for w in program.writes) or any(
        v.source.edge[0] == "grad" for v in program.inputs)
    for node in world.nodes:
        name = f"o{node.index}"
        e.line(f"{name} = {_edge_expression(e, node)}", 2)
        path = node.describe()
        kind = node.kind
        if kind == "alias":
            e.guard(f"{name} is not o{node.alias_of.index}",
                    f"{path} is the same object as {node.alias_of.describe()}")
            continue
        if node.edge[0] in ("const", "cell"):
            if kind == "object":
                e.line(f"d{node.index} = {name}.__dict__", 2)
            continue
        if kind == "scalar":
            _scalar_guard(e, name, node.obj, path)
        elif kind == "tensor":
            _tensor_guard(e, name, node, path, grads_matter)
        elif kind in ("dict", "list", "tuple", "object", "sized"):
            if node.stable:
                e.guard(f"{name} is not {e.const(node.obj)}", f"{path} is the same object")
            else:
                e.guard(f"{name}.__class__ is not {e.const(type(node.obj))}",
                        f"{path} is a {type(node.obj).__name__}")
            if kind == "object":
                e.line(f"d{node.index} = {name}.__dict__", 2)
                e.guard(f"len(d{node.index}) != {len(node.obj.__dict__)}",
                        f"{path} has the same attributes")
            else:
                e.guard(f"len({name}) != {len(node.obj)}", f"{path} has {len(node.obj)} entries")
        elif kind == "array":
            e.guard(f"{name} is not {e.const(node.obj)}", f"{path} is the same array")
            if node.entries is not None and isinstance(node.entries, np.ndarray):
                e.guard(f"not _array_equal({name}, {e.const(node.entries)})", f"{path} holds the same values")
        else:  # opaque objects and functions
            e.guard(f"{name} is not {e.const(node.obj)}", f"{path} is the same object")


def _emit_aliasing(e: Emitter, world) -> None:
    """Tensors that shared a buffer at capture must share it now; distinct argument tensors must
    still be distinct (the frontend copies before an in-place op between overlapping operands)."""
    for first, other in world.buffer_aliases:
        e.guard(f"o{other.index}._buf is not o{first.index}._buf",
                f"{other.describe()} shares its buffer with {first.describe()}")
    arguments = [n for n in world.roots if n.kind == "tensor" and n.edge[0] in ("arg", "kwarg")][:8]
    for i, a in enumerate(arguments):
        for b in arguments[i + 1:]:
            e.guard(f"o{a.index} is o{b.index}", f"{a.describe()} and {b.describe()} are different tensors")


def _scalar_guard(e: Emitter, name: str, value, path: str) -> None:
    if value is None or value.__class__ is bool:
        e.guard(f"{name} is not {value!r}", f"{path} is {value!r}")
    elif value.__class__ is float and value != value:
        e.guard(f"{name}.__class__ is not float or {name} == {name}", f"{path} is nan")
    elif value.__class__ in (int, float, str, bytes, complex):
        e.guard(f"{name}.__class__ is not {value.__class__.__name__} or {name} != {e.literal(value)}",
                f"{path} == {value!r}")
    else:  # enum members, frozensets of scalars
        e.guard(f"{name} != {e.const(value)}", f"{path} == {value!r}")


def _tensor_guard(e: Emitter, name: str, node, path: str, grads_matter: bool) -> None:
    state = node.tensor_state
    buf, dtype_object, device_object, backend = state[1], state[4], state[7], state[8]
    shape = tuple(buf.shape)
    strides = tuple(backend.strides(buf)) if node.reads_buffer else None
    dtype, device = e.const(dtype_object), e.const(device_object)
    if node.stable:
        e.guard(f"{name} is not {e.const(node.obj)}", f"{path} is the same tensor")
        e.guard(f"{name}._buf is not {e.const(buf)} and not _tensor_matches({name}, {e.literal(shape)}, "
                f"{dtype}, {device}, {e.literal(strides)})",
                f"{path} has shape {list(shape)}, dtype {dtype_object}, device {device_object}"
                + (f", strides {strides}" if strides else ""))
    else:
        e.guard(f"{name}.__class__ is not Tensor", f"{path} is a Tensor")
        e.line(f"b{node.index} = {name}._buf", 2)
        e.guard(f"b{node.index}.shape != {e.literal(shape)} or {name}._dtype is not {dtype} "
                f"or {name}._device is not {device}",
                f"{path} has shape {list(shape)}, dtype {dtype_object}, device {device_object}")
        if strides is not None:
            e.guard(f"{name}._backend.strides(b{node.index}) != {e.literal(strides)}",
                    f"{path} has strides {strides}")
    requires_grad, leaf = state[2], state[3] is None
    e.guard(f"{name}._requires_grad is not {requires_grad!r} or ({name}.grad_fn is None) is not {leaf!r}",
            f"{path}.requires_grad is {requires_grad}" + ("" if leaf else " (not a leaf)"))
    had_grad = state[0] is not None
    if not had_grad and grads_matter:
        e.guard(f"{name}.grad is not None", f"{path}.grad is None")


def _emit_global_state(e: Emitter, state, uses_default_device: bool) -> None:
    grad_enabled, inference, active, settings, depth, default_dtype, default_device = state
    e.guard(f"_grad.enabled is not {grad_enabled!r}", f"grad mode is {'enabled' if grad_enabled else 'disabled'}")
    e.guard(f"(_grad.inference and _scopes[0] > 0) is not {inference!r}",
            f"inference mode is {'on' if inference else 'off'}")
    e.guard(f"_autocast.active is not {active!r} or _autocast.depth != {depth} or "
            f"_autocast.settings != {e.const(settings)}", f"autocast state {settings}")
    e.guard(f"_dtypes._default_float is not {e.const(default_dtype)}", f"default dtype {default_dtype}")
    if uses_default_device:
        e.guard(f"_devices._default_device is not {e.const(default_device)}", f"default device {default_device}")


# ----- steps -------------------------------------------------------------------------------------------
def _method(e: Emitter, program, backend_index: int, name: str, bound: dict) -> str:
    key = (backend_index, name)
    found = bound.get(key)
    if found is None:
        method = getattr(program.backends[backend_index], name)  # the shadows are gone by now
        found = bound[key] = e.const(method, f"B{backend_index}_{name}_")
    return found


def _operand(e: Emitter, value, emitted: set) -> str:
    if isinstance(value, Var):
        return repr(value)
    if isinstance(value, ScalarNode):
        return _scalar(e, value, emitted)
    if value.__class__ is tuple or value.__class__ is list:
        inner = ", ".join(_operand(e, v, emitted) for v in value)
        if value.__class__ is list:
            return f"[{inner}]"
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return e.literal(value)


def _scalar(e: Emitter, node: ScalarNode, emitted: set) -> str:
    name = f"s{node.index}"
    if node.index in emitted:
        return name
    parts = [_scalar(e, o, emitted) if isinstance(o, ScalarNode) else e.literal(o) for o in node.operands]
    op = node.op
    if op in _SYMBOLS:
        expression = f"{parts[0]} {_SYMBOLS[op]} {parts[1]}"
    elif op == "neg":
        expression = f"-{parts[0]}"
    elif op == "abs":
        expression = f"abs({parts[0]})"
    elif op == "sqrt":
        expression = f"_sqrt({parts[0]})"
    else:
        raise AssertionError(f"scalar {op} has no expression")
    e.line(f"{name} = {expression}")
    emitted.add(node.index)
    return name


def _emit_step(e: Emitter, program, step, position: int, plan, bound: dict, emitted: set) -> None:
    cls = step.__class__
    if cls is Call:
        method = _method(e, program, step.backend, step.name, bound)
        args = [_operand(e, a, emitted) for a in step.args]
        kwargs = dict(step.kwargs)
        args += [f"{k}={_operand(e, v, emitted)}" for k, v in kwargs.items()]
        donor = plan.donors.get(position)
        if donor is not None:
            args.append(f"out=v{donor}")
        outputs = step.outputs
        if outputs is None:
            target = ""
        elif outputs.__class__ is tuple:
            target = ", ".join(repr(o) if isinstance(o, Var) else "_" for o in outputs) + " = "
        elif isinstance(outputs, Var):
            target = "" if outputs in _argument_vars(step) else f"{outputs!r} = "
        else:
            target = ""
        e.line(f"{target}{method}({', '.join(args)})")
    elif cls is Read:
        to_numpy = _method(e, program, step.backend, "to_numpy", bound)
        e.line(f"s{step.node.index} = {to_numpy}({step.var!r}).reshape(()).item()")
        emitted.add(step.node.index)
    elif cls is Take:
        e.line(f"s{step.seed.index}, s{step.offset.index} = {e.const(step.generator)}.take({step.words})")
        emitted.update((step.seed.index, step.offset.index))
    elif cls is Check:
        to_numpy = _method(e, program, step.backend, "to_numpy", bound)
        if step.kind == "range":
            e.line(f"_check_range({to_numpy}({step.var!r}), {step.low!r}, {step.high!r}, {step.message!r})")
        else:
            e.line(f"_check_same({to_numpy}({step.var!r}), {e.const(step.expected)}, {step.message!r}, "
                   f"{e.const(step.error)})")
    else:
        raise AssertionError(f"unknown step {step!r}")


def _argument_vars(call: Call) -> set:
    found = set()
    for value in list(call.args) + list(call.kwargs.values()):
        if isinstance(value, Var):
            found.add(value)
    return found


# ----- effects and output --------------------------------------------------------------------------------
def _emit_effects(e: Emitter, program, emitted: set) -> None:
    for write in program.writes:
        value = _render_tensor(e, write.value, emitted) if write.value is not None else "None"
        owner = f"o{write.owner.index}"
        if write.kind == "grad":
            e.line(f"{owner}.grad = {value}")
        elif write.kind == "attr":
            e.line(f"d{write.owner.index}[{write.key!r}] = {value}")
        else:
            key = e.literal(write.key) if write.key.__class__ in (int, str, bool) else e.const(write.key)
            e.line(f"{owner}[{key}] = {value}")
    for node, var in program.rebinds:
        e.line(f"o{node.index}._buf = {var!r}")
    for node, delta in program.versions:
        e.line(f"o{node.index}._version[0] += {delta}")


def _render_tensor(e: Emitter, spec, emitted: set) -> str:
    if spec.node is not None:
        return f"o{spec.node.index}"
    name = f"t{spec.index}"
    if spec.index in e.tensors:
        return name
    e.line(f"{name} = _make({spec.var!r}, {e.const(spec.dtype)}, {e.const(spec.device)}, "
           f"{e.const(spec.backend)}, {spec.requires_grad!r})")
    if spec.is_param:
        e.line(f"{name}._is_param = True")
    if spec.grad_fn is not None:
        kind, payload = spec.grad_fn
        if kind == "released":
            e.line(f"{name}.grad_fn = _released({payload!r})")
        else:  # "live": a compiled backward (unigrad.jit.backward)
            saved = "".join(f"{v!r}, " for v in payload.saved)
            inputs = "".join(f"o{n.index}, " for n in payload.boundary)
            e.line(f"{name}.grad_fn = {e.const(payload)}.node(({saved}), ({inputs}))")
    e.tensors.add(spec.index)
    return name


def _render_output(e: Emitter, program, spec, emitted: set) -> str:
    kind = spec[0]
    if kind == "tensor":
        return _render_tensor(e, spec[1], emitted)
    if kind == "const":
        return e.literal(spec[1])
    if kind == "scalar":
        return _scalar(e, spec[1], emitted)
    if kind == "node":
        return f"o{spec[1].index}"
    if kind in ("tuple", "list"):
        inner = ", ".join(_render_output(e, program, s, emitted) for s in spec[1])
        if kind == "list":
            return f"[{inner}]"
        return f"({inner},)" if len(spec[1]) == 1 else f"({inner})"
    if kind == "namedtuple":
        inner = ", ".join(_render_output(e, program, s, emitted) for s in spec[2])
        return f"{e.const(spec[1])}({inner})"
    if kind == "dict":
        inner = ", ".join(f"{e.literal(k) if k.__class__ in (int, str) else e.const(k)}: "
                          f"{_render_output(e, program, s, emitted)}" for k, s in spec[2])
        return f"{e.const(spec[1])}({{{inner}}})" if spec[1] is not dict else f"{{{inner}}}"
    raise AssertionError(f"unknown output {spec}")
