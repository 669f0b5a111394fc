"""``interpolate`` (and the ``upsample`` aliases): nearest, nearest-exact, (bi/tri)linear,
bicubic and area resizing of 1, 2 or 3 spatial dims.

Every mode but area is separable: the output is resized one dim at a time, last dim first (the
order PyTorch's kernel nests its sums in), each step one in-range gather of the taps followed by
their weighted sum. The source positions and weights depend only on the sizes, so they are
computed once on the host with PyTorch's arithmetic (float32, or float64 for float64 input; the
nearest modes always in float32) and cached.
"""
from __future__ import annotations

import functools
import numbers
import warnings

import numpy as np

from ...api import dtypes
from ...api.tensor import Tensor
from ...autograd.composite import present
from .adaptive_pooling import adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d
from .conv import scalar_type_name
from .taps import along, positions, take

_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
_NEEDS = {"linear": 3, "bilinear": 4, "trilinear": 5}  # the input ndim each linear mode needs
_LETTERS = {1: ("W",), 2: ("H", "W"), 3: ("D", "H", "W")}


def _is_integer(value) -> bool:
    if isinstance(value, Tensor):
        return not value.dtype.is_floating_point
    return isinstance(value, numbers.Integral)


def _output_geometry(x: Tensor, size, scale_factor, mode: str, recompute_scale_factor):
    """PyTorch's argument rules: the output sizes, and the scales the kernel uses (None: derive
    them from the sizes)."""
    dim = x.ndim - 2
    if size is not None and scale_factor is not None:
        raise ValueError("only one of size or scale_factor should be defined")
    if size is not None:
        scales = None
        if isinstance(size, (list, tuple)):
            if len(size) != dim:
                raise ValueError(
                    "Input and output must have the same number of spatial dimensions, but got input with "
                    f"spatial dimensions of {list(x.shape[2:])} and output size of {size}. Please provide "
                    "input tensor in (N, C, d1, d2, ...,dK) format and output size in (o1, o2, ...,oK) "
                    "format.")
            if not all(_is_integer(s) for s in size):
                raise TypeError("expected size to be one of int or Tuple[int] or Tuple[int, int] or "
                                f"Tuple[int, int, int], but got size with types {[type(s) for s in size]}")
            sizes = [int(s) for s in size]
        else:
            sizes = [int(size)] * dim
    elif scale_factor is not None:
        if isinstance(scale_factor, (list, tuple)):
            if len(scale_factor) != dim:
                raise ValueError(
                    "Input and scale_factor must have the same number of spatial dimensions, but got input "
                    f"with spatial dimensions of {list(x.shape[2:])} and scale_factor of shape "
                    f"{scale_factor}. Please provide input tensor in (N, C, d1, d2, ...,dK) format and "
                    "scale_factor in (s1, s2, ...,sK) format.")
            scales = [float(s) for s in scale_factor]
        else:
            scales = [float(scale_factor)] * dim
        sizes = [int(x.shape[2 + i] * scales[i]) for i in range(dim)]
    else:
        raise ValueError("either size or scale_factor should be defined")
    if recompute_scale_factor and size is not None:
        raise ValueError("recompute_scale_factor is not meaningful with an explicit size.")
    if recompute_scale_factor or mode == "area":
        scales = None
    return sizes, scales


def interpolate(x: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None,
                recompute_scale_factor=None, antialias: bool = False) -> Tensor:
    """Resize the spatial dims of (N, C, *spatial) ``x`` to ``size`` or by ``scale_factor``."""
    if mode in ("nearest", "area", "nearest-exact"):
        if align_corners is not None:
            raise ValueError("align_corners option can only be set with the interpolating modes: "
                             "linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    sizes, scales = _output_geometry(x, size, scale_factor, mode, recompute_scale_factor)
    if antialias and not (mode in ("bilinear", "bicubic", "lanczos") and x.ndim == 4):
        raise ValueError("Anti-alias option is restricted to bilinear, bicubic, and lanczos modes and "
                         "requires a 4-D tensor as input")
    if antialias:
        raise NotImplementedError(f"interpolate(mode={mode!r}, antialias=True) is not supported")
    needed = _NEEDS.get(mode)
    if needed is not None and x.ndim in (3, 4, 5) and x.ndim != needed:
        raise NotImplementedError(f"Got {x.ndim}D input, but {mode} mode needs {needed}D input")
    if mode not in _MODES or x.ndim not in (3, 4, 5) or (mode == "bicubic" and x.ndim != 4):
        raise NotImplementedError(
            f"Input Error: Only 3D, 4D and 5D input Tensors supported (got {x.ndim}D) for the modes: "
            "nearest | linear | bilinear | bicubic | trilinear | lanczos | area | nearest-exact "
            f"(got {mode})")
    n = x.ndim - 2
    in_sizes = tuple(x.shape[2:])
    if any(s <= 0 for s in in_sizes) or any(s <= 0 for s in sizes):
        letters = _LETTERS[n]
        given = ", ".join(f"{c}: {s}" for c, s in zip(letters, in_sizes))
        wanted = ", ".join(f"{c}: {s}" for c, s in zip(letters, sizes))
        raise RuntimeError(f"Input and output sizes should be greater than 0, but got input ({given}) and "
                           f"output ({wanted})")
    if mode == "area":
        return (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d)[n - 1](x, sizes)
    return present(_resampled(x, mode, n, in_sizes, sizes, scales, align_corners),
                   _NODE_NAMES[mode].format(n=n), (x,))


#: PyTorch's backward node of each mode, by the number of spatial dims
_NODE_NAMES = {"nearest": "UpsampleNearest{n}DBackward0", "nearest-exact": "UpsampleNearestExact{n}DBackward0",
               "linear": "UpsampleLinear1DBackward0", "bilinear": "UpsampleBilinear2DBackward0",
               "bicubic": "UpsampleBicubic2DBackward0", "trilinear": "UpsampleTrilinear3DBackward0"}


def _resampled(x: Tensor, mode: str, n: int, in_sizes, sizes, scales, align_corners) -> Tensor:
    _check_dtype(x, mode)
    wide = x.dtype is dtypes.float64
    low_precision = x.dtype in (dtypes.float16, dtypes.bfloat16) and mode not in ("nearest", "nearest-exact")
    # 16-bit inputs: sums in float32 and one final rounding, as PyTorch's kernels do
    out = x.float() if low_precision else x
    for i in reversed(range(n)):  # the last dim first, as PyTorch's sums nest
        scale = scales[i] if scales is not None else None
        if mode in ("nearest", "nearest-exact"):
            table = _nearest_table(in_sizes[i], sizes[i], scale, mode == "nearest-exact")
            if table is not None:
                out = take(out, 2 + i, positions(table, x.device))
        else:
            tables = (_cubic_table if mode == "bicubic" else _linear_table)(
                in_sizes[i], sizes[i], scale, bool(align_corners), wide)
            if tables is not None:  # PyTorch's CPU kernels round cubic weights to a 16-bit input's dtype
                weight_dtype = x.dtype if mode == "bicubic" else out.dtype
                out = _weighted_taps(out, 2 + i, sizes[i], *tables, weight_dtype)
    return out.to(x.dtype) if low_precision else out


def _check_dtype(x: Tensor, mode: str) -> None:
    if x.dtype.is_floating_point or (x.dtype is dtypes.uint8 and mode in ("nearest", "nearest-exact")):
        return
    kind = {"nearest": "nearest", "nearest-exact": "nearest", "bicubic": "cubic"}.get(mode, "linear")
    raise NotImplementedError(f'"compute_indices_weights_{kind}" not implemented for '
                              f"'{scalar_type_name(x.dtype)}'")


def _weighted_taps(x: Tensor, dim: int, out_size: int, index, weights, weight_dtype) -> Tensor:
    """``sum_j weights[j] * x[index[j]]`` along ``dim``, accumulated tap by tap; the weights are
    rounded to ``weight_dtype`` as PyTorch stores them."""
    read = take(x, dim, positions(index, x.device))
    factors = along(weights.reshape(-1), dim, x.ndim, weight_dtype, x.device)
    if factors.dtype is not x.dtype:
        factors = factors.to(x.dtype)
    out = None
    for j in range(weights.shape[0]):
        term = read.narrow(dim, j * out_size, out_size) * factors.narrow(dim, j * out_size, out_size)
        out = term if out is None else out + term
    return out


def _scales_value(scale, in_size: int, out_size: int, real):
    """PyTorch's ``compute_scales_value``: the input step per output step."""
    if scale is not None and scale > 0:
        return real(1.0 / scale)
    return real(in_size) / real(out_size)


@functools.lru_cache(maxsize=512)
def _nearest_table(in_size: int, out_size: int, scale, exact: bool):
    """Source index per output index (None: the identity), in float32 as PyTorch computes it."""
    i = np.arange(out_size)
    if not exact and out_size == in_size:
        return None
    if not exact and out_size == 2 * in_size:
        return i >> 1
    step = _scales_value(scale, in_size, out_size, np.float32)
    if exact:  # (i + 0.5) * step in double, rounded to float by floorf
        source = np.floor(((i + 0.5) * np.float64(step)).astype(np.float32))
    else:
        source = np.floor(i.astype(np.float32) * step)
    return np.minimum(source.astype(np.int64), in_size - 1)


def _area_scale(in_size: int, out_size: int, align_corners: bool, scale, real):
    if align_corners:
        return real(in_size - 1) / real(out_size - 1) if out_size > 1 else real(0)
    return _scales_value(scale, in_size, out_size, real)


def _source_positions(in_size: int, out_size: int, scale, align_corners: bool, cubic: bool, real):
    ratio = _area_scale(in_size, out_size, align_corners, scale, real)
    i = np.arange(out_size).astype(real)
    if align_corners:
        return ratio * i
    source = ratio * (i + real(0.5)) - real(0.5)
    return source if cubic else np.maximum(source, real(0))


def _guard(source, in_size: int, real):
    """PyTorch's ``guard_index_and_lambda``: floor (in float) clamped to the input, and the
    fraction clamped to [0, 1]."""
    index = np.minimum(np.floor(source.astype(np.float32)).astype(np.int64), in_size - 1)
    fraction = np.clip(source - index.astype(real), real(0), real(1)).astype(real)
    return index, fraction


@functools.lru_cache(maxsize=512)
def _linear_table(in_size: int, out_size: int, scale, align_corners: bool, wide: bool):
    """Two taps per output: indices (2, out) and weights (2, out); None for the identity."""
    if out_size == in_size:
        return None
    real = np.float64 if wide else np.float32
    source = _source_positions(in_size, out_size, scale, align_corners, False, real)
    low, upper = _guard(source, in_size, real)
    high = low + (low < in_size - 1)
    return np.stack([low, high]), np.stack([real(1) - upper, upper])


def _cubic_coefficients(t, real):
    """Keys' cubic convolution weights (A = -0.75) of the four taps around fraction ``t``."""
    a = real(-0.75)

    def near(v):  # |v| <= 1
        return ((a + real(2)) * v - (a + real(3))) * v * v + real(1)

    def far(v):  # 1 < |v| < 2
        return ((a * v - real(5) * a) * v + real(8) * a) * v - real(4) * a
    return np.stack([far(t + real(1)), near(t), near(real(1) - t), far(real(1) - t + real(1))])


@functools.lru_cache(maxsize=512)
def _cubic_table(in_size: int, out_size: int, scale, align_corners: bool, wide: bool):
    """Four taps per output (clamped to the input): indices (4, out) and weights (4, out)."""
    real = np.float64 if wide else np.float32
    source = _source_positions(in_size, out_size, scale, align_corners, True, real)
    index, t = _guard(source, in_size, real)
    taps = np.stack([np.clip(index - 1 + j, 0, in_size - 1) for j in range(4)])
    return taps, _cubic_coefficients(t, real).astype(real)


def upsample(x: Tensor, size=None, scale_factor=None, mode: str = "nearest", align_corners=None) -> Tensor:
    """Deprecated alias of ``interpolate``."""
    warnings.warn("`nn.functional.upsample` is deprecated. Use `nn.functional.interpolate` instead.",
                  stacklevel=2)
    return interpolate(x, size, scale_factor, mode, align_corners)


def upsample_nearest(x: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated alias of ``interpolate(mode='nearest')``."""
    warnings.warn("`nn.functional.upsample_nearest` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(x, size, scale_factor, mode="nearest")


def upsample_bilinear(x: Tensor, size=None, scale_factor=None) -> Tensor:
    """Deprecated alias of ``interpolate(mode='bilinear', align_corners=True)``."""
    warnings.warn("`nn.functional.upsample_bilinear` is deprecated. Use `nn.functional.interpolate` "
                  "instead.", stacklevel=2)
    return interpolate(x, size, scale_factor, mode="bilinear", align_corners=True)

