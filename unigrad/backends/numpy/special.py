"""Special functions NumPy lacks (erf, erfc, erfinv, lgamma, digamma), vectorised for throughput.

Each runs over its input chunk by chunk (``_CHUNK_BYTES`` of the work dtype at a time), so the
temporaries of a polynomial evaluation stay in cache instead of streaming through memory, and
splits its domain into pieces: the piece holding most of a chunk is evaluated on the whole chunk,
a rare one (``|x| > 4`` in a normal sample, say) only on its gathered elements, and pieces are
combined by a branch-free bitwise select.

erf, erfc and erfinv of float32 are computed in float32 (erf within 3 units in the last place,
erfc within 8, erfinv within 4); float16 and bfloat16 are computed in float32 and float64 in
float64 (erf, erfc, erfinv within 5 units), each rounded once to the input's dtype. lgamma and
digamma work in float64 whatever the dtype, which keeps float32 results correctly rounded but
costs 4 to 8 times a float32 evaluation.

The approximations (Cody's for erf/erfc, Giles' for erfinv, ...) and their coefficient tables are
in ``special_coefficients``, shared with the OpenCL kernels and the frontend's composites.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from .. import special_coefficients as C

# Like torch, produce nan/inf silently (a filter costs nothing until a warning occurs).
warnings.filterwarnings("ignore", category=RuntimeWarning, module=__name__)

_CHUNK_BYTES = 1 << 16  # 64 KiB of work dtype per chunk: temporaries stay in L2, and below glibc's
# mmap threshold (128 KiB), so each comes from the heap instead of fresh pages
_FLOAT32 = np.dtype(np.float32)
_FLOAT64 = np.dtype(np.float64)
_BITS = {4: np.uint32, 8: np.uint64}
_SIGN = {4: np.uint32(0x80000000), 8: np.uint64(0x8000000000000000)}


# ----- evaluation machinery -----------------------------------------------------------------------
def _apply(x, out, kernel64, kernel32=None):
    """``kernel(chunk) -> values`` over ``x`` (any layout) chunk by chunk; the result has ``x``'s
    dtype and goes into ``out`` when given. ``kernel32`` (if any) serves float32 and the 16-bit
    floats, in float32; otherwise everything is computed in float64."""
    work = _FLOAT64 if x.dtype == _FLOAT64 or kernel32 is None else _FLOAT32
    kernel = kernel64 if work is _FLOAT64 else kernel32
    result = out if out is not None and out.flags.c_contiguous else np.empty(x.shape, x.dtype)
    if x.size:
        flat = x.reshape(-1)  # a copy only for a strided x
        target = result.reshape(-1)
        step = _CHUNK_BYTES // work.itemsize
        for start in range(0, flat.size, step):
            chunk = flat[start:start + step]
            target[start:start + step] = kernel(chunk.astype(work, copy=False))
    if out is not None and result is not out:
        np.copyto(out, result)
        return out
    return result


def _select(mask, a, b):
    """``where(mask, a, b)`` for float arrays of one dtype, on the bit patterns (exact for NaN, inf
    and -0, and several times faster than ``np.where`` on an unpredictable mask)."""
    bits = _BITS[a.dtype.itemsize]
    ones = np.multiply(mask, bits(np.iinfo(bits).max), dtype=bits)
    a_bits, b_bits = a.view(bits), b.view(bits)
    mixed = np.bitwise_xor(a_bits, b_bits)
    np.bitwise_and(mixed, ones, out=mixed)
    return np.bitwise_xor(mixed, b_bits, out=mixed).view(a.dtype)


def _piecewise(x, pieces):
    """Evaluate ``fn(x[mask])`` for each ``(mask, fn)`` of ``pieces`` (masks partition ``x``).
    The most populated piece runs on the whole chunk; others on their gathered elements when few,
    or on the whole chunk and bitwise-selected when many."""
    counts = [int(np.count_nonzero(mask)) for mask, _ in pieces]
    main = counts.index(max(counts))
    result = np.asarray(pieces[main][1](x), dtype=x.dtype)
    for i, (mask, fn) in enumerate(pieces):
        if i == main or counts[i] == 0:
            continue
        if counts[i] * 4 > x.size:
            result = _select(mask, np.asarray(fn(x), dtype=x.dtype), result)
        else:
            where = np.flatnonzero(mask)
            result[where] = fn(x[where])
    return result


def _horner(x, coefficients):
    """``sum(c_k x**k)`` for coefficients listed from the highest power down."""
    p = np.multiply(x, coefficients[0])
    p += coefficients[1]
    for c in coefficients[2:]:
        p *= x
        p += c
    return p


def _copy_sign(magnitude, x):
    """``magnitude`` (non-negative or NaN) with the sign bit of ``x``, in place."""
    bits = _BITS[x.dtype.itemsize]
    sign = np.bitwise_and(x.view(bits), _SIGN[x.dtype.itemsize])
    np.bitwise_or(magnitude.view(bits), sign, out=magnitude.view(bits))
    return magnitude


# ----- erf and erfc: float64 (Cody) ---------------------------------------------------------------
_ONE_OVER_SQRT_PI = 1.0 / math.sqrt(math.pi)


def _erf_near_zero(x):
    """erf for ``|x| <= 0.46875``."""
    z = x * x
    return x * _horner(z, C.CODY_A) / _horner(z, C.CODY_B)


def _exp_minus_square(y):
    """``exp(-y*y)`` to full relative accuracy: ``y*y`` is split into an exact square and a small
    remainder, as Cody does, so the rounding of ``y*y`` is not magnified by exp."""
    head = np.trunc(y * 16.0) / 16.0
    tail = (y - head) * (y + head)
    return np.exp(-(head * head)) * np.exp(-tail)


def _erfc_tail64(y, exact_exp=True):
    """erfc for ``y > 0.46875`` (Cody's two outer intervals)."""
    def middle(v):
        return _horner(v, C.CODY_C) / _horner(v, C.CODY_D)

    def far(v):
        w = 1.0 / (v * v)
        return (_ONE_OVER_SQRT_PI - w * _horner(w, C.CODY_P) / _horner(w, C.CODY_Q)) / v

    y = np.minimum(y, 30.0)  # erfc(30) underflows to 0; inf would give inf - inf
    ratio = _piecewise(y, [(y <= 4.0, middle), (~(y <= 4.0), far)])
    return ratio * (_exp_minus_square(y) if exact_exp else np.exp(-(y * y)))


def _erf64(x):
    y = np.abs(x)
    near = y <= C.CODY_SMALL

    def outer(v):
        # erfc(|v|) below 2**-53 for |v| > 6: clamping keeps 1 and avoids extra work
        e = _erfc_tail64(np.minimum(np.abs(v), 6.0), exact_exp=False)
        return _copy_sign(np.subtract(1.0, e, out=e), v)

    return _piecewise(x, [(near, _erf_near_zero), (~near, outer)])


def _erfc64(x):
    near = np.abs(x) <= C.CODY_SMALL

    def outer(v):
        e = _erfc_tail64(np.abs(v))
        return np.where(v < 0, 2.0 - e, e)

    return _piecewise(x, [(near, lambda v: 1.0 - _erf_near_zero(v)), (~near, outer)])


# ----- erf and erfc: float32 ----------------------------------------------------------------------
def _erf32(x):
    """erf(a) = -expm1(a K(a)): one polynomial for |x| <= 4 (erf(4) is 1 in float32), and no
    cancellation near 0."""
    a = np.abs(x)
    np.minimum(a, np.float32(4.0), out=a)
    t = _horner(a, np.array(C.ERF32_K, np.float32))
    t *= a
    np.expm1(t, out=t)
    np.negative(t, out=t)
    return _copy_sign(t, x)


def _erfc32(x):
    upper = x >= 0.5

    def tail(v):
        y = np.minimum(v, np.float32(10.5))
        u = np.reciprocal(np.float32(1.0) + np.float32(0.5) * y)
        r = _horner(u, np.array(C.ERFC32_R, np.float32))
        r *= u
        return r * _exp_minus_square(y)

    return _piecewise(x, [(upper, tail), (~upper, lambda v: np.float32(1.0) - _erf32(v))])


def erf(x, out=None):
    """The error function."""
    return _apply(x, out, _erf64, _erf32)


def erfc(x, out=None):
    """``1 - erf(x)``, accurate where erf is close to 1 (relative accuracy down to underflow)."""
    return _apply(x, out, _erfc64, _erfc32)


# ----- erfinv (Giles) -------------------------------------------------------------------------------
def _erfinv_kernel(x, pieces):
    """``p(w) * x`` with ``w = -log((1 - x)(1 + x))``, ``p`` chosen by ``w`` from ``pieces``
    (``(upper bound of w, shift, uses sqrt(w), coefficients)``); ``erfinv(+-1) = +-inf``."""
    one = x.dtype.type(1.0)
    w = -np.log((one - x) * (one + x))
    masks, taken = [], np.zeros(x.shape, bool)
    for bound, _, _, _ in pieces:
        mask = ~taken & (w < bound) if bound is not None else ~taken
        masks.append(mask)
        taken |= mask
    packed = np.stack([w, x])  # each piece gathers w and x together

    def piece(shift, root, coefficients):
        def run(wx):
            v = np.sqrt(wx[0]) if root else wx[0]
            return _horner(v - x.dtype.type(shift), np.array(coefficients, x.dtype)) * wx[1]
        return run

    result = _piecewise_pairs(packed, [(m, piece(s, r, c)) for m, (_, s, r, c) in zip(masks, pieces)])
    return np.where(np.abs(x) == one, x * np.inf, result)


def _piecewise_pairs(packed, pieces):
    """``_piecewise`` over the columns of a (2, n) array (both rows gathered together)."""
    counts = [int(np.count_nonzero(mask)) for mask, _ in pieces]
    main = counts.index(max(counts))
    result = np.asarray(pieces[main][1](packed), dtype=packed.dtype)
    for i, (mask, fn) in enumerate(pieces):
        if i == main or counts[i] == 0:
            continue
        if counts[i] * 4 > mask.size:
            result = _select(mask, np.asarray(fn(packed), dtype=packed.dtype), result)
        else:
            where = np.flatnonzero(mask)
            result[where] = fn(packed[:, where])
    return result


def _erfinv64(x):
    return _erfinv_kernel(x, C.GILES64)


def _erfinv32(x):
    return _erfinv_kernel(x, C.GILES32)


def erfinv(x, out=None):
    """The inverse of erf on (-1, 1); ``+-inf`` at ``+-1``, NaN outside."""
    return _apply(x, out, _erfinv64, _erfinv32)


# ----- lgamma: t H(t) around 2 (an exact zero, full relative accuracy), Stirling from 7 -----------
_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)
_LOG_PI = math.log(math.pi)


def _lgamma_stirling(y):
    z = 1.0 / (y * y)
    log_y = np.log(y)
    # y (log y - 1) - log(y) / 2 rather than (y - 1/2) log y - y: no overflow below lgamma's own
    return y * (log_y - 1.0) - 0.5 * log_y + _HALF_LOG_TWO_PI + _horner(z, C.STIRLING) / y


def _lgamma_near(y):
    """``0 < y < 7`` by recurrence to ``u = y - n`` in [1.5, 2.5): ``lgamma(u) + log(u (u+1) ...
    (y-1))`` for n > 0, ``lgamma(y + 1) - log(y)`` and ``lgamma(y + 2) - log(y (y+1))`` for n = -1,
    -2. ``t = y - (n + 2) = u - 2`` is exact, so the zeros at 1 and 2 keep full relative accuracy."""
    n = np.clip(np.floor(y - 1.5), -2.0, 5.0)
    t = y - (n + 2.0)
    u = t + 2.0
    # u (u+1) ... (u+n-1) for n > 0 and 1 otherwise; masks multiply (cheaper than where)
    factors = np.ones_like(y)
    for k in range(5):
        factors *= 1.0 + (n > k) * (u + (k - 1.0))
    below = y * (1.0 + (n < -1.0) * y)  # y (y+1) for n = -2, y for n = -1
    return t * _horner(t, C.LGAMMA_NEAR_TWO) + np.log(factors) - (n < 0.0) * np.log(below)


def _lgamma_positive(y):
    """lgamma for ``y > 0`` (and inf, NaN)."""
    near = y < 7.0
    return _piecewise(y, [(near, _lgamma_near), (~near, _lgamma_stirling)])


def _sin_pi_abs(x):
    """``|sin(pi x)|`` with exact argument reduction."""
    return np.sin(np.pi * np.abs(x - np.round(x)))


def _lgamma64(x):
    positive = x > 0.0

    def reflected(v):  # x <= 0: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x); poles are inf
        value = _LOG_PI - np.log(_sin_pi_abs(v)) - _lgamma_positive(1.0 - v)
        return np.where(v == np.floor(v), np.inf, value)

    result = _piecewise(x, [(positive | np.isnan(x), _lgamma_positive), (~positive & ~np.isnan(x), reflected)])
    return np.where(np.isinf(x), np.inf, result)


def lgamma(x, out=None):
    """``log |Gamma(x)|``: inf at the poles (0, -1, -2, ...) and at +-inf."""
    return _apply(x, out, _lgamma64)


# ----- digamma ------------------------------------------------------------------------------------


def _digamma_asymptotic(y):
    z = 1.0 / (y * y)
    return np.log(y) - 0.5 / y - z * _horner(z, C.DIGAMMA_SERIES)




def _digamma_near_root(y):
    """psi on [1, 2], as a multiple of the distance to its root (relative accuracy near it)."""
    return (y - C.DIGAMMA_ROOT[0] - C.DIGAMMA_ROOT[1]) * _horner(y - 1.5, C.DIGAMMA_NEAR_ROOT)


def _digamma_positive(y):
    """psi for ``y > 0``: ``psi(y + 1) - 1/y`` below 1, the root form on [1, 2], then
    ``psi(y + 10) - sum 1/(y + k)`` up to 10 and the asymptotic series."""
    def shifted(v):
        total = 1.0 / v
        for k in range(1, 10):
            total += 1.0 / (v + k)
        return _digamma_asymptotic(v + 10.0) - total

    low, middle, high = y < 1.0, (y >= 1.0) & (y <= 2.0), y >= 10.0
    return _piecewise(y, [(low, lambda v: _digamma_near_root(v + 1.0) - 1.0 / v),
                          (middle, _digamma_near_root), (high | np.isnan(y), _digamma_asymptotic),
                          (~low & ~middle & ~high & ~np.isnan(y), shifted)])


def _digamma64(x):
    negative = x < 0.0

    def reflected(v):  # psi(x) = psi(1 - x) - pi / tan(pi x); NaN at the poles
        value = _digamma_positive(1.0 - v) - np.pi / np.tan(np.pi * (v - np.round(v)))
        return np.where(v == np.floor(v), np.nan, value)

    result = _piecewise(x, [(negative, reflected), (~negative, _digamma_positive)])
    return np.where(x == 0.0, np.copysign(np.inf, -x), result)


def digamma(x, out=None):
    """The logarithmic derivative of Gamma: ``-inf`` at +0, ``+inf`` at -0, NaN at the negative
    integers."""
    return _apply(x, out, _digamma64)
