"""Rearranging channels and pixels: ``pixel_shuffle`` (sub-pixel upsampling), its inverse
``pixel_unshuffle``, and ``channel_shuffle`` (ShuffleNet's interleaving of channel groups). Each
is one reshape-permute-reshape, so its gradient is the inverse rearrangement."""
from __future__ import annotations

from ...api.tensor import Tensor


def pixel_shuffle(x: Tensor, upscale_factor: int) -> Tensor:
    """(*, C*r*r, H, W) -> (*, C, H*r, W*r)."""
    r = int(upscale_factor)
    if x.ndim < 3:
        raise RuntimeError("pixel_shuffle expects input to have at least 3 dimensions, but got input with "
                           f"{x.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_shuffle expects a positive upscale_factor, but got {r}")
    lead, (channels, height, width) = tuple(x.shape[:-3]), tuple(x.shape[-3:])
    if channels % (r * r):
        raise RuntimeError("pixel_shuffle expects its input's 'channel' dimension to be divisible by the square "
                           f"of upscale_factor, but input.size(-3)={channels} is not divisible by {r * r}")
    k = len(lead)
    out = x.reshape(lead + (channels // (r * r), r, r, height, width))
    out = out.permute(tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return out.reshape(lead + (channels // (r * r), height * r, width * r))


def pixel_unshuffle(x: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H*r, W*r) -> (*, C*r*r, H, W)."""
    r = int(downscale_factor)
    if x.ndim < 3:
        raise RuntimeError("pixel_unshuffle expects input to have at least 3 dimensions, but got input with "
                           f"{x.ndim} dimension(s)")
    if r <= 0:
        raise RuntimeError(f"pixel_unshuffle expects a positive downscale_factor, but got {r}")
    lead, (channels, height, width) = tuple(x.shape[:-3]), tuple(x.shape[-3:])
    if height % r:
        raise RuntimeError("pixel_unshuffle expects height to be divisible by downscale_factor, but "
                           f"input.size(-2)={height} is not divisible by {r}")
    if width % r:
        raise RuntimeError("pixel_unshuffle expects width to be divisible by downscale_factor, but "
                           f"input.size(-1)={width} is not divisible by {r}")
    k = len(lead)
    out = x.reshape(lead + (channels, height // r, r, width // r, r))
    out = out.permute(tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return out.reshape(lead + (channels * r * r, height // r, width // r))


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """(N, C, *) with the C/groups channels of each group interleaved: channel ``g*(C/groups) + i``
    moves to ``i*groups + g``."""
    groups = int(groups)
    if x.ndim <= 2:
        raise RuntimeError(f"channel_shuffle expects input with > 2 dims, but got input with sizes {list(x.shape)}")
    if groups <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value of groups:{groups}")
    channels = x.shape[1]
    if channels % groups:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {channels} channels and "
                           f"{groups} groups.")
    rest = tuple(x.shape[2:])
    out = x.reshape((x.shape[0], groups, channels // groups) + rest).transpose(1, 2)
    return out.reshape((x.shape[0], channels) + rest)
