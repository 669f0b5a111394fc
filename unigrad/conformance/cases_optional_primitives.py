"""Primitive cases of the optional element-wise primitives (``atan`` ... ``digamma``): each calls
the backend's own or, where it has none, the frontend's composite on its buffers (what every op
using it does), compared with the NumPy backend in float64. Registered at the end of
``primitives``."""
from __future__ import annotations

import numpy as np

from ..api import dtypes as dt
from .primitives import FLOATS, _REFERENCE, _rand


def _on(backend, array, dtype):
    """``array`` as a tensor of ``backend``'s device (the primitive's operand)."""
    from ..api.creation import placement
    from ..api.tensor import Tensor
    device = placement(f"{backend.name}:{backend.index}" if backend.indexed else backend.name)[0]
    return Tensor._make(backend.from_numpy(array), dt.as_dtype(dtype), device, backend)


def _optional(name, domain="real", scale=1.0, offset=0.0, dtypes=FLOATS, kind="transcendental"):
    def run(backend, rng, dtype):
        from ..api.ops.optional_primitives import call
        x = (_rand(rng, (3, 5), dtype, domain).astype(np.float64) * scale + offset).astype(dtype)
        return (call(name, _on(backend, x, dtype)),), (x,), lambda v: (getattr(_REFERENCE, name)(v),)
    return name, run, kind, dtypes


def _optional_atan2(backend, rng, dtype):
    from ..api.ops.optional_primitives import call
    a, b = _rand(rng, (3, 4), dtype), _rand(rng, (3, 4), dtype)
    return (call("atan2", _on(backend, a, dtype), _on(backend, b, dtype)),), (a, b), \
        lambda x, y: (_REFERENCE.atan2(x, y),)


PRIMITIVE_CASES = [
    _optional("asin", scale=0.49), _optional("acos", scale=0.49), _optional("sinh", scale=2.0),
    _optional("cosh", scale=2.0), _optional("asinh", scale=3.0), _optional("acosh", "positive", offset=1.0),
    _optional("atanh", scale=0.49), _optional("atan", scale=3.0), ("atan2", _optional_atan2, "transcendental", FLOATS),
    _optional("erfc", scale=3.0), _optional("erfinv", "real", scale=0.49),
    _optional("lgamma", scale=3.0), _optional("digamma", scale=3.0),
]
