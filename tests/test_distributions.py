"""unigrad.distributions against torch.distributions.

Every distribution: log_prob, entropy, moments, cdf/icdf and their gradients (parameters and
value) on random parameters; sample/rsample/expand/enumerate_support shapes for batch, event and
sample shapes; the samplers' statistics at fixed seeds, against bounds computed from the
distribution (the Dvoretzky-Kiefer-Wolfowitz inequality for univariate laws, the central limit
theorem for moments), and reparameterised gradients against PyTorch's own gradient formulas at
our samples; argument validation; KL divergences of every registered pair; transforms and the
constraint registries; the special functions and triangular linear algebra underneath.
"""
import math
import re
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import unigrad
from parity import assert_close, check, skip_unless_supported
from unigrad.distributions import _linalg, _math, _sampling

D = unigrad.distributions

# ----- the distributions, their parameters and values -------------------------------------------
# Each spec: build(dist_module, *params), params(rng, batch) -> arrays, value(rng, params, batch),
# the properties and methods PyTorch defines for it.
_PROPS = ("mean", "variance", "stddev", "mode")


def _pos(rng, shape, low=0.3, high=4.0):
    return np.exp(rng.uniform(np.log(low), np.log(high), shape))


def _real(rng, shape, scale=2.0):
    return rng.standard_normal(shape) * scale


def _prob(rng, shape, low=0.05, high=0.95):
    return rng.uniform(low, high, shape)


def _simplex(rng, shape):
    a = _pos(rng, shape, 0.1, 3.0)
    return a / a.sum(-1, keepdims=True)


def _counts(rng, shape, high):
    return rng.integers(0, high + 1, shape).astype(np.float64)


def _spd(rng, batch, n, jitter=0.5):
    m = rng.standard_normal(tuple(batch) + (n, n))
    return m @ np.swapaxes(m, -1, -2) / n + jitter * np.eye(n)


def _tril(rng, batch, n):
    lower = np.tril(rng.standard_normal(tuple(batch) + (n, n)), -1) * 0.5
    return lower + np.eye(n) * _pos(rng, tuple(batch) + (1, n), 0.5, 2.0)


def _corr_cholesky(rng, batch, n):
    c = _spd(rng, batch, n)
    d = np.sqrt(np.diagonal(c, axis1=-2, axis2=-1))
    return np.linalg.cholesky(c / d[..., None] / d[..., None, :])


class Spec:
    def __init__(self, name, build, params, value, props=_PROPS, entropy=True, cdf=False, icdf=False,
                 discrete=False, rsample=None, enumerate=False, event_ndim=0, float64=True):
        self.name, self.build, self.params, self.value = name, build, params, value
        self.float64 = float64  # False: PyTorch itself fails in float64
        self.props, self.entropy, self.cdf, self.icdf = props, entropy, cdf, icdf
        self.discrete, self.enumerate, self.event_ndim = discrete, enumerate, event_ndim
        self.rsample = rsample

    def __repr__(self):
        return self.name


SPECS = [
    Spec("Normal", lambda D, a, b: D.Normal(a, b), lambda r, s: [_real(r, s), _pos(r, s)],
         lambda r, p, s: _real(r, s, 3), cdf=True, icdf=True),
    Spec("Uniform", lambda D, a, b: D.Uniform(a, a + b), lambda r, s: [_real(r, s), _pos(r, s)],
         lambda r, p, s: p[0] + p[1] * r.uniform(0.01, 0.99, s), props=("mean", "variance", "stddev"),
         cdf=True, icdf=True),
    Spec("Bernoulli", lambda D, p: D.Bernoulli(probs=p), lambda r, s: [_prob(r, s)],
         lambda r, p, s: _counts(r, s, 1), discrete=True, enumerate=True),
    Spec("Bernoulli_logits", lambda D, x: D.Bernoulli(logits=x), lambda r, s: [_real(r, s)],
         lambda r, p, s: _counts(r, s, 1), discrete=True),
    Spec("Binomial", lambda D, p: D.Binomial(12, probs=p), lambda r, s: [_prob(r, s)],
         lambda r, p, s: _counts(r, s, 12), discrete=True, enumerate=True),
    Spec("Binomial_counts", lambda D, n, x: D.Binomial(n, logits=x), lambda r, s: [_counts(r, s, 20) + 1, _real(r, s)],
         lambda r, p, s: np.floor(p[0] * r.uniform(0, 1, s)), props=("mean", "variance"), entropy=False,
         discrete=True),
    Spec("Categorical", lambda D, p: D.Categorical(probs=p), lambda r, s: [_simplex(r, s + (5,))],
         lambda r, p, s: r.integers(0, 5, s), props=("mode",), discrete=True, enumerate=True),
    Spec("Categorical_logits", lambda D, x: D.Categorical(logits=x), lambda r, s: [_real(r, s + (4,))],
         lambda r, p, s: r.integers(0, 4, s), props=("mode",), discrete=True),
    Spec("Cauchy", lambda D, a, b: D.Cauchy(a, b), lambda r, s: [_real(r, s), _pos(r, s)],
         lambda r, p, s: _real(r, s, 4), props=("mode",), cdf=True, icdf=True),
    Spec("Chi2", lambda D, k: D.Chi2(k), lambda r, s: [_pos(r, s, 0.5, 12)], lambda r, p, s: _pos(r, s, 0.05, 10),
         props=("mean", "variance", "stddev", "mode"), cdf=True),
    Spec("ContinuousBernoulli", lambda D, p: D.ContinuousBernoulli(probs=p),
         lambda r, s: [np.where(r.uniform(size=s) < 0.2, r.uniform(0.4995, 0.5005, s), _prob(r, s))],
         lambda r, p, s: r.uniform(0.01, 0.99, s), props=("mean", "variance", "stddev"), cdf=True, icdf=True),
    Spec("Dirichlet", lambda D, c: D.Dirichlet(c), lambda r, s: [_pos(r, s + (4,), 0.3, 6)],
         lambda r, p, s: _simplex(r, s + (4,)), event_ndim=1),
    Spec("Beta", lambda D, a, b: D.Beta(a, b), lambda r, s: [_pos(r, s, 1.1, 6), _pos(r, s, 1.1, 6)],
         lambda r, p, s: r.uniform(0.02, 0.98, s)),
    Spec("Exponential", lambda D, x: D.Exponential(x), lambda r, s: [_pos(r, s)], lambda r, p, s: _pos(r, s, 0.01, 8),
         cdf=True, icdf=True),
    Spec("FisherSnedecor", lambda D, a, b: D.FisherSnedecor(a, b),
         lambda r, s: [_pos(r, s, 2.5, 20), _pos(r, s, 4.5, 30)], lambda r, p, s: _pos(r, s, 0.05, 6), entropy=False),
    Spec("Gamma", lambda D, a, b: D.Gamma(a, b), lambda r, s: [_pos(r, s, 0.2, 20), _pos(r, s)],
         lambda r, p, s: _pos(r, s, 0.01, 15), cdf=True),
    Spec("Geometric", lambda D, p: D.Geometric(p), lambda r, s: [_prob(r, s)], lambda r, p, s: _counts(r, s, 8),
         discrete=True),
    Spec("Gumbel", lambda D, a, b: D.Gumbel(a, b), lambda r, s: [_real(r, s), _pos(r, s)],
         lambda r, p, s: p[0] + p[1] * r.uniform(-1.5, 3.0, s), cdf=True, icdf=True),
    Spec("HalfCauchy", lambda D, x: D.HalfCauchy(x), lambda r, s: [_pos(r, s)], lambda r, p, s: _pos(r, s, 0.01, 8),
         props=("mode",), cdf=True, icdf=True),
    Spec("HalfNormal", lambda D, x: D.HalfNormal(x), lambda r, s: [_pos(r, s)], lambda r, p, s: _pos(r, s, 0.01, 5),
         cdf=True, icdf=True),
    Spec("Independent", lambda D, a, b: D.Independent(D.Normal(a, b), 1), lambda r, s: [_real(r, s + (3,)),
                                                                                        _pos(r, s + (3,))],
         lambda r, p, s: _real(r, s + (3,)), event_ndim=1),
    Spec("Kumaraswamy", lambda D, a, b: D.Kumaraswamy(a, b), lambda r, s: [_pos(r, s, 1.1, 5), _pos(r, s, 1.1, 5)],
         lambda r, p, s: r.uniform(0.02, 0.98, s), cdf=True, icdf=True),
    Spec("Laplace", lambda D, a, b: D.Laplace(a, b), lambda r, s: [_real(r, s), _pos(r, s)],
         lambda r, p, s: _real(r, s, 3), cdf=True, icdf=True),
    Spec("LogNormal", lambda D, a, b: D.LogNormal(a, b), lambda r, s: [_real(r, s, 0.5), _pos(r, s, 0.3, 1.5)],
         lambda r, p, s: _pos(r, s, 0.05, 8), cdf=True, icdf=True),
    Spec("LogisticNormal", lambda D, a, b: D.LogisticNormal(a, b), lambda r, s: [_real(r, s + (3,), 1),
                                                                                _pos(r, s + (3,))],
         lambda r, p, s: _simplex(r, s + (4,)), props=(), entropy=False, event_ndim=1),
    Spec("LowRankMultivariateNormal", lambda D, a, w, d: D.LowRankMultivariateNormal(a, w, d),
         lambda r, s: [_real(r, s + (3,)), _real(r, s + (3, 2), 0.7), _pos(r, s + (3,), 0.5, 2)],
         lambda r, p, s: _real(r, s + (3,)), props=("mean", "variance", "stddev", "mode"), event_ndim=1),
    Spec("MixtureSameFamily", lambda D, p, a, b: D.MixtureSameFamily(D.Categorical(probs=p), D.Normal(a, b)),
         lambda r, s: [_simplex(r, s + (3,)), _real(r, s + (3,)), _pos(r, s + (3,))],
         lambda r, p, s: _real(r, s, 3), props=("mean", "variance", "stddev"), entropy=False, cdf=True),
    Spec("Multinomial", lambda D, p: D.Multinomial(7, probs=p), lambda r, s: [_simplex(r, s + (3,))],
         lambda r, p, s: np.stack([np.full(s, 2.0), np.full(s, 4.0), np.full(s, 1.0)], -1),
         props=("mean", "variance"), discrete=True, event_ndim=1),
    Spec("MultivariateNormal_scale_tril", lambda D, a, L: D.MultivariateNormal(a, scale_tril=L),
         lambda r, s: [_real(r, s + (3,)), _tril(r, s, 3)], lambda r, p, s: _real(r, s + (3,)), event_ndim=1),
    Spec("MultivariateNormal_covariance", lambda D, a, c: D.MultivariateNormal(a, covariance_matrix=c),
         lambda r, s: [_real(r, s + (3,)), _spd(r, s, 3)], lambda r, p, s: _real(r, s + (3,)), event_ndim=1),
    Spec("MultivariateNormal_precision", lambda D, a, c: D.MultivariateNormal(a, precision_matrix=c),
         lambda r, s: [_real(r, s + (3,)), _spd(r, s, 3)], lambda r, p, s: _real(r, s + (3,)), event_ndim=1),
    Spec("NegativeBinomial", lambda D, n, p: D.NegativeBinomial(n, probs=p),
         lambda r, s: [_pos(r, s, 0.5, 10), _prob(r, s, 0.05, 0.9)], lambda r, p, s: _counts(r, s, 10),
         props=("mean", "variance", "stddev", "mode"), entropy=False, discrete=True),
    Spec("OneHotCategorical", lambda D, p: D.OneHotCategorical(probs=p), lambda r, s: [_simplex(r, s + (4,))],
         lambda r, p, s: np.eye(4)[r.integers(0, 4, s)], discrete=True, enumerate=True, event_ndim=1),
    Spec("Pareto", lambda D, a, b: D.Pareto(a, b), lambda r, s: [_pos(r, s, 0.5, 2), _pos(r, s, 0.5, 5)],
         lambda r, p, s: p[0] * _pos(r, s, 1.01, 5), cdf=True, icdf=True),
    Spec("Poisson", lambda D, x: D.Poisson(x), lambda r, s: [_pos(r, s, 0.1, 30)], lambda r, p, s: _counts(r, s, 30),
         entropy=False, discrete=True),
    Spec("RelaxedBernoulli", lambda D, t, p: D.RelaxedBernoulli(t, probs=p),
         lambda r, s: [_pos(r, (), 0.3, 2), _prob(r, s)], lambda r, p, s: r.uniform(0.02, 0.98, s), props=(),
         entropy=False),
    Spec("RelaxedOneHotCategorical", lambda D, t, p: D.RelaxedOneHotCategorical(t, probs=p),
         lambda r, s: [_pos(r, (), 0.3, 2), _simplex(r, s + (3,))], lambda r, p, s: _simplex(r, s + (3,)),
         props=(), entropy=False, event_ndim=1),
    Spec("StudentT", lambda D, df, a, b: D.StudentT(df, a, b), lambda r, s: [_pos(r, s, 0.5, 10), _real(r, s),
                                                                            _pos(r, s)],
         lambda r, p, s: _real(r, s, 3)),
    Spec("VonMises", lambda D, a, k: D.VonMises(a, k), lambda r, s: [_real(r, s), _pos(r, s, 0.1, 10)],
         lambda r, p, s: r.uniform(-math.pi, math.pi, s), props=("mean", "variance", "mode"), entropy=False),
    Spec("Weibull", lambda D, a, b: D.Weibull(a, b), lambda r, s: [_pos(r, s), _pos(r, s, 0.5, 4)],
         lambda r, p, s: _pos(r, s, 0.05, 6), cdf=True, icdf=True),
    Spec("InverseGamma", lambda D, a, b: D.InverseGamma(a, b), lambda r, s: [_pos(r, s, 0.5, 8), _pos(r, s)],
         lambda r, p, s: _pos(r, s, 0.05, 6), cdf=True),
    Spec("GeneralizedPareto", lambda D, a, b, c: D.GeneralizedPareto(a, b, c),
         lambda r, s: [_real(r, s), _pos(r, s), np.where(r.uniform(size=s) < 0.25, 0.0, r.uniform(-0.6, 0.8, s))],
         lambda r, p, s: p[0] + p[1] * r.uniform(0.01, 0.6, s), cdf=True, icdf=True,
         float64=False),  # PyTorch's isclose(concentration, tensor(0.0)) mixes float64 and float32
    Spec("Wishart", lambda D, df, c: D.Wishart(df, covariance_matrix=c),
         lambda r, s: [3 + _pos(r, s, 0.5, 4), _spd(r, s, 3)], lambda r, p, s: _spd(r, s, 3, 1.0), event_ndim=2),
    Spec("LKJCholesky", lambda D, c: D.LKJCholesky(3, c), lambda r, s: [_pos(r, s, 0.3, 4)],
         lambda r, p, s: _corr_cholesky(r, s, 3), props=(), entropy=False, event_ndim=2),
]
SPECS_BY_NAME = {spec.name: spec for spec in SPECS}


def _evaluate(lib, spec, params, value, quantiles):
    """Every method PyTorch defines for the spec, as a tuple of tensors."""
    dist = spec.build(lib.distributions, *params)
    outs = [dist.log_prob(value)]
    outs += [getattr(dist, name) for name in spec.props]
    if spec.entropy:
        outs.append(dist.entropy())
    if spec.cdf:
        outs.append(dist.cdf(value))
    if spec.icdf:
        outs.append(dist.icdf(quantiles))
    return tuple(outs)


def _draw(spec, seed, batch):
    rng = np.random.default_rng(seed)
    params = spec.params(rng, batch)
    value = spec.value(rng, params, batch)
    quantiles = rng.uniform(0.02, 0.98, batch)
    return params, value, quantiles


def _gammainc_differentiable(spec):
    # PyTorch's gammainc has no derivative in its first argument: keep the shape fixed.
    return spec.name not in ("Gamma", "Chi2", "InverseGamma")


@pytest.mark.parametrize("spec", SPECS, ids=repr)
@settings(max_examples=3, deadline=None)
@given(seed=st.integers(0, 2 ** 31))
def test_methods_and_gradients_match_torch(spec, seed):
    """log_prob (and its gradient in the value), moments, entropy, cdf and icdf with the
    gradients of all of them in every parameter, on 8 random parameter sets per example."""
    params, value, quantiles = _draw(spec, seed, (8,))
    arrays = list(params)
    constant = []
    if spec.cdf and not _gammainc_differentiable(spec):
        constant = [0]  # the concentration

    def fn(lib, *tensors):
        ps = [t.detach() if i in constant else t for i, t in enumerate(tensors[:len(params)])]
        return _evaluate(lib, spec, ps, tensors[len(params)], tensors[len(params) + 1])

    value = value if spec.name.startswith("Categorical") else np.asarray(value, dtype=np.float64)
    if not spec.float64:
        arrays, value, quantiles = ([a.astype(np.float32) for a in arrays], value.astype(np.float32),
                                    quantiles.astype(np.float32))
        check(fn, *arrays, value, quantiles, rtol=2e-4, atol=2e-5)
        return
    check(fn, *arrays, value, quantiles, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_float32_matches_torch(spec):
    skip_unless_supported("float32")
    params, value, quantiles = _draw(spec, 7, (6,))
    if spec.name == "ContinuousBernoulli":
        # near 1/2 its closed forms cancel catastrophically: float32 results there are noise
        params = [np.array([0.1, 0.3, 0.42, 0.6, 0.75, 0.9])]
    arrays = [p.astype(np.float32) for p in params]
    value = value if spec.name.startswith("Categorical") else np.asarray(value, dtype=np.float32)
    constant = [] if _gammainc_differentiable(spec) or not spec.cdf else [0]

    def fn(lib, *tensors):
        ps = [t.detach() if i in constant else t for i, t in enumerate(tensors[:len(params)])]
        return _evaluate(lib, spec, ps, tensors[len(params)], tensors[len(params) + 1])

    check(fn, *arrays, value, quantiles.astype(np.float32), rtol=2e-4, atol=2e-5)


# ----- shapes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("spec", SPECS, ids=repr)
@pytest.mark.parametrize("batch", [(), (2,), (3, 2)], ids=str)
def test_sample_shapes(spec, batch):
    """sample/rsample give sample_shape + batch_shape + event_shape; expand and
    enumerate_support shapes; all as PyTorch's."""
    params, value, _ = _draw(spec, 3, batch)
    ours = spec.build(D, *[unigrad.tensor(p) for p in params])
    theirs = spec.build(torch.distributions, *[torch.tensor(p) for p in params])
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample
    for sample_shape in [(), (2, 3)]:
        expected = tuple(sample_shape) + tuple(theirs.batch_shape) + tuple(theirs.event_shape)
        assert tuple(ours.sample(sample_shape).shape) == expected
        if ours.has_rsample:
            assert tuple(ours.rsample(sample_shape).shape) == expected
        assert tuple(ours.log_prob(ours.sample(sample_shape)).shape) == tuple(sample_shape) + tuple(theirs.batch_shape)
    wider = (5,) + tuple(theirs.batch_shape)
    expanded = ours.expand(wider)
    assert tuple(expanded.batch_shape) == tuple(theirs.expand(wider).batch_shape)
    assert tuple(expanded.sample((2,)).shape) == (2,) + wider + tuple(theirs.event_shape)
    if spec.enumerate:
        for expand in (True, False):
            assert tuple(ours.enumerate_support(expand).shape) == tuple(theirs.enumerate_support(expand).shape)
            assert_close(ours.enumerate_support(expand), theirs.enumerate_support(expand))


def test_sample_dtypes_and_no_gradient():
    loc = unigrad.zeros(3, requires_grad=True)
    normal = D.Normal(loc, 1.0)
    assert not normal.sample().requires_grad and normal.rsample().requires_grad
    assert D.Categorical(logits=unigrad.zeros(3)).sample().dtype == unigrad.int64
    assert D.Poisson(unigrad.ones(2, dtype=unigrad.float64)).sample().dtype == unigrad.float64
    assert D.Bernoulli(unigrad.full((2,), 0.3)).sample().dtype == unigrad.float32


# ----- statistics of the samplers ----------------------------------------------------------------
# The Dvoretzky-Kiefer-Wolfowitz inequality: P(sup |F_n - F| > e) <= 2 exp(-2 n e^2) for any F
# (continuous or not). With false-alarm probability 1e-9 per check, e = sqrt(log(2e9) / (2n)).
_N = 20000
_DKW = math.sqrt(math.log(2e9) / (2 * _N))
# Moments: by the central limit theorem the sample mean of n draws is within 6 standard errors
# of the mean except with probability 2e-9.
_Z = 6.0


def _dkw_check(samples, cdf, grid):
    """sup over ``grid`` of |empirical CDF - cdf|, for each batch column."""
    samples = np.sort(samples, axis=0)
    empirical = np.stack([np.searchsorted(samples[:, j], grid[:, j], side="right") / samples.shape[0]
                          for j in range(samples.shape[1])], 1)
    return np.abs(empirical - cdf).max()


_CONTINUOUS_CDF = ["Normal", "Uniform", "Cauchy", "Chi2", "ContinuousBernoulli", "Exponential", "Gamma", "Gumbel",
                   "HalfCauchy", "HalfNormal", "Kumaraswamy", "Laplace", "LogNormal", "Pareto", "Weibull",
                   "InverseGamma", "GeneralizedPareto"]


@pytest.mark.parametrize("name", _CONTINUOUS_CDF)
def test_continuous_samples_follow_the_cdf(name):
    """DKW: the empirical CDF of 20000 draws is within 0.0231 of PyTorch's exact CDF."""
    spec = SPECS_BY_NAME[name]
    params, _, _ = _draw(spec, 11, (3,))
    unigrad.manual_seed(2024)
    samples = spec.build(D, *[unigrad.tensor(p) for p in params]).sample((_N,)).numpy()
    oracle_dtype = torch.float64 if spec.float64 else torch.float32
    theirs = spec.build(torch.distributions, *[torch.tensor(p, dtype=oracle_dtype) for p in params])
    grid = np.quantile(samples, np.linspace(0.005, 0.995, 60), axis=0)
    cdf = theirs.cdf(torch.tensor(grid, dtype=oracle_dtype)).numpy()
    assert _dkw_check(samples, cdf, grid) < _DKW


@pytest.mark.parametrize("name,support", [("Bernoulli", 2), ("Binomial", 13), ("Geometric", 80), ("Poisson", 90),
                                          ("NegativeBinomial", 400), ("Categorical", 5)])
def test_discrete_samples_follow_the_pmf(name, support):
    """DKW against the CDF summed from PyTorch's pmf (Poisson rates on both sides of the
    sampler's switch at 10, binomials on both sides of n p = 10)."""
    spec = SPECS_BY_NAME[name]
    params, _, _ = _draw(spec, 5, (3,))
    if name == "Poisson":
        params = [np.array([0.7, 9.5, 23.0])]
    if name == "Binomial":
        params = [np.array([0.3, 0.85, 0.97])]
    unigrad.manual_seed(7)
    samples = spec.build(D, *[unigrad.tensor(p) for p in params]).sample((_N,)).numpy().astype(np.float64)
    theirs = spec.build(torch.distributions, *[torch.tensor(p) for p in params])
    grid = np.arange(support, dtype=np.float64)[:, None].repeat(3, 1)
    pmf = theirs.log_prob(torch.tensor(grid if name != "Categorical" else grid.astype(np.int64))).exp().numpy()
    assert _dkw_check(samples, np.cumsum(pmf, 0), grid) < _DKW
    assert np.all(samples == np.round(samples)) and samples.min() >= 0


def test_large_binomial_and_poisson_means():
    """The rejection branches (BTRS, PTRS) at large means: sample means within 6 standard errors."""
    unigrad.manual_seed(3)
    counts = unigrad.tensor([50.0, 1000.0, 400.0])
    probs = unigrad.tensor([0.5, 0.3, 0.92])
    samples = D.Binomial(counts, probs).sample((_N,)).numpy()
    n, p = counts.numpy(), probs.numpy()
    assert np.all(np.abs(samples.mean(0) - n * p) < _Z * np.sqrt(n * p * (1 - p) / _N))
    assert np.all((samples >= 0) & (samples <= n))
    rates = np.array([12.0, 150.0, 3000.0])
    samples = D.Poisson(unigrad.tensor(rates)).sample((_N,)).numpy()
    assert np.all(np.abs(samples.mean(0) - rates) < _Z * np.sqrt(rates / _N))


def _mean_within(samples, mean, variance, axis=0):
    error = np.abs(samples.mean(axis) - mean)
    return np.all(error < _Z * np.sqrt(variance / samples.shape[axis]))


@pytest.mark.parametrize("name", ["Beta", "Dirichlet", "StudentT", "FisherSnedecor", "MultivariateNormal_covariance",
                                  "LowRankMultivariateNormal", "Wishart", "Multinomial", "OneHotCategorical",
                                  "MixtureSameFamily", "Gamma"])
def test_sample_means_within_clt_bounds(name):
    """Sample means within 6 standard errors (sqrt(variance / n), PyTorch's variance)."""
    spec = SPECS_BY_NAME[name]
    params, _, _ = _draw(spec, 13, (2,))
    if name in ("StudentT", "FisherSnedecor"):  # finite variance
        params[0] = params[0] + 5
    unigrad.manual_seed(99)
    ours = spec.build(D, *[unigrad.tensor(p) for p in params])
    theirs = spec.build(torch.distributions, *[torch.tensor(p) for p in params])
    samples = ours.sample((_N,)).numpy()
    assert _mean_within(samples, theirs.mean.numpy(), theirs.variance.numpy())


def test_sample_variances_within_clt_bounds():
    """Second moments: Var(s^2) = (mu4 - sigma^4) / n with the kurtosis known in closed form."""
    unigrad.manual_seed(4)
    # Gamma(k, 1): mu4 - sigma^4 = 3 k (k + 2) - k^2 (excess kurtosis 6 / k)
    k = np.array([0.3, 1.0, 7.5])
    samples = D.Gamma(unigrad.tensor(k), 1.0).sample((_N,)).numpy()
    assert np.all(np.abs(samples.var(0) - k) < _Z * np.sqrt((3 * k * (k + 2) - k ** 2) / _N))
    # Normal(0, s): mu4 - sigma^4 = 2 s^4
    s = np.array([0.5, 2.0])
    samples = D.Normal(unigrad.zeros(2, dtype=unigrad.float64), unigrad.tensor(s)).rsample((_N,)).numpy()
    assert np.all(np.abs(samples.var(0) - s ** 2) < _Z * np.sqrt(2 * s ** 4 / _N))


def test_von_mises_circular_moments():
    """E[cos(x - loc)] = I1(k) / I0(k) (PyTorch's 1 - variance); cos is bounded, so its standard
    error is at most 1 / sqrt(n). Samples lie in [-pi, pi)."""
    unigrad.manual_seed(8)
    loc, kappa = np.array([0.5, -2.0, 3.0]), np.array([0.05, 1.5, 12.0])
    samples = D.VonMises(unigrad.tensor(loc), unigrad.tensor(kappa)).sample((_N,)).numpy()
    expected = 1 - torch.distributions.VonMises(torch.tensor(loc), torch.tensor(kappa)).variance.numpy()
    assert np.all(np.abs(np.cos(samples - loc).mean(0) - expected) < _Z / math.sqrt(_N))
    assert np.all(np.abs(np.sin(samples - loc).mean(0)) < _Z / math.sqrt(_N))
    assert samples.min() >= -math.pi and samples.max() < math.pi


@pytest.mark.parametrize("dim,eta", [(2, 0.5), (4, 1.0), (5, 2.5)])
def test_lkj_samples_are_correlation_cholesky_factors(dim, eta):
    """Rows of unit norm, positive diagonals, and every off-diagonal correlation distributed as
    Beta(a, a) on [-1, 1] with a = eta - 1 + dim / 2 (the LKJ density is exchangeable): mean 0,
    E[r^2] = 1 / (2a + 1), Var(r^2) = 3 / ((2a + 1)(2a + 3)) - E[r^2]^2."""
    unigrad.manual_seed(5)
    L = D.LKJCholesky(dim, unigrad.tensor(eta, dtype=unigrad.float64)).sample((_N,)).numpy()
    assert np.allclose((L ** 2).sum(-1), 1.0) and np.all(np.diagonal(L, axis1=-2, axis2=-1) > 0)
    assert np.all(np.triu(L, 1) == 0)
    a = eta - 1 + dim / 2
    second = 1 / (2 * a + 1)
    spread = 3 / ((2 * a + 1) * (2 * a + 3)) - second ** 2
    corr = L @ np.swapaxes(L, -1, -2)
    for i in range(dim):
        for j in range(i):
            assert _mean_within(corr[:, i, j], 0.0, second)
            assert _mean_within(corr[:, i, j] ** 2, second, spread)


def test_wishart_redraws_only_singular_samples():
    """Ordinary samples are positive-definite and draw no warning (PyTorch 2.13 warns always);
    with df just above dim - 1 singular draws happen, are redrawn, and warned about."""
    unigrad.manual_seed(3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        samples = D.Wishart(unigrad.tensor([6.0, 9.0]), covariance_matrix=unigrad.eye(3)).rsample((200,))
    assert bool(D.constraints.positive_definite.check(samples).all())
    with pytest.warns(UserWarning, match="Singular sample detected."):
        D.Wishart(unigrad.tensor(2.001), covariance_matrix=unigrad.eye(3)).rsample((500,))


def test_relaxed_samples_stay_on_their_supports():
    unigrad.manual_seed(1)
    x = D.RelaxedOneHotCategorical(unigrad.tensor(0.5), probs=unigrad.tensor([0.2, 0.3, 0.5])).rsample((500,))
    assert np.allclose(x.sum(-1).numpy(), 1.0) and float(x.min()) >= 0
    y = D.RelaxedBernoulli(unigrad.tensor(0.5), probs=unigrad.tensor([0.2, 0.9])).rsample((500,))
    assert float(y.min()) > 0 and float(y.max()) < 1
    z = D.LogisticNormal(unigrad.zeros(3), unigrad.ones(3)).rsample((500,))
    assert np.allclose(z.sum(-1).numpy(), 1.0, atol=1e-5)


def test_samples_follow_the_seed():
    unigrad.manual_seed(42)
    a = D.Gamma(unigrad.tensor([0.5, 3.0]), 1.0).sample((10,))
    unigrad.manual_seed(42)
    b = D.Gamma(unigrad.tensor([0.5, 3.0]), 1.0).sample((10,))
    assert unigrad.equal(a, b)


# ----- reparameterised gradients -----------------------------------------------------------------
_IMPLICIT = ["Normal", "Uniform", "Cauchy", "Exponential", "Gumbel", "HalfCauchy", "HalfNormal", "Kumaraswamy",
             "Laplace", "LogNormal", "Pareto", "Weibull", "ContinuousBernoulli"]


@pytest.mark.parametrize("name", _IMPLICIT)
def test_rsample_gradients_are_the_implicit_gradients(name):
    """For x = F^-1(u; theta), dx/dtheta = -(dF/dtheta)(x) / p(x): our rsample's gradients
    against PyTorch's cdf and density differentiated at our samples."""
    spec = SPECS_BY_NAME[name]
    params, _, _ = _draw(spec, 21, (6,))
    ours = [unigrad.tensor(p, requires_grad=True) for p in params]
    unigrad.manual_seed(0)
    x = spec.build(D, *ours).rsample()
    x.sum().backward()
    theirs = [torch.tensor(p, requires_grad=True) for p in params]
    dist = spec.build(torch.distributions, *theirs)
    at = torch.tensor(x.detach().numpy())
    cdf_grads = torch.autograd.grad(dist.cdf(at).sum(), theirs)
    density = dist.log_prob(at).exp()
    for mine, cdf_grad in zip(ours, cdf_grads):
        assert_close(mine.grad, -cdf_grad / density, rtol=1e-6, atol=1e-9)


def test_gamma_rsample_gradient_is_torchs_standard_gamma_grad():
    """Implicit reparameterisation of Gamma: PyTorch's _standard_gamma_grad at our samples, in
    all three of its regimes (small x, large alpha, the rational approximation)."""
    alpha = np.array([0.05, 0.4, 1.0, 2.5, 7.0, 9.0, 40.0, 300.0])
    rate = np.array([1.0, 2.0, 0.5, 1.0, 3.0, 1.0, 0.2, 1.0])
    a, r = unigrad.tensor(alpha, requires_grad=True), unigrad.tensor(rate, requires_grad=True)
    unigrad.manual_seed(1)
    x = D.Gamma(a, r).rsample((50,))
    x.sum().backward()
    standard = torch.tensor(x.detach().numpy() * rate)
    expected = (torch._standard_gamma_grad(torch.tensor(alpha).expand(50, 8), standard) / torch.tensor(rate)).sum(0)
    assert_close(a.grad, expected, rtol=1e-9, atol=1e-12)
    assert_close(r.grad, torch.tensor(-(x.detach().numpy() / rate).sum(0)), rtol=1e-9)


def test_second_derivative_of_gamma_samples_is_not_implemented_as_in_torch():
    a = unigrad.tensor([2.0], requires_grad=True)
    (g,) = unigrad.autograd.grad([D.Gamma(a, 1.0).rsample().sum()], [a], create_graph=True)
    with pytest.raises(NotImplementedError, match="the derivative for '_standard_gamma_grad' is not implemented."):
        g.sum().backward()


@given(seed=st.integers(0, 2 ** 31))
def test_standard_gamma_grad_matches_torch(seed):
    rng = np.random.default_rng(seed)
    alpha = _pos(rng, (64,), 0.01, 500)
    x = alpha * _pos(rng, (64,), 0.05, 4)
    x[:8] = rng.uniform(0.001, 0.79, 8)  # the small-x series
    assert_close(_sampling.standard_gamma_grad(unigrad.tensor(alpha), unigrad.tensor(x)),
                 torch._standard_gamma_grad(torch.tensor(alpha), torch.tensor(x)), rtol=1e-10, atol=1e-14)


@given(seed=st.integers(0, 2 ** 31))
def test_dirichlet_grad_matches_torch(seed):
    """Every regime of _dirichlet_grad: x near 0 or 1, both concentrations large, the rest."""
    rng = np.random.default_rng(seed)
    alpha = _pos(rng, (64,), 0.05, 40)
    beta = _pos(rng, (64,), 0.05, 40)
    x = np.clip(rng.beta(alpha, beta), 1e-6, 1 - 1e-6)
    total = alpha + beta
    assert_close(_sampling.dirichlet_grad(*(unigrad.tensor(v) for v in (x, alpha, total))),
                 torch._dirichlet_grad(*(torch.tensor(v) for v in (x, alpha, total))), rtol=1e-9, atol=1e-12)


def test_dirichlet_and_beta_rsample_gradients_match_torchs_formula():
    from torch.distributions.dirichlet import _Dirichlet_backward
    concentration = np.array([[0.3, 2.0, 5.0], [8.0, 9.0, 0.7]])
    c = unigrad.tensor(concentration, requires_grad=True)
    unigrad.manual_seed(2)
    x = D.Dirichlet(c).rsample((4,))
    weights = np.random.default_rng(0).standard_normal(x.shape)
    (x * unigrad.tensor(weights)).sum().backward()
    tx = torch.tensor(x.detach().numpy())
    expected = _Dirichlet_backward(tx, torch.tensor(concentration).expand(4, 2, 3), torch.tensor(weights)).sum(0)
    assert_close(c.grad, expected, rtol=1e-9, atol=1e-12)
    a = unigrad.tensor([0.5, 3.0], dtype=unigrad.float64, requires_grad=True)
    b = unigrad.tensor([2.0, 4.0], dtype=unigrad.float64, requires_grad=True)
    unigrad.manual_seed(3)
    y = D.Beta(a, b).rsample()
    y.sum().backward()
    ty = torch.tensor(y.detach().numpy())
    pair = torch.stack([ty, 1 - ty], -1)
    grad = _Dirichlet_backward(pair, torch.tensor([[0.5, 2.0], [3.0, 4.0]], dtype=torch.float64),
                               torch.tensor([[1.0, 0.0]] * 2, dtype=torch.float64))
    assert_close(a.grad, grad[:, 0], rtol=1e-9, atol=1e-12)
    assert_close(b.grad, grad[:, 1], rtol=1e-9, atol=1e-12)


def test_multivariate_rsample_gradients_match_torch_at_the_same_noise():
    """loc + L eps: recover eps from our sample and differentiate PyTorch's formula at it."""
    rng = np.random.default_rng(0)
    loc, cov = rng.standard_normal(3), _spd(rng, (), 3)
    ours_loc, ours_cov = unigrad.tensor(loc, requires_grad=True), unigrad.tensor(cov, requires_grad=True)
    unigrad.manual_seed(6)
    x = D.MultivariateNormal(ours_loc, covariance_matrix=ours_cov).rsample((5,))
    weights = rng.standard_normal((5, 3))
    (x * unigrad.tensor(weights)).sum().backward()
    t_loc, t_cov = torch.tensor(loc, requires_grad=True), torch.tensor(cov, requires_grad=True)
    L = torch.linalg.cholesky(t_cov)
    eps = torch.linalg.solve_triangular(L.detach(), torch.tensor(x.detach().numpy() - loc).T, upper=False).T
    ((t_loc + eps @ L.T) * torch.tensor(weights)).sum().backward()
    assert_close(ours_loc.grad, t_loc.grad, rtol=1e-9)
    assert_close(ours_cov.grad, t_cov.grad, rtol=1e-7, atol=1e-10)


def test_straight_through_gradient():
    logits = unigrad.tensor([0.2, -1.0, 0.5], requires_grad=True)
    sample = D.OneHotCategoricalStraightThrough(logits=logits).rsample()
    assert sorted(sample.detach().numpy().tolist()) == [0.0, 0.0, 1.0]
    (sample * unigrad.tensor([1.0, 2.0, 3.0])).sum().backward()
    t_logits = torch.tensor([0.2, -1.0, 0.5], requires_grad=True)
    probs = torch.distributions.OneHotCategoricalStraightThrough(logits=t_logits).probs
    (probs * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    assert_close(logits.grad, t_logits.grad)


# ----- validation --------------------------------------------------------------------------------
def _message(fn):
    with pytest.raises(Exception) as info:
        fn()
    return info.type, str(info.value)


@pytest.mark.parametrize("case", [
    lambda D, T: D.Normal(T([0.0, 1.0]), T([1.0, -1.0])),
    lambda D, T: D.Bernoulli(probs=T([0.5, 1.5])),
    lambda D, T: D.Categorical(probs=T([[0.5, -0.5]])),
    lambda D, T: D.Gamma(T([1.0]), T([0.0])),
    lambda D, T: D.Dirichlet(T([[1.0, -2.0]])),
    lambda D, T: D.Uniform(T([1.0]), T([0.0])),
    lambda D, T: D.MultivariateNormal(T([0.0, 0.0]), covariance_matrix=T([[1.0, 2.0], [2.0, 1.0]])),
    lambda D, T: D.MultivariateNormal(T([0.0, 0.0]), scale_tril=T([[1.0, 0.0], [0.5, -1.0]])),
    lambda D, T: D.Binomial(T([2.5]), probs=T([0.5])),
    lambda D, T: D.Geometric(probs=T([0.0, 0.5])),
    lambda D, T: D.Normal(T([0.0]), T([1.0])).log_prob(T([float("nan")])),
    lambda D, T: D.Exponential(T([1.0])).log_prob(T([-1.0])),
    lambda D, T: D.Categorical(logits=T([0.0, 1.0])).log_prob(T([2.0])),
    lambda D, T: D.Dirichlet(T([1.0, 2.0])).log_prob(T([0.5, 0.6])),
    lambda D, T: D.Normal(T([0.0, 1.0]), T([1.0, 1.0])).log_prob(T([1.0, 2.0, 3.0])),
    lambda D, T: D.Dirichlet(T([1.0, 2.0])).log_prob(T([1.0, 0.0, 0.0])),
    lambda D, T: D.Bernoulli(),
    lambda D, T: D.Categorical(probs=T(0.5)),
    lambda D, T: D.MultivariateNormal(T([0.0]), T([[1.0]]), scale_tril=T([[1.0]])),
    lambda D, T: D.Beta(T([1.0]), T([1.0])).log_prob(T([1.5])),
    lambda D, T: D.Independent(D.Normal(T([0.0]), T([1.0])), 2),
])
def test_validation_errors_match_torch(case):
    """The same exception type, and the same message up to the printed tensors."""
    ours = _message(lambda: case(D, lambda v: unigrad.tensor(v)))
    theirs = _message(lambda: case(torch.distributions, lambda v: torch.tensor(v)))
    assert ours[0] is theirs[0]
    ours = ours[0], ours[1].replace("unigrad.", "torch.")
    cut = "but found invalid values"
    assert ours[1].split(cut)[0].split("(")[0] == theirs[1].split(cut)[0].split("(")[0]
    if cut in theirs[1]:
        assert cut in ours[1]


def test_validation_messages_name_the_parameter_and_constraint():
    with pytest.raises(ValueError, match=r"Expected parameter scale \(Tensor of shape \(2,\)\) of distribution "
                                         r"Normal\(loc: unigrad.Size\(\[2\]\), scale: unigrad.Size\(\[2\]\)\) "
                                         r"to satisfy the constraint GreaterThan\(lower_bound=0.0\)"):
        D.Normal(unigrad.tensor([0.0, 1.0]), unigrad.tensor([1.0, -1.0]))
    support = r"to be within the support \(IntegerInterval\(lower_bound=0, upper_bound=1\)\)"
    with pytest.raises(ValueError, match=support):
        D.Categorical(logits=unigrad.zeros(2)).log_prob(unigrad.tensor([2]))


def test_reprs_match_torch():
    for make in (lambda L: L.distributions.Normal(0.0, 1.0), lambda L: L.distributions.Gamma(L.tensor([2.0]), 3.0),
                 lambda L: L.distributions.Categorical(logits=L.zeros(2, 3)),
                 lambda L: L.distributions.Independent(L.distributions.Normal(L.zeros(3), 1.0), 1),
                 lambda L: L.distributions.MixtureSameFamily(L.distributions.Categorical(L.ones(2)),
                                                             L.distributions.Normal(L.zeros(2), L.ones(2))),
                 lambda L: L.distributions.LKJCholesky(3, 0.5)):
        ours = re.sub(r", device='[^']*'", "", repr(make(unigrad)))  # tensors off the cpu name it
        assert ours.replace("unigrad.", "torch.") == repr(make(torch))
    assert repr(D.transforms.ComposeTransform([D.transforms.ExpTransform(), D.transforms.AffineTransform(0, 2)])) == \
        repr(torch.distributions.transforms.ComposeTransform([torch.distributions.transforms.ExpTransform(),
                                                              torch.distributions.transforms.AffineTransform(0, 2)]))
    assert repr(D.constraints.independent(D.constraints.positive, 1)) == "IndependentConstraint(GreaterThan(lower_bound=0.0), 1)"


def test_validate_args_switches():
    bad = unigrad.tensor([-1.0])
    D.Normal(0.0, bad, validate_args=False)  # no check
    D.Distribution.set_default_validate_args(False)
    try:
        D.Normal(0.0, bad)
        D.Exponential(unigrad.tensor([1.0])).log_prob(unigrad.tensor([-1.0]))
        with pytest.raises(ValueError):
            D.Normal(0.0, bad, validate_args=True)
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(0.0, bad)
    with pytest.raises(ValueError):
        D.Distribution.set_default_validate_args("yes")


# ----- KL divergence -----------------------------------------------------------------------------
def _kl_instances():
    """A (p, q) construction for every pair PyTorch registers among the distributions here."""
    from unigrad.distributions.kl import _KL_REGISTRY
    pairs = []
    for type_p, type_q in _KL_REGISTRY:
        if (type_p.__name__, type_q.__name__) in [("ExponentialFamily", "ExponentialFamily"),
                                                   ("TransformedDistribution", "TransformedDistribution"),
                                                   ("Independent", "Independent")]:
            continue
        pairs.append((type_p.__name__, type_q.__name__))
    return sorted(pairs)


_KL_SPECS = {
    "Bernoulli": "Bernoulli", "Beta": "Beta", "Binomial": "Binomial", "Categorical": "Categorical",
    "Cauchy": "Cauchy", "ContinuousBernoulli": "ContinuousBernoulli", "Dirichlet": "Dirichlet",
    "Exponential": "Exponential", "Gamma": "Gamma", "Geometric": "Geometric", "Gumbel": "Gumbel",
    "HalfNormal": "HalfNormal", "Laplace": "Laplace", "LowRankMultivariateNormal": "LowRankMultivariateNormal",
    "MultivariateNormal": "MultivariateNormal_scale_tril", "Normal": "Normal", "OneHotCategorical": "OneHotCategorical",
    "Pareto": "Pareto", "Poisson": "Poisson", "Uniform": "Uniform",
}


@pytest.mark.parametrize("pair", _kl_instances(), ids="-".join)
def test_kl_divergence_matches_torch(pair):
    """Values (including the infinite ones) and gradients in both distributions' parameters."""
    name_p, name_q = pair
    spec_p, spec_q = SPECS_BY_NAME[_KL_SPECS[name_p]], SPECS_BY_NAME[_KL_SPECS[name_q]]
    params_p, _, _ = _draw(spec_p, 1, (5,))
    params_q, _, _ = _draw(spec_q, 2, (5,))
    if name_p == "Uniform" and name_q in ("Beta", "ContinuousBernoulli"):
        params_p = [np.array([0.1, 0.2, 0.3, 0.0, 0.5]), np.array([0.5, 0.3, 0.2, 0.4, 0.6])]
    if name_p == "Pareto":
        params_p[1] = params_p[1] + np.array([0.0, 1.0, 2.0, 3.0, 0.0])  # alpha on both sides of 1 and 2
    k = len(params_p)

    def fn(lib, *tensors):
        return lib.distributions.kl_divergence(spec_p.build(lib.distributions, *tensors[:k]),
                                               spec_q.build(lib.distributions, *tensors[k:]))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(fn, *params_p, *params_q, rtol=1e-6, atol=1e-8)


def test_kl_of_independent_transformed_and_exponential_families():
    """Independent and TransformedDistribution pairs reduce to their bases; Wishart pairs use
    the exponential-family (Bregman) fallback, with second derivatives of the log-normaliser."""
    rng = np.random.default_rng(0)
    a, b, c, d = _real(rng, (4, 3)), _pos(rng, (4, 3)), _real(rng, (4, 3)), _pos(rng, (4, 3))

    def independent(lib, a, b, c, d):
        D_ = lib.distributions
        return D_.kl_divergence(D_.Independent(D_.Normal(a, b), 1), D_.Independent(D_.Normal(c, d), 1))

    def lognormal(lib, a, b, c, d):
        D_ = lib.distributions
        return D_.kl_divergence(D_.LogNormal(a, b), D_.LogNormal(c, d))

    def wishart(lib, df_p, cov_p, df_q, cov_q):
        D_ = lib.distributions
        return D_.kl_divergence(D_.Wishart(df_p, covariance_matrix=cov_p), D_.Wishart(df_q, covariance_matrix=cov_q))

    check(independent, a, b, c, d)
    check(lognormal, a, b, c, d)
    check(wishart, np.array([4.0, 6.5]), _spd(rng, (2,), 3), np.array([3.5, 5.0]), _spd(rng, (2,), 3), rtol=1e-6)


def test_kl_registry_matches_torchs():
    from torch.distributions.kl import _KL_REGISTRY as theirs
    from unigrad.distributions.kl import _KL_REGISTRY as ours
    built = set(D.__all__)
    expected = {(p.__name__, q.__name__) for p, q in theirs if p.__name__ in built and q.__name__ in built}
    assert {(p.__name__, q.__name__) for p, q in ours} >= expected


def test_kl_registry_dispatch_and_errors():
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p type Normal and q type "
                                                  "VonMises"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.VonMises(unigrad.tensor(0.0), unigrad.tensor(1.0)))

    class MyNormal(D.Normal):
        pass

    p = MyNormal(unigrad.tensor([0.0]), unigrad.tensor([1.0]))
    q = D.Normal(unigrad.tensor([1.0]), unigrad.tensor([2.0]))
    assert_close(D.kl_divergence(p, q), torch.distributions.kl_divergence(
        torch.distributions.Normal(torch.tensor([0.0]), torch.tensor([1.0])),
        torch.distributions.Normal(torch.tensor([1.0]), torch.tensor([2.0]))))

    @D.register_kl(MyNormal, D.Normal)
    def _kl_mine(p, q):
        return unigrad.zeros(1)

    assert float(D.kl_divergence(p, q)) == 0.0
    assert "Normal` and :class:`~unigrad.distributions.Normal" in D.kl_divergence.__doc__


# ----- transforms --------------------------------------------------------------------------------
_TRANSFORMS = [
    ("Exp", lambda T, lib: T.ExpTransform(), "real"),
    ("Affine", lambda T, lib: T.AffineTransform(lib.tensor([0.5, -1.0, 2.0]), lib.tensor([2.0, -0.5, 3.0])), "real"),
    ("AffineNumber", lambda T, lib: T.AffineTransform(1.5, -2.0), "real"),
    ("AffineEvent", lambda T, lib: T.AffineTransform(lib.tensor([0.5, -1.0, 2.0]), lib.tensor([2.0, -0.5, 3.0]),
                                                     event_dim=1), "real"),
    ("Sigmoid", lambda T, lib: T.SigmoidTransform(), "real"),
    ("Tanh", lambda T, lib: T.TanhTransform(), "real"),
    ("Softplus", lambda T, lib: T.SoftplusTransform(), "real"),
    ("Power", lambda T, lib: T.PowerTransform(lib.tensor([0.5, 2.0, 3.0])), "positive"),
    ("Abs", lambda T, lib: T.AbsTransform(), "real"),
    ("Softmax", lambda T, lib: T.SoftmaxTransform(), "real"),
    ("StickBreaking", lambda T, lib: T.StickBreakingTransform(), "real"),
    ("LowerCholesky", lambda T, lib: T.LowerCholeskyTransform(), "square"),
    ("PositiveDefinite", lambda T, lib: T.PositiveDefiniteTransform(), "square"),
    ("CorrCholesky", lambda T, lib: T.CorrCholeskyTransform(), "real"),
    ("Compose", lambda T, lib: T.ComposeTransform([T.AffineTransform(0.5, 2.0), T.ExpTransform(),
                                                   T.PowerTransform(lib.tensor(0.5))]), "real"),
    ("Independent", lambda T, lib: T.IndependentTransform(T.SigmoidTransform(), 1), "real"),
    ("Reshape", lambda T, lib: T.ReshapeTransform((3,), (3, 1)), "real"),
    ("Cat", lambda T, lib: T.CatTransform([T.ExpTransform(), T.SigmoidTransform()], dim=-1, lengths=[1, 2]), "real"),
    ("Stack", lambda T, lib: T.StackTransform([T.ExpTransform(), T.TanhTransform(), T.SigmoidTransform()], dim=-1),
     "real"),
    ("Inverse", lambda T, lib: T.SigmoidTransform().inv, "unit"),
]


def _transform_input(kind, rng):
    if kind == "positive":
        return _pos(rng, (4, 3))
    if kind == "unit":
        return rng.uniform(0.05, 0.95, (4, 3))
    if kind == "square":
        return rng.standard_normal((4, 3, 3))
    return rng.standard_normal((4, 3))


@pytest.mark.parametrize("name,build,kind", _TRANSFORMS, ids=[t[0] for t in _TRANSFORMS])
def test_transforms_match_torch(name, build, kind):
    """Forward, inverse (of the forward), log-abs-det-Jacobian with gradients, shapes and flags."""
    x = _transform_input(kind, np.random.default_rng(0))

    def fn(lib, x):
        t = build(lib.distributions.transforms, lib)
        y = t(x)
        outs = (y, t.inv(y.detach()))
        if name not in ("Abs", "Softmax", "LowerCholesky", "PositiveDefinite"):
            outs += (t.log_abs_det_jacobian(x, y),)
        return outs

    check(fn, x, rtol=1e-6, atol=1e-8)
    ours = build(D.transforms, unigrad)
    theirs = build(torch.distributions.transforms, torch)
    shape = tuple(x.shape)
    assert tuple(ours.forward_shape(shape)) == tuple(theirs.forward_shape(shape))
    forward = ours.forward_shape(shape)
    assert tuple(ours.inverse_shape(forward)) == tuple(theirs.inverse_shape(theirs.forward_shape(shape)))
    assert ours.bijective == theirs.bijective
    assert ours.domain.event_dim == theirs.domain.event_dim and ours.codomain.event_dim == theirs.codomain.event_dim
    assert repr(ours).replace("unigrad", "torch").split("(")[0] == repr(theirs).split("(")[0]


def test_transform_caching_and_equality():
    t = D.transforms.ExpTransform(cache_size=1)
    x = unigrad.randn(3)
    y = t(x)
    assert t(x) is y and t.inv(y) is x
    tanh = D.transforms.TanhTransform(cache_size=1)
    big = unigrad.tensor([30.0])  # tanh rounds to 1: only the cache inverts it
    assert tanh.inv(tanh(big)) is big
    assert D.transforms.ExpTransform() == D.transforms.ExpTransform()
    assert D.transforms.AffineTransform(1.0, 2.0) == D.transforms.AffineTransform(1.0, 2.0)
    assert D.transforms.ExpTransform().inv == D.transforms.ExpTransform().inv
    assert D.transforms.ExpTransform().inv.inv == D.transforms.ExpTransform()
    assert D.transforms.ExpTransform().with_cache(1)._cache_size == 1
    with pytest.raises(ValueError, match="cache_size must be 0 or 1"):
        D.transforms.ExpTransform(cache_size=2)


@pytest.mark.parametrize("constraint", ["real", "positive", "nonnegative", "unit_interval", "simplex",
                                        "lower_cholesky", "positive_definite", "corr_cholesky", "greater_than",
                                        "less_than", "interval", "real_vector", "cat", "stack"])
@pytest.mark.parametrize("registry", ["biject_to", "transform_to"])
def test_constraint_registries_match_torch(constraint, registry):
    """The registered transform maps unconstrained values into the constraint's set, as PyTorch's."""
    def make(lib):
        C = lib.distributions.constraints
        made = {"greater_than": C.greater_than(lib.tensor(1.5)), "less_than": C.less_than(2.0),
                "interval": C.interval(lib.tensor(-1.0), lib.tensor(3.0)),
                "cat": C.cat([C.positive, C.real], -1, [1, 2]),
                "stack": C.stack([C.positive, C.unit_interval, C.real], -1)}
        return made.get(constraint, getattr(C, constraint, None))

    if registry == "biject_to" and constraint in ("lower_cholesky", "positive_definite"):
        with pytest.raises(NotImplementedError, match="Cannot transform"):
            D.biject_to(make(unigrad))
        return
    shapes = {"lower_cholesky": (2, 3, 3), "positive_definite": (2, 3, 3), "corr_cholesky": (2, 3)}
    x = np.random.default_rng(1).standard_normal(shapes.get(constraint, (2, 3)))

    def fn(lib, x):
        c = make(lib)
        t = getattr(lib.distributions, registry)(c)
        y = t(x)
        assert bool(c.check(y).all())
        return y

    check(fn, x, rtol=1e-6, atol=1e-8)


def test_constraints_match_torch():
    rng = np.random.default_rng(2)
    values = {"vector": rng.standard_normal((5, 3)), "matrix": _spd(rng, (2,), 3)}
    values["vector"][0, 0] = np.nan
    names = ["real", "positive", "nonnegative", "unit_interval", "boolean", "nonnegative_integer",
             "positive_integer", "simplex", "real_vector", "one_hot", "lower_triangular", "lower_cholesky",
             "corr_cholesky", "square", "symmetric", "positive_definite", "positive_semidefinite"]
    for name in names:
        for value in values.values():
            ours = getattr(D.constraints, name)
            theirs = getattr(torch.distributions.constraints, name)
            assert repr(ours) == repr(theirs)
            if ours.event_dim > value.ndim:
                continue
            assert_close(ours.check(unigrad.tensor(value)), theirs.check(torch.tensor(value)), what=name)
    semidefinite = np.array([[1.0, 1.0], [1.0, 1.0]])
    assert bool(D.constraints.positive_semidefinite.check(unigrad.tensor(semidefinite)))
    assert not bool(D.constraints.positive_definite.check(unigrad.tensor(semidefinite)))
    assert not bool(D.constraints.positive_semidefinite.check(unigrad.tensor([[1.0, 2.0], [2.0, 1.0]])))
    bounded = D.constraints.integer_interval(0, 3)
    assert repr(bounded) == repr(torch.distributions.constraints.integer_interval(0, 3))
    assert D.constraints.is_dependent(D.constraints.dependent)
    with pytest.raises(ValueError, match="Cannot determine validity of dependent constraint"):
        D.constraints.dependent.check(unigrad.zeros(1))


# ----- special functions and linear algebra ----------------------------------------------------
_wide = st.floats(-30, 30, allow_nan=False).filter(lambda v: abs(v - round(v)) > 1e-3 or v > 0)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2 ** 31))
def test_gamma_family_matches_torch(seed):
    """lgamma, digamma, polygamma (n = 1..3) and mvlgamma in float64 with first and second
    derivatives, on positive and (non-integer) negative arguments."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([_pos(rng, (24,), 1e-3, 1e3), rng.uniform(-12, 12, 16)])
    x = np.where(np.abs(x - np.round(x)) < 1e-3, x + 0.25, x)

    def fn(lib, x):
        lgamma = lib.lgamma if lib is torch else _math.lgamma
        digamma = lib.digamma if lib is torch else _math.digamma
        polygamma = lib.polygamma if lib is torch else _math.polygamma
        return lgamma(x), digamma(x), polygamma(2, x.abs() + 0.5), polygamma(3, x.abs() + 0.5)

    check(fn, x, rtol=1e-9, atol=1e-9, grad_rtol=1e-7)  # torch's trigamma: about 1e-8
    positive = unigrad.tensor(x[:24], requires_grad=True)
    (g,) = unigrad.autograd.grad([_math.digamma(positive).sum()], [positive], create_graph=True)
    (h,) = unigrad.autograd.grad([g.sum()], [positive])
    assert_close(h, torch.polygamma(2, torch.tensor(x[:24])), rtol=1e-9)
    a = _pos(rng, (6,), 2.0, 20.0)
    check(lambda lib, a: (lib.mvlgamma if lib is torch else _math.mvlgamma)(a, p=3), a, rtol=1e-12)


def test_trigamma_matches_torch():
    """torch's own trigamma is accurate to about 1e-8 relative (a six-term recurrence and a
    short series); ours is accurate to float64 rounding, so the comparison allows torch's error."""
    x = np.concatenate([np.linspace(0.01, 50, 200), -np.linspace(0.1, 7.9, 40) - 0.05])
    assert_close(_math.polygamma(1, unigrad.tensor(x)), torch.polygamma(1, torch.tensor(x)), rtol=1e-7)


def test_gamma_family_special_values():
    x = [0.0, -0.0, -1.0, -2.5, math.inf, -math.inf, math.nan, 1e-300, 1e300]
    for name in ("lgamma", "digamma"):
        assert_close(getattr(_math, name)(unigrad.tensor(x, dtype=unigrad.float64)),
                     getattr(torch, name)(torch.tensor(x, dtype=torch.float64)), what=name)
    ints = unigrad.tensor([1, 2, 3])
    assert _math.lgamma(ints).dtype == unigrad.float32


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2 ** 31))
def test_erfinv_atan_xlogy_match_torch(seed):
    """float64 to rounding, including the tails of erfinv (1 - y down to 1e-16)."""
    rng = np.random.default_rng(seed)
    y = np.concatenate([rng.uniform(-1, 1, 30), 1 - 10 ** rng.uniform(-16, -1, 6), -1 + 10 ** rng.uniform(-16, -1, 6)])
    check(lambda lib, y: (lib.erfinv if lib is torch else _math.erfinv)(y), y, rtol=1e-12, atol=1e-13)
    x = np.concatenate([rng.standard_normal(20) * 10 ** rng.uniform(-5, 5, 20), [0.0, 0.66, 2.4142135]])
    check(lambda lib, x: (lib.atan if lib is torch else _math.atan)(x), x, rtol=1e-14, atol=1e-300)
    a, b = rng.standard_normal(12), _pos(rng, (12,), 1e-3, 10)
    a[:3] = 0.0
    check(lambda lib, a, b: (lib.xlogy if lib is torch else _math.xlogy)(a, b), a, b, rtol=1e-12)


def test_erfinv_special_values_and_float32():
    values = [1.0, -1.0, 1.5, 0.0, -0.0, math.nan]
    assert_close(_math.erfinv(unigrad.tensor(values, dtype=unigrad.float64)),
                 torch.erfinv(torch.tensor(values, dtype=torch.float64)))
    y = np.linspace(-0.9999, 0.9999, 101).astype(np.float32)
    assert_close(_math.erfinv(unigrad.tensor(y)), torch.erfinv(torch.tensor(y)), rtol=4e-6, atol=1e-7)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2 ** 31))
def test_gammainc_matches_torch(seed):
    """The series and continued-fraction regimes, shapes from 1e-3 to 1e3, with x's gradient."""
    rng = np.random.default_rng(seed)
    a = _pos(rng, (40,), 1e-3, 1e3)
    x = a * _pos(rng, (40,), 0.01, 5)
    # PyTorch's large-shape asymptotic expansion is accurate to about 2e-9 relative (against
    # scipy's); ours to about 1e-13.
    check(lambda lib, a, x: (lib.special.gammainc if lib is torch else _math.gammainc)(a.detach(), x), a, x,
          rtol=5e-9, atol=1e-14)


def test_gammainc_edges_and_missing_derivative():
    a = [0.0, 1.0, 1.0, 2.0, math.inf, 1.0, -1.0, 3.0]
    x = [1.0, 0.0, math.inf, -1.0, 1.0, math.nan, 1.0, 0.0]
    assert_close(_math.gammainc(unigrad.tensor(a), unigrad.tensor(x)),
                 torch.special.gammainc(torch.tensor(a), torch.tensor(x)))
    shape = unigrad.tensor([1.5], requires_grad=True)
    with pytest.raises(NotImplementedError, match="the derivative for 'igamma: input' is not implemented."):
        _math.gammainc(shape, unigrad.tensor([2.0])).sum().backward()


def test_cumprod_gradient_with_zeros():
    x = np.array([[0.5, 0.0, 2.0, 3.0], [1.0, 2.0, 0.0, 0.0], [1.5, -2.0, 0.5, 4.0]])
    check(lambda lib, x: (lib.cumprod if lib is torch else _math.cumprod)(x, 1), x)
    check(lambda lib, x: (lib.cumprod if lib is torch else _math.cumprod)(x, 0), x)
    leaf = unigrad.tensor(x, requires_grad=True)
    assert unigrad.autograd.gradgradcheck(lambda t: _math.cumprod(t, 1), (leaf,))


def test_cholesky_and_triangular_solves_match_torch():
    rng = np.random.default_rng(0)
    A = _spd(rng, (2,), 4)
    check(lambda lib, A: (lib.linalg.cholesky if lib is torch else _linalg.cholesky)(A), A)
    L, B = _tril(rng, (2,), 4), rng.standard_normal((3, 1, 4, 2))
    for upper in (False, True):
        for left in (True, False):
            Lm = L if not upper else np.swapaxes(L, -1, -2)
            Bm = B if left else np.swapaxes(B, -1, -2)
            check(lambda lib, A, B: (lib.linalg.solve_triangular if lib is torch else _linalg.solve_triangular)(
                A, B, upper=upper, left=left), Lm, Bm)
    check(lambda lib, L: (lib.cholesky_inverse if lib is torch else _linalg.cholesky_inverse)(L), L[0])
    check(lambda lib, L, B: (lib.cholesky_solve if lib is torch else _linalg.cholesky_solve)(B, L), L[0], B[0, 0])


def test_cholesky_double_backward_and_errors():
    rng = np.random.default_rng(1)
    m = unigrad.tensor(rng.standard_normal((2, 3, 3)), requires_grad=True)
    eye = unigrad.eye(3, dtype=unigrad.float64)
    assert unigrad.autograd.gradgradcheck(lambda m: _linalg.cholesky(m @ m.mT + eye), (m,))
    tril = unigrad.tensor(_tril(rng, (), 3), requires_grad=True)
    rhs = unigrad.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert unigrad.autograd.gradgradcheck(lambda a, b: _linalg.solve_triangular(a, b, upper=False), (tril, rhs))
    bad = [[[1.0, 2.0], [2.0, 1.0]], [[1.0, 0.0], [0.0, 1.0]]]
    with pytest.raises(RuntimeError) as ours:
        _linalg.cholesky(unigrad.tensor(bad))
    with pytest.raises(RuntimeError) as theirs:
        torch.linalg.cholesky(torch.tensor(bad))
    assert str(ours.value) == str(theirs.value)
    assert_close(_linalg.cholesky_ex(unigrad.tensor(bad))[1], torch.linalg.cholesky_ex(torch.tensor(bad)).info)
