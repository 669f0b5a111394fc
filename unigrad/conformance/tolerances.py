"""Tolerances of the conformance suite, in one place, with the reasoning behind each.

Every case names a tolerance *class*. A result passes when, element-wise,
``|actual - reference| <= atol + rtol * |reference|`` with NaNs in the same places, where the
reference is computed by the NumPy backend in float64 from the very same (rounded) inputs.

* ``exact``: movement, casts, comparisons, integer/bool arithmetic, gather/scatter, random bits.
  Every backend must agree bit for bit (a copy or a comparison has exactly one right answer).
* ``rounded``: IEEE basic operations (+ - * / sqrt and compositions of a few of them). Correctly
  rounded in the dtype, so a few units in the last place (ULP) of the dtype cover any order of
  evaluation of a short composite: ``rtol = 8 eps``.
* ``transcendental``: exp, log, tanh, erf, ... Libraries are not correctly rounded; CUDA's and
  NumPy's float32 functions are within 2-4 ULP. ``rtol = 32 eps``, plus a small ``atol`` for values
  near 0 (sin of large arguments, log near 1).
* ``reduction``: sums, norms, matmul, convolutions. Round-off grows with the number of terms ``K``
  and is relative to the magnitude of the terms, not of the result (which may cancel to 0), so
  ``atol = 4 sqrt(K) eps * scale`` with ``scale`` the largest input magnitude product, and
  ``rtol = 16 eps``. ``sqrt(K)`` is the random-walk growth that pairwise and blocked summation
  achieve; a naive left-to-right sum on K ~ 1e4 still fits.
* ``training``: whole models, optimizer trajectories and loss curves, where errors compound over
  steps: ``rtol = atol = 1e3 eps`` (float32: 1.2e-4), reported per step.

Gradients use the same class with a factor of 10 (backward composes several such operations).
float16 and bfloat16 use their own eps (9.8e-4 and 7.8e-3), so the same formulas scale to them:
16-bit results are rounded once from float32 work, so their error is a few of their own ULP.
"""
from __future__ import annotations

import math

import ml_dtypes
import numpy as np

EPS = {"float16": float(np.finfo(np.float16).eps), "bfloat16": float(ml_dtypes.finfo(ml_dtypes.bfloat16).eps),
       "float32": float(np.finfo(np.float32).eps), "float64": float(np.finfo(np.float64).eps)}

CLASSES = ("exact", "rounded", "transcendental", "reduction", "training")
GRADIENT_FACTOR = 10.0


def tolerance(kind: str, dtype_name: str, *, terms: int = 1, scale: float = 1.0,
              gradient: bool = False) -> tuple:
    """``(rtol, atol)`` for a tolerance class and dtype."""
    if kind == "exact" or dtype_name not in EPS:
        return 0.0, 0.0
    eps = EPS[dtype_name]
    factor = GRADIENT_FACTOR if gradient else 1.0
    if kind == "rounded":
        return 8 * eps * factor, 8 * eps * factor * 1e-3
    if kind == "transcendental":
        return 32 * eps * factor, 32 * eps * factor * 1e-2
    if kind == "reduction":
        return 16 * eps * factor, 4 * math.sqrt(max(terms, 1)) * eps * max(scale, 1e-30) * factor
    if kind == "training":
        return 1e3 * eps * factor, 1e3 * eps * factor
    raise ValueError(f"unknown tolerance class {kind!r}")
