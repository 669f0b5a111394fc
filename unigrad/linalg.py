"""``torch.linalg``: norms, products and Vandermonde matrices. Decompositions (svd, qr, eig,
cholesky, solve, inverse, det...) are outside unigrad."""
from __future__ import annotations

from .api.ops import shape as _shape
from .api.ops.linalg import matmul
from .api.ops.matrices import linalg_vander as vander
from .api.ops.norms import linalg_norm as norm, matrix_norm, vector_norm
from .api.ops.products import linalg_cross as cross, matrix_power, multi_dot, vecdot

__all__ = ["LinAlgError", "cross", "diagonal", "matmul", "matrix_norm", "matrix_power", "multi_dot", "norm",
           "vander", "vecdot", "vector_norm"]


class LinAlgError(RuntimeError):
    """Raised by linear-algebra functions on invalid input (``torch.linalg.LinAlgError``)."""


def diagonal(a, *, offset: int = 0, dim1: int = -2, dim2: int = -1):
    """The ``offset`` diagonals of the matrices in ``(dim1, dim2)`` (a view)."""
    return _shape.diagonal(a, offset, dim1, dim2)
