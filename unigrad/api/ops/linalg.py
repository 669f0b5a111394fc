"""Matrix products, all through the batched ``matmul`` primitive."""
from __future__ import annotations

from . import shape as sh
from .support import Tensor, broadcast_shapes, check_device, expand_buf, grad_state, sum_to_shape


def _matmul_batched(a: Tensor, b: Tensor) -> Tensor:
    """``a`` (..., n, k) @ ``b`` (..., k, m) with broadcast batch dims; both at least 2-D."""
    (n, k), (k2, m) = a._buf.shape[-2:], b._buf.shape[-2:]
    if k != k2:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m}); full shapes "
            f"{list(a.shape)} and {list(b.shape)}")
    batch = broadcast_shapes(a._buf.shape[:-2], b._buf.shape[:-2], op="matmul")
    backend = a._backend
    if backend.native_broadcasting or (a._buf.shape[:-2] == batch and b._buf.shape[:-2] == batch):
        abuf, bbuf = a._buf, b._buf
    else:
        abuf, bbuf = expand_buf(a, batch + (n, k)), expand_buf(b, batch + (k, m))
    out = Tensor._make(backend.matmul(abuf, bbuf), a._dtype, a._device, backend)
    if grad_state.enabled and (a._requires_grad or b._requires_grad):
        sa, sb = a._buf.shape, b._buf.shape
        need_a, need_b = a._requires_grad, b._requires_grad

        def backward(g):
            ga = sum_to_shape(_matmul_batched(g, sh.transpose(b, -1, -2)), sa) if need_a else None
            gb = sum_to_shape(_matmul_batched(sh.transpose(a, -1, -2), g), sb) if need_b else None
            return ga, gb
        out._attach("MmBackward0" if len(batch) == 0 else "BmmBackward0", backward, (a, b), (a, b))
    return out


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch rules for 1-D operands and batch broadcasting."""
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"matmul(): argument must be Tensor, not "
                        f"{type(b if isinstance(a, Tensor) else a).__name__}")
    check_device(a, b, "matmul")
    if a._dtype is not b._dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{a._dtype.name} != {b._dtype.name}")
    if a.ndim == 0 or b.ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a.ndim}D and {b.ndim}D")
    a2 = sh.unsqueeze(a, 0) if a.ndim == 1 else a
    b2 = sh.unsqueeze(b, 1) if b.ndim == 1 else b
    out = _matmul_batched(a2, b2)
    if a.ndim == 1:
        out = sh.squeeze(out, -2)
    if b.ndim == 1:
        out = sh.squeeze(out, -1)
    return out


def mm(a: Tensor, b: Tensor) -> Tensor:
    """2-D matrix product."""
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm(): expected 2-D tensors, got {a.ndim}-D and {b.ndim}-D")
    return matmul(a, b)


def bmm(a: Tensor, b: Tensor) -> Tensor:
    """Batched 3-D matrix product with equal batch sizes."""
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"bmm(): expected 3-D tensors, got {a.ndim}-D and {b.ndim}-D")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm(): batch sizes differ: {a.shape[0]} and {b.shape[0]}")
    return matmul(a, b)


def mv(a: Tensor, v: Tensor) -> Tensor:
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"mv(): expected a 2-D matrix and a 1-D vector, got {a.ndim}-D and {v.ndim}-D")
    return matmul(a, v)


def dot(a: Tensor, b: Tensor) -> Tensor:
    if a.ndim != 1 or b.ndim != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.ndim}D and {b.ndim}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    return matmul(a, b)


def outer(a: Tensor, b: Tensor) -> Tensor:
    return sh.unsqueeze(a, 1) * sh.unsqueeze(b, 0)


def addmm(bias: Tensor, a: Tensor, b: Tensor, *, beta=1, alpha=1) -> Tensor:
    product = mm(a, b)
    if alpha != 1:
        product = product * alpha
    return product + (bias if beta == 1 else bias * beta)
