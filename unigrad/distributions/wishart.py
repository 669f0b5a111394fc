"""The Wishart distribution over positive-definite matrices."""
from __future__ import annotations

import math
import numbers
import warnings

from ..api import creation, dtypes
from ..api.ops import pointwise as pw
from ..api.ops.support import broadcast_shapes
from ..api.tensor import Size
from . import constraints
from ._linalg import cholesky, cholesky_ex, cholesky_solve, diag_embed, tril_indices
from ._math import digamma, mvlgamma
from .chi2 import Chi2
from .exp_family import ExponentialFamily
from .multivariate_normal import _precision_to_scale_tril
from .utils import lazy_property

__all__ = ["Wishart"]

_log_2 = math.log(2)


def _mvdigamma(x, p: int):
    """The multivariate digamma function ``sum_i digamma(x - i / 2)``, ``i < p``."""
    if not bool(x.gt((p - 1) / 2).all()):
        raise AssertionError("Wrong domain for multivariate digamma function.")
    offsets = creation.arange(p, dtype=x.dtype, device=x.device).div(2)
    return digamma(x.unsqueeze(-1) - offsets.expand(tuple(x.shape) + (-1,))).sum(-1)


def _clamp_above_eps(x):
    # We assume positive input for this function
    return x.clamp(min=dtypes.finfo(x.dtype).eps)


def _logabsdet_positive_definite(value):
    """``log |det(value)|`` of positive-definite matrices from their Cholesky factors (NaN
    where ``value`` is not positive-definite); its gradient is ``value^-1``."""
    L, _ = cholesky_ex(value)
    return 2 * L.diagonal(0, -2, -1).log().sum(-1)


class Wishart(ExponentialFamily):
    """Wishart distribution with ``df`` degrees of freedom and exactly one of
    ``covariance_matrix``, ``precision_matrix`` or ``scale_tril``; ``rsample`` uses the
    Bartlett decomposition (Chi2 and normal draws), reparameterised.

    Example::

        >>> m = Wishart(torch.tensor([2]), covariance_matrix=torch.eye(2))
        >>> m.sample()  # Wishart distributed with mean=`df * I`

    ``log_prob`` takes ``log det(value)`` from a Cholesky factorisation, which exists on the
    support (positive-definite matrices); outside it the result is NaN.
    """

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self):
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df, covariance_matrix=None, precision_matrix=None, scale_tril=None,
                 validate_args: bool | None = None) -> None:
        if (covariance_matrix is not None) + (scale_tril is not None) + (precision_matrix is not None) != 1:
            raise AssertionError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        param = next(p for p in (covariance_matrix, precision_matrix, scale_tril) if p is not None)
        if param.dim() < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch dimensions")
        if isinstance(df, numbers.Number):
            batch_shape = Size(param.shape[:-2])
            self.df = creation.tensor(df, dtype=param.dtype, device=param.device)
        else:
            batch_shape = Size(broadcast_shapes(tuple(param.shape[:-2]), tuple(df.shape)))
            self.df = df.expand(batch_shape)
        event_shape = param.shape[-2:]
        if bool(self.df.le(event_shape[-1] - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {event_shape[-1] - 1}.")
        if scale_tril is not None:
            self.scale_tril = param.expand(tuple(batch_shape) + (-1, -1))
        elif covariance_matrix is not None:
            self.covariance_matrix = param.expand(tuple(batch_shape) + (-1, -1))
        elif precision_matrix is not None:
            self.precision_matrix = param.expand(tuple(batch_shape) + (-1, -1))
        if bool(self.df.lt(event_shape[-1]).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur for "
                          "ndim - 1 < df < ndim.", stacklevel=2)
        super().__init__(batch_shape, event_shape, validate_args=validate_args)
        self._batch_dims = [-(x + 1) for x in range(len(self._batch_shape))]
        if scale_tril is not None:
            self._unbroadcasted_scale_tril = scale_tril
        elif covariance_matrix is not None:
            self._unbroadcasted_scale_tril = cholesky(covariance_matrix)
        else:
            self._unbroadcasted_scale_tril = _precision_to_scale_tril(precision_matrix)
        self._dist_chi2 = self._bartlett_chi2(self.df, batch_shape)

    def _bartlett_chi2(self, df, batch_shape):
        """The Chi2 distributions of the Bartlett decomposition's diagonal: df - i, i < p."""
        offsets = creation.arange(self._event_shape[-1], dtype=self._unbroadcasted_scale_tril.dtype,
                                  device=self._unbroadcasted_scale_tril.device)
        return Chi2(df=df.unsqueeze(-1) - offsets.expand(tuple(batch_shape) + (-1,)))

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(Wishart, _instance)
        batch_shape = Size(batch_shape)
        cov_shape = batch_shape + self.event_shape
        new._unbroadcasted_scale_tril = self._unbroadcasted_scale_tril.expand(cov_shape)
        new.df = self.df.expand(batch_shape)
        new._batch_dims = [-(x + 1) for x in range(len(batch_shape))]
        if "covariance_matrix" in self.__dict__:
            new.covariance_matrix = self.covariance_matrix.expand(cov_shape)
        if "scale_tril" in self.__dict__:
            new.scale_tril = self.scale_tril.expand(cov_shape)
        if "precision_matrix" in self.__dict__:
            new.precision_matrix = self.precision_matrix.expand(cov_shape)
        new._event_shape = self._event_shape
        new._dist_chi2 = new._bartlett_chi2(new.df, batch_shape)
        super(Wishart, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    @lazy_property
    def scale_tril(self):
        return self._unbroadcasted_scale_tril.expand(self._batch_shape + self._event_shape)

    @lazy_property
    def covariance_matrix(self):
        return (self._unbroadcasted_scale_tril @ self._unbroadcasted_scale_tril.transpose(-2, -1)).expand(
            self._batch_shape + self._event_shape)

    @lazy_property
    def precision_matrix(self):
        identity = creation.eye(self._event_shape[-1], device=self._unbroadcasted_scale_tril.device,
                                dtype=self._unbroadcasted_scale_tril.dtype)
        L = self._unbroadcasted_scale_tril
        return cholesky_solve(identity.expand(tuple(L.shape)), L).expand(self._batch_shape + self._event_shape)

    @property
    def mean(self):
        return self.df.view(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def mode(self):
        factor = self.df - self.covariance_matrix.shape[-1] - 1
        factor = pw.where(factor <= 0, math.nan, factor)
        return factor.view(tuple(self._batch_shape) + (1, 1)) * self.covariance_matrix

    @property
    def variance(self):
        V = self.covariance_matrix  # batch_shape + event_shape
        diag_V = V.diagonal(0, -2, -1)
        outer = diag_V.unsqueeze(-1) * diag_V.unsqueeze(-2)
        return self.df.view(tuple(self._batch_shape) + (1, 1)) * (V.pow(2) + outer)

    def _bartlett_sampling(self, sample_shape=Size()):
        p = self._event_shape[-1]
        # Bartlett decomposition: L A A^T L^T with A lower triangular, sqrt(Chi2(df - i)) on
        # its diagonal and standard normals below.
        diagonal = diag_embed(_clamp_above_eps(self._dist_chi2.rsample(sample_shape).sqrt()))
        rows, cols = tril_indices(p, p, -1, device=diagonal.device)
        normals = creation.randn(tuple(sample_shape) + tuple(self._batch_shape) + (p * (p - 1) // 2,),
                                 dtype=diagonal.dtype, device=diagonal.device)
        flat_index = rows * p + cols
        below = creation.zeros(tuple(diagonal.shape[:-2]) + (p * p,), dtype=diagonal.dtype, device=diagonal.device)
        below = below.scatter(-1, flat_index.expand(tuple(normals.shape)), normals).reshape(tuple(diagonal.shape))
        chol = self._unbroadcasted_scale_tril @ (diagonal + below)
        return chol @ chol.transpose(-2, -1)

    def rsample(self, sample_shape=Size(), max_try_correction=None):
        """A reparameterised sample (Bartlett decomposition); samples that round to singular
        matrices are redrawn up to ``max_try_correction`` (default 10) times, with a warning.

        (PyTorch 2.13 inverts this check -- it redraws every non-singular sample once and
        always warns; here only singular samples are redrawn, as that code intends.)
        """
        if max_try_correction is None:
            max_try_correction = 10
        sample_shape = Size(sample_shape)
        sample = self._bartlett_sampling(sample_shape)
        is_singular = self._singular(sample)
        if bool(is_singular.any()):
            warnings.warn("Singular sample detected.", stacklevel=2)
            for _ in range(max_try_correction):
                sample_new = self._bartlett_sampling(sample_shape)
                mask = is_singular.reshape(tuple(is_singular.shape) + (1,) * (sample.dim() - is_singular.dim()))
                sample = pw.where(mask, sample_new, sample)
                is_singular = is_singular & self._singular(sample_new)
                if not bool(is_singular.any()):
                    break
        return sample

    def _singular(self, sample):
        singular = ~self.support.check(sample)
        if self._batch_shape:  # any singular batch member marks the whole sample
            kept = tuple(singular.shape[: singular.dim() - len(self._batch_shape)])
            singular = singular.reshape(kept + (-1,)).any(-1)
        return singular

    def log_prob(self, value):
        if self._validate_args:
            self._validate_sample(value)
        nu = self.df  # batch_shape
        p = self._event_shape[-1]
        return (-nu * (p * _log_2 / 2 + self._unbroadcasted_scale_tril.diagonal(0, -2, -1).log().sum(-1))
                - mvlgamma(nu / 2, p=p)
                + (nu - p - 1) / 2 * _logabsdet_positive_definite(value)
                - cholesky_solve(value, self._unbroadcasted_scale_tril).diagonal(0, -2, -1).sum(-1) / 2)

    def entropy(self):
        nu = self.df  # batch_shape
        p = self._event_shape[-1]
        return ((p + 1) * (p * _log_2 / 2 + self._unbroadcasted_scale_tril.diagonal(0, -2, -1).log().sum(-1))
                + mvlgamma(nu / 2, p=p) - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p=p) + nu * p / 2)

    @property
    def _natural_params(self):
        nu = self.df
        p = self._event_shape[-1]
        return -self.precision_matrix / 2, (nu - p - 1) / 2

    def _log_normalizer(self, x, y):
        p = self._event_shape[-1]
        return (y + (p + 1) / 2) * (-_logabsdet_positive_definite(-2 * x) + _log_2 * p) + mvlgamma(y + (p + 1) / 2, p=p)
