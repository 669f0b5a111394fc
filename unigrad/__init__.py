"""unigrad: a PyTorch-compatible deep-learning framework whose backends are pluggy plugins.

``import unigrad as torch`` gives tensors, autograd and (as they land) ``nn``, ``optim`` and data
loading with PyTorch's names and semantics, on any installed backend: ``cpu`` (NumPy), ``cuda``
(CuPy), ``opencl`` (PyOpenCL) or a third-party plugin.
"""
from __future__ import annotations

import math as _math

__version__ = "0.1.0"

import math as _math  # noqa: E402

from . import autograd, backends  # noqa: E402
from .api import methods as _methods  # noqa: E402,F401  (attaches Tensor methods)
from .api.creation import (  # noqa: E402
    arange, as_tensor, asarray, bernoulli, empty, empty_like, eye, from_dlpack, from_numpy, full,
    full_like, linspace, logspace, manual_seed, meshgrid, normal, ones, ones_like, rand, rand_like,
    randint, randint_like, randn, randn_like, randperm, tensor, zeros, zeros_like,
)
from .api.device import device, get_default_device, set_default_device  # noqa: E402
from .api.dtypes import (  # noqa: E402
    bfloat16, bool, double, dtype, finfo, float, float16, float32, float64, get_default_dtype, half,
    iinfo, int, int8, int16, int32, int64, long, promote_types, set_default_dtype, short, uint8,
)
from .api.methods import equal, isclose  # noqa: E402
from .api.printing import set_printoptions  # noqa: E402
from .api.aliases import (  # noqa: E402
    conj, detach_, fill, fill_, get_device, get_device_module, imag, real, resolve_conj, resolve_neg,
    rsub, zero_,
)
from .api.creation_extras import empty_strided, frombuffer, range, scalar_tensor  # noqa: E402
from .api.layouts import (  # noqa: E402
    channels_last, channels_last_3d, contiguous_format, layout, memory_format, preserve_format,
    sparse_coo, sparse_csr, strided,
)
from .api.legacy_types import set_default_tensor_type  # noqa: E402
from .api.legacy_types import CPU_TYPES as _legacy_types  # noqa: E402
from .api.queries import (  # noqa: E402
    broadcast_shapes, is_complex, is_conj, is_distributed, is_inference, is_neg, is_nonzero,
    is_same_size, is_signed, is_storage, typename,
)
from .backends.preferences import (  # noqa: E402
    are_deterministic_algorithms_enabled, get_deterministic_debug_mode, get_float32_matmul_precision,
    get_num_interop_threads, get_num_threads, init_num_threads, is_deterministic_algorithms_warn_only_enabled,
    is_vulkan_available, is_warn_always_enabled, set_deterministic_debug_mode, set_flush_denormal,
    set_float32_matmul_precision, set_num_interop_threads, set_num_threads, set_warn_always,
    use_deterministic_algorithms,
)
from .api.ops.indexing import (  # noqa: E402
    argwhere, gather, index_select, masked_fill, masked_select, nonzero, scatter, scatter_add,
    take_along_dim,
)
from .api.ops.linalg import addmm, bmm, dot, matmul, mm, mv, outer  # noqa: E402
from .api.ops.pointwise import (  # noqa: E402
    abs, add, addcdiv, addcmul, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, ceil, clamp, clip, cos, div,
    eq, erf, exp, expm1, floor, floor_divide, fmod, ge, gt, isfinite, isinf, isnan, le, lerp, log,
    log1p, log2, log10, logical_and, logical_not, logical_or, logical_xor, lt, maximum, minimum,
    mul, ne, neg, pow, reciprocal, relu, remainder, round, rsqrt, sigmoid, sign, sin, sqrt, square,
    sub, tan, tanh, true_divide, trunc, where,
)
from .api.ops.pointwise import clamp_max, clamp_min  # noqa: E402
from .api.ops.random import (  # noqa: E402
    Generator, default_generator, get_rng_state, initial_seed, seed, set_rng_state,
)
from .api.ops.reduction import (  # noqa: E402
    all, amax, amin, any, argmax, argmin, count_nonzero, cumsum, log_softmax, logsumexp, max, mean,
    min, norm, prod, softmax, std, sum, var,
)
from .api.ops.shape import (  # noqa: E402
    broadcast_tensors, broadcast_to, cat, chunk, clone, concat, concatenate, diagonal, flatten,
    flip, hstack, movedim, moveaxis, narrow, permute, repeat, reshape, select, split, squeeze,
    stack, swapaxes, swapdims, t, tile, transpose, tril, triu, unbind, unflatten, unsqueeze,
    vstack,
)
from .api.ops.shape import detach  # noqa: E402
from .api.ops.sorting import (  # noqa: E402
    argsort, kthvalue, median, mode, msort, nanmedian, sort, topk,
)
from .api.ops.searching import bucketize, isin, searchsorted  # noqa: E402
from .api.ops.counting import bincount, histc  # noqa: E402
from .api.ops.quantiles import nanquantile, quantile  # noqa: E402
from .api.ops.uniqueness import unique, unique_consecutive  # noqa: E402
from .api.ops.sampling import multinomial  # noqa: E402
from . import return_types  # noqa: E402
from .api import methods_shape_linalg as _methods_shape_linalg  # noqa: E402,F401
from .api.ops.einsum import einsum, tensordot  # noqa: E402
from .api.ops.index_ops import (  # noqa: E402
    diagonal_scatter, index_add, index_copy, index_fill, index_put, index_reduce, masked_scatter,
    put, scatter_reduce, select_scatter, slice_scatter, take, unravel_index,
)
from .api.ops.linalg import addbmm, addmv, addr, baddbmm  # noqa: E402
from .api.ops.matrices import (  # noqa: E402
    block_diag, cartesian_prod, combinations, diag, diag_embed, diagflat, trace, tril_indices,
    triu_indices, vander,
)
from .api.ops.norms import cdist, dist, frobenius_norm, norm, norm_except_dim, pdist, renorm  # noqa: E402
from .api.ops.products import chain_matmul, cross, inner, kron, matrix_power, vdot  # noqa: E402
from .api.ops.rearrange import (  # noqa: E402
    atleast_1d, atleast_2d, atleast_3d, column_stack, dstack, fliplr, flipud, repeat_interleave,
    roll, rot90, row_stack,
)
from .api.ops.scans import (  # noqa: E402
    cummax, cummin, cumprod, cumulative_trapezoid, diff, logcumsumexp, trapezoid, trapz,
)
from .api.ops.splits import (  # noqa: E402
    dsplit, hsplit, split_with_sizes, tensor_split, unsafe_chunk, unsafe_split,
    unsafe_split_with_sizes, vsplit,
)
from .api.ops.statistics import aminmax, corrcoef, cov, nanmean, nansum, std_mean, var_mean  # noqa: E402
from .api.ops.strided import as_strided, as_strided_scatter, narrow_copy, ravel  # noqa: E402
from .api.ops.strided import COPIES as _COPIES  # noqa: E402
from . import linalg  # noqa: E402
from .api.pointwise_api import *  # noqa: E402,F401,F403  (element-wise math: functions, methods, aliases)
from .api.tensor import Size, Tensor  # noqa: E402
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: E402
from .autograd import inference_mode, is_inference_mode_enabled  # noqa: E402
from .autograd.anomaly_mode import (  # noqa: E402
    is_anomaly_check_nan_enabled, is_anomaly_enabled, set_anomaly_enabled,
)
from . import cuda  # noqa: E402
from . import accelerator, cpu, opencl  # noqa: E402
from . import nn, optim  # noqa: E402
from .nn.functional import (  # noqa: E402,F401  (torch.conv2d, torch.pixel_shuffle, ...)
    adaptive_avg_pool1d, avg_pool1d, channel_shuffle, conv1d, conv2d, conv3d, conv_transpose1d,
    conv_transpose2d, conv_transpose3d, max_pool1d, max_pool2d, max_pool3d, pixel_shuffle, pixel_unshuffle,
)
from . import amp  # noqa: E402
from . import distributed  # noqa: E402
from .amp import autocast, get_autocast_dtype, is_autocast_available, is_autocast_enabled  # noqa: E402
from .amp import (  # noqa: E402
    get_autocast_cpu_dtype, get_autocast_gpu_dtype, is_autocast_cache_enabled, is_autocast_cpu_enabled,
    set_autocast_cache_enabled, set_autocast_cpu_dtype, set_autocast_cpu_enabled, set_autocast_dtype,
    set_autocast_enabled, set_autocast_gpu_dtype,
)
from .amp import clear_autocast_cache  # noqa: E402
from .api.ops.signal_windows import (  # noqa: E402
    bartlett_window, blackman_window, hamming_window, hann_window, kaiser_window,
)
from .api.ops.histograms import histogram, histogramdd  # noqa: E402
from .api.ops.numerical_gradient import gradient  # noqa: E402
from . import utils  # noqa: E402
from . import __future__  # noqa: E402,F401  (torch.__future__ flags)
from .utils import data as _data  # noqa: E402,F401
from .serialization import load, save  # noqa: E402
from . import compiler, jit, multiprocessing, random, testing, version  # noqa: E402
from .compiler import compile  # noqa: E402
from .amp import GradScaler  # noqa: E402

from . import special  # noqa: E402
from .api.aten_functions import *  # noqa: E402,F401,F403  (torch.dropout, torch.embedding, ...)
from .api.torch_extras import *  # noqa: E402,F401,F403  (poisson, binomial, empty_permuted, build flags...)
from . import distributions  # noqa: E402
from .api.errors import OutOfMemoryError  # noqa: E402

# ``out=`` on the functions that take it in PyTorch (see api/ops/out_arg.py)
from .api.ops.out_arg import accept_out as _accept_out  # noqa: E402

(abs, add, addcdiv, addcmul, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, ceil, clamp, clip, cos,
 div, eq, erf, exp, expm1, floor, floor_divide, fmod, ge, gt, le, lerp, log, log1p, log2, log10,
 logical_and, logical_not, logical_or, logical_xor, lt, maximum, minimum, mul, ne, neg, pow,
 reciprocal, remainder, round, rsqrt, sigmoid, sign, sin, sqrt, square, sub, tan, tanh, true_divide,
 trunc, where, addmm, bmm, dot, matmul, mm, mv, outer, sum, mean, prod, amax, amin, argmax, argmin,
 std, var, logsumexp, cumsum, norm, all, any, cat, concat, concatenate, stack, hstack, vstack) = map(
    _accept_out,
    (abs, add, addcdiv, addcmul, bitwise_and, bitwise_not, bitwise_or, bitwise_xor, ceil, clamp, clip, cos,
     div, eq, erf, exp, expm1, floor, floor_divide, fmod, ge, gt, le, lerp, log, log1p, log2, log10,
     logical_and, logical_not, logical_or, logical_xor, lt, maximum, minimum, mul, ne, neg, pow,
     reciprocal, remainder, round, rsqrt, sigmoid, sign, sin, sqrt, square, sub, tan, tanh,
     true_divide, trunc, where, addmm, bmm, dot, matmul, mm, mv, outer, sum, mean, prod, amax, amin,
     argmax, argmin, std, var, logsumexp, cumsum, norm, all, any, cat, concat, concatenate, stack,
     hstack, vstack))
multiply, subtract, divide, negative = mul, sub, div, neg

# NumPy's ``axis=`` for ``dim=`` (see api/ops/numpy_names.py; the reductions take it where defined)
from .api.ops.numpy_names import accept_numpy_names as _accept_numpy_names  # noqa: E402

(cumsum, cumprod, cummax, cummin, logcumsumexp, cat, concat, concatenate, stack, median, nanmedian,
 mode, sort, argsort, topk, kthvalue, squeeze, unsqueeze, narrow, chunk, unbind, index_select,
 gather, diff, nansum, nanmean, aminmax, var_mean, std_mean, quantile, nanquantile) = map(
    _accept_numpy_names, (
        cumsum, cumprod, cummax, cummin, logcumsumexp, cat, concat, concatenate, stack, median,
        nanmedian, mode, sort, argsort, topk, kthvalue, squeeze, unsqueeze, narrow, chunk, unbind,
        index_select, gather, diff, nansum, nanmean, aminmax, var_mean, std_mean, quantile,
        nanquantile))  # (not norm and split: Python functions in PyTorch, which take dim only)
globals().update(_legacy_types)  # FloatTensor, LongTensor, ... (PyTorch's legacy constructors)
e, pi, inf, nan, newaxis = _math.e, _math.pi, _math.inf, _math.nan, None
globals().update(_COPIES)  # view_copy, expand_copy, ...: the *_copy forms of the view ops
ger = outer
index_put_ = Tensor.index_put_
addmv_ = Tensor.addmv_
as_strided_ = Tensor.as_strided_
adjoint = Tensor.adjoint
allclose = Tensor.allclose


def is_tensor(obj) -> bool:
    """True for unigrad tensors."""
    return isinstance(obj, Tensor)


def is_floating_point(x: Tensor) -> bool:
    return x.dtype.is_floating_point


def numel(x: Tensor) -> int:
    return x.numel()


def result_type(a, b) -> dtype:
    """The dtype an op over ``a`` and ``b`` produces (PyTorch's promotion rules)."""
    from .api.dtypes import result_type as _result_type
    return _result_type(a, b)


def can_cast(from_: dtype, to: dtype) -> bool:
    """Whether ``from_`` casts to ``to`` under PyTorch's same-kind rule."""
    return from_.category <= to.category


def _methods_take_numpy_names() -> None:
    """Tensor methods taking ``dim`` accept NumPy's ``axis=`` too, as PyTorch's argument parser
    does (the reductions already do, where they are defined)."""
    for name in ("cumsum", "cumprod", "cummax", "cummin", "logcumsumexp", "median", "nanmedian", "mode",
                 "sort", "argsort", "topk", "kthvalue", "squeeze", "unsqueeze", "narrow", "chunk", "unbind",
                 "index_select", "gather", "diff", "nansum", "nanmean", "aminmax", "quantile", "nanquantile",
                 "softmax", "log_softmax", "cumsum_", "cumprod_", "unsqueeze_",
                 "squeeze_"):
        method = Tensor.__dict__.get(name)
        if method is not None:
            setattr(Tensor, name, _accept_numpy_names(method))


_methods_take_numpy_names()
