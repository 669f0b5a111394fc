"""Conformance cases for the top-level helpers and Tensor utilities built from existing
primitives: ``rsub``, ``sum_to_size``, ``fill`` and the legacy end-inclusive ``range``."""
from __future__ import annotations

import warnings

from .cases import ELEMENTWISE_CLASSES, FLOATS, INTS, Case, _all, _reduction_terms, fixed, operands


def _range(lib, x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.range is deprecated, as in PyTorch
        return x * lib.range(-1.0, 1.0, 0.5, dtype=x.dtype, device=x.device)


CASES = [
    Case("rsub", "elementwise", lambda lib, a, b: (lib.rsub(a, b), lib.rsub(a, 1.5)),
         operands(2), ELEMENTWISE_CLASSES, FLOATS + INTS, True, "rounded", ("sub",)),
    # alpha scales before subtracting (in the operands' dtype: kept away from float16 overflow)
    Case("rsub_alpha", "elementwise", lambda lib, a, b: lib.rsub(a, b, alpha=2),
         operands(2), ("vector", "matrix", "broadcast"), FLOATS + INTS, True, "rounded", ("sub", "mul")),
    Case("sum_to_size", "reduction", lambda lib, x: (x.sum_to_size(1, 3, 5), x.sum_to_size(4, 1, 1),
                                                     x.sum_to_size(5)),
         fixed(((4, 3, 5), "real")), ("matrix",), FLOATS, True, "reduction", ("sum",), _reduction_terms(_all)),
    Case("fill", "elementwise", lambda lib, x: (lib.fill(x, 2.5) * x, lib.zeros_like(x).fill_(-1.0) + x),
         operands(1), ("vector", "matrix"), FLOATS, True, "rounded", ("full", "mul", "add", "copy_")),
    Case("range", "elementwise", _range, fixed(((5,), "real")), ("vector",), FLOATS, True, "rounded",
         ("from_numpy", "mul")),
]
