"""Convolutions as im2col (a strided ``windows`` view) plus one batched matmul.

The gradient needs no special code: it flows through matmul, the copy that materialises the
columns, and ``windows``, whose adjoint ``fold`` is col2im.
"""
from __future__ import annotations

from ...api.autocast_state import autocast_op
from ...api.ops import linalg, shape as sh, windows as win
from ...api.ops.support import expand_buf, grad_state
from ...api.tensor import Tensor
from ...autograd.composite import presents_as
from ...autograd.function import Function
from .padding import pad


def _tuple(value, n: int, name: str) -> tuple:
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) != n:
        raise ValueError(f"expected {name} to be a single integer or a tuple of {n}, got {value}")
    return value


def _same_padding(kernel, dilation) -> tuple:
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple((t // 2, t - t // 2) for t in total)


def _padded(x: Tensor, padding, kernel, dilation, n: int) -> Tensor:
    if isinstance(padding, str):
        if padding == "valid":
            return x
        if padding != "same":
            raise ValueError(f"Invalid padding string {padding!r}, should be one of 'valid', 'same'")
        pairs = _same_padding(kernel, dilation)
    else:
        pairs = tuple((p, p) for p in _tuple(padding, n, "padding"))
    if not any(a or b for a, b in pairs):
        return x
    flat = []
    for before, after in reversed(pairs):  # F.pad lists the last dim first
        flat += [before, after]
    return pad(x, flat)


def _check(x: Tensor, weight: Tensor, groups: int, n: int, name: str) -> None:
    if x.ndim != n + 2:
        raise RuntimeError(f"{name}: expected {n + 2}-D input (batched), got input of shape "
                           f"{list(x.shape)}")
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(
            f"{name}: Given groups={groups}, weight of size {list(weight.shape)}, expected input"
            f"{list(x.shape)} to have {weight.shape[1] * groups} channels, but got {x.shape[1]} "
            "channels instead")
    if weight.shape[0] % groups:
        raise RuntimeError(f"{name}: out_channels ({weight.shape[0]}) must be divisible by groups ({groups})")


class _Im2colProduct(Function):
    """``cols(x) @ w^T`` for channels-last ``x`` (N, *spatial, C): the core of a convolution.

    The backward forms the input gradient kernel-offset-major, ``(G, k, N*out, C/G)``, so that
    col2im (``fold``) adds contiguous channel-last runs; autograd through the forward's own
    layout would add along strided memory instead.
    """

    @staticmethod
    def forward(ctx, x_last: Tensor, weight: Tensor, kernel, stride, dilation, groups: int):
        n = len(kernel)
        to_first = (0, n + 1) + tuple(range(1, n + 1))
        patches = win.windows(x_last.permute(to_first), kernel, stride, dilation)  # (N, C, *out, *k)
        batch, channels = patches.shape[0], patches.shape[1]
        out_sizes = tuple(patches.shape[2:2 + n])
        positions, k = 1, 1
        for size in out_sizes:
            positions *= size
        for size in kernel:
            k *= size
        per_group, out_channels = channels // groups, weight.shape[0]
        cols = patches.reshape((batch, groups, per_group) + out_sizes + kernel)
        cols = cols.permute((1, 0) + tuple(range(3, 3 + 2 * n)) + (2,))  # (G, N, *out, *k, C/G)
        cols = cols.reshape(groups, batch * positions, k * per_group)
        w = weight.reshape((groups, out_channels // groups, per_group) + kernel)
        w = w.permute((0, 1) + tuple(range(3, 3 + n)) + (2,)).reshape(groups, out_channels // groups,
                                                                       k * per_group)
        ctx.save_for_backward(cols, weight)
        ctx.geometry = (tuple(x_last.shape), kernel, stride, dilation, groups, out_sizes, k)
        if groups == 1:  # one GEMM: (O, kC) @ (kC, N*out) -> (O, N*out)
            return linalg.matmul(w[0], cols[0].t())
        return linalg.matmul(cols, w.transpose(1, 2))  # (G, N*out, O/G)

    @staticmethod
    def backward(ctx, g: Tensor):
        cols, weight = ctx.saved_tensors
        last_shape, kernel, stride, dilation, groups, out_sizes, k = ctx.geometry
        n = len(kernel)
        batch, channels = last_shape[0], last_shape[-1]
        per_group, out_channels = channels // groups, weight.shape[0]
        first_shape = (batch, channels) + tuple(last_shape[1:-1])
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        if groups == 1:
            # g is (O, N*out). Two plain GEMMs: the weight gradient, and the column gradient
            # laid out (k, C, N, out), whose fold adds contiguous rows into channels-first memory.
            g_t = g.contiguous()
            g_w = linalg.matmul(g_t, cols[0]).unsqueeze(0) if need_w else None  # (1, O, k*C)
            if not need_x:  # e.g. the first layer of a network: no col2im at all
                return None, _weight_grad(g_w, weight, kernel, groups, per_group, out_channels), \
                    None, None, None, None
            if g_t._backend.fold is None and all(st == 1 for st in stride):  # no col2im kernel
                g_first = _stride_one_input_grad(g_t, weight, first_shape, kernel, dilation, out_sizes)
            else:
                w_rows = weight.permute((0,) + tuple(range(2, 2 + n)) + (1,)).reshape(out_channels, k * channels)
                g_cols = linalg.matmul(w_rows.t(), g_t)  # (k*C, N*out)
                g_cols = g_cols.reshape(kernel + (channels, batch) + out_sizes)
                order = (n + 1, n) + tuple(range(n + 2, 2 * n + 2)) + tuple(range(n))
                patches = g_cols.permute(order)  # logical (N, C, *out, *k)
                g_first = win.fold(patches, first_shape, kernel, stride, dilation)
        else:
            w_k = weight.reshape(groups, out_channels // groups, per_group, k).permute(0, 3, 1, 2).contiguous()
            g_w = linalg.matmul(g.transpose(1, 2), cols)  # (G, O/G, k*C/G), kernel-major columns
            g_cols = linalg.matmul(g.unsqueeze(1), w_k)  # (G, k, N*out, C/G)
            g_cols = g_cols.reshape((groups,) + kernel + (batch,) + out_sizes + (per_group,))
            # logical (N, G, C/G, *out, *k) over kernel-major memory
            order = (n + 1, 0, 2 * n + 2) + tuple(range(n + 2, 2 * n + 2)) + tuple(range(1, n + 1))
            patches = g_cols.permute(order).reshape((batch, channels) + out_sizes + kernel)
            memory = (0,) + tuple(range(2, 2 + n)) + (1,)  # channels-last
            g_first = win.fold(patches, first_shape, kernel, stride, dilation, memory)
        g_last = g_first.permute((0,) + tuple(range(2, 2 + n)) + (1,)) if need_x else None
        return g_last, _weight_grad(g_w, weight, kernel, groups, per_group, out_channels) if need_w else None, \
            None, None, None, None


def _stride_one_input_grad(g_t: Tensor, weight: Tensor, first_shape, kernel, dilation, out_sizes) -> Tensor:
    """The (N, C, *spatial) input gradient of a stride-1, one-group convolution from its output
    gradient ``g_t`` (O, N*out), without a strided col2im.

    The output gradient is zero-padded to the input's row pitch (every spatial dim but the first
    made full size), so that in the column gradient (k, C, N, pitched plane) each kernel offset's
    contribution to the input is one shifted, contiguous run per (channel, image): k long adds
    instead of k adds over short rows. The padding columns hold zeros, so the runs may wrap.
    """
    n = len(kernel)
    batch, channels, spatial = first_shape[0], first_shape[1], tuple(first_shape[2:])
    out_channels = weight.shape[0]
    pitch = [1] * n  # C-order strides of the input plane
    for i in range(n - 2, -1, -1):
        pitch[i] = pitch[i + 1] * spatial[i + 1]
    g_rows = g_t.reshape((out_channels, batch) + tuple(out_sizes))
    widths = []
    for i in range(n - 1, 0, -1):  # F.pad lists the last dim first; the first spatial dim stays
        widths += [0, spatial[i] - out_sizes[i]]
    if any(widths):
        g_rows = pad(g_rows, widths)
    source_plane = out_sizes[0] * pitch[0]
    k = 1
    for size in kernel:
        k *= size
    w_cols = weight.permute(tuple(range(2, 2 + n)) + (1, 0)).reshape(k * channels, out_channels)
    g_cols = linalg.matmul(w_cols, g_rows.reshape(out_channels, batch * source_plane))
    g_cols = g_cols.reshape(k, channels, batch, source_plane)
    shifts = [sum(o * d * p for o, d, p in zip(offset, dilation, pitch)) for offset in win.kernel_offsets(kernel)]
    length = sum((o - 1) * p for o, p in zip(out_sizes, pitch)) + 1  # up to the last real element
    return _shifted_sum(g_cols, first_shape, shifts, length)


def _shifted_sum(parts: Tensor, shape, shifts, length: int) -> Tensor:
    """``out`` of ``shape`` (N, C, *plane) with ``out[n, c].flat[s_i : s_i + length] +=
    parts[i, c, n, :length]`` for every shift ``s_i``; its adjoint slices those runs back out."""
    b = parts._backend
    batch, channels = shape[0], shape[1]
    plane = 1
    for size in shape[2:]:
        plane *= size
    buf = b.full(tuple(shape), 0, parts._dtype)
    source = parts._buf if parts.is_contiguous() else parts.contiguous()._buf
    source_plane = parts.shape[3]
    run_shape = (channels, batch, length)
    for i, shift in enumerate(shifts):
        target = b.as_strided(buf, run_shape, (plane, channels * plane, 1), shift)
        run = b.as_strided(source, run_shape, (batch * source_plane, source_plane, 1),
                           i * channels * batch * source_plane)
        b.add(target, run, out=target)
    out = Tensor._make(buf, parts._dtype, parts._device, b)
    if parts._requires_grad and grad_state.enabled:
        def backward(g):
            rows = g.reshape(batch, channels, plane).transpose(0, 1)  # (C, N, plane)
            runs = sh.stack([rows[:, :, shift:shift + length] for shift in shifts])
            return (pad(runs, [0, source_plane - length]),)
        out._attach("ShiftedSumBackward", backward, (parts,))
    return out


def _weight_grad(g_w, weight, kernel, groups, per_group, out_channels):
    """(G, O/G, k*C/G) kernel-major columns -> the weight's (O, C/G, *kernel) layout."""
    if g_w is None:
        return None
    n = len(kernel)
    g_w = g_w.reshape((groups, out_channels // groups) + kernel + (per_group,))
    return g_w.permute((0, 1, 2 + n) + tuple(range(2, 2 + n))).reshape(weight.shape)


def _convnd(x: Tensor, weight: Tensor, bias, stride, padding, dilation, groups: int, n: int,
            name: str) -> Tensor:
    unbatched = x.ndim == n + 1
    if unbatched:
        x = x.unsqueeze(0)
    _check(x, weight, groups, n, name)
    kernel = tuple(weight.shape[2:])
    stride, dilation = _tuple(stride, n, "stride"), _tuple(dilation, n, "dilation")
    batch, out_channels = x.shape[0], weight.shape[0]
    # Work channels-last: im2col copies contiguous runs of channels.
    x_last = _padded_last(x.permute((0,) + tuple(range(2, 2 + n)) + (1,)), padding, kernel, dilation, n)
    out = _Im2colProduct.apply(x_last, weight, kernel, stride, dilation, groups)
    out_sizes = tuple((size - d * (ks - 1) - 1) // st + 1
                      for size, ks, st, d in zip(x_last.shape[1:-1], kernel, stride, dilation))
    if groups == 1:  # (O, N*out) -> (N, O, *out); the copy below moves whole contiguous rows
        out = out.reshape((out_channels, batch) + out_sizes).transpose(0, 1)
    else:  # (G, N*out, O/G) -> (N, O, *out)
        out = out.reshape((groups, batch) + out_sizes + (out_channels // groups,))
        out = out.permute((1, 0, 2 + n) + tuple(range(2, 2 + n))).reshape((batch, out_channels) + out_sizes)
    out = _contiguous_plus_bias(out, bias)  # NCHW memory, so .view() after a conv works as in PyTorch
    return out.squeeze(0) if unbatched else out


def _contiguous_plus_bias(x: Tensor, bias) -> Tensor:
    """``x.contiguous() + bias`` (bias per channel, dim 1) in one pass: the add writes straight
    into a new C-contiguous buffer."""
    if bias is None:
        return x.contiguous()
    if bias.ndim != 1 or bias.shape[0] != x.shape[1] or bias.dtype is not x.dtype or bias.device != x.device:
        return x.contiguous() + bias.reshape((1, -1) + (1,) * (x.ndim - 2))  # general path
    b = x._backend
    shaped = bias.reshape((1, -1) + (1,) * (x.ndim - 2))
    addend = shaped._buf if b.native_broadcasting else expand_buf(shaped, x._buf.shape)
    buf = b.empty(x._buf.shape, x._dtype)
    b.add(x._buf, addend, out=buf)
    out = Tensor._make(buf, x._dtype, x._device, b)
    if (x._requires_grad or bias._requires_grad) and grad_state.enabled:
        dims, need_bias = (0,) + tuple(range(2, x.ndim)), bias._requires_grad
        out._attach("AddBackward0", lambda g: (g, g.sum(dims) if need_bias else None), (x, bias))
    return out


def _padded_last(x_last: Tensor, padding, kernel, dilation, n: int) -> Tensor:
    """Channels-last input (N, *spatial, C), zero-padded and contiguous."""
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise ValueError(f"Invalid padding string {padding!r}, should be one of 'valid', 'same'")
        pairs = _same_padding(kernel, dilation) if padding == "same" else ((0, 0),) * n
    else:
        pairs = tuple((p, p) for p in _tuple(padding, n, "padding"))
    if not any(a or b for a, b in pairs):
        return x_last.contiguous()
    flat = [0, 0]
    for before, after in reversed(pairs):
        flat += [before, after]
    return pad(x_last, flat)


@presents_as("ConvolutionBackward0", "x", "weight", "bias")
@autocast_op("conv1d")
def conv1d(x: Tensor, weight: Tensor, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    return _convnd(x, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


@presents_as("ConvolutionBackward0", "x", "weight", "bias")
@autocast_op("conv2d")
def conv2d(x: Tensor, weight: Tensor, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation) of ``x`` (N, C, H, W) with ``weight`` (O, C/groups, kh, kw)."""
    return _convnd(x, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


@presents_as("ConvolutionBackward0", "x", "weight", "bias")
@autocast_op("conv_transpose2d")
def conv_transpose2d(x: Tensor, weight: Tensor, bias=None, stride=1, padding=0, output_padding=0,
                     groups: int = 1, dilation=1) -> Tensor:
    """Transposed convolution: the gradient of ``conv2d`` with respect to its input."""
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    stride, padding = _tuple(stride, 2, "stride"), _tuple(padding, 2, "padding")
    output_padding, dilation = _tuple(output_padding, 2, "output_padding"), _tuple(dilation, 2, "dilation")
    batch, in_channels, height, width = x.shape
    if weight.shape[0] != in_channels:
        raise RuntimeError(f"conv_transpose2d: weight of size {list(weight.shape)} expects "
                           f"{weight.shape[0]} input channels, got input of shape {list(x.shape)}")
    per_group_out, kh, kw = weight.shape[1], weight.shape[2], weight.shape[3]
    per_group_in = in_channels // groups
    full_h = (height - 1) * stride[0] + dilation[0] * (kh - 1) + 1 + output_padding[0]
    full_w = (width - 1) * stride[1] + dilation[1] * (kw - 1) + 1 + output_padding[1]
    rows = x.reshape(batch, groups, per_group_in, height * width).permute(1, 0, 3, 2)
    rows = rows.reshape(groups, batch * height * width, per_group_in)
    w = weight.reshape(groups, per_group_in, per_group_out * kh * kw)
    cols = linalg.matmul(rows, w)  # (G, N*H*W, O/G*kh*kw)
    cols = cols.reshape(groups, batch, height, width, per_group_out, kh, kw)
    cols = cols.permute(1, 0, 4, 2, 3, 5, 6).reshape(batch, groups * per_group_out, height, width, kh, kw)
    out = win.fold(cols, (batch, groups * per_group_out, full_h, full_w), (kh, kw), stride, dilation)
    out = out[:, :, padding[0]:full_h - padding[0] if padding[0] else None,
              padding[1]:full_w - padding[1] if padding[1] else None]
    out = out.contiguous()
    if bias is not None:
        out = out + bias.reshape(1, -1, 1, 1)
    return out.squeeze(0) if unbatched else out


def unfold(x: Tensor, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:
    """``F.unfold``: (N, C*kh*kw, L) sliding local blocks."""
    kernel = _tuple(kernel_size, 2, "kernel_size")
    dilation, stride = _tuple(dilation, 2, "dilation"), _tuple(stride, 2, "stride")
    x = _padded(x, padding, kernel, dilation, 2)
    patches = win.windows(x, kernel, stride, dilation)  # (N, C, oh, ow, kh, kw)
    n, c, oh, ow = patches.shape[:4]
    return patches.permute(0, 1, 4, 5, 2, 3).reshape(n, c * kernel[0] * kernel[1], oh * ow)
