"""unigrad: a PyTorch-compatible deep-learning framework whose backends are pluggy plugins.

``import unigrad as torch`` gives tensors, autograd and (as they land) ``nn``, ``optim`` and data
loading with PyTorch's names and semantics, on any installed backend: ``cpu`` (NumPy), ``cuda``
(CuPy), ``opencl`` (PyOpenCL) or a third-party plugin.
"""
from __future__ import annotations

__version__ = "0.1.0"

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
from .api.tensor import Size, Tensor  # noqa: E402
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled  # noqa: E402
from . import cuda  # noqa: E402
from . import nn, optim  # noqa: E402
from .nn.functional import (  # noqa: E402,F401  (torch.conv2d, torch.pixel_shuffle, ...)
    adaptive_avg_pool1d, avg_pool1d, channel_shuffle, conv1d, conv2d, conv3d, conv_transpose1d,
    conv_transpose2d, conv_transpose3d, max_pool1d, max_pool2d, max_pool3d, pixel_shuffle, pixel_unshuffle,
)
from . import amp  # noqa: E402
from . import distributed  # noqa: E402
from .amp import autocast, get_autocast_dtype, is_autocast_available, is_autocast_enabled  # noqa: E402
from . import utils  # noqa: E402
from .utils import data as _data  # noqa: E402,F401
from .serialization import load, save  # noqa: E402

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
