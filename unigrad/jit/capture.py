"""One capture: run the function eagerly under the recorder, then turn what happened into a Program.

The call's result is always the eager result (the capture never changes what the first call
computes). What comes back besides is a ``Program``, or the reason there is none: a graph break
(``Broken``: run this function eagerly from now on) or an effect the replay cannot repeat
(``Unreplayable``: e.g. the optimizer created its state on this call -- capture again next time).
"""
from __future__ import annotations

import time

from ..api import autocast_state, device as _device_module, dtypes as _dtypes
from ..api.tensor import Tensor
from ..autograd.grad_mode import _state as _grad_state, inference_scopes
from ..autograd.node import AccumulateGrad, anomaly, saved_tensors_hooks_stack
from ..backends import registry
from . import backward as _backward
from .codegen import generate
from .memory import kept_vars
from .passes import eliminate_dead_calls
from .program import Program, SlotWrite, TensorSpec
from .recorder import BreakInfo, GraphBreak, Recorder, Var, user_location
from .scalars import TracedFloat
from .world import MISSING, World, _SCALARS, _contents, _tensor_state

#: how many captures are running (nested compiled functions run inline in the outer capture)
depth = [0]


class Broken:
    """The function cannot be captured: why, and where."""

    def __init__(self, info: BreakInfo) -> None:
        self.info = info


class Unreplayable:
    """This call did something a replay cannot repeat (listed in ``reasons``)."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = reasons


def global_state() -> tuple:
    """The thread and process state every op consults, as a program assumes it."""
    local = autocast_state.local
    return (_grad_state.enabled, bool(_grad_state.inference and inference_scopes[0] > 0), local.active,
            dict(local.settings), local.depth, _dtypes.get_default_dtype(),
            _device_module._default_device)


def _early_break(reason: str) -> Broken:
    location, line = user_location()
    return Broken(BreakInfo(reason, location, line))


def capture(fn, args: tuple, kwargs: dict, *, fullgraph: bool, memory_planning: bool = True,
            replay_hook: bool = False, extra_roots=()):
    """Run ``fn(*args, **kwargs)``; returns ``(result, Program | Broken | Unreplayable)``."""
    start = time.perf_counter()
    reason = None
    if anomaly.enabled:
        reason = "anomaly detection is enabled"
    elif saved_tensors_hooks_stack:
        reason = "saved-tensor hooks are active"
    world = None
    if reason is None:
        world = World(fn, args, kwargs, extra_roots)
        world.arg_count, world.kwarg_names = len(args), tuple(kwargs)
        if world.hooks:
            reason = f"hooks: {world.hooks[0]}"
        elif world.overflow:
            reason = "the function reaches too many objects to guard"
    if reason is not None:
        if fullgraph:
            from ..compiler import Unsupported
            raise Unsupported(str(_early_break(reason).info))
        depth[0] += 1
        try:
            return fn(*args, **kwargs), _early_break(reason)
        finally:
            depth[0] -= 1
    world.snapshot()
    entry_buffers: dict = {}
    world.buffer_aliases = []  # tensors sharing one buffer object: the replay reads it once
    for node in world.tensor_nodes():
        buf = node.obj._buf
        first = entry_buffers.setdefault(id(buf), (buf, node, node.obj._backend))[1]
        if first is not node:
            world.buffer_aliases.append((first, node))
    recorder = Recorder(entry_buffers, fullgraph)
    backends = list(registry._instances.values())
    backends += [node.obj._backend for node in world.tensor_nodes()]
    before = global_state()
    world.loosen()
    recorder.install(backends)
    depth[0] += 1
    try:
        result = fn(*args, **kwargs)
    except GraphBreak as error:
        from ..compiler import Unsupported
        raise Unsupported(str(error)) from None
    finally:
        depth[0] -= 1
        recorder.uninstall()
        world.tighten()
    if recorder.break_info is not None:
        return result, Broken(recorder.break_info)
    problems: list[str] = []
    if global_state() != before:
        problems.append("the call changed the grad mode, autocast state, default dtype or device")
    try:
        writes, rebinds, versions = _effects(world, recorder, problems)
        specs = _Specs(world, recorder, problems)
        for write in writes:
            if write.value is not None:
                write.value = specs.tensor(write.value, f"the value assigned to {write.owner.describe()}")
        output = specs.output(result)
    except GraphBreak as error:
        from ..compiler import Unsupported
        raise Unsupported(str(error)) from None
    if recorder.break_info is not None:  # a buffer of the result could not be located
        return result, Broken(recorder.break_info)
    if problems:
        return result, Unreplayable(problems)
    program = Program(world=world, recorder=recorder, global_state=before, writes=writes,
                      rebinds=rebinds, versions=versions, output=output)
    program.saved_for_backward = specs.saved
    program.steps = eliminate_dead_calls(program.steps, kept_vars(program))
    for write in writes:  # a slot the program refills holds a new tensor on every call
        if write.kind == "grad":
            child = _child(world, write.owner, ("grad",))
        else:
            child = _child(world, write.owner, (write.kind, write.key))
        if child is not None:
            _unstable(child)
    generate(program, memory_planning=memory_planning, replay_hook=replay_hook)
    program.capture_seconds = time.perf_counter() - start
    return result, program


def _child(world, owner, edge):
    for node in world.nodes:
        if node.parent is owner and node.edge == edge:
            return node
    return None


def _unstable(node) -> None:
    node.stable = False


# ----- effects ----------------------------------------------------------------------------------------
def _effects(world: World, recorder: Recorder, problems: list):
    """What the call did to world objects: slot writes, buffer rebinds, version bumps; anything
    else goes to ``problems``."""
    writes, rebinds, versions = [], [], []
    seen_versions: set = set()
    for node in world.nodes:
        kind = node.kind
        if kind in ("dict", "object", "list"):
            before = node.entries
            after = _contents(node)
            if kind == "list":
                before, after = dict(enumerate(before)), dict(enumerate(after))
            if before.keys() != after.keys():
                added = sorted(map(str, after.keys() - before.keys()))
                removed = sorted(map(str, before.keys() - after.keys()))
                problems.append(f"{node.describe()} gained entries {added} / lost entries {removed}")
                continue
            for key, old in before.items():
                new = after[key]
                if new is old:
                    continue
                edge_kind = "attr" if kind == "object" else "item"
                if (new is None or new.__class__ is Tensor) and (old is None or old.__class__ is Tensor):
                    writes.append(SlotWrite(node, edge_kind, key, new))
                elif isinstance(new, _SCALARS) and new.__class__ is old.__class__ and new == old:
                    continue
                else:
                    problems.append(f"{node.describe()}{'.' if kind == 'object' else ''}"
                                    f"{key if kind == 'object' else [key]} changed from {_short(old)} "
                                    f"to {_short(new)}")
        elif kind == "tensor" and node.obj is not None:
            t = node.obj
            grad_ref, buf, requires_grad, grad_fn, dtype, version, version_list = node.tensor_state[:7]
            old_grad = grad_ref() if grad_ref is not None else None
            if (grad_ref is not None and old_grad is None) or t.grad is not old_grad:
                writes.append(SlotWrite(node, "grad", "grad", t.grad))
            if t._buf is not buf:
                var = recorder.operand(t._buf)
                if isinstance(var, Var):
                    rebinds.append((node, var))
                    if t._dtype is not dtype:
                        problems.append(f"{node.describe()} changed dtype")
            if t._requires_grad != requires_grad:
                problems.append(f"{node.describe()}.requires_grad changed")
            if t.grad_fn is not grad_fn:
                problems.append(f"{node.describe()} was modified in place with autograd recording "
                                "(its grad_fn changed)")
            if t._version is not version_list:
                problems.append(f"{node.describe()} changed its version counter object")
            elif id(version_list) not in seen_versions and version_list[0] != version:
                seen_versions.add(id(version_list))
                versions.append((node, version_list[0] - version))
        elif kind == "cell":
            try:
                contents = node.obj.cell_contents
            except ValueError:
                contents = MISSING
            if node.entries is not None and contents is not node.entries.obj:
                problems.append(f"the closure variable {node.edge[2]} was rebound")
        elif kind == "array" and node.entries is not None and hasattr(node.entries, "shape"):
            import numpy as np
            if isinstance(node.entries, np.ndarray) and not np.array_equal(node.obj, node.entries):
                problems.append(f"{node.describe()} (a numpy array) was modified")
    for node, value in world._root_values:
        edge = node.edge
        if edge[0] == "global" and edge[1].get(edge[2], MISSING) is not value:
            problems.append(f"the global {edge[2]} was rebound")
    return writes, rebinds, versions


def _short(value) -> str:
    text = repr(value) if isinstance(value, _SCALARS) else f"<{type(value).__name__}>"
    return text if len(text) < 60 else text[:57] + "..."


# ----- output and written tensors -------------------------------------------------------------------
class _Specs:
    """Describes the tensors a replay hands out, sharing one spec per eager object."""

    def __init__(self, world: World, recorder: Recorder, problems: list) -> None:
        self.world, self.recorder, self.problems = world, recorder, problems
        self.by_id: dict = {}
        self.saved: list = []

    def tensor(self, t: Tensor, what: str) -> TensorSpec:
        found = self.by_id.get(id(t))
        if found is not None:
            return found[1]
        node = self.world.by_id.get(id(t))
        if node is not None and node.kind == "tensor" and node.obj is t:
            spec = TensorSpec(node=node)
        else:
            var = self.recorder.operand(t._buf)
            if not isinstance(var, Var):
                var = None
            spec = TensorSpec(var=var, dtype=t._dtype, device=t._device, backend=t._backend,
                              requires_grad=t._requires_grad, is_param=t._is_param)
            if t.grad is not None:
                self.problems.append(f"{what} is a new tensor with a .grad")
            grad_fn = t.grad_fn
            if grad_fn is not None:
                if grad_fn.__class__ is AccumulateGrad:
                    pass
                elif grad_fn.backward_fn is None:
                    spec.grad_fn = ("released", grad_fn.name())
                else:
                    bridge = _backward.capture_backward(self, t, what)
                    if bridge is None:
                        self.problems.append(f"{what} needs its autograd graph, which could not be "
                                             "captured")
                    else:
                        spec.grad_fn = ("live", bridge)
        spec.index = len(self.by_id)
        self.by_id[id(t)] = (t, spec)  # keeps t alive so ids stay unique
        return spec

    def output(self, value):
        cls = value.__class__
        if cls is Tensor:
            return ("tensor", self.tensor(value, "the returned tensor"))
        if cls is TracedFloat:
            return ("scalar", self.recorder._scalar(value._node))
        if isinstance(value, _SCALARS):
            return ("const", value)
        node = self.world.by_id.get(id(value))
        if node is not None and node.kind not in ("scalar",):
            return ("node", node)
        if cls is tuple:
            return ("tuple", [self.output(v) for v in value])
        if cls is list:
            return ("list", [self.output(v) for v in value])
        if isinstance(value, tuple) and hasattr(value, "_fields"):
            return ("namedtuple", type(value), [self.output(v) for v in value])
        if isinstance(value, tuple) and type(value).__module__.startswith("unigrad"):
            return ("namedtuple", type(value), [self.output(v) for v in value])
        if isinstance(value, dict):
            return ("dict", type(value), [(k, self.output(v)) for k, v in value.items()])
        self.problems.append(f"the function returns an object of type {cls.__name__} that the "
                             "replay cannot rebuild")
        return ("const", None)
