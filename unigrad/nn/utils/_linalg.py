"""Small dense linear algebra built from tensor ops, for ``nn.init.orthogonal_`` and
``nn.utils.parametrizations.orthogonal``: Householder QR in LAPACK's compact form (``geqrf``),
the product of its reflectors (``householder_product``), the matrix exponential, and a solve for
matrices whose symmetric part is positive definite (the Cayley map's ``I - A/2``).

Everything runs as tensor ops on the input's device (batched over leading dimensions) and is
differentiable where the callers need it; the loops are over the (small) matrix order."""
from __future__ import annotations

import math

from ...api import creation
from ...api.ops import pointwise as pw, shape as sh
from ...api.tensor import Tensor


def _eye_like(x: Tensor, rows: int, cols: int) -> Tensor:
    eye = creation.eye(rows, cols, dtype=x.dtype, device=x.device)
    return eye.expand(*x.shape[:-2], rows, cols)


def geqrf(a: Tensor):
    """The QR decomposition of ``a`` (..., m, n) as LAPACK's ``geqrf`` stores it: ``R`` on and
    above the diagonal, the Householder vectors (unit first entry implied) below it, and the
    reflectors' scales ``tau`` (..., min(m, n)). Not differentiable (used under ``no_grad``)."""
    m, n = a.shape[-2], a.shape[-1]
    r = a.detach().clone()
    taus = []
    for j in range(min(m, n)):
        alpha = r[..., j, j]
        tail = r[..., j + 1:, j]
        tail_sq = (tail * tail).sum(-1)
        norm = (alpha * alpha + tail_sq).sqrt()
        # LAPACK's dlarfg: beta = -sign(alpha) |x| (sign(0) = +1); no reflection when the tail is 0
        beta = pw.where(alpha >= 0, -norm, norm)
        still = tail_sq == 0
        tau = pw.where(still, 0.0, (beta - alpha) / pw.where(still, 1.0, beta))
        scale = pw.where(still, 0.0, 1.0 / pw.where(still, 1.0, alpha - beta))
        v_tail = tail * scale.unsqueeze(-1)
        if j + 1 < n:
            v = sh.cat([creation.ones_like(alpha).unsqueeze(-1), v_tail], -1)
            block = r[..., j:, j + 1:]
            w = (v.unsqueeze(-1) * block).sum(-2)
            r[..., j:, j + 1:] = block - (tau.unsqueeze(-1) * w).unsqueeze(-2) * v.unsqueeze(-1)
        r[..., j, j] = pw.where(still, alpha, beta)
        r[..., j + 1:, j] = v_tail
        taus.append(tau)
    if not taus:
        return r, creation.zeros(*a.shape[:-2], 0, dtype=a.dtype, device=a.device)
    return r, sh.stack(taus, -1)


def householder_product(a: Tensor, tau: Tensor) -> Tensor:
    """The first n columns of ``H_1 H_2 ... H_k`` with ``H_i = I - tau_i v_i v_i^T``, ``v_i``
    the i-th column of ``a`` below the diagonal with a unit i-th entry (LAPACK's ``orgqr``,
    ``torch.linalg.householder_product``). Differentiable in ``a`` and ``tau``."""
    m, n = a.shape[-2], a.shape[-1]
    if m < n:
        raise RuntimeError("torch.linalg.householder_product: input.shape[-2] must be greater than "
                           "or equal to input.shape[-1]")
    q = _eye_like(a, m, n)
    for i in range(tau.shape[-1] - 1, -1, -1):
        head = creation.zeros(*a.shape[:-2], i, dtype=a.dtype, device=a.device)
        one = creation.ones(*a.shape[:-2], 1, dtype=a.dtype, device=a.device)
        v = sh.cat([head, one, a[..., i + 1:, i]], -1)  # (..., m)
        vq = (v.unsqueeze(-1) * q).sum(-2)  # v^T Q: (..., n)
        q = q - (tau[..., i].unsqueeze(-1) * vq).unsqueeze(-2) * v.unsqueeze(-1)
    return q


def orthonormal_q(a: Tensor) -> Tensor:
    """The Q of ``a``'s reduced QR (m >= n) with the signs that make R's diagonal positive (the
    unique factor for a full-rank ``a``)."""
    x, tau = geqrf(a)
    q = householder_product(x, tau)
    return q * x.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)


def matrix_exp(a: Tensor) -> Tensor:
    """``exp(a)`` for square matrices (...,n,n): scaling and squaring around a Taylor polynomial
    of degree 18 (accurate to rounding once ``||a|| / 2^s <= 1/2``). Differentiable."""
    n = a.shape[-1]
    norm = float(a.detach().abs().sum(-2).amax().item()) if a.numel() else 0.0  # the 1-norm
    squarings = max(0, math.ceil(math.log2(norm / 0.5))) if norm > 0.5 else 0
    x = a / (2.0 ** squarings) if squarings else a
    eye = _eye_like(a, n, n)
    result = eye
    for k in range(18, 0, -1):  # Horner: I + x/1 (I + x/2 (I + ... ))
        result = eye + (x @ result) / k
    for _ in range(squarings):
        result = result @ result
    return result


def solve(a: Tensor, b: Tensor) -> Tensor:
    """``a^{-1} b`` by Gauss-Jordan elimination without pivoting: stable when ``a``'s symmetric
    part is positive definite, as the Cayley map's ``I - A/2`` (A skew-symmetric) is.
    Differentiable."""
    n = a.shape[-1]
    system = sh.cat([a, b], -1)
    rows = [system[..., i, :] for i in range(n)]
    for k in range(n):
        pivot = rows[k] / rows[k][..., k:k + 1]
        rows = [pivot if i == k else rows[i] - rows[i][..., k:k + 1] * pivot for i in range(n)]
    return sh.stack(rows, -2)[..., n:]
