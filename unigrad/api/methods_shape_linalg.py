"""Attach the scans, linear-algebra composites and shape/indexing ops as ``Tensor`` methods
(and their in-place ``_`` forms)."""
from __future__ import annotations

from .ops import (index_ops, inplace, linalg, matrices, norms, products, rearrange, scans,
                  shape as sh, splits, statistics, strided)
from .ops.support import Tensor

# Tensor methods with the same arguments as the torch.* functions (self first).
METHODS = {
    # scans
    "cumsum": scans.cumsum, "cumprod": scans.cumprod, "cummax": scans.cummax,
    "cummin": scans.cummin, "logcumsumexp": scans.logcumsumexp, "diff": scans.diff,
    # linear algebra
    "addmm": linalg.addmm, "addmv": linalg.addmv, "addr": linalg.addr, "addbmm": linalg.addbmm,
    "baddbmm": linalg.baddbmm, "kron": products.kron, "inner": products.inner,
    "vdot": products.vdot, "cross": products.cross, "matrix_power": products.matrix_power,
    "ger": linalg.outer, "trace": matrices.trace, "diag": matrices.diag,
    "diag_embed": matrices.diag_embed, "diagflat": matrices.diagflat,
    "norm": norms.norm, "renorm": norms.renorm, "dist": norms.dist,
    # statistics
    "cov": statistics.cov, "corrcoef": statistics.corrcoef, "aminmax": statistics.aminmax,
    "nansum": statistics.nansum, "nanmean": statistics.nanmean,
    # rearranging and splitting
    "repeat_interleave": rearrange.repeat_interleave, "roll": rearrange.roll,
    "rot90": rearrange.rot90, "fliplr": rearrange.fliplr, "flipud": rearrange.flipud,
    "tensor_split": splits.tensor_split, "hsplit": splits.hsplit, "vsplit": splits.vsplit,
    "dsplit": splits.dsplit, "split_with_sizes": splits.split_with_sizes,
    "unsafe_split": splits.unsafe_split, "unsafe_chunk": splits.unsafe_chunk,
    "unsafe_split_with_sizes": splits.unsafe_split_with_sizes,
    # indexing
    "take": index_ops.take, "put": index_ops.put, "index_add": index_ops.index_add,
    "index_copy": index_ops.index_copy, "index_fill": index_ops.index_fill,
    "index_put": index_ops.index_put, "index_reduce": index_ops.index_reduce,
    "scatter_reduce": index_ops.scatter_reduce, "masked_scatter": index_ops.masked_scatter,
    "diagonal_scatter": index_ops.diagonal_scatter, "select_scatter": index_ops.select_scatter,
    "slice_scatter": index_ops.slice_scatter, "argwhere": lambda self: self.nonzero(),
    # layouts
    "ravel": strided.ravel, "narrow_copy": strided.narrow_copy, "as_strided": strided.as_strided,
    "as_strided_scatter": strided.as_strided_scatter,
    "new_empty_strided": strided.new_empty_strided,
    "adjoint": lambda self: sh.transpose(self, -2, -1),
    # in-place view ops (they change the layout, not the values)
    "t_": strided.t_, "transpose_": strided.transpose_, "swapaxes_": strided.swapaxes_,
    "swapdims_": strided.swapdims_, "squeeze_": strided.squeeze_, "unsqueeze_": strided.unsqueeze_,
    "as_strided_": strided.as_strided_, "fill_diagonal_": strided.fill_diagonal_,
}

# In-place forms: the out-of-place op computed, then committed into ``self``.
INPLACE_OF = {
    "cumsum_": scans.cumsum, "cumprod_": scans.cumprod, "addmm_": linalg.addmm,
    "addmv_": linalg.addmv, "addr_": linalg.addr, "addbmm_": linalg.addbmm,
    "baddbmm_": linalg.baddbmm, "renorm_": norms.renorm, "put_": index_ops.put,
    "index_add_": index_ops.index_add, "index_copy_": index_ops.index_copy,
    "index_fill_": index_ops.index_fill, "index_put_": index_ops.index_put,
    "index_reduce_": index_ops.index_reduce, "scatter_reduce_": index_ops.scatter_reduce,
    "masked_scatter_": index_ops.masked_scatter, "tril_": sh.tril, "triu_": sh.triu,
}


def install() -> None:
    for name, function in METHODS.items():
        setattr(Tensor, name, function)
    for name, function in INPLACE_OF.items():
        setattr(Tensor, name, inplace.make_inplace(function, name))
    Tensor.mH = property(lambda self: sh.transpose(self, -2, -1))


install()
