"""A captured program: guards, inputs, primitive calls, effects and outputs, and its listing.

The program is data first (``steps``: a plain list of ``Call``/``Read``/``Take``/``Check``
records over numbered buffer variables) so it can be inspected, explained, and later handed to a
fusing or graph-capturing backend. ``unigrad.jit.codegen`` turns it into one straight-line Python
function that checks the guards and replays the steps.
"""
from __future__ import annotations

from .recorder import Call, Check, Read, Take, Var
from .scalars import ScalarNode


class TensorSpec:
    """A tensor the replay hands out (returned, or assigned to a slot such as ``p.grad``): a new
    Tensor around ``var`` with this metadata, or the existing object of world node ``node``."""

    __slots__ = ("var", "node", "dtype", "device", "backend", "requires_grad", "is_param",
                 "grad_fn", "index")

    def __init__(self, var=None, node=None, dtype=None, device=None, backend=None,
                 requires_grad=False, is_param=False, grad_fn=None) -> None:
        self.var, self.node, self.dtype, self.device, self.backend = var, node, dtype, device, backend
        self.requires_grad, self.is_param, self.grad_fn = requires_grad, is_param, grad_fn
        self.index = -1


class SlotWrite:
    """After the steps, ``owner``'s slot (``grad``, ``attr`` name or ``item`` key) gets ``value``
    (a TensorSpec, or None)."""

    __slots__ = ("owner", "kind", "key", "value")

    def __init__(self, owner, kind: str, key, value) -> None:
        self.owner, self.kind, self.key, self.value = owner, kind, key, value


class Program:
    """One captured variant of a compiled function."""

    def __init__(self, *, world, recorder, global_state, writes, rebinds, versions, output,
                 backward=None) -> None:
        self.world = world
        self.backends = list(recorder.backends)
        self.steps = list(recorder.steps)
        self.vars = list(recorder.vars)
        self.inputs = list(recorder.inputs)
        self.scalar_nodes = list(recorder.scalar_nodes)
        self.uses_default_device = recorder.default_device_used
        self.global_state = global_state
        self.writes = writes
        self.rebinds = rebinds
        self.versions = versions
        self.output = output
        self.backward = backward
        self.run = None  # the generated function
        self.source = ""
        self.guard_descriptions: list[str] = []
        self.plan = None
        self.replays = 0
        self.capture_seconds = 0.0

    @property
    def calls(self) -> list[Call]:
        """The recorded primitive calls, in order."""
        return [step for step in self.steps if step.__class__ is Call]

    @property
    def primitive_count(self) -> int:
        return len(self.calls)

    def listing(self) -> str:
        """The program as readable lines: ``v7 = cpu.matmul(v3, v5)``."""
        names = [getattr(b, "name", type(b).__name__) for b in self.backends]
        lines = [f"inputs: " + ", ".join(f"{v!r}={v.source.describe()}" for v in self.inputs)]
        from .codegen import written_inputs
        written = written_inputs(self)
        if written:
            lines.append("written in place: " + ", ".join(
                f"{self.inputs[i]!r}={self.inputs[i].source.describe()}" for i in sorted(written)))
        for step in self.steps:
            lines.append(_step_text(step, names))
        for write in self.writes:
            value = "None" if write.value is None else (
                write.value.node.describe() if write.value.node is not None else repr(write.value.var))
            key = f".{write.key}" if write.kind in ("grad", "attr") else f"[{write.key!r}]"
            target = write.owner.describe() + key
            lines.append(f"{target} = {value}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"<unigrad compiled program: {self.primitive_count} primitive calls, "
                f"{len(self.inputs)} inputs, {len(self.guard_descriptions)} guards>")


def _operand_text(value) -> str:
    if isinstance(value, Var):
        return repr(value)
    if isinstance(value, ScalarNode):
        return _scalar_text(value)
    if value.__class__ is tuple:
        return "(" + ", ".join(_operand_text(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, (int, float)):
        return f"<array {tuple(value.shape)}>"
    return repr(value)


def _scalar_text(node: ScalarNode) -> str:
    if node.op in ("read", "take.seed", "take.offset"):
        return f"s{node.index}"
    symbols = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "pow": "**"}
    parts = [_scalar_text(o) if isinstance(o, ScalarNode) else repr(o) for o in node.operands]
    if node.op in symbols:
        return f"({parts[0]} {symbols[node.op]} {parts[1]})"
    if node.op == "neg":
        return f"(-{parts[0]})"
    return f"{node.op}({', '.join(parts)})"


def _step_text(step, names) -> str:
    if step.__class__ is Call:
        args = [_operand_text(a) for a in step.args]
        args += [f"{k}={_operand_text(v)}" for k, v in step.kwargs.items()]
        target = ""
        if step.outputs.__class__ is tuple:
            target = ", ".join(repr(o) for o in step.outputs) + " = "
        elif step.outputs is not None:
            target = f"{step.outputs!r} = "
        return f"{target}{names[step.backend]}.{step.name}({', '.join(args)})"
    if step.__class__ is Read:
        return f"s{step.node.index} = {names[step.backend]}.to_numpy({step.var!r}).item()"
    if step.__class__ is Take:
        return f"s{step.seed.index}, s{step.offset.index} = generator.take({step.words})"
    if step.__class__ is Check:
        if step.kind == "range":
            return f"check {step.var!r} in [{step.low}, {step.high})"
        return f"check {step.var!r} == {step.expected!r}"
    return repr(step)
