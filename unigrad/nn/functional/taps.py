"""Reading a tensor along one dim at a table of positions that an op computed and knows to be in
range (resampling, adaptive pooling): one ``gather``, whose gradient is a scatter-add."""
from __future__ import annotations

import numpy as np

from ...api import creation
from ...api.ops.indexing import gather_in_range
from ...api.tensor import Tensor


def positions(values, device) -> Tensor:
    """A host table of positions as a 1-D int64 tensor on ``device``."""
    return creation.tensor(np.asarray(values, dtype=np.int64).reshape(-1), device=device)


def take(x: Tensor, dim: int, index: Tensor) -> Tensor:
    """``x.index_select(dim, index)`` for an in-range 1-D ``index``, without a copy of ``x``."""
    shape = [1] * x.ndim
    shape[dim] = index.shape[0]
    full = list(x.shape)
    full[dim] = index.shape[0]
    return gather_in_range(x, dim, index.reshape(shape).expand(tuple(full)))


def along(values, dim: int, ndim: int, dtype, device) -> Tensor:
    """A host vector of per-position factors, shaped to broadcast along ``dim`` of an
    ``ndim``-d tensor."""
    shape = [1] * ndim
    shape[dim] = -1
    return creation.tensor(np.asarray(values), dtype=dtype, device=device).reshape(shape)
