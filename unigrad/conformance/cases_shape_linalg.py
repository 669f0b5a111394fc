"""Conformance cases for the scans, linear-algebra composites, norms and distances, statistics,
and the shape and indexing breadth (all composites of the existing primitives)."""
from __future__ import annotations

import numpy as np

from .cases import FLOATS, INTS, Case, _reduction_terms, boolean, fixed, index

_LAYOUTS = ("matrix", "noncontiguous", "negative_step")  # the same values in three layouts


def _all(shape):
    return shape


def _terms(k, power=1):
    """Reduction tolerance terms: ``k`` summands, each a product of ``power`` factors of the
    inputs' largest magnitude."""
    def terms(inputs):
        floats = [np.abs(np.asarray(v, dtype=np.float64)) for v in inputs
                  if isinstance(v, np.ndarray) and v.dtype.kind == "f" and v.size]
        return k, max((float(v.max()) for v in floats), default=1.0) ** power
    return terms


def _index_writes(lib, x, i, s):
    return (x.index_add(1, i[0], s), x.index_copy(1, i[1], s), x.index_fill(0, i[0][:2] % 4, -0.5),
            x.index_put((i[0] % 4, i[1]), s[0], accumulate=True), x.take(i[0] * 3),
            x.put(i[1] * 2, s[1], accumulate=True))


def _scatter_reductions(lib, x, i, s):
    outs = []
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        outs.append(x.scatter_reduce(1, i, s, reduce))
        outs.append(x.scatter_reduce(1, i, s, reduce, include_self=False))
    return tuple(outs)


def _embeddings(lib, x, s):
    return (x.diagonal_scatter(s[0, :4]), x.select_scatter(s[1], 0, 2), x.slice_scatter(s[:2], 0, 1, 5, 2),
            x.masked_scatter(x > 0, s), lib.as_strided_scatter(x.contiguous(), s[0].reshape(2, 2), (2, 2), (5, 1), 1))


CASES = [
    # scans
    Case("cumsum_cumprod", "scan", lambda lib, x: (x.cumsum(1), x.cumprod(0), lib.cumsum(x, -1, dtype=lib.float64)),
         fixed(((5, 6), "nonzero")), _LAYOUTS, FLOATS, True, "reduction", ("add", "mul", "as_strided", "copy_"),
         _terms(6)),
    Case("cumsum_integers", "scan", lambda lib, x: (x.cumsum(0), x.cumprod(1), (x > 0).cumsum(1)),
         fixed(((5, 4), "real")), _LAYOUTS, INTS + ("uint8",), False, "exact", ("add", "mul", "cast")),
    Case("cummax_cummin", "scan", lambda lib, x: (*x.cummax(1), *x.cummin(0)), fixed(((5, 6), "real")),
         _LAYOUTS, FLOATS + INTS, True, "exact", ("lt", "eq", "where", "copy_", "scatter_add")),
    Case("logcumsumexp", "scan", lambda lib, x: lib.logcumsumexp(x * 4, 1), fixed(((4, 7), "real")), _LAYOUTS,
         FLOATS, True, "transcendental", ("maximum", "minimum", "exp", "log1p", "where")),
    Case("diff_trapezoid", "scan", lambda lib, x: (lib.diff(x, 2, 0), x.diff(prepend=x[:, :1]),
                                                   lib.trapezoid(x), lib.cumulative_trapezoid(x, dx=0.5)),
         fixed(((5, 6), "real")), _LAYOUTS, FLOATS, True, "reduction", ("sub", "add", "sum"), _terms(6)),
    # contractions and products
    Case("einsum", "linalg", lambda lib, a, b: (lib.einsum("ij,jk->ik", a, b), lib.einsum("ij,kj->", a, b.t()),
                                                lib.einsum("ii->i", a[:, :4]), lib.einsum("bi,bj->bij", a, a)),
         fixed(((4, 6), "real"), ((6, 3), "real")), _LAYOUTS, FLOATS, True, "reduction",
         ("matmul", "as_strided", "mul", "sum"), _terms(18, 2)),
    Case("tensordot_kron_inner", "linalg", lambda lib, a, b: (lib.tensordot(a, b, ([1], [0])), lib.kron(a, b),
                                                               lib.inner(a, b.t()),
                                                               lib.linalg.multi_dot([a, b, b.t()])),
         fixed(((4, 6), "real"), ((6, 3), "real")), ("matrix",), FLOATS, True, "reduction", ("matmul", "mul"),
         _terms(36, 3)),
    Case("addmm_family", "linalg",
         lambda lib, c, a, b: (lib.addmm(c, a, b, beta=0.5, alpha=2.0), lib.baddbmm(c, a[None], b[None], alpha=-1.0),
                               lib.addbmm(c[:2], a.reshape(2, 2, 6), lib.stack([b, b * 0.5]), beta=0.0),
                               lib.addmv(c[:, 0], a, b[:, 1]), lib.addr(c, a[:, 0], b[0])),
         fixed(((4, 3), "real"), ((4, 6), "real"), ((6, 3), "real")), _LAYOUTS, FLOATS, True, "reduction",
         ("matmul", "mul", "add"), _terms(12, 2)),
    Case("cross_vecdot_trace", "linalg", lambda lib, a, b: (lib.linalg.cross(a, b), lib.cross(a.t(), b.t(), dim=0),
                                                            lib.linalg.vecdot(a, b), a[:3].trace()),
         fixed(((5, 3), "real"), ((5, 3), "real")), ("matrix",), FLOATS, True, "reduction", ("mul", "sub", "copy_"),
         _terms(3, 2)),
    # building and reading matrices
    Case("diagonals_blocks", "linalg",
         lambda lib, x: (lib.diag(x, 1), lib.diag(x[0]), lib.diag_embed(x, -1), lib.diagflat(x[:2, :2]),
                         lib.block_diag(x[:2, :3], x[0], x[1, 1]), lib.tril_indices(4, 5, 1, device=x.device),
                         lib.triu_indices(3, 3, device=x.device)),
         fixed(((4, 5), "real")), _LAYOUTS, FLOATS + INTS, True, "exact", ("as_strided", "copy_", "full")),
    Case("cartesian_combinations_vander", "linalg",
         lambda lib, x: (lib.cartesian_prod(x[:3], x[3:]), lib.combinations(x, 2), lib.vander(x[:4], 3)),
         fixed(((6,), "real")), ("matrix", "negative_step"), FLOATS, True, "reduction", ("gather", "mul", "copy_"),
         _terms(3, 2)),
    Case("linalg_vander", "linalg", lambda lib, x: lib.linalg.vander(x, N=4), fixed(((2, 3), "real")),
         _LAYOUTS, ("float32", "float64") + INTS, True, "reduction", ("mul", "copy_"), _terms(4, 3)),
    # norms, distances, statistics
    Case("norms", "reduction",
         lambda lib, x: (lib.linalg.vector_norm(x), lib.linalg.vector_norm(x, 1, 0), lib.linalg.vector_norm(x, 3, 1),
                         lib.linalg.vector_norm(x, float("inf"), 1), lib.linalg.matrix_norm(x),
                         lib.linalg.matrix_norm(x, 1), lib.linalg.norm(x, float("-inf")), x.norm(0.5, dim=0)),
         fixed(((4, 6), "real")), _LAYOUTS, FLOATS, True, "reduction", ("sum", "sqrt", "pow", "max", "abs"),
         _reduction_terms(_all)),
    Case("distances", "reduction",
         lambda lib, a, b: (lib.cdist(a, b), lib.cdist(a, b, compute_mode="use_mm_for_euclid_dist"),
                            lib.cdist(a, b, 1.0),
                            lib.pdist(a), lib.dist(a, b[:5]), lib.renorm(a, 2, 0, 1.5)),
         fixed(((5, 3), "real"), ((6, 3), "real")), ("matrix",), FLOATS, True, "reduction",
         ("matmul", "sub", "sqrt", "sum", "gather"), _terms(6, 2)),
    Case("statistics", "reduction",
         lambda lib, x: (*lib.std_mean(x, 1), *lib.var_mean(x, 0, correction=0), *lib.aminmax(x, dim=1),
                         lib.nansum(x), lib.nanmean(x, 0), lib.cov(x), lib.corrcoef(x)),
         fixed(((4, 7), "real")), _LAYOUTS, FLOATS, True, "reduction", ("sum", "matmul", "div", "sqrt"),
         _terms(7, 2)),
    # rearranging and splitting
    Case("rearrange", "movement",
         lambda lib, x, r: (x.repeat_interleave(2, 0), x.repeat_interleave(r, 1), x.roll((1, -2), (0, 1)), x.roll(3),
                            x.rot90(), x.rot90(-1), lib.fliplr(x), lib.flipud(x), lib.column_stack([x, x[:, 0]]),
                            lib.dstack([x, x]), lib.atleast_3d(x), *x.tensor_split(3, 1), *lib.hsplit(x, [1, 4]),
                            *x.split_with_sizes([1, 3], 0), x.ravel(), x.narrow_copy(1, 1, 3)),
         fixed(((4, 5), "real"), index((5,), 3)), _LAYOUTS, FLOATS + INTS, True, "exact",
         ("as_strided", "copy_", "gather", "scatter_add")),
    Case("strided_views", "movement",
         lambda lib, x: (x.as_strided((3, 2), (2, 1)), x.contiguous().as_strided((2, 3), (1, 4), 2),
                         lib.unravel_index(lib.arange(7, device=x.device), (2, 4))[1], (x * 1).t_(),
                         (x * 1).unsqueeze_(1), (x * 1).fill_diagonal_(3.0), (x * 1).tril_(-1)),
         fixed(((4, 5), "real")), ("matrix", "noncontiguous"), FLOATS + INTS, True, "exact",
         ("as_strided", "copy_", "where")),
    # indexed writes
    Case("index_ops", "indexing", _index_writes,
         fixed(((4, 5), "real"), lambda rng: np.stack([rng.integers(0, 5, 4), rng.permutation(5)[:4]]),
               ((4, 4), "real")), ("matrix",), FLOATS, True, "reduction", ("scatter", "scatter_add", "gather", "where"),
         _terms(4)),
    Case("scatter_reduce", "indexing", _scatter_reductions,
         fixed(((3, 5), "nonzero"), index((3, 6), 5), ((3, 6), "nonzero")), ("matrix",), FLOATS + INTS, True,
         "rounded", ("scatter_add", "eq", "where", "prod", "max", "min")),
    Case("scatter_embeddings", "indexing", _embeddings,
         fixed(((5, 4), "real"), ((5, 4), "real")), ("matrix", "noncontiguous"), FLOATS, True, "exact",
         ("as_strided", "copy_", "gather", "where")),
    Case("masked_scatter_bool", "indexing",
         lambda lib, x, m: (x.masked_scatter(m, x.flip(0)), x.index_reduce(0, m.sum(1)[:2] % 3, x[:2] * 2, "amax")),
         fixed(((3, 4), "real"), boolean((3, 4))), ("matrix",), FLOATS, True, "exact", ("gather", "where")),
]
