"""Samplers the distributions draw from, built on the Philox stream's uniforms and normals.

Rejection samplers are vectorised: every round draws candidates for the whole tensor and keeps
the first accepted one of each element, until none is pending (one host check per round, as
PyTorch's own rejection loops synchronise). Gamma uses Marsaglia-Tsang, Poisson the PTRS method
of Hormann (1993) from rate 10 and the inverse CDF below, Binomial the BTRS method of Hormann
(1993) from mean 10 and the inverse CDF below -- the algorithms PyTorch's CPU kernels use, so the
samples have the same distribution though not the same values. Reparameterised gradients of
Gamma and Dirichlet samples use PyTorch's implicit-gradient approximations
(``_standard_gamma_grad``, ``_dirichlet_grad``), ported element for element.
"""
from __future__ import annotations

import math

from ..api import creation, dtypes
from ..api.ops import pointwise as pw
from ..api.ops import reduction as red
from ..api.ops.support import Tensor, grad_state
from ..autograd.grad_mode import no_grad
from ._math import digamma, lgamma, work_dtype

_MAX_ROUNDS = 10000  # a correct sampler stops after a handful; this only guards against bugs
_INVERSE_CDF_CHECK_EVERY = 8


def _uniform(like: Tensor, dtype=None) -> Tensor:
    return creation.rand(tuple(like.shape), dtype=dtype or like.dtype, device=like.device)


def _normal(like: Tensor, dtype=None) -> Tensor:
    return creation.randn(tuple(like.shape), dtype=dtype or like.dtype, device=like.device)


def _rounds(name: str):
    """Round numbers for a rejection loop, with a guard that names the sampler."""
    for round_index in range(_MAX_ROUNDS):
        yield round_index
    raise RuntimeError(f"{name}: the rejection sampler did not finish in {_MAX_ROUNDS} rounds")


def _done(pending: Tensor) -> bool:
    return not bool(red.any(pending))


def exponential(shape: tuple, like: Tensor) -> Tensor:
    """Standard exponential samples: ``-log(1 - U)``, U in [0, 1) (``Tensor.exponential_``)."""
    u = creation.rand(shape, dtype=like.dtype, device=like.device)
    return -pw.log1p(-u)


def cauchy(shape: tuple, like: Tensor) -> Tensor:
    """Standard Cauchy samples: ``tan(pi (U - 1/2))`` (``Tensor.cauchy_``)."""
    u = creation.rand(shape, dtype=like.dtype, device=like.device)
    return pw.tan(math.pi * (u - 0.5))


# ----- Gamma -------------------------------------------------------------------------------------
def _gamma_values(alpha: Tensor) -> Tensor:
    """Gamma(alpha, 1) samples in ``alpha``'s dtype (the work dtype), at least the smallest
    normal number (as PyTorch clamps them)."""
    valid = (alpha > 0) & (alpha < math.inf)
    a = pw.where(valid, alpha, alpha * 0.0 + 1.0)
    boost = a < 1.0  # Gamma(a) = Gamma(a + 1) U^(1/a)
    scale = pw.where(boost, pw.pow(1.0 - _uniform(a), 1.0 / a), a * 0.0 + 1.0)
    a = pw.where(boost, a + 1.0, a)
    d = a - 1.0 / 3.0
    c = 1.0 / pw.sqrt(9.0 * d)
    result = a * 0.0
    pending = valid
    for _ in _rounds("_standard_gamma"):
        x = _normal(a)
        u = 1.0 - _uniform(a)
        y = 1.0 + c * x
        v = y * y * y
        xx = x * x
        log_v = pw.log(pw.where(y > 0, v, v * 0.0 + 1.0))
        accept = (y > 0) & ((u < 1.0 - 0.0331 * xx * xx) | (pw.log(u) < 0.5 * xx + d * (1.0 - v + log_v)))
        result = pw.where(pending & accept, d * v, result)
        pending = pending & ~accept
        if _done(pending):
            break
    result = result * scale
    result = pw.where(alpha == 0, alpha * 0.0, pw.where(alpha == math.inf, alpha, result))
    return pw.where(valid | (alpha == 0) | (alpha == math.inf), result, alpha * math.nan)


def standard_gamma(concentration: Tensor) -> Tensor:
    """Gamma(concentration, 1) samples, reparameterised (``torch._standard_gamma``): the
    gradient is ``_standard_gamma_grad(concentration, sample)``."""
    tiny = dtypes.finfo(concentration.dtype).tiny
    with no_grad():
        work = work_dtype(concentration)
        sample = _gamma_values(concentration.detach().to(work))
        out = pw.clamp(sample.to(concentration.dtype), min=tiny)
    if concentration._requires_grad and grad_state.enabled:
        saved = out.detach()
        out._attach("StandardGammaBackward0",
                    lambda g: (g * standard_gamma_grad(concentration, saved),),
                    (concentration,), (concentration,))
    return out


def _not_differentiable(name: str, out: Tensor, inputs) -> Tensor:
    """Mark ``out`` as having no derivative: backward through it raises, as in PyTorch."""
    if grad_state.enabled and any(t._requires_grad for t in inputs):
        def backward(g):
            raise NotImplementedError(f"the derivative for '{name}' is not implemented.")
        out._attach(f"{name.lstrip('_').title().replace('_', '')}Backward0", backward, tuple(inputs))
    return out


def _pow(x, y):
    return pw.exp(y * pw.log(x))


def _standard_gamma_grad_values(alpha: Tensor, x: Tensor) -> Tensor:
    # -(d/dalpha cdf(x; alpha)) / pdf(x; alpha), PyTorch's standard_gamma_grad_one.
    # Taylor series for small x.
    numer = x * 0.0 + 1.0
    denom = alpha
    series1 = numer / denom
    series2 = numer / (denom * denom)
    for i in range(1, 6):
        numer = numer * (-x / i)
        denom = denom + 1.0
        series1 = series1 + numer / denom
        series2 = series2 + numer / (denom * denom)
    pow_x_alpha = pw.pow(x, alpha)
    gamma_pdf = pw.pow(x, alpha - 1.0) * pw.exp(-x)
    gamma_cdf = pow_x_alpha * series1
    gamma_cdf_alpha = (pw.log(x) - digamma(alpha)) * gamma_cdf - pow_x_alpha * series2
    small = -gamma_cdf_alpha / gamma_pdf
    small = pw.where(pw.isnan(small), x * 0.0, small)
    # Rice saddle point expansion for large alpha.
    near = (0.9 * alpha <= x) & (x <= 1.1 * alpha)
    numer_1 = 1.0 + 24.0 * alpha * (1.0 + 12.0 * alpha)
    numer_2 = (1440.0 * (alpha * alpha) + 6.0 * x * (53.0 - 120.0 * x) - 65.0 * x * x / alpha
               + alpha * (107.0 + 3600.0 * x))
    saddle_near = numer_1 * numer_2 / (1244160.0 * (alpha * alpha) * (alpha * alpha))
    denom_far = pw.sqrt(8.0 * alpha)
    gap = pw.where(near, x * 0.0 + 1.0, alpha - x)
    term2 = denom_far / gap
    base = x - alpha - alpha * pw.log(x / alpha)
    term3 = pw.pow(pw.where(near, x * 0.0 + 1.0, base), -1.5)
    term23 = pw.where(x < alpha, term2 - term3, term2 + term3)
    term1 = pw.log(x / alpha) * term23 - pw.sqrt(2.0 / alpha) * (alpha + x) / (gap * gap)
    stirling = 1.0 + 1.0 / (12.0 * alpha) * (1.0 + 1.0 / (24.0 * alpha))
    saddle_far = -stirling * (x * term1) / denom_far
    saddle = pw.where(near, saddle_near, saddle_far)
    # Bivariate rational approximation otherwise.
    u = pw.log(x / alpha)
    v = pw.log(alpha)
    coef_uv = ((0.16009398, -0.094634809, 0.025146376, -0.0030648343, 1.0, 0.32668115, 0.10406089,
                0.0014179084),
               (0.53487893, 0.1298071, 0.065735949, -0.0015649758, 0.16639465, 0.020070113,
                -0.0035938915, -0.00058392623),
               (0.040121004, -0.0065914022, -0.0026286047, -0.0013441777, 0.017050642,
                -0.0021309326, 0.00085092367, -1.5247877e-07))
    coef_v = [coef_uv[0][i] + u * (coef_uv[1][i] + u * coef_uv[2][i]) for i in range(8)]
    p = coef_v[0] + v * (coef_v[1] + v * (coef_v[2] + v * coef_v[3]))
    q = coef_v[4] + v * (coef_v[5] + v * (coef_v[6] + v * coef_v[7]))
    rational = pw.exp(p / q)
    return pw.where(x < 0.8, small, pw.where(alpha > 8.0, saddle, rational))


def standard_gamma_grad(alpha: Tensor, x: Tensor) -> Tensor:
    """d sample / d alpha of Gamma(alpha, 1) samples ``x`` (``torch._standard_gamma_grad``)."""
    with no_grad():
        work = work_dtype(alpha)
        a, s = _broadcast(alpha.detach().to(work), x.detach().to(work))
        out = _standard_gamma_grad_values(a, s).to(alpha.dtype)
    return _not_differentiable("_standard_gamma_grad", out, (alpha, x))


def _broadcast(*tensors):
    from ..api.ops.shape import broadcast_tensors
    return broadcast_tensors(*tensors)


# ----- Dirichlet ---------------------------------------------------------------------------------
def sample_dirichlet(concentration: Tensor) -> Tensor:
    """Dirichlet samples (``torch._sample_dirichlet``): normalised float64 Gamma draws, clamped
    to ``[tiny, 1 - eps/2]`` in the result's dtype as PyTorch does."""
    info = dtypes.finfo(concentration.dtype)
    with no_grad():
        work = work_dtype(concentration)
        gammas = _gamma_values(concentration.detach().to(work))
        gammas = pw.clamp(gammas, min=dtypes.finfo(work).tiny)
        ratio = gammas / red.sum(gammas, -1, keepdim=True)
        return pw.clamp(ratio, min=info.tiny, max=1.0 - info.eps / 2).to(concentration.dtype)


def _beta_grad_alpha_small(x, alpha, beta, digamma_alpha, digamma_total):
    factor = digamma_alpha - digamma_total - pw.log(x)
    numer = x * 0.0 + 1.0
    series = numer / alpha * (factor + 1.0 / alpha)
    for i in range(1, 11):
        numer = numer * ((i - beta) * x / i)
        denom = alpha + i
        series = series + numer / denom * (factor + 1.0 / denom)
    result = x * _pow(1.0 - x, -beta) * series
    return pw.where(pw.isnan(result), x * 0.0, result)


def _beta_grad_beta_small(x, alpha, beta, digamma_total, digamma_beta):
    factor = digamma_total - digamma_beta
    numer = x * 0.0 + 1.0
    betas = x * 0.0 + 1.0
    dbetas = x * 0.0
    series = factor / alpha
    for i in range(1, 9):
        numer = numer * (-x / i)
        dbetas = dbetas * (beta - i) + betas
        betas = betas * (beta - i)
        series = series + numer / (alpha + i) * (dbetas + factor * betas)
    result = -_pow(1.0 - x, 1.0 - beta) * series
    return pw.where(pw.isnan(result), x * 0.0, result)


def _beta_grad_alpha_mid(x, alpha, beta):
    total = alpha + beta
    mean = alpha / total
    std = pw.sqrt(alpha * beta / (total + 1.0)) / total
    near = (mean - 0.1 * std <= x) & (x <= mean + 0.1 * std)
    bb = beta * beta
    poly = 47.0 * x * bb * bb + alpha * (
        (43.0 + 20.0 * (16.0 + 27.0 * beta) * x) * bb * beta + alpha * (
            3.0 * (59.0 + 180.0 * beta - 90.0 * x) * bb + alpha * (
                (453.0 + 1620.0 * beta * (1.0 - x) - 455.0 * x) * beta + alpha * (
                    8.0 * (1.0 - x) * (135.0 * beta - 11.0)))))
    prefactor_num = (1.0 + 12.0 * alpha) * (1.0 + 12.0 * beta) / (total * total)
    prefactor_den = 12960.0 * alpha * alpha * alpha * beta * beta * (1.0 + 12.0 * total)
    near_value = prefactor_num / (1.0 - x) * poly / prefactor_den
    prefactor = -x / pw.sqrt(2.0 * alpha * beta / total)
    stirling = ((1.0 + 1.0 / (12.0 * alpha) + 1.0 / (288.0 * alpha * alpha))
                * (1.0 + 1.0 / (12.0 * beta) + 1.0 / (288.0 * beta * beta))
                / (1.0 + 1.0 / (12.0 * total) + 1.0 / (288.0 * total * total)))
    term1_num = 2.0 * (alpha * alpha) * (x - 1.0) + alpha * beta * (x - 1.0) - x * bb
    axbx = alpha * (x - 1.0) + beta * x
    safe_axbx = pw.where(near, x * 0.0 + 1.0, axbx)
    term1_den = pw.sqrt(2.0 * alpha / beta) * pw.pow(total, 1.5) * safe_axbx * safe_axbx
    term1 = term1_num / term1_den
    term2 = 0.5 * pw.log(alpha / (total * x))
    term3 = pw.sqrt(8.0 * alpha * beta / total) / safe_axbx
    term4_base = beta * pw.log(beta / (total * (1.0 - x))) + alpha * pw.log(alpha / (total * x))
    term4 = pw.pow(pw.where(near, x * 0.0 + 1.0, term4_base), -1.5)
    term1234 = term1 + term2 * (term3 + pw.where(x < mean, term4, -term4))
    return pw.where(near, near_value, stirling * prefactor * term1234)


_DIRICHLET_RATIONAL = (
    (((1.003668233, -0.01061107488, -0.0657888334, 0.01201642863),
      (0.6336835991, -0.3557432599, 0.05486251648, -0.001465281033),
      (-0.03276231906, 0.004474107445, 0.002429354597, -0.0001557569013)),
     ((0.221950385, -0.3187676331, 0.01799915743, 0.01074823814),
      (-0.2951249643, 0.06219954479, 0.01535556598, 0.001550077057),
      (0.02155310298, 0.004170831599, 0.001292462449, 6.976601077e-05)),
     ((-0.05980841433, 0.008441916499, 0.01085618172, 0.002319392565),
      (0.02911413504, 0.01400243777, -0.002721828457, 0.000751041181),
      (0.005900514878, -0.001936558688, -9.495446725e-06, 5.385558597e-05))),
    (((1.0, -0.02924021934, -0.04438342661, 0.007285809825),
      (0.6357567472, -0.3473456711, 0.05454656494, -0.002407477521),
      (-0.03301322327, 0.004845219414, 0.00231480583, -0.0002307248149)),
     ((0.5925320577, -0.1757678135, 0.01505928619, 0.000564515273),
      (0.1014815858, -0.06589186703, 0.01272886114, -0.0007316646956),
      (-0.007258481865, 0.001096195486, 0.0003934994223, -4.12701925e-05)),
     ((0.06469649321, -0.0236701437, 0.002902096474, -5.896963079e-05),
      (0.001925008108, -0.002869809258, 0.0008000589141, -6.063713228e-05),
      (-0.0003477407336, 6.959756487e-05, 1.097287507e-05, -1.650964693e-06))),
)


def _dirichlet_rational(x, alpha, total, digamma_alpha, digamma_total):
    u = pw.log(x)
    a = pw.log(alpha) - u
    b = pw.log(total) - a
    pow_u = (None, u, u * u)
    pow_a = (None, a, a * a)
    p = x * 0.0
    q = x * 0.0
    for i in range(3):
        for j in range(3):
            ua = pow_u[i] if j == 0 else (pow_a[j] if i == 0 else pow_u[i] * pow_a[j])
            cp, cq = _DIRICHLET_RATIONAL[0][i][j], _DIRICHLET_RATIONAL[1][i][j]
            poly_p = cp[0] + b * (cp[1] + b * (cp[2] + b * cp[3]))
            poly_q = cq[0] + b * (cq[1] + b * (cq[2] + b * cq[3]))
            p = p + (poly_p if ua is None else ua * poly_p)
            q = q + (poly_q if ua is None else ua * poly_q)
    approx = x * (digamma_total - digamma_alpha) / (total - alpha)
    return p / q * approx


def _dirichlet_grad_values(x: Tensor, alpha: Tensor, total: Tensor) -> Tensor:
    # PyTorch's dirichlet_grad_one: -(d/dalpha cdf(x; alpha, total - alpha)) / pdf / (1 - x).
    beta = total - alpha
    boundary = total * x * (1.0 - x)
    digamma_alpha = digamma(alpha)
    digamma_total = digamma(total)
    near_zero = (x <= 0.5) & (boundary < 2.5)
    near_one = (x >= 0.5) & (boundary < 0.75) & ~near_zero
    both_large = (alpha > 6.0) & (beta > 6.0) & ~near_zero & ~near_one
    small = _beta_grad_alpha_small(x, alpha, beta, digamma_alpha, digamma_total)
    one = -_beta_grad_beta_small(1.0 - x, beta, alpha, digamma_total, digamma_alpha)
    mid = _beta_grad_alpha_mid(x, alpha, beta)
    rational = _dirichlet_rational(x, alpha, total, digamma_alpha, digamma_total)
    return pw.where(near_zero, small, pw.where(near_one, one, pw.where(both_large, mid, rational)))


def dirichlet_grad(x: Tensor, alpha: Tensor, total: Tensor) -> Tensor:
    """``torch._dirichlet_grad``: the implicit reparameterisation gradient of Dirichlet samples."""
    with no_grad():
        work = work_dtype(x)
        xs, al, tot = _broadcast(x.detach().to(work), alpha.detach().to(work), total.detach().to(work))
        out = _dirichlet_grad_values(xs, al, tot).to(x.dtype)
    return _not_differentiable("_dirichlet_grad", out, (x, alpha, total))


def dirichlet_rsample(concentration: Tensor) -> Tensor:
    """Reparameterised Dirichlet samples (PyTorch's ``_Dirichlet`` function)."""
    x = sample_dirichlet(concentration)
    if concentration._requires_grad and grad_state.enabled:
        saved = x.detach()

        def backward(g):
            total = red.sum(concentration, -1, keepdim=True).expand_as(concentration)
            grad = dirichlet_grad(saved, concentration, total)
            return (grad * (g - red.sum(saved * g, -1, keepdim=True)),)
        x._attach("_DirichletBackward", backward, (concentration,), (concentration,))
    return x


# ----- Poisson -----------------------------------------------------------------------------------
def _inverse_cdf_search(u: Tensor, first: Tensor, ratio, limit: Tensor, name: str) -> Tensor:
    """The smallest ``k <= limit`` with ``u <= F(k)``, walking the pmf from ``first`` = p(0)
    with ``p(k + 1) = p(k) * ratio(k)``."""
    k = u * 0.0
    p = first
    cdf = first
    pending = (u > cdf) & (k < limit)
    for _ in _rounds(name):
        for _ in range(_INVERSE_CDF_CHECK_EVERY):
            step = pending & (u > cdf) & (k < limit) & (p > 0)
            p = pw.where(step, p * ratio(k), p)
            k = pw.where(step, k + 1.0, k)
            cdf = pw.where(step, cdf + p, cdf)
            pending = step
        if _done(pending):
            break
    return k


def poisson(rate: Tensor) -> Tensor:
    """Poisson samples with the given rates (``torch.poisson``), in ``rate``'s dtype."""
    with no_grad():
        work = work_dtype(rate)
        lam = rate.detach().to(work)
        valid = lam >= 0
        small = valid & (lam < 10.0)
        # Inverse CDF below rate 10 (a few dozen steps at most).
        small_lam = pw.where(small, lam, lam * 0.0 + 1.0)
        u = _uniform(lam)
        inverse = _inverse_cdf_search(u, pw.exp(-small_lam), lambda k: small_lam / (k + 1.0),
                                      small_lam * 0.0 + math.inf, "poisson")
        # PTRS (transformed rejection with squeeze) from rate 10.
        big = valid & ~small & (lam < math.inf)
        big_lam = pw.where(big, lam, lam * 0.0 + 10.0)
        slam = pw.sqrt(big_lam)
        loglam = pw.log(big_lam)
        b = 0.931 + 2.53 * slam
        a = -0.059 + 0.02483 * b
        invalpha = 1.1239 + 1.1328 / (b - 3.4)
        vr = 0.9277 - 3.6224 / (b - 2.0)
        result = lam * 0.0
        pending = big
        if not _done(pending):
            for _ in _rounds("poisson"):
                uu = _uniform(lam) - 0.5
                v = _uniform(lam)
                us = 0.5 - pw.abs(uu)
                k = pw.floor((2.0 * a / us + b) * uu + big_lam + 0.43)
                quick = (us >= 0.07) & (v <= vr)
                reject = (k < 0) | ((us < 0.013) & (v > us))
                log_accept = (pw.log(v) + pw.log(invalpha) - pw.log(a / (us * us) + b)
                              <= -big_lam + k * loglam - lgamma(pw.where(k >= 0, k, k * 0.0) + 1.0))
                accept = quick | (~reject & log_accept)
                result = pw.where(pending & accept, k, result)
                pending = pending & ~accept
                if _done(pending):
                    break
        out = pw.where(small, inverse, result)
        out = pw.where(lam == math.inf, lam, pw.where(valid, out, lam * math.nan))
        return out.to(rate.dtype)


# ----- Binomial ----------------------------------------------------------------------------------
def _stirling_tail(k: Tensor) -> Tensor:
    table = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
             0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.0104112652619720,
             0.00925546218271273, 0.00833056343336287)
    kp1sq = (k + 1.0) * (k + 1.0)
    out = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1.0)
    for i, value in enumerate(table):
        out = pw.where(k == i, k * 0.0 + value, out)
    return out


def _btrs(count: Tensor, prob: Tensor, active: Tensor) -> Tensor:
    """Binomial samples by BTRS where ``active`` (count * prob >= 10, prob <= 1/2)."""
    stddev = pw.sqrt(count * prob * (1.0 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1.0 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = pw.floor((count + 1.0) * prob)
    result = count * 0.0
    pending = active
    if _done(pending):
        return result
    for _ in _rounds("binomial"):
        u = _uniform(count) - 0.5
        v = _uniform(count)
        us = 0.5 - pw.abs(u)
        k = pw.floor((2.0 * a / us + b) * u + c)
        in_range = (k >= 0) & (k <= count)
        quick = in_range & (us >= 0.07) & (v <= v_r)
        kk = pw.clamp(k, 0.0, None)
        kk = pw.minimum(kk, count)
        log_v = pw.log(v * alpha / (a / (us * us) + b))
        upper = ((m + 0.5) * pw.log((m + 1.0) / (r * (count - m + 1.0)))
                 + (count + 1.0) * pw.log((count - m + 1.0) / (count - kk + 1.0))
                 + (kk + 0.5) * pw.log(r * (count - kk + 1.0) / (kk + 1.0))
                 + _stirling_tail(m) + _stirling_tail(count - m)
                 - _stirling_tail(kk) - _stirling_tail(count - kk))
        accept = quick | (in_range & (log_v <= upper))
        result = pw.where(pending & accept, k, result)
        pending = pending & ~accept
        if _done(pending):
            break
    return result


def binomial(count: Tensor, prob: Tensor) -> Tensor:
    """Binomial samples (``torch.binomial``), in ``count``'s dtype."""
    with no_grad():
        work = work_dtype(count)
        n, p = _broadcast(count.detach().to(work), prob.detach().to(work))
        flip = p > 0.5
        q = pw.where(flip, 1.0 - p, p)  # sample the rarer outcome
        trivial = (n <= 0) | (q <= 0)
        usable = ~trivial & ~pw.isnan(q)
        large = usable & (n * q >= 10.0)
        small = usable & ~large
        # Inverse CDF for mean below 10: p(0) = (1 - q)^n, p(k+1) = p(k) (n - k) / (k + 1) q / (1 - q).
        sn = pw.where(small, n, n * 0.0 + 1.0)
        sq = pw.where(small, q, q * 0.0 + 0.5)
        odds = sq / (1.0 - sq)
        first = pw.exp(sn * pw.log1p(-sq))
        inverse = _inverse_cdf_search(_uniform(sn), first, lambda k: (sn - k) / (k + 1.0) * odds, sn,
                                      "binomial")
        ln = pw.where(large, n, n * 0.0 + 20.0)
        lq = pw.where(large, q, q * 0.0 + 0.5)
        rejection = _btrs(ln, lq, large)
        draws = pw.where(large, rejection, pw.where(small, inverse, n * 0.0))
        out = pw.where(flip, n - draws, draws)
        out = pw.where(trivial, pw.where(flip & (n > 0), n, n * 0.0), out)
        out = pw.where(pw.isnan(p) & (n > 0), p, out)
        return out.to(count.dtype)
