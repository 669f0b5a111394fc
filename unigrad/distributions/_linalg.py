"""The small dense linear algebra the multivariate distributions need, from tensor ops.

``cholesky`` (Cholesky-Banachiewicz, one column at a time) and ``solve_triangular`` (substitution,
one row at a time) take ``O(n)`` vectorised steps over every batch element and right-hand side, so
they suit the modest ``n`` of covariance matrices (tens to a few hundred). Both carry PyTorch's
gradients (``LinalgCholeskyExBackward0``, ``LinalgSolveTriangularBackward0``), written with these
same functions, so double backward works.
"""
from __future__ import annotations

import numpy as np

from ..api import creation, dtypes
from ..api.ops import indexing
from ..api.ops import pointwise as pw
from ..api.ops import reduction as red
from ..api.ops import shape as sh
from ..api.ops.pointwise import _saved
from ..api.ops.support import Tensor, broadcast_shapes, grad_state, sum_to_shape
from ..autograd.grad_mode import no_grad


class LinAlgError(RuntimeError):
    """A matrix the factorisation cannot handle (``torch.linalg.LinAlgError``)."""


def _check_square(A: Tensor, op: str) -> int:
    if A.dim() < 2:
        raise RuntimeError(f"{op}: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"{op}: A must be batches of square matrices, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if not A.dtype.is_floating_point:
        raise RuntimeError(f"{op}: Expected a floating point tensor as input. Got {A.dtype.name}")
    return A.shape[-1]


def _mT(x: Tensor) -> Tensor:
    return sh.transpose(x, -2, -1)


# ----- Cholesky ----------------------------------------------------------------------------------
def _cholesky_values(A: Tensor):
    n = A.shape[-1]
    L = creation.zeros(tuple(A.shape), dtype=A.dtype, device=A.device)
    info = creation.zeros(tuple(A.shape[:-2]), dtype=dtypes.int32, device=A.device)
    for j in range(n):
        row = L[..., j, :j]
        pivot = A[..., j, j] - red.sum(row * row, -1) if j else A[..., j, j]
        failed = (info == 0) & ~(pivot > 0)
        info = pw.where(failed, j + 1, info).to(dtypes.int32)
        diagonal = pw.sqrt(pivot)
        L[..., j, j] = diagonal
        if j + 1 < n:
            column = A[..., j + 1:, j]
            if j:
                column = column - (L[..., j + 1:, :j] @ sh.unsqueeze(row, -1))[..., 0]
            L[..., j + 1:, j] = column / sh.unsqueeze(diagonal, -1)
    return L, info


def _cholesky_backward(g: Tensor, L: Tensor) -> Tensor:
    # PyTorch's rule: with T = tril(L^H gL) and M = (T + strict_lower(T)^H) / 2 (Hermitian),
    # gA = L^-H M L^-1.
    T = sh.tril(_mT(L) @ g)
    M = 0.5 * (T + _mT(sh.tril(T, -1)))
    M = solve_triangular(_mT(L), M, upper=True, left=True)
    return solve_triangular(L, M, upper=False, left=False)


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False):
    """``(L, info)`` with ``A = L L^H`` (lower) from ``A``'s lower triangle; ``info`` (int32) is
    the order of the first leading minor that is not positive-definite, 0 where all are."""
    _check_square(A, "linalg.cholesky")
    with no_grad():
        L, info = _cholesky_values(A.detach())
    if A._requires_grad and grad_state.enabled:
        saved = _saved(L)
        L._attach("LinalgCholeskyExBackward0", lambda g: (_cholesky_backward(g, saved),), (A,), (A, saved))
    if check_errors:
        _raise_if_failed(info, "linalg.cholesky")
    return (_mT(L) if upper else L), info


def _raise_if_failed(info: Tensor, op: str) -> None:
    # PyTorch synchronises here too: the error names the first failing batch element.
    failures = np.asarray(info.detach()._host()).reshape(-1)
    bad = np.flatnonzero(failures)
    if bad.size:
        where = f"(Batch element {bad[0]}): " if info.dim() else ""
        raise LinAlgError(
            f"{op}: {where}The factorization could not be completed because the input is not "
            f"positive-definite (the leading minor of order {failures[bad[0]]} is not "
            "positive-definite).")


def cholesky(A: Tensor, *, upper: bool = False) -> Tensor:
    """The Cholesky factor of a symmetric positive-definite ``A`` (``torch.linalg.cholesky``)."""
    L, info = cholesky_ex(A, upper=upper)
    _raise_if_failed(info, "linalg.cholesky")
    return L


# ----- triangular solves -------------------------------------------------------------------------
def _substitute(A: Tensor, B: Tensor, upper: bool, unitriangular: bool) -> Tensor:
    """``A^-1 B`` for triangular ``A`` (..., n, n) and ``B`` (..., n, k) of one batch shape."""
    n = A.shape[-1]
    X = creation.zeros(tuple(B.shape), dtype=B.dtype, device=B.device)
    order = range(n - 1, -1, -1) if upper else range(n)
    for i in order:
        row = B[..., i, :]
        if upper and i + 1 < n:
            row = row - (A[..., i:i + 1, i + 1:] @ X[..., i + 1:, :])[..., 0, :]
        elif not upper and i:
            row = row - (A[..., i:i + 1, :i] @ X[..., :i, :])[..., 0, :]
        X[..., i, :] = row if unitriangular else row / A[..., i, i:i + 1]
    return X


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Tensor:
    """``X`` with ``A X = B`` (``left``) or ``X A = B``, for triangular ``A``; batch dims
    broadcast (``torch.linalg.solve_triangular``)."""
    _check_square(A, "linalg.solve_triangular")
    if B.dim() < 2:
        raise RuntimeError("linalg.solve_triangular: The input tensor B must have at least 2 dimensions.")
    n = A.shape[-1]
    if (B.shape[-2] if left else B.shape[-1]) != n:
        side = "rows" if left else "columns"
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {B.shape[-2]}x{B.shape[-1]}): "
                           f"B must have {n} {side}")
    if A.dtype is not B.dtype:
        raise RuntimeError(f"linalg.solve_triangular: Expected A and B to have the same dtype, but "
                           f"found A of type {A.dtype.name} and B of type {B.dtype.name} instead")
    batch = broadcast_shapes(tuple(A.shape[:-2]), tuple(B.shape[:-2]), op="linalg.solve_triangular")
    with no_grad():
        a = sh.expand(A.detach(), batch + (n, n))
        b = sh.expand(B.detach(), batch + tuple(B.shape[-2:]))
        if left:
            X = _substitute(a, b, upper, unitriangular)
        else:  # X A = B  <=>  A^T X^T = B^T
            X = _mT(_substitute(_mT(a), _mT(b), not upper, unitriangular)).contiguous()
    if grad_state.enabled and (A._requires_grad or B._requires_grad):
        saved = _saved(X)
        sa, sb = tuple(A.shape), tuple(B.shape)
        need_a, need_b = A._requires_grad, B._requires_grad  # fixed now: saved aliases unlink later

        def backward(g):
            # PyTorch's rule: gB solves the transposed system; gA = -gB X^H (left) or
            # -X^H gB (right), kept on A's triangle.
            gB = solve_triangular(_mT(A), g, upper=not upper, left=left, unitriangular=unitriangular)
            gA = None
            if need_a:
                gA = -(gB @ _mT(saved)) if left else -(_mT(saved) @ gB)
                gA = sh.triu(gA, 1 if unitriangular else 0) if upper else sh.tril(gA, -1 if unitriangular else 0)
                gA = sum_to_shape(gA, sa)
            return gA, (sum_to_shape(gB, sb) if need_b else None)
        X._attach("LinalgSolveTriangularBackward0", backward, (A, B), (A, B, saved))
    return X


def _solve_with_factor(B: Tensor, L: Tensor) -> Tensor:
    """``(L L^H)^-1 B`` by two triangular solves (no graph)."""
    with no_grad():
        Y = solve_triangular(L.detach(), B.detach(), upper=False)
        return solve_triangular(_mT(L.detach()), Y, upper=True)


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False) -> Tensor:
    """``X`` with ``(L L^H) X = B`` from the Cholesky factor ``L`` (``torch.cholesky_solve``).
    Its gradient in the factor is PyTorch's, a full matrix (as if ``L L^H`` were formed from
    all of ``L``)."""
    factor = _mT(L) if upper else L
    X = _solve_with_factor(B, factor)
    if grad_state.enabled and (B._requires_grad or L._requires_grad):
        saved = _saved(X)
        sb, sl = tuple(B.shape), tuple(L.shape)
        need_b, need_l = B._requires_grad, L._requires_grad

        def backward(g):
            grad_b = cholesky_solve(g, L, upper)
            grad_l = None
            if need_l:
                common = grad_b @ _mT(saved)
                common = common + _mT(common)
                grad_l = sum_to_shape(-(L @ common) if upper else -(common @ L), sl)
            return (sum_to_shape(grad_b, sb) if need_b else None), grad_l
        X._attach("CholeskySolveBackward0", backward, (B, L), (B, L, saved))
    return X


def cholesky_inverse(L: Tensor, upper: bool = False) -> Tensor:
    """``(L L^H)^-1`` from the Cholesky factor ``L`` (``torch.cholesky_inverse``), with
    PyTorch's full-matrix gradient in ``L``."""
    n = L.shape[-1]
    identity = sh.expand(creation.eye(n, dtype=L.dtype, device=L.device), tuple(L.shape))
    inverse = _solve_with_factor(identity, _mT(L) if upper else L)
    if L._requires_grad and grad_state.enabled:
        saved = _saved(inverse)

        def backward(g):
            common = saved @ ((g + _mT(g)) @ saved)
            return (-(L @ common) if upper else -(common @ L),)
        inverse._attach("CholeskyInverseBackward0", backward, (L,), (L, saved))
    return inverse


# ----- shapes ------------------------------------------------------------------------------------
def diag_embed(x: Tensor) -> Tensor:
    """Matrices with ``x``'s last dim on their diagonals and zeros elsewhere."""
    n = x.shape[-1]
    mask = creation.eye(n, dtype=dtypes.bool, device=x.device)
    return pw.where(mask, sh.unsqueeze(x, -1), 0.0)


def diagonal(x: Tensor) -> Tensor:
    """The diagonals of a batch of matrices (a view)."""
    return sh.diagonal(x, 0, -2, -1)


def tril_indices(row: int, col: int, offset: int = 0, *, device=None) -> Tensor:
    """The (2, N) row and column indices of the lower triangle, in row-major order."""
    rows, cols = np.tril_indices(row, offset, col)
    return creation.tensor(np.stack([rows, cols]).astype(np.int64), device=device)


def batched_index(x: Tensor, rows: Tensor, cols: Tensor) -> Tensor:
    """``x[..., rows, cols]``."""
    return indexing.getitem(x, (Ellipsis, rows, cols))
