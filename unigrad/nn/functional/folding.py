"""``unfold`` (im2col: sliding local blocks as columns) and its adjoint ``fold`` (col2im), both
over a ``windows`` view, so each is the other's gradient."""
from __future__ import annotations

from ...api.ops import windows as win
from ...api.tensor import Tensor
from .padding import _constant_pad


def _pair(value, name: str) -> tuple:
    if isinstance(value, int):
        return (value, value)
    value = tuple(value)
    if len(value) == 1:
        return value * 2
    if len(value) != 2:
        raise RuntimeError(f"It is expected {name} equals to 2, but got size {len(value)}")
    return value


def _block_counts(sizes, kernel, dilation, padding, stride) -> tuple:
    return tuple((size + 2 * p - d * (k - 1) - 1) // s + 1
                 for size, k, d, p, s in zip(sizes, kernel, dilation, padding, stride))


def _check_geometry(kernel, dilation, padding, stride) -> None:
    if any(k <= 0 for k in kernel):
        raise RuntimeError(f"kernel size should be greater than zero, but got kernel_size={kernel}")
    if any(s <= 0 for s in stride):
        raise RuntimeError(f"stride should be greater than zero, but got stride={stride}")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got dilation={dilation}")
    if any(p < 0 for p in padding):
        raise RuntimeError(f"padding should be non-negative, but got padding={padding}")


def unfold(x: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """``F.unfold``: (N, C, H, W) -> (N, C*kh*kw, L), every sliding block as a column."""
    kernel, dilation = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    padding, stride = _pair(padding, "padding"), _pair(stride, "stride")
    if x.ndim not in (3, 4) or any(size == 0 for size in x.shape[1:]):
        raise RuntimeError("Expected 3D or 4D (batch mode) tensor with possibly 0 batch size and other "
                           f"non-zero dimensions for input, but got: {list(x.shape)}")
    _check_geometry(kernel, dilation, padding, stride)
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    blocks = _block_counts(x.shape[2:], kernel, dilation, padding, stride)
    if any(b < 1 for b in blocks):
        raise RuntimeError(f"Given input with spatial size {tuple(x.shape[2:])}, kernel_size={kernel}, "
                           f"dilation={dilation}, padding={padding}, calculated shape of the array of "
                           f"sliding blocks as {blocks}, but its components must be at least one.")
    if any(padding):
        x = _constant_pad(x, [(padding[1], padding[1]), (padding[0], padding[0])], 0.0)
    patches = win.windows(x, kernel, stride, dilation)  # (N, C, oh, ow, kh, kw)
    batch, channels = patches.shape[0], patches.shape[1]
    cols = patches.permute(0, 1, 4, 5, 2, 3).reshape(batch, channels * kernel[0] * kernel[1],
                                                     blocks[0] * blocks[1])
    return cols.squeeze(0) if unbatched else cols


def fold(x: Tensor, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """``F.fold``: (N, C*kh*kw, L) columns summed back into (N, C, *output_size), overlaps added."""
    output_size = _pair(output_size, "output_size")
    kernel, dilation = _pair(kernel_size, "kernel_size"), _pair(dilation, "dilation")
    padding, stride = _pair(padding, "padding"), _pair(stride, "stride")
    if x.ndim not in (2, 3) or any(size == 0 for size in x.shape[1:]):
        raise RuntimeError("Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size "
                           f"and non-zero dimensions for input, but got: {list(x.shape)}")
    _check_geometry(kernel, dilation, padding, stride)
    unbatched = x.ndim == 2
    if unbatched:
        x = x.unsqueeze(0)
    k = kernel[0] * kernel[1]
    if x.shape[1] % k:
        raise RuntimeError("Expected size of input's dimension 1 to be divisible by the product of "
                           f"kernel_size, but got input.size(1)={x.shape[1]} and kernel_size={kernel}.")
    blocks = _block_counts(output_size, kernel, dilation, padding, stride)
    geometry = (f"Given output_size={output_size}, kernel_size={kernel}, dilation={dilation}, "
                f"padding={padding}, stride={stride}, ")
    if any(b < 1 for b in blocks):
        raise RuntimeError(geometry + f"calculated shape of the array of sliding blocks as {blocks}, "
                           "but its components must be at least one.")
    if x.shape[2] != blocks[0] * blocks[1]:
        raise RuntimeError(geometry + "expected size of input's dimension 2 to match the calculated number "
                           f"of sliding blocks {blocks[0]} * {blocks[1]} = {blocks[0] * blocks[1]}, but got "
                           f"input.size(2)={x.shape[2]}.")
    batch, channels = x.shape[0], x.shape[1] // k
    patches = x.reshape(batch, channels, kernel[0], kernel[1], blocks[0], blocks[1]).permute(0, 1, 4, 5, 2, 3)
    padded = tuple(size + 2 * p for size, p in zip(output_size, padding))
    out = win.fold(patches, (batch, channels) + padded, kernel, stride, dilation)
    if any(padding):
        out = _constant_pad(out, [(-padding[1], -padding[1]), (-padding[0], -padding[0])], 0.0)
    return out.squeeze(0) if unbatched else out
