"""Convolutions over 1, 2 or 3 spatial dims as im2col (a strided ``windows`` view) plus one
batched matmul, and transposed convolutions as one matmul plus col2im (``fold``).

The gradients need no special code: they flow through matmul, the copy that materialises the
columns, and ``windows``, whose adjoint is ``fold``.
"""
from __future__ import annotations

from ...api.autocast_state import autocast_op
from ...api.ops import linalg, shape as sh, windows as win
from ...api.ops.support import expand_buf, grad_state
from ...api.tensor import Tensor
from ...autograd.composite import presents_as
from ...autograd.function import Function
from .padding import _constant_pad, pad


def _tuple(value, n: int, name: str) -> tuple:
    if isinstance(value, int):
        return (value,) * n
    value = tuple(value)
    if len(value) == 1 and n > 1:
        return value * n
    if len(value) != n:
        raise RuntimeError(f"expected {name} to be a single integer value or a list of {n} values to "
                           f"match the convolution dimensions, but got {name}={list(value)}")
    return value


def _same_padding(kernel, dilation) -> tuple:
    total = [d * (k - 1) for k, d in zip(kernel, dilation)]
    return tuple((t // 2, t - t // 2) for t in total)


_SCALAR_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "bfloat16": "BFloat16",
                      "int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
                      "bool": "Bool"}


def scalar_type_name(dtype) -> str:
    """PyTorch's C++ name of a dtype, as its error messages print it (float32 -> Float)."""
    return _SCALAR_TYPE_NAMES.get(dtype.name, dtype.name.capitalize())


def _batched(x: Tensor, n: int, name: str) -> tuple:
    """``x`` with a batch dim, and whether one was added (PyTorch takes unbatched input)."""
    if x.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to {name}, "
                           f"but got input of size: {list(x.shape)}")
    return (x.unsqueeze(0), True) if x.ndim == n + 1 else (x, False)


def _check_geometry(stride, padding, dilation, groups: int) -> None:
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if not isinstance(padding, str) and any(p < 0 for p in padding):
        raise RuntimeError("negative padding is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")


def _check_operands(x: Tensor, weight: Tensor, bias, groups: int, n: int, transposed: bool) -> None:
    """PyTorch's checks of a (batched) convolution's input, weight and bias, with its messages."""
    if weight.ndim != n + 2:
        raise RuntimeError(f"expected weight to be {n + 2}-D for a {n}-d convolution, but got weight "
                           f"of size {list(weight.shape)}")
    if weight.shape[0] % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} at "
                           f"dimension 0, but got weight of size [{list(weight.shape)}] instead")
    if transposed:
        expected, out_channels, given = weight.shape[0], weight.shape[1] * groups, "transposed=1"
    else:
        expected, out_channels, given = weight.shape[1] * groups, weight.shape[0], f"groups={groups}"
    if x.shape[1] != expected:
        raise RuntimeError(f"Given {given}, weight of size {list(weight.shape)}, expected input"
                           f"{list(x.shape)} to have {expected} channels, but got {x.shape[1]} "
                           "channels instead")
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out_channels):
        prefix = "Given transposed=1, weight" if transposed else "Given weight"
        raise RuntimeError(f"{prefix} of size {list(weight.shape)}, expected bias to be 1-dimensional "
                           f"with {out_channels} elements, but got bias of size {list(bias.shape)} "
                           "instead")
    if x.dtype is not weight.dtype:
        raise RuntimeError(f"expected scalar type {scalar_type_name(x.dtype)} but found "
                           f"{scalar_type_name(weight.dtype)}")
    if bias is not None and bias.dtype is not x.dtype:
        raise RuntimeError(f"Input type ({scalar_type_name(x.dtype).lower()}) and bias type "
                           f"({scalar_type_name(bias.dtype).lower()}) should be the same")


def _padding_pairs(padding, kernel, dilation, stride, n: int) -> tuple:
    """(before, after) zero padding per spatial dim, for an int/tuple or 'same'/'valid'."""
    if isinstance(padding, str):
        if padding not in ("valid", "same"):
            raise RuntimeError(f"Invalid padding string: {padding!r}")
        if padding == "valid":
            return ((0, 0),) * n
        if any(s != 1 for s in stride):
            raise RuntimeError("padding='same' is not supported for strided convolutions")
        return _same_padding(kernel, dilation)
    return tuple((p, p) for p in padding)


class _Im2colProduct(Function):
    """``cols(x) @ w^T`` for channels-last ``x`` (N, *spatial, C): the core of a convolution.

    The backward forms the input gradient kernel-offset-major, ``(G, k, N*out, C/G)``, so that
    col2im (``fold``) adds contiguous channel-last runs; autograd through the forward's own
    layout would add along strided memory instead.
    """

    @staticmethod
    def forward(ctx, x_last: Tensor, weight: Tensor, kernel, stride, dilation, groups: int):
        n = len(kernel)
        cols, out_sizes, k = _columns(x_last, kernel, stride, dilation, groups)
        per_group, out_channels = x_last.shape[-1] // groups, weight.shape[0]
        w = weight.reshape((groups, out_channels // groups, per_group) + kernel)
        w = w.permute((0, 1) + tuple(range(3, 3 + n)) + (2,)).reshape(groups, out_channels // groups,
                                                                       k * per_group)
        # the input is kept too: a double backward rebuilds the columns from it, differentiably
        ctx.save_for_backward(cols, weight, x_last)
        ctx.geometry = (tuple(x_last.shape), kernel, stride, dilation, groups, out_sizes, k)
        if groups == 1:  # one GEMM: (O, kC) @ (kC, N*out) -> (O, N*out)
            return linalg.matmul(w[0], cols[0].t())
        return linalg.matmul(cols, w.transpose(1, 2))  # (G, N*out, O/G)

    @staticmethod
    def backward(ctx, g: Tensor):
        cols, weight, x_last = ctx.saved_tensors
        last_shape, kernel, stride, dilation, groups, out_sizes, k = ctx.geometry
        if grad_state.enabled and x_last.requires_grad:  # create_graph: the weight's gradient
            cols = _columns(x_last, kernel, stride, dilation, groups)[0]  # depends on the input
        n = len(kernel)
        batch, channels = last_shape[0], last_shape[-1]
        per_group, out_channels = channels // groups, weight.shape[0]
        first_shape = (batch, channels) + tuple(last_shape[1:-1])
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        if groups == 1:
            # g is (O, N*out). Two plain GEMMs: the weight gradient, and the column gradient
            # laid out (k, C, N, out), whose fold adds contiguous rows into channels-first memory.
            strided_primitive = g._backend.fold is None and need_x and any(st > 1 for st in stride)
            # the strided col2im from primitives wants the output gradient as rows (N*out, O);
            # the weight's gradient takes them transposed (free for a GEMM)
            g_t = g.t().contiguous().t() if strided_primitive else g.contiguous()
            g_w = linalg.matmul(g_t, cols[0]).unsqueeze(0) if need_w else None  # (1, O, k*C)
            if not need_x:  # e.g. the first layer of a network: no col2im at all
                return None, _weight_grad(g_w, weight, kernel, groups, per_group, out_channels), \
                    None, None, None, None
            if g_t._backend.fold is None and all(st == 1 for st in stride):  # no col2im kernel
                g_first = _stride_one_input_grad(g_t, weight, first_shape, kernel, dilation, out_sizes)
            elif strided_primitive:
                g_first = _strided_input_grad(g_t, weight, first_shape, kernel, stride, dilation, out_sizes)
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


def _columns(x_last: Tensor, kernel, stride, dilation, groups: int):
    """im2col of channels-last ``x_last`` (N, *spatial, C): ``(G, N*out, k*C/G)`` columns, kernel
    offset major, with the output sizes and the kernel's element count."""
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
    per_group = channels // groups
    cols = patches.reshape((batch, groups, per_group) + out_sizes + kernel)
    cols = cols.permute((1, 0) + tuple(range(3, 3 + 2 * n)) + (2,))  # (G, N, *out, *k, C/G)
    return cols.reshape(groups, batch * positions, k * per_group), out_sizes, k


class _ScatterProduct(Function):
    """``fold(rows(x) @ w)`` cropped by ``padding``: a one-group transposed convolution of ``x``
    (N, C, *in) for backends without a ``fold`` kernel; the result is channels-last in memory.

    The columns are formed as ``_scattered_columns`` lays them out (kernel-offset-major when
    the channel count pays, so that fold adds whole rows of channels). The backward is the
    matching convolution: one im2col of the channels-last output gradient serves both GEMMs
    (input and weight gradients).
    """

    @staticmethod
    def forward(ctx, x: Tensor, weight: Tensor, kernel, stride, padding, output_padding, dilation):
        n = len(kernel)
        batch, in_sizes = x.shape[0], tuple(x.shape[2:])
        out_channels = weight.shape[1]
        k = 1
        for size in kernel:
            k *= size
        rows = _rows(x)
        patches = _scattered_columns(rows, weight, (batch,) + in_sizes, kernel, k)
        folded = tuple((i - 1) * st + dl * (ks - 1) + 1 for i, st, dl, ks in zip(in_sizes, stride, dilation, kernel))
        memory = (0,) + tuple(range(2, 2 + n)) + (1,)  # channels-last
        out = win.fold(patches, (batch, out_channels) + folded, kernel, stride, dilation, memory)
        out = _without_padding(out, padding, output_padding)
        ctx.save_for_backward(rows, weight, x)
        ctx.geometry = (kernel, stride, padding, output_padding, dilation)
        return out

    @staticmethod
    def backward(ctx, g: Tensor):
        rows, weight, x = ctx.saved_tensors
        kernel, stride, padding, output_padding, dilation = ctx.geometry
        if grad_state.enabled and x.requires_grad:  # create_graph: the weight's gradient
            rows = _rows(x)  # depends on the input
        n = len(kernel)
        batch, in_channels, in_sizes = x.shape[0], x.shape[1], tuple(x.shape[2:])
        out_channels = weight.shape[1]
        need_x, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        # the output gradient channels-last, padded back to the folded extent
        pairs = tuple((p, p - op) for p, op in zip(padding, output_padding))
        g_last = _padded_last(g.permute((0,) + tuple(range(2, 2 + n)) + (1,)), pairs)
        cols = _columns(g_last, kernel, stride, dilation, 1)[0][0]  # (N*in, k*O)
        g_x = g_w = None
        if need_x:
            # (C, k*O) gathers short runs of the weight; its transpose is free for the GEMM
            w_rows = weight.permute((0,) + tuple(range(2, 2 + n)) + (1,)).reshape(in_channels, cols.shape[1])
            g_x = linalg.matmul(cols, w_rows.t()).reshape((batch,) + in_sizes + (in_channels,))
            g_x = g_x.permute((0, n + 1) + tuple(range(1, n + 1)))
        if need_w:
            g_w = linalg.matmul(rows[0].t(), cols)  # (C, k*O)
            g_w = g_w.reshape((in_channels,) + kernel + (out_channels,))
            g_w = g_w.permute((0, n + 1) + tuple(range(1, n + 1)))
        return g_x, g_w, None, None, None, None, None


#: channel counts for kernel-offset-major columns (measured): below, a GEMM per kernel offset
#: is too narrow for BLAS to pay for the faster col2im; above, fold's strided adds already run
#: along long enough rows of channels that one GEMM over all offsets wins
_KERNEL_MAJOR_CHANNELS = range(8, 129)


def _scattered_columns(rows: Tensor, weight: Tensor, lead, kernel, k: int) -> Tensor:
    """``rows`` (1, N*positions, C) times ``weight`` (C, O, *kernel) as patches (N, O, *positions,
    *kernel) for ``fold``, with ``lead`` = (N, *positions). Kernel-offset-major in memory (one
    GEMM per offset) for channel counts where that pays, so fold adds whole rows of channels."""
    n = len(kernel)
    in_channels, out_channels = weight.shape[0], weight.shape[1]
    if out_channels in _KERNEL_MAJOR_CHANNELS:
        w_taps = weight.permute(tuple(range(2, 2 + n)) + (0, 1)).reshape(k, in_channels, out_channels)
        cols = linalg.matmul(rows, w_taps).reshape(kernel + tuple(lead) + (out_channels,))
        return cols.permute((n, 2 * n + 1) + tuple(range(n + 1, 2 * n + 1)) + tuple(range(n)))
    w_cols = weight.permute((0,) + tuple(range(2, 2 + n)) + (1,)).reshape(1, in_channels, k * out_channels)
    cols = linalg.matmul(rows, w_cols).reshape(tuple(lead) + kernel + (out_channels,))
    return cols.permute((0, 2 * n + 1) + tuple(range(1, 2 * n + 1)))


def _rows(x: Tensor) -> Tensor:
    """(N, C, *spatial) -> (1, N*positions, C): every position's channels as one row."""
    n = x.ndim - 2
    return x.permute((0,) + tuple(range(2, 2 + n)) + (1,)).reshape(1, -1, x.shape[1])


def _without_padding(x: Tensor, padding, output_padding) -> Tensor:
    """A transposed convolution's folded output (N, C, *spatial) with ``padding`` cropped;
    ``output_padding`` beyond it adds zero rows after the last input's reach."""
    pairs = [(-p, op - p) for p, op in zip(padding, output_padding)]
    if not any(a or b for a, b in pairs):
        return x
    if any(b > 0 for _, b in pairs):
        return _constant_pad(x, list(reversed(pairs)), 0.0)
    return _cropped(x, padding, output_padding)


def _cropped(x: Tensor, padding, output_padding) -> Tensor:
    """``x`` (N, C, *spatial) without ``padding[i]`` leading and ``padding[i] - output_padding[i]``
    trailing elements of spatial dim i (a view; the caller checks the latter is not negative)."""
    for i, (p, op) in enumerate(zip(padding, output_padding)):
        if p or op:
            x = x.narrow(2 + i, p, x.shape[2 + i] - 2 * p + op)
    return x


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


def _strided_input_grad(g_t: Tensor, weight: Tensor, first_shape, kernel, stride, dilation,
                        out_sizes) -> Tensor:
    """The (N, C, *spatial) input gradient, channels-last in memory, of a strided one-group
    convolution from its output gradient ``g_t`` (O, N*out), by col2im from primitives.

    The column gradient is formed as ``_scattered_columns`` lays it out, (k, N*out, C) when
    the channel count pays, so each offset's block adds along whole rows of channels.
    """
    n = len(kernel)
    batch = first_shape[0]
    k = 1
    for size in kernel:
        k *= size
    g_rows = g_t.t().contiguous().unsqueeze(0)  # (1, N*out, O); no copy when g_t is rows transposed
    # the input gradient is the transposed convolution of g_t with the same weight
    patches = _scattered_columns(g_rows, weight, (batch,) + tuple(out_sizes), kernel, k)
    memory = (0,) + tuple(range(2, 2 + n)) + (1,)  # channels-last
    return win.fold(patches, first_shape, kernel, stride, dilation, memory)


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
    x, unbatched = _batched(x, n, name)
    stride, dilation = _tuple(stride, n, "stride"), _tuple(dilation, n, "dilation")
    padding = padding if isinstance(padding, str) else _tuple(padding, n, "padding")
    _check_geometry(stride, padding, dilation, groups)
    _check_operands(x, weight, bias, groups, n, transposed=False)
    kernel = tuple(weight.shape[2:])
    pairs = _padding_pairs(padding, kernel, dilation, stride, n)
    padded = tuple(size + a + b for size, (a, b) in zip(x.shape[2:], pairs))
    spans = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(p < s for p, s in zip(padded, spans)):
        raise RuntimeError(f"Calculated padded input size per channel: ({' x '.join(map(str, padded))}). "
                           f"Kernel size: ({' x '.join(map(str, spans))}). Kernel size can't be greater "
                           "than actual input size")
    batch, out_channels = x.shape[0], weight.shape[0]
    # Work channels-last: im2col copies contiguous runs of channels.
    x_last = _padded_last(x.permute((0,) + tuple(range(2, 2 + n)) + (1,)), pairs)
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


def _padded_last(x_last: Tensor, pairs) -> Tensor:
    """Channels-last input (N, *spatial, C), zero-padded by ``pairs`` and contiguous."""
    if not any(a or b for a, b in pairs):
        return x_last.contiguous()
    flat = [0, 0]
    for before, after in reversed(pairs):
        flat += [before, after]
    return pad(x_last, flat)


@presents_as("ConvolutionBackward0", "x", "weight", "bias")
@autocast_op("conv1d")
def conv1d(x: Tensor, weight: Tensor, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """1-D convolution (cross-correlation) of ``x`` (N, C, L) with ``weight`` (O, C/groups, k)."""
    return _convnd(x, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


@presents_as("ConvolutionBackward0", "x", "weight", "bias")
@autocast_op("conv2d")
def conv2d(x: Tensor, weight: Tensor, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """2-D convolution (cross-correlation) of ``x`` (N, C, H, W) with ``weight`` (O, C/groups, kh, kw)."""
    return _convnd(x, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


@presents_as("ConvolutionBackward0", "x", "weight", "bias")
@autocast_op("conv3d")
def conv3d(x: Tensor, weight: Tensor, bias=None, stride=1, padding=0, dilation=1, groups: int = 1) -> Tensor:
    """3-D convolution (cross-correlation) of ``x`` (N, C, D, H, W) with ``weight``
    (O, C/groups, kd, kh, kw)."""
    return _convnd(x, weight, bias, stride, padding, dilation, groups, 3, "conv3d")


_DIM_NAMES = {2: ("height", "width"), 3: ("depth", "height", "width")}


def _as_planar(values, n: int, fill: int) -> tuple:
    """PyTorch reports a 1-d transposed convolution as a 2-d one of height 1."""
    return ((fill,) + tuple(values)) if n == 1 else tuple(values)


def _conv_transposend(x: Tensor, weight: Tensor, bias, stride, padding, output_padding, groups: int,
                      dilation, n: int, name: str) -> Tensor:
    """Transposed convolution: each input position scatters ``weight`` times its value into the
    output (one GEMM), and ``fold`` (col2im) adds the overlapping patches."""
    x, unbatched = _batched(x, n, name)
    stride, padding = _tuple(stride, n, "stride"), _tuple(padding, n, "padding")
    output_padding, dilation = _tuple(output_padding, n, "output_padding"), _tuple(dilation, n, "dilation")
    _check_geometry(stride, padding, dilation, groups)
    _check_operands(x, weight, bias, groups, n, transposed=True)
    if any(op >= st and op >= dl for op, st, dl in zip(output_padding, stride, dilation)):
        names = _DIM_NAMES[max(n, 2)]
        parts = [f"output_padding_{nm}: {v}" for nm, v in zip(names, _as_planar(output_padding, n, 0))]
        parts += [f"stride_{nm}: {v}" for nm, v in zip(names, _as_planar(stride, n, 1))]
        parts += [f"dilation_{nm}: {v}" for nm, v in zip(names, _as_planar(dilation, n, 1))]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but got "
                           + " ".join(parts))
    kernel, in_sizes = tuple(weight.shape[2:]), tuple(x.shape[2:])
    folded = tuple((i - 1) * st + dl * (k - 1) + 1 for i, st, dl, k in zip(in_sizes, stride, dilation, kernel))
    out_sizes = tuple(f + op - 2 * p for f, op, p in zip(folded, output_padding, padding))
    if any(o <= 0 for o in out_sizes):
        raise RuntimeError(f"Given input size per channel: ({' x '.join(map(str, _as_planar(in_sizes, n, 1)))}). "
                           f"Calculated output size per channel: "
                           f"({' x '.join(map(str, _as_planar(out_sizes, n, 1)))}). Output size is too small")
    batch, in_channels = x.shape[0], x.shape[1]
    per_group_in, per_group_out = in_channels // groups, weight.shape[1]
    positions, k = 1, 1
    for size in in_sizes:
        positions *= size
    for size in kernel:
        k *= size
    if groups == 1 and x._backend.fold is None:
        out = _ScatterProduct.apply(x, weight, kernel, stride, padding, output_padding, dilation)
        out = _contiguous_plus_bias(out, bias)
        return out.squeeze(0) if unbatched else out
    rows = x.reshape(batch, groups, per_group_in, positions).permute(1, 0, 3, 2)
    rows = rows.reshape(groups, batch * positions, per_group_in)
    w = weight.reshape(groups, per_group_in, per_group_out * k)
    cols = linalg.matmul(rows, w)  # (G, N*positions, O/G * k)
    cols = cols.reshape((groups, batch) + in_sizes + (per_group_out,) + kernel)
    order = (1, 0, 2 + n) + tuple(range(2, 2 + n)) + tuple(range(3 + n, 3 + 2 * n))
    cols = cols.permute(order).reshape((batch, groups * per_group_out) + in_sizes + kernel)
    out = win.fold(cols, (batch, groups * per_group_out) + folded, kernel, stride, dilation)
    out = _contiguous_plus_bias(_without_padding(out, padding, output_padding), bias)
    return out.squeeze(0) if unbatched else out


@presents_as("ConvolutionBackward0", "x", "weight", "bias")
@autocast_op("conv_transpose1d")
def conv_transpose1d(x: Tensor, weight: Tensor, bias=None, stride=1, padding=0, output_padding=0,
                     groups: int = 1, dilation=1) -> Tensor:
    """1-D transposed convolution: the gradient of ``conv1d`` with respect to its input."""
    return _conv_transposend(x, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                             "conv_transpose1d")


@presents_as("ConvolutionBackward0", "x", "weight", "bias")
@autocast_op("conv_transpose2d")
def conv_transpose2d(x: Tensor, weight: Tensor, bias=None, stride=1, padding=0, output_padding=0,
                     groups: int = 1, dilation=1) -> Tensor:
    """2-D transposed convolution: the gradient of ``conv2d`` with respect to its input."""
    return _conv_transposend(x, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                             "conv_transpose2d")


@presents_as("ConvolutionBackward0", "x", "weight", "bias")
@autocast_op("conv_transpose3d")
def conv_transpose3d(x: Tensor, weight: Tensor, bias=None, stride=1, padding=0, output_padding=0,
                     groups: int = 1, dilation=1) -> Tensor:
    """3-D transposed convolution: the gradient of ``conv3d`` with respect to its input."""
    return _conv_transposend(x, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                             "conv_transpose3d")
