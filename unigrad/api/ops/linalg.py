"""Matrix products, all through the batched ``matmul`` primitive."""
from __future__ import annotations

from .. import autocast_state
from ..autocast_state import autocast_op
from . import shape as sh
from .support import (Tensor, broadcast_shapes, check_device, contiguous_strides, expand_buf,
                      grad_state, sum_to_shape)

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
    if a_ndim == 2 and b_ndim == 2:
        return _matmul_batched(a, b)
    if a_ndim == 0 or b_ndim == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{a_ndim}D and {b_ndim}D")
    # PyTorch's cases, which also decide its graph: a stack of matrices times one matrix or
    # vector is one mm/mv over the stacked rows; other stacks are one bmm
    if a_ndim >= 3 and b_ndim <= 2 and _should_fold(a):
        return _folded(a, b)
    if a_ndim <= 2 and b_ndim >= 3 and b._requires_grad and grad_state.enabled:
        # the transposed problem folds: (b^T @ a^T)^T, made contiguous
        at = _transposed(a) if a_ndim == 2 else a
        out = matmul(sh.transpose(b, -1, -2), at)
        return sh.contiguous(sh.transpose(out, -1, -2)) if a_ndim == 2 else out
    if a_ndim >= 2 and b_ndim >= 2:
        return _batched(a, b)
    if a_ndim >= 3:  # a stack of matrices times a vector, not folded
        return sh.squeeze(_matmul_batched(a, sh.unsqueeze(b, 1)), -1)
    if a_ndim == 1 and b_ndim == 1:
        return _dot(a, b)
    if a_ndim == 2:
        return _mv(a, b)
    out = _matmul_batched(sh.unsqueeze(a, 0), b)
    if b_ndim == 2:
        return _renamed(sh.squeeze(out, 0), "SqueezeBackward4")
    return sh.squeeze(out, -2)


def _renamed(out: Tensor, name: str) -> Tensor:
    if out._grad_fn is not None:
        out._grad_fn._name = name
    return out


def _plain(t: Tensor, buf) -> Tensor:
    return Tensor._make(buf, t._dtype, t._device, t._backend)


def _reshaped(t: Tensor, shape: tuple) -> Tensor:
    """``t.reshape(shape)``, without a view's bookkeeping when no graph is recorded."""
    if (t._requires_grad and grad_state.enabled) or not t.is_contiguous():
        return sh.reshape(t, shape)
    if -1 in shape:
        known = 1
        for size in shape:
            known *= size if size != -1 else 1
        shape = tuple(t.numel() // known if size == -1 else size for size in shape)
    return _plain(t, t._backend.as_strided(t._buf, shape, contiguous_strides(shape), 0))


def _unsafe_view(t: Tensor, shape: tuple) -> Tensor:
    """A fresh result ``t`` with another shape, as a new tensor (PyTorch's ``_unsafe_view``)."""
    t = sh.contiguous(t)
    out = _plain(t, t._backend.as_strided(t._buf, shape, contiguous_strides(shape), 0))
    if t._requires_grad and grad_state.enabled:
        in_shape = t._buf.shape
        out._attach("UnsafeViewBackward0", lambda g: (_reshaped(g, in_shape),), (t,))
    return out


def _should_fold(a: Tensor) -> bool:
    """PyTorch's rule: fold a stack of matrices into rows when it requires grad (its weight's
    gradient is then one product), or when that needs no copy."""
    if a._requires_grad and grad_state.enabled:
        return True
    shape, strides = a._buf.shape, a._backend.strides(a._buf)
    return 0 in shape or all(strides[i] == strides[i + 1] * shape[i + 1] for i in range(len(shape) - 2))


def _folded(a: Tensor, b: Tensor) -> Tensor:
    """(..., n, k) @ (k, m) or (k,): one mm or mv over the rows of all the matrices."""
    k = a._buf.shape[-1]
    rows = sh.reshape(a, (-1, k))
    out = _matmul_batched(rows, b) if len(b._buf.shape) == 2 else _mv(rows, b)
    return _unsafe_view(out, a._buf.shape[:-1] + out._buf.shape[1:])


def _dot(a: Tensor, b: Tensor) -> Tensor:
    """Inner product of two vectors, one node (DotBackward0)."""
    (k,), (k2,) = a._buf.shape, b._buf.shape
    if k != k2:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{k}] and src [{k2}] to have "
                           f"the same number of elements, but got {k} and {k2} elements respectively")
    backend = a._backend
    row = backend.as_strided(a._buf, (1, k), (k, backend.strides(a._buf)[0]), 0)
    column = backend.as_strided(b._buf, (k, 1), (backend.strides(b._buf)[0], 1), 0)
    out = _plain(a, backend.as_strided(backend.matmul(row, column), (), (), 0))
    need_a, need_b = a._requires_grad, b._requires_grad
    if (need_a or need_b) and grad_state.enabled:
        out._attach("DotBackward0", lambda g: (g * b if need_a else None, g * a if need_b else None),
                    (a, b), (a, b))
    return out


def _mv(m: Tensor, v: Tensor) -> Tensor:
    """Matrix times vector, one node (MvBackward0)."""
    (n, k), (k2,) = m._buf.shape, v._buf.shape
    if k != k2:
        raise RuntimeError(f"size mismatch, got input ({n}), mat ({n}x{k}), vec ({k2})")
    backend = m._backend
    column = backend.as_strided(v._buf, (k, 1), (backend.strides(v._buf)[0], 1), 0)
    product = backend.matmul(m._buf, column)
    out = _plain(m, backend.as_strided(product, (n,), (backend.strides(product)[0],), 0))
    need_m, need_v = m._requires_grad, v._requires_grad
    if (need_m or need_v) and grad_state.enabled:
        def backward(g):
            gm = sh.unsqueeze(g, 1) * v if need_m else None
            gv = _mv(_transposed(m), g) if need_v else None
            return gm, gv
        out._attach("MvBackward0", backward, (m, v), (m, v))
    return out


def _batched(a: Tensor, b: Tensor) -> Tensor:
    """Stacks of matrices (batch dims broadcast): one batched product, whose graph is
    PyTorch's: the stacks viewed as 3-D, a bmm, and the result viewed back."""
    enabled = grad_state.enabled
    grad_state.enabled = False
    try:
        out = _matmul_batched(a, b)
    finally:
        grad_state.enabled = enabled
    need_a, need_b = a._requires_grad, b._requires_grad
    if not ((need_a or need_b) and enabled):
        return out
    from ...autograd.node import edge_of, node_over
    a_shape, b_shape, out_shape = a._buf.shape, b._buf.shape, out._buf.shape
    batch, (n, k), m = out_shape[:-2], a_shape[-2:], b_shape[-1]
    count = 1
    for size in batch:
        count *= size
    stacks = (count, n, k), (count, k, m)

    def stacked(t, shape3, full):
        return _reshaped(t if t._buf.shape == full else sh.expand(t, full), shape3)

    def bmm_backward(g3):
        a3 = stacked(a, stacks[0], batch + (n, k))
        b3 = stacked(b, stacks[1], batch + (k, m))
        ga = _matmul_batched(g3, _transposed(b3)) if need_a else None
        gb = _matmul_batched(_transposed(a3), g3) if need_b else None
        return ga, gb

    def unstacked(shape):
        return lambda g3: (sum_to_shape(_reshaped(g3, batch + shape[-2:]), shape),)

    view_a = node_over("ViewBackward0", unstacked(a_shape), (edge_of(a),)) if need_a else None
    view_b = node_over("ViewBackward0", unstacked(b_shape), (edge_of(b),)) if need_b else None
    bmm = node_over("BmmBackward0", bmm_backward, (view_a, view_b), (a, b))
    top = node_over("UnsafeViewBackward0", lambda g: (_reshaped(g, (count, n, m)),), (bmm,))
    out._grad_fn, out._requires_grad = top, True
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
    """The outer product of two 1-D tensors."""
    for name, t in (("self", a), ("vec2", b)):
        if t.ndim != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.ndim}-D")
    return sh.reshape(a, (-1, 1)) * b  # as PyTorch writes it (its graph: MulBackward0 over ViewBackward0)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``x @ weight.T + bias`` as one product, like PyTorch's addmm for linear layers: the bias is
    added into the product's fresh buffer, and the weight gradient is formed as ``g^T x``, in the
    weight's own (out, in) layout (so accumulating it into ``.grad`` copies nothing).

    The graph is PyTorch's: ``AddmmBackward0(bias, input, TBackward0(weight))`` (``MmBackward0``
    without bias), between ``ViewBackward0`` nodes when the input is not a matrix."""
    if weight.__class__ is not Tensor or weight.ndim != 2 or x.__class__ is not Tensor or x.ndim == 0 or (
            bias is not None and (bias.__class__ is not Tensor or bias._buf.shape != weight._buf.shape[:1]
                                  or bias._dtype is not x._dtype or bias._device is not x._device)):
        out = matmul(x, sh.t(weight))  # the general path, with its checks and messages
        return out + bias if bias is not None else out
    x_shape = x._buf.shape
    if len(x_shape) == 2 and x_shape[1] == weight._buf.shape[1] and x._dtype is weight._dtype \
            and x._device is weight._device and x._backend.native_broadcasting:
        return _linear_rows(x, weight, bias)
    enabled = grad_state.enabled
    grad_state.enabled = False
    try:
        if x.ndim == 1:
            out = sh.squeeze(matmul(sh.unsqueeze(x, 0), _transposed(weight)), 0)
        else:
            out = _matmul_batched(x, _transposed(weight))
    finally:
        grad_state.enabled = enabled
    backend = out._backend
    if bias is not None:
        addend = bias._buf if backend.native_broadcasting else expand_buf(bias, out._buf.shape)
        backend.add(out._buf, addend, out=out._buf)
    need_x, need_w = x._requires_grad, weight._requires_grad
    need_b = bias is not None and bias._requires_grad
    if (need_x or need_w or need_b) and enabled:
        out = _plain(out, out._buf) if out._base is not None else out
        out._grad_fn, out._requires_grad = _linear_graph(x, weight, bias, need_x, need_w, need_b), True
    return out


def _linear_rows(x: Tensor, weight: Tensor, bias) -> Tensor:
    """``linear`` of a matrix of rows (the common case), on buffers: one product, the bias added
    into its fresh result."""
    backend = x._backend
    w_buf = weight._buf
    out_features, in_features = w_buf.shape
    w_strides = backend.strides(w_buf)
    w_t = backend.as_strided(w_buf, (in_features, out_features), (w_strides[1], w_strides[0]), 0)
    buf = backend.matmul(x._buf, w_t)
    if bias is not None:
        backend.add(buf, bias._buf, out=buf)
    out = Tensor._make(buf, x._dtype, x._device, backend)
    need_x, need_w = x._requires_grad, weight._requires_grad
    need_b = bias is not None and bias._requires_grad
    if (need_x or need_w or need_b) and grad_state.enabled:
        out._grad_fn, out._requires_grad = _linear_graph(x, weight, bias, need_x, need_w, need_b), True
    return out


def _linear_graph(x: Tensor, weight: Tensor, bias, need_x: bool, need_w: bool, need_b: bool):
    from ...autograd.node import edge_of, node_over
    out_features, in_features = weight._buf.shape
    x_shape = x._buf.shape

    def backward(rows):
        gx = matmul(rows, weight) if need_x else None
        # the gradient of weight.t(), laid out as the weight (TBackward0 turns it back)
        gw = _transposed(_matmul_batched(_transposed(rows), _reshaped(x, (-1, in_features)))) \
            if need_w else None
        if bias is None:
            return gx, gw
        return (rows.sum(0) if need_b else None), gx, gw

    x_edge = edge_of(x)
    if len(x_shape) == 1 and bias is None:
        x_edge = node_over("UnsqueezeBackward0", lambda g: (_reshaped(g, x_shape),), (x_edge,))
    elif len(x_shape) != 2:
        x_edge = node_over("ViewBackward0", lambda g: (_reshaped(g, x_shape),), (x_edge,))
    w_edge = node_over("TBackward0", lambda g: (_transposed(g),), (edge_of(weight),)) if need_w else None
    if bias is None:
        node = node_over("MmBackward0", backward, (x_edge, w_edge), (x, weight))
    else:
        node = node_over("AddmmBackward0", backward, (edge_of(bias), x_edge, w_edge), (x, weight))
    if len(x_shape) == 2:
        return node
    top = "ViewBackward0" if bias is not None else "SqueezeBackward4" if len(x_shape) == 1 \
        else "UnsafeViewBackward0"
    return node_over(top, lambda g: (_reshaped(g, (-1, out_features)),), (node,))


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
