"""``ExponentialFamily``: distributions whose entropy follows from their log-normaliser."""
from __future__ import annotations

from ..api.ops.support import Tensor
from ..autograd import grad as autograd_grad
from .distribution import Distribution

__all__ = ["ExponentialFamily"]


class ExponentialFamily(Distribution):
    """Densities ``p(x; theta) = exp(<t(x), theta> - F(theta) + k(x))``: subclasses give the
    natural parameters ``theta``, the log-normaliser ``F`` and the carrier measure ``k``; the
    entropy (and the Bregman-divergence KL) follow by automatic differentiation of ``F``."""

    @property
    def _natural_params(self) -> tuple:
        raise NotImplementedError

    def _log_normalizer(self, *natural_params):
        raise NotImplementedError

    @property
    def _mean_carrier_measure(self) -> float:
        raise NotImplementedError

    def entropy(self) -> Tensor:
        """``-k - sum(theta * dF/dtheta) + F(theta)``."""
        result = -self._mean_carrier_measure
        nparams = [p.detach().requires_grad_() for p in self._natural_params]
        lg_normal = self._log_normalizer(*nparams)
        gradients = autograd_grad([lg_normal.sum()], nparams, create_graph=True)
        result = lg_normal + result
        for param, g in zip(nparams, gradients):
            result = result - (param * g).reshape(tuple(self._batch_shape) + (-1,)).sum(-1)
        return result
