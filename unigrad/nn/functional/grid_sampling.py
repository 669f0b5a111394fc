"""``grid_sample`` (sample (N, C, *spatial) at the normalised positions of a grid: bilinear,
nearest or bicubic, with zeros, border or reflection padding) and ``affine_grid`` (the grid of an
affine transform).

Sampling is composed from tensor ops: the grid is unnormalised and folded into the input by the
padding mode (clip and reflection with PyTorch's gradients: zero at and beyond a border, the
sign of the fold inside), every tap of every output position is read with one gather (taps
outside the input read 0), and the taps are summed with weights that are differentiable in the
grid. The gradient of the input flows back through the gather as a scatter-add.
"""
from __future__ import annotations

import functools
import warnings

import numpy as np

from ...api import creation, dtypes
from ...api.ops import linalg, shape as sh
from ...api.ops.indexing import gather_in_range
from ...api.ops.pointwise import where
from ...api.ops.support import check_device, grad_state
from ...api.tensor import Tensor
from .conv import scalar_type_name

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since "
                  "1.3.0. Please specify align_corners=True if the old behavior is desired. See the "
                  "documentation of grid_sample for details.")


def _check_grid_sample(x: Tensor, grid: Tensor, mode: str) -> None:
    if x.ndim not in (4, 5) or grid.ndim != x.ndim:
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number of dimensions, "
                           f"but got input with sizes {list(x.shape)} and grid with sizes {list(grid.shape)}")
    n = x.ndim - 2
    check_device(x, grid, "grid_sampler")
    if grid.shape[-1] != n:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {n} in last dimension, but got grid "
                           f"with sizes {list(grid.shape)}")
    if grid.shape[0] != x.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, but got input "
                           f"with sizes {list(x.shape)} and grid with sizes {list(grid.shape)}")
    for dim in range(2, x.ndim):
        if x.shape[dim] == 0:
            raise RuntimeError(f"grid_sampler(): expected input to have non-empty spatial dimensions, but "
                               f"input has sizes {list(x.shape)} with dimension {dim} being empty")
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f'"grid_sampler" not implemented for \'{scalar_type_name(x.dtype)}\'')
    if grid.dtype is not x.dtype:
        raise RuntimeError(f"expected scalar type {scalar_type_name(x.dtype)} but found "
                           f"{scalar_type_name(grid.dtype)}")
    if mode == "bicubic" and n != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")


def _unnormalize(coord: Tensor, size: int, align_corners: bool) -> Tensor:
    """[-1, 1] -> pixel coordinates: corner pixel centres (align_corners) or corner edges."""
    if align_corners:
        return ((coord + 1) / 2) * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _clip(coord: Tensor, size: int) -> Tensor:
    """Clamp into [0, size - 1], with gradient 1 strictly inside and 0 elsewhere (PyTorch's)."""
    clipped = coord.detach().clamp(0, size - 1)
    if not (coord.requires_grad and grad_state.enabled):
        return clipped
    return where((coord > 0) & (coord < size - 1), coord, clipped)


def _reflect(coord: Tensor, twice_low: int, twice_high: int) -> Tensor:
    """Reflect into [low, high] as often as needed; the gradient is the sign of the last fold."""
    if twice_low == twice_high:  # a size-1 dim: always 0, with a zero gradient
        return where(creation.zeros(tuple(coord.shape), dtype=dtypes.bool, device=coord.device), coord, 0.0)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    shifted = coord.detach() - low
    distance = shifted.abs()
    extra = distance.fmod(span)
    even = (distance / span).floor().remainder(2) == 0
    value = where(even, extra + low, span - extra + low)
    if not (coord.requires_grad and grad_state.enabled):
        return value
    sign = 1.0 - 2.0 * (shifted < 0).to(coord.dtype)
    return value + (coord - coord.detach()) * where(even, sign, -sign)


def _padded(coord: Tensor, size: int, padding_mode: str, align_corners: bool) -> Tensor:
    """PyTorch's ``compute_coordinates``: fold a pixel coordinate into the input."""
    if padding_mode == "border":
        return _clip(coord, size)
    if padding_mode == "reflection":
        reflected = _reflect(coord, 0, 2 * (size - 1)) if align_corners else _reflect(coord, -1, 2 * size - 1)
        return _clip(reflected, size)
    return coord


def _read_taps(x: Tensor, taps, sizes) -> Tensor:
    """Values of (N, C, *spatial) ``x`` at every combination of per-dim taps: ``taps[d]`` is
    (T_d, N, Q), integral float coordinates along dim d for Q output positions. Returns
    (N, C, K, Q) with the K = prod(T_d) combinations in C order over the dims; taps outside the
    input read 0."""
    n, batch, channels = len(sizes), x.shape[0], x.shape[1]
    positions = taps[0].shape[-1]
    stride, flat, valid = 1, None, None
    for d in reversed(range(n)):  # flat index and validity of every combination, by broadcasting
        t = taps[d]
        inside = (t >= 0) & (t <= sizes[d] - 1)
        index = where(inside, t, 0.0).long() * stride
        shape = [1] * n + [batch, positions]
        shape[d] = t.shape[0]
        index, inside = index.reshape(shape), inside.reshape(shape)
        flat = index if flat is None else flat + index
        valid = inside if valid is None else valid & inside
        stride *= sizes[d]
    count = flat.numel() // (batch * positions)
    flat = flat.reshape(count, batch, positions).permute(1, 0, 2).reshape(batch, 1, count * positions)
    plane_size = 1
    for size in sizes:
        plane_size *= size
    plane = x.reshape(batch, channels, plane_size)
    values = gather_in_range(plane, 2, flat.expand(batch, channels, count * positions))
    values = values.reshape(batch, channels, count, positions)
    valid = valid.reshape(count, batch, positions).permute(1, 0, 2).unsqueeze(1)
    return where(valid, values, 0.0)


def _per_tap(weights) -> Tensor:
    """(T, N, Q) per-tap factors laid out to multiply (N, C, T, Q) tap values."""
    return weights.permute(1, 0, 2).unsqueeze(1)


def _cubic_coefficients(t: Tensor) -> list:
    """Keys' cubic convolution weights (A = -0.75) of the taps at -1, 0, 1, 2 from fraction t."""
    a = -0.75

    def near(v):
        return ((a + 2) * v - (a + 3)) * v * v + 1

    def far(v):
        return ((a * v - 5 * a) * v + 8 * a) * v - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners=None) -> Tensor:
    """Sample ``input`` (N, C, H, W) or (N, C, D, H, W) at ``grid`` (N, H_out, W_out, 2) or
    (N, D_out, H_out, W_out, 3), whose last dim holds (x, y[, z]) in [-1, 1]."""
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError("nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
                         f"'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError("nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
                         f"'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    _check_grid_sample(input, grid, mode)
    n = input.ndim - 2
    sizes = tuple(input.shape[2:])
    batch, channels = input.shape[0], input.shape[1]
    out_shape = (batch, channels) + tuple(grid.shape[1:-1])
    # grid's last dim is (x, y[, z]): the input's dims in reverse
    positions = 1
    for size in grid.shape[1:-1]:
        positions *= size
    if batch == 0 or positions == 0 or channels == 0:
        out = input.reshape(-1)[:0].reshape(out_shape)
        return _with_zero_grid_gradient(out, grid, n) if grid.requires_grad and grad_state.enabled else out
    # grid's last dim is (x, y[, z]): the input's dims in reverse; positions flattened to (N, Q)
    flat_grid = grid.reshape(batch, positions, n)
    coords = [_unnormalize(flat_grid[..., n - 1 - d], sizes[d], align_corners) for d in range(n)]
    if mode == "bicubic":
        out = _bicubic(input, coords, sizes, padding_mode, align_corners)
    else:
        coords = [_padded(c, size, padding_mode, align_corners) for c, size in zip(coords, sizes)]
        if mode == "nearest":  # round half to even, as nearbyint
            out = _read_taps(input, [c.detach().round().unsqueeze(0) for c in coords], sizes)[:, :, 0]
        else:
            out = _bilinear(input, coords, sizes)
    out = out.reshape(out_shape)
    if mode == "nearest" and grid.requires_grad and grad_state.enabled:
        out = _with_zero_grid_gradient(out, grid, n)
    return out


def _bilinear(x: Tensor, coords, sizes) -> Tensor:
    """Each output is the weighted sum of the 2**n input elements around its position."""
    n = len(coords)
    lows = [c.detach().floor() for c in coords]
    values = _read_taps(x, [sh.stack([low, low + 1]) for low in lows], sizes)
    weight = None
    for d in reversed(range(n)):  # (to the low tap, to the high tap) along each dim
        w = sh.stack([(lows[d] + 1) - coords[d], coords[d] - lows[d]])
        shape = [1] * n + list(w.shape[1:])
        shape[d] = 2
        weight = w.reshape(shape) if weight is None else weight * w.reshape(shape)
    weight = weight.reshape((2 ** n,) + tuple(weight.shape[n:]))
    return (values * _per_tap(weight)).sum(2)


def _bicubic(x: Tensor, coords, sizes, padding_mode: str, align_corners: bool) -> Tensor:
    """Keys' cubic convolution over the 4 x 4 input elements around each position; each tap is
    folded into the input by the padding mode on its own."""
    lows = [c.detach().floor() for c in coords]
    offsets = creation.tensor([[[-1.0]], [[0.0]], [[1.0]], [[2.0]]], dtype=x.dtype, device=x.device)
    taps = [_padded(low + offsets, size, padding_mode, align_corners).trunc() for low, size in zip(lows, sizes)]
    values = _read_taps(x, taps, sizes)  # (N, C, 16, Q): rows (y) outer, columns (x) inner
    batch, channels, _, positions = values.shape
    cy, cx = (sh.stack(_cubic_coefficients(c - low)) for c, low in zip(coords, lows))
    rows = (values.reshape(batch, channels, 4, 4, positions) * _per_tap(cx).unsqueeze(2)).sum(3)
    return (rows * _per_tap(cy)).sum(2)


def _with_zero_grid_gradient(out: Tensor, grid: Tensor, n: int) -> Tensor:
    """Nearest sampling is piecewise constant in the grid: PyTorch gives the grid a zero gradient."""
    result = Tensor._make(out._buf, out.dtype, out.device, out._backend)
    result._attach(f"GridSampler{n}DBackward0", lambda g: (g, grid.detach() * 0.0), (out, grid))
    return result


def _linspace(steps: int, align_corners: bool, real) -> np.ndarray:
    """PyTorch's ``linspace(-1, 1, steps)`` (scaled to pixel centres unless align_corners)."""
    if steps <= 1:
        return np.zeros(max(steps, 1), dtype=real)
    step = (real(1) - real(-1)) / real(steps - 1)
    i = np.arange(steps)
    half = steps // 2
    r = np.where(i < half, real(-1) + step * i.astype(real), real(1) - step * (steps - i - 1).astype(real))
    r = r.astype(real)
    return r if align_corners else (r * real(steps - 1) / real(steps)).astype(real)


@functools.lru_cache(maxsize=64)
def _base_grid(spatial: tuple, align_corners: bool, wide: bool) -> np.ndarray:
    """(prod(spatial), n + 1) rows (x, y[, z], 1) over the output positions in C order."""
    real = np.float64 if wide else np.float32
    axes = [_linspace(size, align_corners, real) for size in spatial]
    mesh = np.meshgrid(*axes, indexing="ij")  # input dim order: (d,) h, w
    columns = [m.reshape(-1) for m in reversed(mesh)] + [np.ones(mesh[0].size, dtype=real)]
    return np.stack(columns, axis=-1)


def affine_grid(theta: Tensor, size, align_corners=None) -> Tensor:
    """The sampling grid (N, H, W, 2) or (N, D, H, W, 3) of the affine transforms ``theta``
    (N, 2, 3) or (N, 3, 4), for ``grid_sample``."""
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = [int(s) for s in size]
    if len(size) == 4:
        if theta.ndim != 3 or theta.shape[-2] != 2 or theta.shape[-1] != 3:
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size {tuple(size)}. "
                             f"Got {theta.shape}.")
    elif len(size) == 5:
        if theta.ndim != 3 or theta.shape[-2] != 3 or theta.shape[-1] != 4:
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size {tuple(size)}. "
                             f"Got {theta.shape}.")
    else:
        raise NotImplementedError("affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, "
                                  f"respectively. Got size {tuple(size)}.")
    spatial = tuple(size[2:])
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the "
                      "documentation of affine_grid for details.", stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {tuple(size)}")
    if size[0] != theta.shape[0]:
        raise RuntimeError(f"affine_grid: theta holds {theta.shape[0]} affine matrices but size asks for a "
                           f"batch of {size[0]}")
    n = len(spatial)
    base = creation.tensor(_base_grid(spatial, bool(align_corners), theta.dtype is dtypes.float64),
                           dtype=theta.dtype, device=theta.device)
    grid = linalg.matmul(base, theta.transpose(1, 2))  # (N, positions, n)
    return grid.reshape((size[0],) + spatial + (n,))
