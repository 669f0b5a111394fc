"""Matrix products, all through the batched ``matmul`` primitive."""
from __future__ import annotations

from .. import autocast_state
from ..autocast_state import autocast_op
from . import shape as sh
from .support import Tensor, broadcast_shapes, check_device, expand_buf, grad_state, sum_to_shape

_autocast = autocast_state.local


def _matmul_batched(a: Tensor, b: Tensor) -> Tensor:
    """``a`` (..., n, k) @ ``b`` (..., k, m) with broadcast batch dims; both at least 2-D."""
    a_shape, b_shape = a._buf.shape, b._buf.shape
    n, k = a_shape[-2:]
    k2, m = b_shape[-2:]
    if k != k2:
        raise RuntimeError(
            f"mat1 and mat2 shapes cannot be multiplied ({n}x{k} and {k2}x{m}); full shapes "
            f"{list(a_shape)} and {list(b_shape)}")
    a_batch, b_batch = a_shape[:-2], b_shape[:-2]
    batch = a_batch if a_batch == b_batch else broadcast_shapes(a_batch, b_batch, op="matmul")
    backend = a._backend
    if backend.native_broadcasting or (a_batch == batch and b_batch == batch):
        abuf, bbuf = a._buf, b._buf
    else:
        abuf, bbuf = expand_buf(a, batch + (n, k)), expand_buf(b, batch + (k, m))
    out = Tensor._make(backend.matmul(abuf, bbuf), a._dtype, a._device, backend)
    need_a, need_b = a._requires_grad, b._requires_grad
    if (need_a or need_b) and grad_state.enabled:
        def backward(g):
            ga = sum_to_shape(_matmul_batched(g, _transposed(b)), a_shape) if need_a else None
            gb = sum_to_shape(_matmul_batched(_transposed(a), g), b_shape) if need_b else None
            return ga, gb
        out._attach("MmBackward0" if not batch else "BmmBackward0", backward, (a, b), (a, b))
    return out


def _transposed(x: Tensor) -> Tensor:
    """``x`` with its last two dims swapped (a view; differentiable only when it must be)."""
    ndim = len(x._buf.shape)
    if x._requires_grad and grad_state.enabled:
        order = list(range(ndim))
        order[-1], order[-2] = ndim - 2, ndim - 1
        return sh.permute(x, order)
    shape, strides = list(x._buf.shape), list(x._backend.strides(x._buf))
    shape[-1], shape[-2] = shape[-2], shape[-1]
    strides[-1], strides[-2] = strides[-2], strides[-1]
    return Tensor._make(x._backend.as_strided(x._buf, tuple(shape), tuple(strides), 0),
                        x._dtype, x._device, x._backend)


def matmul(a: Tensor, b: Tensor) -> Tensor:
    """Matrix product with NumPy/PyTorch rules for 1-D operands and batch broadcasting."""
    if _autocast.active:
        return autocast_state.dispatch("matmul", matmul, (a, b), {})
    if a.__class__ is not Tensor or b.__class__ is not Tensor:
        raise TypeError(f"matmul(): argument must be Tensor, not "
                        f"{type(b if isinstance(a, Tensor) else a).__name__}")
    if a._device is not b._device:
        check_device(a, b, "matmul")
    if a._dtype is not b._dtype:
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{a._dtype.name} != {b._dtype.name}")
    a_ndim, b_ndim = len(a._buf.shape), len(b._buf.shape)
    if a_ndim >= 2 and b_ndim >= 2:
        return _matmul_batched(a, b)
    if a_ndim == 0 or b_ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a_ndim}D and {b_ndim}D")
    out = _matmul_batched(sh.unsqueeze(a, 0) if a_ndim == 1 else a,
                          sh.unsqueeze(b, 1) if b_ndim == 1 else b)
    if a_ndim == 1:
        out = sh.squeeze(out, -2)
    if b_ndim == 1:
        out = sh.squeeze(out, -1)
    return out


@autocast_op("mm")
def mm(a: Tensor, b: Tensor) -> Tensor:
    """2-D matrix product."""
    if a.ndim != 2 or b.ndim != 2:
        raise RuntimeError(f"mm(): expected 2-D tensors, got {a.ndim}-D and {b.ndim}-D")
    return matmul(a, b)


@autocast_op("bmm")
def bmm(a: Tensor, b: Tensor) -> Tensor:
    """Batched 3-D matrix product with equal batch sizes."""
    if a.ndim != 3 or b.ndim != 3:
        raise RuntimeError(f"bmm(): expected 3-D tensors, got {a.ndim}-D and {b.ndim}-D")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm(): batch sizes differ: {a.shape[0]} and {b.shape[0]}")
    return matmul(a, b)


@autocast_op("mv")
def mv(a: Tensor, v: Tensor) -> Tensor:
    if a.ndim != 2 or v.ndim != 1:
        raise RuntimeError(f"mv(): expected a 2-D matrix and a 1-D vector, got {a.ndim}-D and {v.ndim}-D")
    return matmul(a, v)


@autocast_op("dot")
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


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias`` as one node, like PyTorch's addmm for linear layers: the bias is
    added into the product's fresh buffer, and the weight gradient is formed as ``g^T x``, in the
    weight's own (out, in) layout (so accumulating it into ``.grad`` copies nothing)."""
    if weight.__class__ is not Tensor or weight.ndim != 2 or x.__class__ is not Tensor or x.ndim == 0 or (
            bias is not None and (bias.__class__ is not Tensor or bias._buf.shape != weight._buf.shape[:1]
                                  or bias._dtype is not x._dtype or bias._device is not x._device)):
        out = matmul(x, sh.t(weight))  # the general path, with its checks and messages
        return out + bias if bias is not None else out
    enabled = grad_state.enabled
    grad_state.enabled = False
    try:
        out = matmul(x, _transposed(weight))
    finally:
        grad_state.enabled = enabled
    backend = out._backend
    if bias is not None:
        addend = bias._buf if backend.native_broadcasting else expand_buf(bias, out._buf.shape)
        backend.add(out._buf, addend, out=out._buf)
    need_x, need_w = x._requires_grad, weight._requires_grad
    need_b = bias is not None and bias._requires_grad
    if (need_x or need_w or need_b) and enabled:
        out_features, in_features = weight._buf.shape

        def backward(g):
            rows = g.reshape(-1, out_features)
            gx = matmul(g, weight) if need_x else None
            gw = _matmul_batched(_transposed(rows), x.reshape(-1, in_features)) if need_w else None
            if bias is None:
                return gx, gw
            return (rows.sum(0) if need_b else None), gx, gw
        # PyTorch's inputs order: addmm(bias, input, weight.t()) and mm(input, weight.t())
        inputs = (x, weight) if bias is None else (bias, x, weight)
        out._attach("AddmmBackward0" if bias is not None else "MmBackward0", backward, inputs, (x, weight))
    return out


# ----- beta * input + alpha * product, as one node ---------------------------------------------
def _check_same_dtype(op: str, bias: Tensor, a: Tensor, b: Tensor, names=("mat1", "mat2")) -> None:
    for t in (bias, a, b):
        if t.__class__ is not Tensor:
            raise TypeError(f"{op}(): expected Tensor arguments, got {type(t).__name__}")
        check_device(bias, t, op)
    for name, t in zip(names, (a, b)):
        if t._dtype is not bias._dtype:
            raise RuntimeError(f"{op}: self and {name} must have the same dtype, but got "
                               f"{bias._dtype.name} and {t._dtype.name}")


def _check_ndim(op: str, t: Tensor, name: str, ndim: int) -> None:
    if t.ndim != ndim:
        kind = {1: "vector", 2: "matrix", 3: "3D tensor"}[ndim]
        raise RuntimeError(f"{op}: {name} must be a {kind}, got {t.ndim}-D tensor of shape "
                           f"{list(t.shape)}")


def _fused_add(op: str, name: str, bias: Tensor, a: Tensor, b: Tensor, beta, alpha, product,
               backward_a, backward_b) -> Tensor:
    """``beta * bias + alpha * product(a, b)``, ``bias`` broadcast to the product's shape and
    ignored when ``beta == 0`` (so NaN in it does not propagate), as one graph node ``name``.
    ``backward_a(g)`` / ``backward_b(g)`` give ``a``'s / ``b``'s gradient of ``product``."""
    enabled = grad_state.enabled
    grad_state.enabled = False
    try:
        out = product(a, b)
        try:
            addend = sh.expand(bias, out._buf.shape)
        except RuntimeError as error:
            raise RuntimeError(f"{op}: {error}") from None
        if alpha != 1:
            out = out * alpha
        if beta != 0:
            out = out + (addend if beta == 1 else addend * beta)
        if out._dtype is not bias._dtype:  # an integer product scaled by a float alpha or beta
            out = out.to(bias._dtype)
    finally:
        grad_state.enabled = enabled
    out = Tensor._make(out._buf, out._dtype, out._device, out._backend)
    need_bias, need_a, need_b = bias._requires_grad, a._requires_grad, b._requires_grad
    if enabled and (need_bias or need_a or need_b):
        bias_shape = bias._buf.shape

        def backward(g):
            gbias = sum_to_shape(g if beta == 1 else g * beta, bias_shape) if need_bias else None
            ga = backward_a(g) if need_a else None
            gb = backward_b(g) if need_b else None
            if alpha != 1:
                ga = ga * alpha if ga is not None else None
                gb = gb * alpha if gb is not None else None
            return gbias, ga, gb
        out._attach(name, backward, (bias, a, b), (a, b))
    return out


@autocast_op("addmm")
def addmm(bias: Tensor, a: Tensor, b: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat1 @ mat2)`` for matrices ``mat1`` (n, m), ``mat2`` (m, p)."""
    _check_same_dtype("addmm", bias, a, b)
    _check_ndim("addmm", a, "mat1", 2)
    _check_ndim("addmm", b, "mat2", 2)
    return _fused_add("addmm", "AddmmBackward0", bias, a, b, beta, alpha, matmul,
                      lambda g: matmul(g, sh.t(b)), lambda g: matmul(sh.t(a), g))


@autocast_op("baddbmm")
def baddbmm(bias: Tensor, a: Tensor, b: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (batch1 @ batch2)`` for 3-D batches of equal size."""
    _check_same_dtype("baddbmm", bias, a, b, ("batch1", "batch2"))
    _check_batches("baddbmm", a, b)
    return _fused_add("baddbmm", "BaddbmmBackward0", bias, a, b, beta, alpha, matmul,
                      lambda g: matmul(g, sh.transpose(b, 1, 2)),
                      lambda g: matmul(sh.transpose(a, 1, 2), g))


def _check_batches(op: str, a: Tensor, b: Tensor) -> None:
    _check_ndim(op, a, "batch1", 3)
    _check_ndim(op, b, "batch2", 3)
    if a._buf.shape[0] != b._buf.shape[0]:
        raise RuntimeError(f"{op}: batch1 and batch2 must have same number of batches, got "
                           f"{a._buf.shape[0]} and {b._buf.shape[0]}")
    if a._buf.shape[2] != b._buf.shape[1]:
        raise RuntimeError(f"{op}: Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{a._buf.shape[0]}, {a._buf.shape[2]}] but got: "
                           f"[{b._buf.shape[0]}, {b._buf.shape[1]}].")


@autocast_op("addbmm")
def addbmm(bias: Tensor, a: Tensor, b: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * sum_i(batch1[i] @ batch2[i])``."""
    _check_same_dtype("addbmm", bias, a, b, ("batch1", "batch2"))
    _check_batches("addbmm", a, b)

    def product(x, y):
        if x._buf.shape[0] == 0:
            return x._like(x._backend.full((x._buf.shape[1], y._buf.shape[2]), 0, x._dtype))
        # (n, B*m) @ (B*m, p): the sum over the batch is part of the one product
        rows = sh.reshape(sh.permute(x, (1, 0, 2)), (x._buf.shape[1], -1))
        return matmul(rows, sh.reshape(y, (-1, y._buf.shape[2])))
    return _fused_add("addbmm", "AddbmmBackward0", bias, a, b, beta, alpha, product,
                      lambda g: matmul(sh.unsqueeze(g, 0), sh.transpose(b, 1, 2)),
                      lambda g: matmul(sh.transpose(a, 1, 2), sh.unsqueeze(g, 0)))


@autocast_op("addmv")
def addmv(bias: Tensor, mat: Tensor, vec: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * (mat @ vec)``."""
    _check_same_dtype("addmv", bias, mat, vec, ("mat", "vec"))
    if mat.ndim != 2 or vec.ndim != 1 or bias.ndim > 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got {bias.ndim}, {mat.ndim}, {vec.ndim}")
    if mat._buf.shape[1] != vec._buf.shape[0] or (bias.ndim == 1 and bias._buf.shape[0] not in (
            1, mat._buf.shape[0])):
        raise RuntimeError(f"size mismatch, got input ({bias._buf.shape[0] if bias.ndim else ''}), "
                           f"mat ({mat._buf.shape[0]}x{mat._buf.shape[1]}), vec ({vec._buf.shape[0]})")
    return _fused_add("addmv", "AddmvBackward0", bias, mat, vec, beta, alpha, matmul,
                      lambda g: outer(g, vec), lambda g: matmul(sh.t(mat), g))


@autocast_op("addr")
def addr(bias: Tensor, vec1: Tensor, vec2: Tensor, *, beta=1, alpha=1) -> Tensor:
    """``beta * input + alpha * outer(vec1, vec2)``."""
    _check_same_dtype("addr", bias, vec1, vec2, ("vec1", "vec2"))
    for name, v in (("vec1", vec1), ("vec2", vec2)):
        if v.ndim != 1:
            raise RuntimeError(f"addr: Expected 1-D argument {name}, but got {v.ndim}-D")
    return _fused_add("addr", "AddrBackward0", bias, vec1, vec2, beta, alpha, outer,
                      lambda g: matmul(g, vec2), lambda g: matmul(sh.t(g), vec1))
