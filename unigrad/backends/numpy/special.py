"""Special functions NumPy lacks (erf, erfc, erfinv, lgamma, digamma), vectorised for throughput.

Each runs over its input chunk by chunk (``_CHUNK_BYTES`` of the work dtype at a time), so the
temporaries of a polynomial evaluation stay in cache instead of streaming through memory, and
splits its domain into pieces: the piece holding most of a chunk is evaluated on the whole chunk,
a rare one (``|x| > 4`` in a normal sample, say) only on its gathered elements, and pieces are
combined by a branch-free bitwise select.

erf and erfc of float32 are computed in float32 (within 3 units in the last place); float16 and
bfloat16 are computed in float32 and float64 in float64, each rounded once to the input's dtype.
erfinv of float32 runs Giles' single-precision approximation in float32; lgamma and digamma work
in float64 whatever the dtype.

Sources of the approximations: W. J. Cody, "Rational Chebyshev approximations for the error
function", Math. Comp. 23 (1969) (float64 erf/erfc); M. Giles, "Approximating the erfinv
function", GPU Computing Gems (2010) (erfinv); Stirling's and the digamma asymptotic series
(Bernoulli numbers). The float32 erf/erfc polynomials and lgamma's polynomial around 2 were
fitted here by least squares on Chebyshev nodes against mpmath.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

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
_CODY_A = (1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02,
           3.77485237685302021e02, 3.20937758913846947e03)
_CODY_B = (1.0, 2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
           2.84423683343917062e03)
_CODY_C = (2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00,
           6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02,
           1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03)
_CODY_D = (1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
           1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
           3.43936767414372164e03, 1.23033935480374942e03)
_CODY_P = (1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
           1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4)
_CODY_Q = (1.0, 2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
           6.05183413124413191e-2, 2.33520497626869185e-3)
_ONE_OVER_SQRT_PI = 1.0 / math.sqrt(math.pi)
_CODY_SMALL = 0.46875


def _erf_near_zero(x):
    """erf for ``|x| <= 0.46875``."""
    z = x * x
    return x * _horner(z, _CODY_A) / _horner(z, _CODY_B)


def _exp_minus_square(y):
    """``exp(-y*y)`` to full relative accuracy: ``y*y`` is split into an exact square and a small
    remainder, as Cody does, so the rounding of ``y*y`` is not magnified by exp."""
    head = np.trunc(y * 16.0) / 16.0
    tail = (y - head) * (y + head)
    return np.exp(-(head * head)) * np.exp(-tail)


def _erfc_tail64(y, exact_exp=True):
    """erfc for ``y > 0.46875`` (Cody's two outer intervals)."""
    def middle(v):
        return _horner(v, _CODY_C) / _horner(v, _CODY_D)

    def far(v):
        w = 1.0 / (v * v)
        return (_ONE_OVER_SQRT_PI - w * _horner(w, _CODY_P) / _horner(w, _CODY_Q)) / v

    y = np.minimum(y, 30.0)  # erfc(30) underflows to 0; inf would give inf - inf
    ratio = _piecewise(y, [(y <= 4.0, middle), (~(y <= 4.0), far)])
    return ratio * (_exp_minus_square(y) if exact_exp else np.exp(-(y * y)))


def _erf64(x):
    y = np.abs(x)
    near = y <= _CODY_SMALL

    def outer(v):
        # erfc(|v|) below 2**-53 for |v| > 6: clamping keeps 1 and avoids extra work
        e = _erfc_tail64(np.minimum(np.abs(v), 6.0), exact_exp=False)
        return _copy_sign(np.subtract(1.0, e, out=e), v)

    return _piecewise(x, [(near, _erf_near_zero), (~near, outer)])


def _erfc64(x):
    near = np.abs(x) <= _CODY_SMALL

    def outer(v):
        e = _erfc_tail64(np.abs(v))
        return np.where(v < 0, 2.0 - e, e)

    return _piecewise(x, [(near, lambda v: 1.0 - _erf_near_zero(v)), (~near, outer)])


# ----- erf and erfc: float32 ----------------------------------------------------------------------
# erf(a) = -expm1(-a k(a)) for a = |x| <= 4 with k(a) = -log(erfc(a)) / a, smooth from
# k(0) = 2/sqrt(pi): one polynomial for the whole range and no cancellation near 0 (erf(4) is 1
# in float32). Coefficients are of -k, highest power first.
_ERF32_K = tuple(-c for c in (
    -9.946280954409303e-08, 2.5187375740642892e-06, -2.8390299121383578e-05, 0.00018635796732269228,
    -0.0007667069439776242, 0.0018134170677512884, -0.00024718293570913374, -0.019128648564219475,
    0.10277583450078964, 0.6366192102432251, 1.128379225730896))
# erfc(y) = exp(-y*y) u R(u) with u = 1 / (1 + y/2), for 0.5 <= y <= 10.5 (erfc(10.5) underflows).
_ERFC32_R = (-0.06390828639268875, 0.3062519133090973, -0.5278050303459167, 0.31953656673431396,
             -0.05181901901960373, 0.21198377013206482, 0.24107426404953003, 0.28261440992355347,
             0.28207477927207947)


def _erf32(x):
    a = np.abs(x)
    np.minimum(a, np.float32(4.0), out=a)
    t = _horner(a, np.array(_ERF32_K, np.float32))
    t *= a
    np.expm1(t, out=t)
    np.negative(t, out=t)
    return _copy_sign(t, x)


def _erfc32(x):
    upper = x >= 0.5

    def tail(v):
        y = np.minimum(v, np.float32(10.5))
        u = np.reciprocal(np.float32(1.0) + np.float32(0.5) * y)
        r = _horner(u, np.array(_ERFC32_R, np.float32))
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
_GILES32_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                    -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES32_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                 -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)
_GILES64_CENTRAL = (
    -3.6444120640178196996e-21, -1.685059138182016589e-19, 1.2858480715256400167e-18,
    1.115787767802518096e-17, -1.333171662854620906e-16, 2.0972767875968561637e-17,
    6.6376381343583238325e-15, -4.0545662729752068639e-14, -8.1519341976054721522e-14,
    2.6335093153082322977e-12, -1.2975133253453532498e-11, -5.4154120542946279317e-11,
    1.051212273321532285e-09, -4.1126339803469836976e-09, -2.9070369957882005086e-08,
    4.2347877827932403518e-07, -1.3654692000834678645e-06, -1.3882523362786468719e-05,
    0.0001867342080340571352, -0.00074070253416626697512, -0.0060336708714301490533,
    0.24015818242558961693, 1.6536545626831027356)
_GILES64_MIDDLE = (
    2.2137376921775787049e-09, 9.0756561938885390979e-08, -2.7517406297064545428e-07,
    1.8239629214389227755e-08, 1.5027403968909827627e-06, -4.013867526981545969e-06,
    2.9234449089955446044e-06, 1.2475304481671778723e-05, -4.7318229009055733981e-05,
    6.8284851459573175448e-05, 2.4031110387097893999e-05, -0.0003550375203628474796,
    0.00095328937973738049703, -0.0016882755560235047313, 0.0024914420961078508066,
    -0.0037512085075692412107, 0.005370914553590063617, 1.0052589676941592334,
    3.0838856104922207635)
_GILES64_TAIL = (
    -2.7109920616438573243e-11, -2.5556418169965252055e-10, 1.5076572693500548083e-09,
    -3.7894654401267369937e-09, 7.6157012080783393804e-09, -1.4960026627149240478e-08,
    2.9147953450901080826e-08, -6.7711997758452339498e-08, 2.2900482228026654717e-07,
    -9.9298272942317002539e-07, 4.5260625972231537039e-06, -1.9681778105531670567e-05,
    7.5995277030017761139e-05, -0.00021503011930044477347, -0.00013871931833623122026,
    1.0103004648645343977, 4.8499064014085844221)


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
    return _erfinv_kernel(x, [(6.25, 3.125, False, _GILES64_CENTRAL), (16.0, 3.25, True, _GILES64_MIDDLE),
                              (None, 5.0, True, _GILES64_TAIL)])


def _erfinv32(x):
    return _erfinv_kernel(x, [(5.0, 2.5, False, _GILES32_CENTRAL), (None, 3.0, True, _GILES32_TAIL)])


def erfinv(x, out=None):
    """The inverse of erf on (-1, 1); ``+-inf`` at ``+-1``, NaN outside."""
    return _apply(x, out, _erfinv64, _erfinv32)


# ----- lgamma -------------------------------------------------------------------------------------
# lgamma(2 + t) = t h(t) on |t| <= 1/2: exact zero at 2, full relative accuracy around it.
_LGAMMA_NEAR_TWO = (
    3.028322678130094e-07, -6.322674135192298e-07, 8.781143367173654e-07, -1.9236822070787138e-06,
    4.41095405092344e-06, -9.476402514302188e-06, 2.049742143430993e-05, -4.491967175353333e-05,
    9.945907875597288e-05, -0.0002231554054947169, 0.0005096693785881883, -0.0011927538799376418,
    0.002890510338330475, -0.007385551029167595, 0.020580808427590913, -0.06735230105320608,
    0.3224670334241148, 0.4227843350984673)
# Stirling: lgamma(y) = (y - 1/2) log y - y + log(2 pi)/2 + sum B_2k / (2k (2k-1) y^(2k-1)), y >= 7
_STIRLING = (-3617.0 / 122400.0, 1.0 / 156.0, -691.0 / 360360.0, 1.0 / 1188.0, -1.0 / 1680.0,
             1.0 / 1260.0, -1.0 / 360.0, 1.0 / 12.0)
_HALF_LOG_TWO_PI = 0.5 * math.log(2.0 * math.pi)
_LOG_PI = math.log(math.pi)


def _lgamma_two_plus(t):
    """``lgamma(2 + t)`` for ``|t| <= 1/2``, from ``t`` itself (``2 + t`` would round it)."""
    return t * _horner(t, _LGAMMA_NEAR_TWO)


def _lgamma_stirling(y):
    z = 1.0 / (y * y)
    log_y = np.log(y)
    # y (log y - 1) - log(y) / 2 rather than (y - 1/2) log y - y: no overflow below lgamma's own
    return y * (log_y - 1.0) - 0.5 * log_y + _HALF_LOG_TWO_PI + _horner(z, _STIRLING) / y


def _lgamma_shifted_down(y):
    """``2.5 <= y < 7``: ``lgamma(u) + log(u (u+1) ... (y-1))`` with ``u = y - n`` in [1.5, 2.5)."""
    n = np.floor(y - 1.5)
    u = y - n
    product = u.copy()
    for k in range(1, 5):
        product *= np.where(n > k, u + k, 1.0)
    return _lgamma_two_plus(u - 2.0) + np.log(product)


def _lgamma_positive(y):
    """lgamma for ``y >= 0.5`` (and inf, NaN)."""
    low, high = y < 1.5, y >= 2.5
    stirling = y >= 7.0
    return _piecewise(y, [
        (low, lambda v: _lgamma_two_plus(v - 1.0) - np.log(v)),  # lgamma(v + 1) - log v
        (~low & ~high, lambda v: _lgamma_two_plus(v - 2.0)),
        (high & ~stirling, _lgamma_shifted_down),
        (stirling | np.isnan(y), _lgamma_stirling)])


def _sin_pi_abs(x):
    """``|sin(pi x)|`` with exact argument reduction."""
    return np.sin(np.pi * np.abs(x - np.round(x)))


def _lgamma64(x):
    positive = x >= 0.5
    small = (x > 0.0) & ~positive

    def reflected(v):  # x <= 0: lgamma(x) = log(pi / |sin(pi x)|) - lgamma(1 - x); poles are inf
        value = _LOG_PI - np.log(_sin_pi_abs(v)) - _lgamma_positive(1.0 - v)
        return np.where(v == np.floor(v), np.inf, value)

    result = _piecewise(x, [
        (positive | np.isnan(x), _lgamma_positive),
        (small, lambda v: _lgamma_two_plus(v) - np.log(v * (v + 1.0))),  # lgamma(v + 2) - ...
        (~positive & ~small & ~np.isnan(x), reflected)])
    return np.where(np.isinf(x), np.inf, result)


def lgamma(x, out=None):
    """``log |Gamma(x)|``: inf at the poles (0, -1, -2, ...) and at +-inf."""
    return _apply(x, out, _lgamma64)


# ----- digamma ------------------------------------------------------------------------------------
# psi(y) = log y - 1/(2y) - sum B_2k / (2k y^2k), y >= 10
_DIGAMMA_SERIES = (1.0 / 12.0, -691.0 / 32760.0, 1.0 / 132.0, -1.0 / 240.0, 1.0 / 252.0,
                   -1.0 / 120.0, 1.0 / 12.0)


def _digamma_asymptotic(y):
    z = 1.0 / (y * y)
    return np.log(y) - 0.5 / y - z * _horner(z, _DIGAMMA_SERIES)


def _digamma_positive(y):
    """psi for ``y > 0``: below 10, ``psi(y + 10) - sum 1/(y + k)``."""
    def shifted(v):
        total = 1.0 / v
        for k in range(1, 10):
            total += 1.0 / (v + k)
        return _digamma_asymptotic(v + 10.0) - total

    small = y < 10.0
    return _piecewise(y, [(small, shifted), (~small, _digamma_asymptotic)])


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
