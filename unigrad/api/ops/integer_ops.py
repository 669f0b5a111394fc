"""Element-wise integer ops: gcd, lcm and the bitwise shifts, built from arithmetic primitives.

Shifts are multiplications and floor divisions by powers of two (wrapping as C's shifts do on
two's complement: bits shifted out of a left shift are lost, a right shift of a negative value
rounds toward minus infinity). gcd runs Euclid's algorithm for the most steps any pair of the
dtype can need, element-wise, with no host synchronisation. Like ``floor_divide`` on integers, the
divisions go through float64, exact below 2**53 in magnitude.
"""
from __future__ import annotations

from .. import dtypes
from . import pointwise as pw
from .support import Tensor, binary_operands, broadcast_shapes, scalar_for

_BITS = {dtypes.uint8: 8, dtypes.int8: 8, dtypes.int16: 16, dtypes.int32: 32, dtypes.int64: 64}
# Euclid's steps are fewest-case Fibonacci: inputs below 2**k need at most about 1.44 k + 2
_EUCLID_STEPS = {dtypes.uint8: 14, dtypes.int8: 13, dtypes.int16: 25, dtypes.int32: 47, dtypes.int64: 93}


def _integer_operands(a, b, op: str):
    x, y, dtype = binary_operands(a, b, op)
    if dtype.is_floating_point or dtype is dtypes.bool:
        raise NotImplementedError(f'"{op}" not implemented for \'{dtype.name}\'')
    x = x.detach()
    if y.__class__ is Tensor:
        y = y.detach()
        shape = broadcast_shapes(x._buf.shape, y._buf.shape, op=op)
        return x.expand(shape), y.expand(shape), dtype
    return x, x._like(x._backend.full(x._buf.shape, scalar_for(y, dtype), dtype)), dtype


def gcd(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - PyTorch's names
    """The greatest common divisor (non-negative; ``gcd(0, 0) = 0``)."""
    x, y, dtype = _integer_operands(input, other, "gcd")
    a, b = pw.abs(x), pw.abs(y)
    for _ in range(_EUCLID_STEPS[dtype]):
        nonzero = pw.ne(b, 0)
        remainder = pw.remainder(a, pw.where(nonzero, b, 1))
        a, b = pw.where(nonzero, b, a), pw.where(nonzero, remainder, 0)
    return a


def lcm(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """The least common multiple (non-negative; 0 when either is 0)."""
    x, y, dtype = _integer_operands(input, other, "lcm")
    divisor = gcd(x, y)
    safe = pw.where(pw.eq(divisor, 0), 1, divisor)
    quotient = pw._integer_exact_div(x, safe, dtype)  # x is a multiple of gcd(x, y)
    # as PyTorch: the product and its magnitude in a wide integer, then wrapped to the dtype
    product = pw.abs(quotient.to(dtypes.int64) * y.to(dtypes.int64)).to(dtype)
    return pw.where(pw.eq(divisor, 0), 0, product)


def _power_of_two(shift: Tensor, high: int) -> Tensor:
    """``2 ** clamp(shift, 0, high)`` in ``shift``'s dtype (wrapping like the dtype)."""
    s = pw.clamp(shift, 0, high)
    backend = s._backend
    return s._like(backend.pow(backend.full(s._buf.shape, 2, s._dtype), s._buf))


def bitwise_left_shift(input, other) -> Tensor:  # noqa: A002
    """``input << other``: bits shifted past the dtype's width are lost (0 once ``other`` reaches
    the width)."""
    x, s, dtype = _integer_operands(input, other, "lshift")
    bits = _BITS[dtype]
    return pw.where(pw.ge(s, bits), 0, x * _power_of_two(s, bits - 1))


def bitwise_right_shift(input, other) -> Tensor:  # noqa: A002
    """``input >> other``, arithmetic: rounds toward minus infinity (-1 or 0 once ``other`` reaches
    the width)."""
    x, s, dtype = _integer_operands(input, other, "rshift")
    bits = _BITS[dtype]
    signed = dtype.is_signed
    limit = bits - 1 if signed else bits  # 2 ** (bits - 1) does not fit a signed dtype
    power = _power_of_two(s, limit - 1)
    remainder = pw.remainder(x, power)  # in [0, power): x - remainder is a multiple of power
    shifted = pw._integer_exact_div(x - remainder, power, dtype)
    beyond = -pw.lt(x, 0).to(dtype) if signed else pw.mul(x, 0)  # -1 or 0
    return pw.where(pw.ge(s, limit), beyond, shifted)


__all__ = ["gcd", "lcm", "bitwise_left_shift", "bitwise_right_shift"]
