"""``max_unpool``: the partial inverse of max pooling, each value written back at the flat index
its max pool returned, zeros elsewhere (one ``scatter``; the gradient is the ``gather`` of the
same indices)."""
from __future__ import annotations

from ...api import dtypes
from ...api.ops.indexing import gather_in_range
from ...api.ops.support import grad_state
from ...api.tensor import Tensor
from .conv import scalar_type_name


def _ntuple(value, n: int) -> tuple:
    return (value,) * n if isinstance(value, int) else tuple(value)


def _unpool_output_size(x: Tensor, kernel, stride, padding, output_size) -> list:
    """PyTorch's output size rule: the pooled input's size, or ``output_size`` when it lies within
    one stride of it."""
    n = len(kernel)
    default = [(x.shape[x.ndim - n + d] - 1) * stride[d] + kernel[d] - 2 * padding[d] for d in range(n)]
    if output_size is None:
        sizes = default
    else:
        output_size = list(output_size)
        if len(output_size) == n + 2:
            output_size = output_size[2:]
        if len(output_size) != n:
            raise ValueError(f"output_size should be a sequence containing {n} or {n + 2} elements, but it "
                             f"has a length of '{len(output_size)}'")
        for d in range(n):
            low, high = default[d] - stride[d], default[d] + stride[d]
            if not low < output_size[d] < high:
                raise ValueError(f'invalid output_size "{tuple(output_size)}" (dim {d} must be between '
                                 f"{low} and {high})")
        sizes = [int(s) for s in output_size]
    for d, size in enumerate(sizes):
        if size < 0:
            raise ValueError("max_unpooling: output_size must contain non-negative spatial dimensions, "
                             f"but got output_size[{d}]={size}")
    return sizes


def _max_unpool(x: Tensor, indices: Tensor, kernel_size, stride, padding, output_size, n: int) -> Tensor:
    kernel = _ntuple(kernel_size, n)
    stride = _ntuple(stride if stride is not None else kernel, n)
    padding = _ntuple(padding, n)
    sizes = _unpool_output_size(x, kernel, stride, padding, output_size)
    planar = max(n, 2)  # PyTorch unpools 1-d as 2-d of width 1
    if x.ndim not in (n + 1, n + 2):
        raise RuntimeError(f"Input to max_unpooling{planar}d should be a {planar + 1}d or {planar + 2}d "
                           f"Tensor, but got a tensor with {x.ndim + planar - n} dimensions.")
    if indices.dtype is not dtypes.int64:
        raise RuntimeError(f"elements in indices should be type int64 but got: {scalar_type_name(indices.dtype)}")
    if tuple(indices.shape) != tuple(x.shape):
        raise RuntimeError(f"Expected shape of indices to be same as that of the input tensor "
                           f"({list(x.shape)}) but got indices tensor with shape: {list(indices.shape)}")
    unbatched = x.ndim == n + 1
    if unbatched:
        x, indices = x.unsqueeze(0), indices.unsqueeze(0)
    batch, channels = x.shape[0], x.shape[1]
    plane = 1
    for size in sizes:
        plane *= size
    pooled = 1
    for size in x.shape[2:]:
        pooled *= size
    flat_index = indices.reshape(batch, channels, pooled)
    _check_indices(flat_index, plane, sizes + ([1] if n == 1 else []))
    b = x._backend
    buf = b.full((batch, channels, plane), 0, x.dtype)
    if flat_index.numel():
        source = x.reshape(batch, channels, pooled)
        b.scatter(buf, 2, flat_index._buf if flat_index.is_contiguous() else flat_index.contiguous()._buf,
                  source._buf if source.is_contiguous() else source.contiguous()._buf)
    out = Tensor._make(buf, x.dtype, x.device, b)
    if x.requires_grad and grad_state.enabled:
        shape = tuple(x.shape)
        out._attach(f"MaxUnpool{planar}DBackward0",
                    lambda g: (gather_in_range(g, 2, flat_index).reshape(shape),), (x,))
    out = out.reshape((batch, channels) + tuple(sizes))
    return out.squeeze(0) if unbatched else out


def _check_indices(flat_index: Tensor, plane: int, sizes) -> None:
    """PyTorch's range check (on the host, unless the backend checks on the device)."""
    if not flat_index.numel() or flat_index._backend.deferred_index_checks:
        return
    host = flat_index._host()
    low, high = int(host.min()), int(host.max())
    if low < 0 or high >= plane:
        raise RuntimeError(f"Found an invalid max index: {low if low < 0 else high} (output volumes are of "
                           f"size {'x'.join(map(str, sizes))})")


def max_unpool1d(x: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Inverse of ``max_pool1d``: (N, C, L_in) values at their indices in (N, C, L_out)."""
    return _max_unpool(x, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(x: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Inverse of ``max_pool2d``: values at their flat indices in each (H_out, W_out) plane."""
    return _max_unpool(x, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(x: Tensor, indices: Tensor, kernel_size, stride=None, padding=0, output_size=None) -> Tensor:
    """Inverse of ``max_pool3d``: values at their flat indices in each (D, H, W) volume."""
    return _max_unpool(x, indices, kernel_size, stride, padding, output_size, 3)
