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
import itertools
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
    if twice_low == twice_high:
        return coord.detach().new_zeros(tuple(coord.shape))
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    shifted = coord.detach() - low
    distance = shifted.abs()
    extra = distance.fmod(span)
    even = (distance / span).floor().remainder(2) == 0
    value = where(even, extra + low, span - extra + low)
    if not (coord.requires_grad and grad_state.enabled):
        return value
    sign = where(shifted < 0, -1.0, 1.0)
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
    """Values of (N, C, *spatial) ``x`` at every combination of per-dim tap coordinates: ``taps[d]``
    lists (N, *out) integral float coordinates. Returns (N, C, K, Q), K taps in C order over the
    dims and Q output positions; taps outside the input read 0."""
    batch, channels = x.shape[0], x.shape[1]
    flat_taps, valid_taps = [], []
    strides = [1] * len(sizes)
    for d in range(len(sizes) - 2, -1, -1):
        strides[d] = strides[d + 1] * sizes[d + 1]
    for d, size in enumerate(sizes):
        per_dim = []
        for t in taps[d]:
            inside = (t >= 0) & (t <= size - 1)
            per_dim.append((where(inside, t, 0.0).long() * strides[d], inside))
        flat_taps.append(per_dim)
    index, valid = [], []
    for combination in itertools.product(*flat_taps):
        flat, inside = combination[0]
        for part, part_inside in combination[1:]:
            flat, inside = flat + part, inside & part_inside
        index.append(flat.reshape(batch, 1, -1))
        valid.append(inside.reshape(batch, 1, -1))
    count, positions = len(index), index[0].shape[-1]
    index = sh.cat(index, 2) if count > 1 else index[0]
    valid = sh.cat(valid, 2) if count > 1 else valid[0]
    plane = x.reshape(batch, channels, -1)
    values = gather_in_range(plane, 2, index.expand(batch, channels, count * positions))
    values = values.reshape(batch, channels, count, positions)
    return where(valid.reshape(batch, 1, count, positions), values, 0.0)


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
    coords = [_unnormalize(grid[..., n - 1 - d], sizes[d], align_corners) for d in range(n)]
    if mode == "bicubic":
        out = _bicubic(input, coords, sizes, padding_mode, align_corners)
    else:
        coords = [_padded(c, size, padding_mode, align_corners) for c, size in zip(coords, sizes)]
        if mode == "nearest":  # round half to even, as nearbyint
            out = _read_taps(input, [[c.detach().round()] for c in coords], sizes)[:, :, 0]
        else:
            out = _bilinear(input, coords, sizes)
    out = out.reshape(out_shape)
    if mode == "nearest" and grid.requires_grad and grad_state.enabled:
        out = _with_zero_grid_gradient(out, grid, n)
    return out


def _bilinear(x: Tensor, coords, sizes) -> Tensor:
    lows = [c.detach().floor() for c in coords]
    values = _read_taps(x, [[low, low + 1] for low in lows], sizes)
    weights = [((low + 1) - c, c - low) for c, low in zip(coords, lows)]  # (to low, to high) per dim
    out = None
    for k, corner in enumerate(itertools.product((0, 1), repeat=len(coords))):
        weight = None
        for d in reversed(range(len(coords))):  # x weight first, as PyTorch multiplies
            w = weights[d][corner[d]]
            weight = w if weight is None else weight * w
        term = values[:, :, k] * weight.reshape(x.shape[0], 1, -1)
        out = term if out is None else out + term
    return out


def _bicubic(x: Tensor, coords, sizes, padding_mode: str, align_corners: bool) -> Tensor:
    lows = [c.detach().floor() for c in coords]
    taps = [[_padded(low + (j - 1), size, padding_mode, align_corners).detach() for j in range(4)]
            for low, size in zip(lows, sizes)]
    values = _read_taps(x, [[t.trunc() for t in per_dim] for per_dim in taps], sizes)
    batch = x.shape[0]
    cy, cx = (_cubic_coefficients(c - low) for c, low in zip(coords, lows))
    out = None
    for i in range(4):
        row = None
        for j in range(4):
            term = values[:, :, 4 * i + j] * cx[j].reshape(batch, 1, -1)
            row = term if row is None else row + term
        term = row * cy[i].reshape(batch, 1, -1)
        out = term if out is None else out + term
    return out


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
