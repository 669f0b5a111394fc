"""Traced Python floats: numbers a compiled program computes from a value it reads at run time.

Adam's bias corrections depend on the step counter, a host tensor that changes on every call. A
capture that baked the counter's value in would be wrong on the next call, and one that guarded it
would recompile on every call. Instead, the optimizer reads the counter with ``item`` below: during
a capture this records a host read in the program and returns a ``TracedFloat``, a ``float`` whose
arithmetic (``+ - * / ** neg abs``, ``sqrt``) is recorded as well, so the replay recomputes each
derived scalar (bitwise as Python computes it) and passes it to the primitive that used it.

Anything else done with a traced float -- comparing it, converting it to ``int`` or ``str``,
hashing it, rounding it to a 16-bit float -- would make the program depend on its value in a way
the replay cannot follow, so it is a graph break. Outside a capture the helpers are plain
``Tensor.item`` and ``math.sqrt``.
"""
from __future__ import annotations

import math

#: the recorder of the capture in progress (set by unigrad.jit.recorder), or None
active = [None]


class ScalarNode:
    """One recorded scalar operation: ``op`` applied to ``operands`` (nodes or Python numbers)."""

    __slots__ = ("op", "operands", "index", "origin")

    def __init__(self, op: str, operands: tuple, origin: str = "") -> None:
        self.op, self.operands, self.index, self.origin = op, operands, -1, origin

    def __repr__(self) -> str:
        return f"<scalar {self.op} #{self.index}>"


class TracedFloat(float):
    """A float whose value the compiled program recomputes on every replay."""

    __slots__ = ("_node",)

    def __new__(cls, value: float, node: ScalarNode) -> "TracedFloat":
        out = float.__new__(cls, value)
        out._node = node
        return out

    # ----- recorded arithmetic --------------------------------------------------------------------
    def _binary(self, other, op: str, reflected: bool):
        if other.__class__ is TracedFloat:
            operand = other._node
        elif other.__class__ in (int, float, bool):
            operand = other
        else:
            return NotImplemented
        plain = getattr(float, f"__{'r' if reflected else ''}{op}__")(self, other)
        if plain is NotImplemented:
            return plain
        operands = (operand, self._node) if reflected else (self._node, operand)
        return TracedFloat(plain, ScalarNode(op, operands))

    def __add__(self, other):
        return self._binary(other, "add", False)

    def __radd__(self, other):
        return self._binary(other, "add", True)

    def __sub__(self, other):
        return self._binary(other, "sub", False)

    def __rsub__(self, other):
        return self._binary(other, "sub", True)

    def __mul__(self, other):
        return self._binary(other, "mul", False)

    def __rmul__(self, other):
        return self._binary(other, "mul", True)

    def __truediv__(self, other):
        return self._binary(other, "truediv", False)

    def __rtruediv__(self, other):
        return self._binary(other, "truediv", True)

    def __pow__(self, other, modulo=None):
        if modulo is not None:
            return self._escape("three-argument pow")
        return self._binary(other, "pow", False)

    def __rpow__(self, other):
        return self._binary(other, "pow", True)

    def __neg__(self):
        return TracedFloat(float.__neg__(self), ScalarNode("neg", (self._node,)))

    def __pos__(self):
        return self

    def __abs__(self):
        return TracedFloat(float.__abs__(self), ScalarNode("abs", (self._node,)))

    # ----- uses the replay cannot follow: graph breaks --------------------------------------------
    def _escape(self, how: str):
        recorder = active[0]
        if recorder is not None:
            recorder.scalar_escaped(self._node, how)
        return None

    def _concrete(self, how: str) -> float:
        self._escape(how)
        return float.__float__(self)

    def __float__(self):
        return self._concrete("float()")

    def __int__(self):
        return int(self._concrete("int()"))

    def __bool__(self):
        return bool(self._concrete("a truth test"))

    def __round__(self, ndigits=None):
        return round(self._concrete("round()"), ndigits)

    def __trunc__(self):
        return math.trunc(self._concrete("math.trunc()"))

    def __floor__(self):
        return math.floor(self._concrete("math.floor()"))

    def __ceil__(self):
        return math.ceil(self._concrete("math.ceil()"))

    def __hash__(self):
        return hash(self._concrete("hash()"))

    def __repr__(self):
        return repr(self._concrete("repr()"))

    def __str__(self):
        return str(self._concrete("str()"))

    def __format__(self, spec):
        return format(self._concrete("formatting"), spec)

    def __eq__(self, other):
        return self._concrete("a comparison") == other

    def __ne__(self, other):
        return self._concrete("a comparison") != other

    def __lt__(self, other):
        return self._concrete("a comparison") < other

    def __le__(self, other):
        return self._concrete("a comparison") <= other

    def __gt__(self, other):
        return self._concrete("a comparison") > other

    def __ge__(self, other):
        return self._concrete("a comparison") >= other

    def __floordiv__(self, other):
        return self._concrete("//") // other

    def __rfloordiv__(self, other):
        return other // self._concrete("//")

    def __mod__(self, other):
        return self._concrete("%") % other

    def __rmod__(self, other):
        return other % self._concrete("%")

    def __divmod__(self, other):
        return divmod(self._concrete("divmod()"), other)

    def __reduce__(self):
        return (float, (self._concrete("pickling or copying"),))

    def is_integer(self):
        return self._concrete("is_integer()").is_integer()

    def as_integer_ratio(self):
        return self._concrete("as_integer_ratio()").as_integer_ratio()

    def hex(self):
        return self._concrete("hex()").hex()


def item(t):
    """``t.item()``; inside a capture, a ``TracedFloat`` the replay reads again each call.
    For code that only does arithmetic with the value (an optimizer's step counter)."""
    recorder = active[0]
    if recorder is None:
        return t.item()
    return recorder.traced_item(t)


def sqrt(x):
    """``math.sqrt`` that keeps a traced float traced."""
    if x.__class__ is TracedFloat:
        return TracedFloat(math.sqrt(float.__float__(x)), ScalarNode("sqrt", (x._node,)))
    return math.sqrt(x)


def plain(value) -> float:
    """The float value of ``value`` without recording anything (for the recorder itself)."""
    return float.__float__(value) if value.__class__ is TracedFloat else value
