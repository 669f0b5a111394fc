"""The LKJ distribution over Cholesky factors of correlation matrices."""
from __future__ import annotations

import math

from ..api import creation, dtypes
from ..api.ops import pointwise as pw
from ..api.ops import shape as sh
from ..api.tensor import Size
from . import constraints
from ._linalg import diag_embed
from ._math import lgamma, mvlgamma
from .beta import Beta
from .distribution import Distribution
from .utils import broadcast_all

__all__ = ["LKJCholesky"]


class LKJCholesky(Distribution):
    """LKJ distribution (Lewandowski, Kurowicka and Joe, 2009) of the lower Cholesky factor of
    a ``dim x dim`` correlation matrix, with ``concentration`` eta:
    ``p(L) ~ det(L L^T)^(eta - 1)``. Sampled by the onion method, vectorised.

    Example::

        >>> l = LKJCholesky(3, 0.5)
        >>> l.sample()  # l @ l.T is a sample of a correlation 3x3 matrix
    """

    arg_constraints = {"concentration": constraints.positive}
    support = constraints.corr_cholesky

    def __init__(self, dim: int, concentration=1.0, validate_args: bool | None = None) -> None:
        if dim < 2:
            raise ValueError(f"Expected dim to be an integer greater than or equal to 2. Found dim={dim}.")
        self.dim = dim
        (self.concentration,) = broadcast_all(concentration)
        batch_shape = self.concentration.size()
        event_shape = Size((dim, dim))
        # Vectorised Beta draws of the onion method (Sec. 3.2 of the LKJ paper): row i >= 1 has
        # squared off-diagonal norm y_i ~ Beta(i / 2, eta + (dim - 2) / 2 - (i - 1) / 2). (PyTorch
        # 2.13 draws Beta(i - 1/2, ...), which skews every row after the second: its off-diagonal
        # correlations are not exchangeable, as the LKJ density requires.)
        marginal_conc = self.concentration + 0.5 * (self.dim - 2)
        offset = creation.arange(self.dim - 1, dtype=self.concentration.dtype, device=self.concentration.device)
        offset = sh.cat([offset.new_zeros((1,)), offset])
        beta_conc1 = 0.5 * sh.cat([offset.new_ones((1,)), offset[1:] + 1])  # row 0 is unused
        beta_conc0 = marginal_conc.unsqueeze(-1) - 0.5 * offset
        self._beta = Beta(beta_conc1, beta_conc0)
        super().__init__(batch_shape, event_shape, validate_args)

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(LKJCholesky, _instance)
        batch_shape = Size(batch_shape)
        new.dim = self.dim
        new.concentration = self.concentration.expand(batch_shape)
        new._beta = self._beta.expand(batch_shape + (self.dim,))
        super(LKJCholesky, new).__init__(batch_shape, self.event_shape, validate_args=False)
        new._validate_args = self._validate_args
        return new

    def sample(self, sample_shape=Size()):
        # The onion method, sampling the Cholesky factor directly: row i is sqrt(y_i) times a
        # uniform direction in its first i coordinates, completed to unit norm on the diagonal.
        y = self._beta.sample(sample_shape).unsqueeze(-1)
        u_normal = creation.randn(tuple(self._extended_shape(sample_shape)), dtype=y.dtype, device=y.device).tril(-1)
        norms = u_normal.norm(dim=-1, keepdim=True)
        first_row = creation.arange(self.dim, device=y.device).unsqueeze(-1) == 0  # its norm is 0
        u_hypersphere = pw.where(first_row, 0.0, u_normal / pw.where(first_row, 1.0, norms))
        w = y.sqrt() * u_hypersphere
        # Fill diagonal elements; clamp for numerical stability
        eps = dtypes.finfo(w.dtype).tiny
        diag_elems = pw.clamp(1 - (w ** 2).sum(-1), min=eps).sqrt()
        return w + diag_embed(diag_elems)

    def log_prob(self, value):
        # p(L) ~ prod_i L_ii ^ (2 (eta - 1) + D - i), the density of the correlation matrix
        # times the Jacobian of the Cholesky map (Stan's reference manual).
        if self._validate_args:
            self._validate_sample(value)
        diag_elems = value.diagonal(0, -1, -2)[..., 1:]
        order = creation.arange(2, self.dim + 1, device=self.concentration.device)
        order = 2 * (self.concentration - 1).unsqueeze(-1) + self.dim - order
        unnormalized_log_pdf = (order * diag_elems.log()).sum(-1)
        # Normalisation constant (page 1999 of the LKJ paper)
        dm1 = self.dim - 1
        alpha = self.concentration + 0.5 * dm1
        denominator = lgamma(alpha) * dm1
        numerator = mvlgamma(alpha - 0.5, dm1)
        # the paper's pi constant is D (D - 1) / 4 log(pi), mvlgamma's (D - 1) (D - 2) / 4 log(pi)
        pi_constant = 0.5 * dm1 * math.log(math.pi)
        normalize_term = pi_constant + numerator - denominator
        return unnormalized_log_pdf - normalize_term
