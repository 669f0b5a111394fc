"""Conformance cases of ``unigrad.distributions``: log-densities, entropies, CDFs and KL
divergences with their gradients. They are composites of the primitive set -- the special
functions (lgamma, digamma, erfinv, atan, the incomplete gamma function) and the Cholesky and
triangular solves included -- so every backend runs them; values come from element-wise
primitives, short sums and small matrix products, hence the reduction tolerance scaled by the
magnitude of the terms."""
from __future__ import annotations

import numpy as np

from .cases import Case, fixed, index

_FLOATS = ("float32", "float64")
_SPECIAL = ("exp", "log", "log1p", "sin", "cos", "floor", "round", "where", "div")
_LINALG = ("matmul", "copy_", "as_strided", "sqrt", "div")


def _terms(k, scale):
    """``k`` terms of magnitude ``scale`` (PyTorch-scale log-densities stay below ~50)."""
    return lambda inputs: (k, scale)


def _simplex(shape):
    def make(rng):
        a = rng.uniform(0.2, 2.0, shape)
        return a / a.sum(-1, keepdims=True)
    return make


def _spd(n, batch=()):
    def make(rng):
        m = rng.standard_normal(tuple(batch) + (n, n))
        return m @ np.swapaxes(m, -1, -2) / n + 0.5 * np.eye(n)
    return make


def _unit(shape):
    return lambda rng: rng.uniform(0.05, 0.95, shape)


def _continuous(lib, x, a, b, u):
    D = lib.distributions
    return (D.Normal(x, a).log_prob(b), D.Normal(x, a).icdf(u), D.Gamma(a, b).log_prob(a + b),
            D.Gamma(a, b).entropy(), D.Beta(a, b).log_prob(u), D.StudentT(a + 2, x, b).log_prob(x * 2),
            D.Cauchy(x, a).cdf(b), D.Laplace(x, b).log_prob(a), D.LogNormal(x, a).log_prob(b))


def _discrete(lib, logits, k, p, counts, concentration, simplex):
    D = lib.distributions
    return (D.Categorical(logits=logits).log_prob(k), D.Categorical(logits=logits).entropy(),
            D.Binomial(12, probs=p).log_prob(counts), D.Poisson(p * 5).log_prob(counts),
            D.Dirichlet(concentration).log_prob(simplex), D.Dirichlet(concentration).entropy())


def _multivariate(lib, loc, cov, value):
    D = lib.distributions
    mvn = D.MultivariateNormal(loc, covariance_matrix=cov)
    low_rank = D.LowRankMultivariateNormal(loc, cov[..., :2], cov.diagonal(0, -2, -1))
    return mvn.log_prob(value), mvn.entropy(), mvn.precision_matrix, low_rank.log_prob(value)


def _kl_and_cdf(lib, x, a, b):
    D = lib.distributions
    return (D.kl_divergence(D.Normal(x, a), D.Normal(b, a + b)), D.kl_divergence(D.Beta(a, b), D.Beta(b, a)),
            D.kl_divergence(D.Gamma(a, b), D.Exponential(b)), D.Gamma(a.detach(), b).cdf(a + b),
            D.Chi2(a.detach() * 3).cdf(b * 2))


def _transforms(lib, x):
    T = lib.distributions.transforms
    stick = T.StickBreakingTransform()
    y = stick(x)
    tanh = T.TanhTransform()
    return y, stick.log_abs_det_jacobian(x, y), stick.inv(y), tanh.log_abs_det_jacobian(x, tanh(x))


CASES = [
    Case("distributions.continuous", "distributions", _continuous,
         fixed(((3, 4), "real"), ((3, 4), "positive"), ((3, 4), "positive"), _unit((3, 4))), ("matrix",), _FLOATS,
         True, "reduction", _SPECIAL + ("erf",), _terms(8, 20.0)),
    Case("distributions.discrete", "distributions", _discrete,
         fixed(((3, 5), "real"), index((3,), 5), _unit((3,)), lambda rng: rng.integers(0, 13, (3,)).astype(np.float64),
               ((3, 4), "positive"), _simplex((3, 4))), ("matrix",), _FLOATS, True, "reduction",
         _SPECIAL + ("gather", "max", "sum"), _terms(8, 20.0)),
    Case("distributions.multivariate", "distributions", _multivariate,
         fixed(((2, 4), "real"), _spd(4, (2,)), ((2, 4), "real")), ("matrix",), _FLOATS, True, "reduction",
         _LINALG, _terms(16, 20.0)),
    Case("distributions.kl_and_cdf", "distributions", _kl_and_cdf,
         fixed(((3, 4), "real"), ((3, 4), "positive"), ((3, 4), "positive")), ("matrix",), _FLOATS, True,
         "reduction", _SPECIAL + ("lt", "pow"), _terms(8, 20.0)),
    Case("distributions.transforms", "distributions", _transforms, fixed(((3, 4), "real")), ("matrix",), _FLOATS,
         True, "reduction", ("exp", "log1p", "mul", "add", "sum"), _terms(8, 4.0)),
]
