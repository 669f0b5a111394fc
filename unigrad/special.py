"""``torch.special``: special functions under SciPy's names, and aliases of element-wise ops."""
from __future__ import annotations

from .api.ops.pointwise import erf, expm1, log1p, round, sigmoid as expit  # noqa: A004 - PyTorch's names
from .api.ops.reduction import log_softmax, logsumexp, softmax
from .api.ops.special_math import (
    digamma, entr, erfc, erfcx, erfinv, exp2, i0, i0e, i1, i1e, lgamma as gammaln, log_ndtr, logit,
    multigammaln, ndtr, ndtri, polygamma, sinc, xlog1py, xlogy,
)

psi = digamma

__all__ = ["digamma", "entr", "erf", "erfc", "erfcx", "erfinv", "exp2", "expit", "expm1", "gammaln", "i0",
           "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp", "multigammaln",
           "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax", "xlog1py", "xlogy"]
