"""Backward through a compiled forward: a compiled model called in an eager training loop.

When a captured call returns a tensor whose autograd graph is still alive (the forward of a
compiled module, ``loss.backward()`` to come), the capture also runs that graph's backward once,
under the recorder, from a placeholder output gradient down to the tensors that came from outside
(parameters, arguments): that is the **backward program**. The forward replay then hands out the
output with a ``CompiledFunctionBackward`` node whose edges lead to those tensors and whose
backward replays the backward program on the buffers the forward saved -- so ``loss.backward()``
on a replayed output accumulates into ``.grad`` exactly as eager would.

A backward through the node with ``create_graph=True`` (double backward) raises, as PyTorch's
compiled autograd does. Several returned tensors with graphs (an LSTM's ``out, (h, c)``) each get
a node and a backward program of their own; when a loss uses more than one of them, their
gradients meet in the engine's accumulation, which may add in another order than eager's single
graph (equal to rounding, not bitwise).
"""
from __future__ import annotations

from ..api.tensor import Tensor
from ..api.autocast_state import local as _autocast
from ..autograd.engine import run_subgraph
from ..autograd.grad_mode import _state as _grad_state
from ..autograd.node import Node, edge_of
from .memory import plan_memory
from .passes import eliminate_dead_calls
from .recorder import Var

NODE_NAME = "CompiledFunctionBackward"


class _BackwardProgram:
    """The steps of one recorded backward, as ``plan_memory`` and the code generator see them."""

    def __init__(self, steps, inputs, vars_, backends, kept) -> None:
        self.steps, self.inputs, self.vars, self.backends = steps, inputs, vars_, backends
        self.writes, self.rebinds, self.output = [], [], ("const", None)
        self.saved_for_backward = kept


class CompiledBackward:
    """Builds the ``CompiledFunctionBackward`` node of one replayed output."""

    def __init__(self, saved: list, boundary: list, grads: list, grad_meta: tuple, run) -> None:
        self.saved = saved  # forward Vars the backward reads
        self.boundary = boundary  # world nodes of the tensors gradients flow into
        self.grads = grads  # per boundary node: (dtype, device, backend) or None
        self.grad_meta = grad_meta  # shape, dtype, strides of the output gradient captured
        self.run = run

    def node(self, saved: tuple, inputs: tuple) -> Node:
        run, grads, (shape, dtype, strides) = self.run, self.grads, self.grad_meta

        def backward(g):
            if _grad_state.enabled:
                raise RuntimeError("double backward (create_graph=True) through a compiled function "
                                   "is not supported; compile with unigrad.compile(..., disable=True) "
                                   "or call the model uncompiled")
            if g._dtype is not dtype or tuple(g._buf.shape) != shape:
                raise RuntimeError(f"compiled backward: expected a gradient of shape {list(shape)} and "
                                   f"dtype {dtype}, got {list(g.shape)} and {g.dtype}")
            if tuple(g._backend.strides(g._buf)) != strides:
                g = g.contiguous()
            bufs = run(saved, g._buf)
            return tuple(None if buf is None or meta is None else Tensor._make(buf, *meta)
                         for buf, meta in zip(bufs, grads))

        return Node(NODE_NAME, backward, inputs)


def capture_backward(specs, t: Tensor, what: str):
    """Record the backward of ``t``'s graph; a ``CompiledBackward`` or None."""
    world, recorder = specs.world, specs.recorder
    boundary_nodes = [node for node in world.tensor_nodes() if node.obj._requires_grad]
    boundary = {}
    for node in boundary_nodes:
        edge = edge_of(node.obj)
        if edge is not None:
            boundary.setdefault(edge, node)
    backend = t._backend
    g_buf = backend.full(tuple(t._buf.shape), 1.0, t._dtype)
    g_var = recorder._new_var(g_buf, recorder._index_of(backend))
    forward_steps, forward_count = recorder.steps, len(recorder.vars)
    recorder.steps = []
    previous = (_grad_state.enabled, _autocast.active)
    _grad_state.enabled, _autocast.active = False, False
    recorder.install(recorder.backends)
    try:
        captured, _ = run_subgraph(t.grad_fn, Tensor._make(g_buf, t._dtype, t._device, backend), boundary)
    except RuntimeError:
        return None
    finally:
        recorder.uninstall()
        _grad_state.enabled, _autocast.active = previous
        backward_steps, recorder.steps = recorder.steps, forward_steps
    if recorder.break_info is not None:
        return None
    outputs, metas, nodes = [], [], []
    for edge, node in boundary.items():
        grad = captured.get(edge)
        nodes.append(node)
        if grad is None:
            outputs.append(None)
            metas.append(None)
            continue
        var = recorder.operand(grad._buf)
        if not isinstance(var, Var):
            return None
        outputs.append(var)
        metas.append((grad._dtype, grad._device, grad._backend))
    defined, used = {g_var.index}, []
    for step in backward_steps:
        for var in _step_vars(step):
            if var.index not in defined and var not in used:
                used.append(var)
        for var in _outputs(step):
            defined.add(var.index)
    for var in outputs:
        if var is not None and var.index not in defined and var not in used:
            used.append(var)
    saved = [var for var in used if var is not g_var]
    run = _generate(recorder, backward_steps, saved, g_var, outputs)
    specs.saved.extend(saved)
    strides = tuple(backend.strides(g_buf))
    return CompiledBackward(saved, nodes, metas, (tuple(t._buf.shape), t._dtype, strides), run)


def _step_vars(step) -> list:
    from .memory import _used_vars
    return _used_vars(step)


def _outputs(step) -> list:
    from .memory import _defined_vars
    return _defined_vars(step)


def _generate(recorder, steps, saved: list, g_var: Var, outputs: list):
    from .codegen import Emitter, _emit_step
    e = Emitter()
    e.lines.append("def run(saved, g):")
    if saved:
        names = ", ".join(repr(v) for v in saved)
        e.line(f"{names}{',' if len(saved) == 1 else ''} = saved")
    e.line(f"{g_var!r} = g")
    kept = [v for v in outputs if v is not None]
    steps = eliminate_dead_calls(steps, {v.index for v in kept})
    program = _BackwardProgram(steps, list(saved) + [g_var], recorder.vars, recorder.backends, kept)
    plan = plan_memory(program)
    bound: dict = {}
    emitted: set = set()
    for position, step in enumerate(steps):
        _emit_step(e, program, step, position, plan, bound, emitted)
        dead = plan.frees.get(position)
        if dead:
            e.line("del " + ", ".join(f"v{i}" for i in dead))
    rendered = ", ".join(repr(v) if v is not None else "None" for v in outputs)
    e.line(f"return ({rendered}{',' if len(outputs) == 1 else ''})")
    namespace = dict(e.namespace)
    exec(compile("\n".join(e.lines) + "\n", "<unigrad compiled backward>", "exec"), namespace)
    return namespace["run"]
