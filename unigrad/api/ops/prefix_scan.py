"""Inclusive prefix scans along the last dim, from element-wise primitives (no autograd).

Hillis-Steele: ``log2(n)`` rounds, each combining every element with the one ``shift`` places
before it through strided views, so the work stays on the device. Every element is combined in
the same fixed order on every backend: with IEEE addition (correctly rounded everywhere) a float
running sum is bitwise the same on every device, which ``multinomial`` relies on.
"""
from __future__ import annotations

from .support import Tensor, contiguous_strides


def inclusive_scan(x: Tensor, combine: str) -> Tensor:
    """``out[..., k] = x[..., 0] (combine) ... (combine) x[..., k]`` where ``combine`` names an
    element-wise primitive taking ``out=`` (``"add"``, ``"maximum"``, ``"minimum"``)."""
    backend = x._backend
    shape = x._buf.shape
    n = shape[-1] if shape else 1
    current = x.contiguous()._buf if not x.is_contiguous() else x._buf
    strides = contiguous_strides(shape)
    operation = getattr(backend, combine)
    shift = 1
    while shift < n:
        following = backend.empty(shape, x._dtype)
        head = shape[:-1] + (shift,)
        tail = shape[:-1] + (n - shift,)
        backend.copy_(backend.as_strided(following, head, strides, 0), backend.as_strided(current, head, strides, 0))
        operation(backend.as_strided(current, tail, strides, shift), backend.as_strided(current, tail, strides, 0),
                  out=backend.as_strided(following, tail, strides, shift))
        current = following
        shift *= 2
    if current is x._buf:  # nothing to combine: still a new tensor
        current = backend.empty(shape, x._dtype)
        backend.copy_(current, x._buf)
    return x._like(current)
