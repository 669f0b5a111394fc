"""Attach the ops as ``Tensor`` methods and operators (``x.exp()``, ``a + b``, ``x[0] = 1``)."""
from __future__ import annotations

from .. import autograd
from ..autograd.node import edge_of
from . import creation, dtypes
from .autocast_state import autocast_op
from .device import device as Device
from .ops import histograms, indexing, inplace, linalg, pointwise as pw, reduction as red, shape as sh, windows
from .ops import counting, quantiles, random_fills, sampling, sorting, uniqueness
from .ops import result_inplace
from . import tensor_utils
from .ops.support import Tensor, cast_tensor


def _to(self: Tensor, *args, dtype=None, device=None, non_blocking: bool = False, copy: bool = False,
        memory_format=None) -> Tensor:
    """Move and/or convert: ``to(device)``, ``to(dtype)``, ``to(device, dtype)``, ``to(other)``."""
    for arg in args:
        if isinstance(arg, Tensor):
            device, dtype = arg._device, arg._dtype
        elif isinstance(arg, dtypes.dtype):
            dtype = arg
        elif isinstance(arg, (str, Device)):
            device = arg
        elif arg is not None:
            dtype = dtypes.as_dtype(arg)
    result = self
    if device is not None:
        target, backend = creation.placement(device)
        if target is not self._device:
            result = _transfer(self, target, backend)
    if dtype is not None:
        result = cast_tensor(result, dtypes.as_dtype(dtype))
    if copy and result is self:
        result = sh.clone(self)
    return result


def _transfer(x: Tensor, target, backend) -> Tensor:
    if x._dtype not in backend.supported_dtypes:
        reason = backend.unsupported_reason(x._dtype)
        raise TypeError(f"cannot move a {x._dtype.name} tensor to {target}: the device does not "
                        f"support {x._dtype.name}{': ' + reason if reason else ''}")
    host = x._backend.to_numpy(x._buf)
    out = Tensor._make(backend.from_numpy(host), x._dtype, target, backend)
    if x._requires_grad and autograd.is_grad_enabled():
        source = x._device
        out._attach("ToCopyBackward0", lambda g: (_to(g, source),), (x,))
    return out


def _backward(self: Tensor, gradient=None, retain_graph=None, create_graph: bool = False,
              inputs=None) -> None:
    """Compute gradients of this tensor with respect to graph leaves (accumulated in ``.grad``)."""
    autograd.backward(self, gradient, retain_graph, create_graph, inputs)


def _register_hook(self: Tensor, hook):
    """Call ``hook(grad)`` when this tensor's gradient is computed; it may return a replacement."""
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    node = edge_of(self)
    node._register_tensor_hook(hook)
    return _RemovableHandle(node, hook)


def _register_post_accumulate_grad_hook(self: Tensor, hook):
    """Call ``hook(tensor)`` after backward has accumulated a new gradient into this leaf's
    ``.grad`` (what DistributedDataParallel uses to start reducing a bucket early)."""
    if not self._requires_grad:
        raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
    if self.grad_fn is not None:
        raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf tensors")
    node = edge_of(self)
    if node._post_hooks is None:
        node._post_hooks = []
    node._post_hooks.append(hook)
    return _RemovableHandle(node, hook, "_post_hooks")


class _RemovableHandle:
    def __init__(self, node, hook, where: str = "_pre_hooks") -> None:
        self._node, self._hook, self._where = node, hook, where

    def remove(self) -> None:
        hooks = getattr(self._node, self._where)
        if hooks and self._hook in hooks:
            hooks.remove(self._hook)


def _retain_grad(self: Tensor) -> None:
    """Keep ``.grad`` for this non-leaf tensor after backward."""
    if not self._requires_grad:
        raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
    if self.grad_fn is not None:
        self.grad_fn.retain_for(self)


def _retains_grad(self: Tensor) -> bool:
    node = self.grad_fn
    return bool(node is not None and node._retained and any(r() is self for r in node._retained))


def _detach_(self: Tensor) -> Tensor:
    if self._base is not None:
        raise RuntimeError(
            "Can't detach views in-place. Use detach() instead. If you are using "
            "DistributedDataParallel (DDP) for training, and gradient_as_bucket_view is set as "
            "True, gradients are views of DDP buckets, and hence detach_() cannot be called on "
            "these gradients. To fix this error, please refer to the Optimizer.zero_grad() "
            "function in torch/optim/optimizer.py as the solution.")
    self.grad_fn = None
    self._requires_grad = False
    return self


def _allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
    return bool(isclose(self, other, rtol, atol, equal_nan).all())


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor:
    """``|a - b| <= atol + rtol * |b|`` element-wise (NaNs equal if ``equal_nan``)."""
    with autograd.no_grad():
        a, b = a.detach(), (b.detach() if isinstance(b, Tensor) else b)
        if not a.dtype.is_floating_point and not (isinstance(b, Tensor) and b.dtype.is_floating_point):
            return pw.eq(a, b)
        close = pw.le(pw.abs(a - b), atol + rtol * pw.abs(b if isinstance(b, Tensor) else a * 0 + b))
        close = close | pw.eq(a, b)  # infinities of the same sign
        if equal_nan:
            close = close | (pw.isnan(a) & pw.isnan(b if isinstance(b, Tensor) else a * 0 + b))
        return close


def equal(a: Tensor, b: Tensor) -> bool:
    """True if both have the same shape and elements."""
    if a.shape != b.shape:
        return False
    return bool(pw.eq(a.detach(), b.detach()).all())


def _type_conversion(dtype):
    def convert(self: Tensor, memory_format=None) -> Tensor:
        return cast_tensor(self, dtype)
    convert.__name__ = dtype.name
    return convert


def _cuda(self, device=None, non_blocking=False):
    index = 0 if device is None else device if isinstance(device, int) else None
    return _to(self, Device("cuda", index) if index is not None else device)


def _reverse(function):
    return lambda self, other: function(other, self)


@autocast_op("rdiv")
def _rdiv(self: Tensor, other) -> Tensor:
    """``other / self``: ``self.reciprocal() * other`` as in PyTorch (whose CUDA autocast lists
    run it in float32)."""
    if other.__class__ in (int, float):
        return pw.mul(pw.reciprocal(self), other)
    return pw.div(other, self)


def _setitem(self: Tensor, key, value) -> None:
    inplace.setitem(self, key, value)


def _ipow(self, other):
    return inplace.commit(self, pw.pow(self, other), "pow_")


def _matmul_rhs(self, other):
    return linalg.matmul(creation.tensor(other, device=self._device, dtype=self._dtype), self)


METHODS = {
    # conversion and device movement
    "to": _to, "cpu": lambda self, memory_format=None: _to(self, "cpu"), "cuda": _cuda,
    "float": _type_conversion(dtypes.float32), "double": _type_conversion(dtypes.float64),
    "half": _type_conversion(dtypes.float16), "bfloat16": _type_conversion(dtypes.bfloat16),
    "long": _type_conversion(dtypes.int64),
    "int": _type_conversion(dtypes.int32), "short": _type_conversion(dtypes.int16),
    "bool": _type_conversion(dtypes.bool), "byte": _type_conversion(dtypes.uint8),
    "char": _type_conversion(dtypes.int8),
    # autograd
    "backward": _backward, "register_hook": _register_hook,
    "register_post_accumulate_grad_hook": _register_post_accumulate_grad_hook, "retain_grad": _retain_grad,
    "retains_grad": property(_retains_grad), "detach": sh.detach, "detach_": _detach_,
    # copies and comparisons of whole tensors
    "clone": sh.clone, "contiguous": sh.contiguous, "allclose": _allclose, "isclose": isclose,
    "equal": equal,
    # element-wise
    "abs": pw.abs, "neg": pw.neg, "negative": pw.neg, "exp": pw.exp, "log": pw.log,
    "log2": pw.log2, "log10": pw.log10, "log1p": pw.log1p, "expm1": pw.expm1, "sqrt": pw.sqrt,
    "rsqrt": pw.rsqrt, "sin": pw.sin, "cos": pw.cos, "tan": pw.tan, "tanh": pw.tanh,
    "sigmoid": pw.sigmoid, "relu": pw.relu, "erf": pw.erf, "floor": pw.floor, "ceil": pw.ceil,
    "round": pw.round, "trunc": pw.trunc, "sign": pw.sign, "reciprocal": pw.reciprocal,
    "square": pw.square, "add": pw.add, "sub": pw.sub, "subtract": pw.sub, "mul": pw.mul,
    "multiply": pw.mul, "div": pw.div, "divide": pw.div, "true_divide": pw.div,
    "floor_divide": pw.floor_divide, "remainder": pw.remainder, "fmod": pw.fmod, "pow": pw.pow,
    "maximum": pw.maximum, "minimum": pw.minimum, "clamp": pw.clamp, "clip": pw.clamp,
    "clamp_min": pw.clamp_min, "clamp_max": pw.clamp_max,
    "where": lambda self, condition, other: pw.where(condition, self, other), "lerp": pw.lerp,
    "addcmul": pw.addcmul, "addcdiv": pw.addcdiv,
    "eq": pw.eq, "ne": pw.ne, "lt": pw.lt, "le": pw.le, "gt": pw.gt, "ge": pw.ge,
    "logical_not": pw.logical_not, "logical_and": pw.logical_and, "logical_or": pw.logical_or,
    "logical_xor": pw.logical_xor, "bitwise_and": pw.bitwise_and, "bitwise_or": pw.bitwise_or,
    "bitwise_xor": pw.bitwise_xor, "bitwise_not": pw.bitwise_not, "isnan": pw.isnan,
    "isinf": pw.isinf, "isfinite": pw.isfinite,
    # reductions
    "sum": red.sum, "mean": red.mean, "prod": red.prod, "max": red.max, "min": red.min,
    "amax": red.amax, "amin": red.amin, "argmax": red.argmax, "argmin": red.argmin,
    "var": red.var, "std": red.std, "logsumexp": red.logsumexp, "softmax": red.softmax,
    "log_softmax": red.log_softmax, "all": red.all, "any": red.any, "norm": red.norm,
    "count_nonzero": red.count_nonzero, "cumsum": red.cumsum,
    # sorting and selection
    "sort": sorting.sort, "argsort": sorting.argsort, "msort": sorting.msort, "topk": sorting.topk,
    "kthvalue": sorting.kthvalue, "median": sorting.median, "nanmedian": sorting.nanmedian,
    "mode": sorting.mode, "quantile": quantiles.quantile, "nanquantile": quantiles.nanquantile,
    "unique": uniqueness.unique, "unique_consecutive": uniqueness.unique_consecutive,
    "histc": counting.histc, "bincount": counting.bincount, "multinomial": sampling.multinomial,
    "histogram": histograms.histogram,
    # movement
    "view": sh.view, "view_as": sh.view_as, "reshape": sh.reshape, "reshape_as": sh.reshape_as,
    "flatten": sh.flatten, "unflatten": sh.unflatten, "permute": sh.permute,
    "transpose": sh.transpose, "swapaxes": sh.transpose, "swapdims": sh.transpose, "t": sh.t,
    "movedim": sh.movedim, "moveaxis": sh.movedim, "squeeze": sh.squeeze,
    "unsqueeze": sh.unsqueeze, "expand": sh.expand, "expand_as": sh.expand_as,
    "broadcast_to": sh.broadcast_to, "narrow": sh.narrow, "select": sh.select, "flip": sh.flip,
    "diagonal": sh.diagonal, "unbind": sh.unbind, "split": sh.split, "chunk": sh.chunk,
    "repeat": sh.repeat, "tile": sh.tile, "triu": sh.triu, "tril": sh.tril,
    "unfold": windows.unfold,
    # indexing
    "gather": indexing.gather, "scatter": indexing.scatter, "scatter_add": indexing.scatter_add,
    "index_select": indexing.index_select, "masked_fill": indexing.masked_fill,
    "masked_select": indexing.masked_select, "nonzero": indexing.nonzero,
    "take_along_dim": indexing.take_along_dim,
    "__getitem__": indexing.getitem, "__setitem__": _setitem,
    # linear algebra
    "matmul": linalg.matmul, "mm": linalg.mm, "bmm": linalg.bmm, "mv": linalg.mv,
    "dot": linalg.dot, "outer": linalg.outer,
    # in-place
    "copy_": inplace.copy_, "fill_": inplace.fill_, "zero_": inplace.zero_,
    "uniform_": random_fills.uniform_, "normal_": random_fills.normal_,
    "random_": random_fills.random_, "bernoulli_": random_fills.bernoulli_,
    "bernoulli": random_fills.bernoulli, "exponential_": random_fills.exponential_,
    "geometric_": random_fills.geometric_, "log_normal_": random_fills.log_normal_,
    "cauchy_": random_fills.cauchy_,
    # operators
    "__add__": pw.add, "__radd__": pw.add, "__sub__": pw.sub, "__rsub__": pw.rsub,
    "__mul__": pw.mul, "__rmul__": pw.mul, "__truediv__": pw.div, "__rtruediv__": _rdiv,
    "__floordiv__": pw.floor_divide, "__rfloordiv__": _reverse(pw.floor_divide),
    "__mod__": pw.remainder, "__rmod__": _reverse(pw.remainder), "__pow__": pw.pow,
    "__rpow__": _reverse(pw.pow), "__matmul__": linalg.matmul, "__rmatmul__": _matmul_rhs,
    "__neg__": pw.neg, "__pos__": lambda self: self, "__abs__": pw.abs,
    "__invert__": pw.invert, "__and__": pw.bitwise_and, "__rand__": pw.bitwise_and,
    "__or__": pw.bitwise_or, "__ror__": pw.bitwise_or, "__xor__": pw.bitwise_xor,
    "__rxor__": pw.bitwise_xor, "__eq__": pw.eq, "__ne__": pw.ne, "__lt__": pw.lt,
    "__le__": pw.le, "__gt__": pw.gt, "__ge__": pw.ge,
    "__ipow__": _ipow,
}

METHODS.update(tensor_utils.METHODS)  # memory queries, flags, legacy constructors, resize_...
# written into the tensor's buffer, their node saving the result (as PyTorch's)
METHODS.update({"relu_": result_inplace.relu_, "sigmoid_": result_inplace.sigmoid_,
                "tanh_": result_inplace.tanh_})

# In-place variants of out-of-place ops: ``x.add_(y)`` computes ``x + y`` and commits it into x.
INPLACE_OF = {
    "add_": pw.add, "sub_": pw.sub, "mul_": pw.mul, "div_": pw.div, "pow_": pw.pow,
    "clamp_": pw.clamp, "clip_": pw.clamp, "neg_": pw.neg, "abs_": pw.abs, "exp_": pw.exp,
    "clamp_min_": pw.clamp_min, "clamp_max_": pw.clamp_max,
    "log_": pw.log, "sqrt_": pw.sqrt,
    "floor_": pw.floor, "ceil_": pw.ceil, "round_": pw.round, "trunc_": pw.trunc,
    "sign_": pw.sign, "reciprocal_": pw.reciprocal, "remainder_": pw.remainder,
    "fmod_": pw.fmod, "maximum_": pw.maximum, "minimum_": pw.minimum, "lerp_": pw.lerp,
    "masked_fill_": indexing.masked_fill, "scatter_": indexing.scatter,
    "scatter_add_": indexing.scatter_add, "sin_": pw.sin, "cos_": pw.cos, "erf_": pw.erf,
    "square_": pw.square, "log1p_": pw.log1p, "expm1_": pw.expm1, "rsqrt_": pw.rsqrt,
    "addcmul_": pw.addcmul, "addcdiv_": pw.addcdiv,
}
OPERATOR_INPLACE = {
    "__iadd__": "add_", "__isub__": "sub_", "__imul__": "mul_", "__itruediv__": "div_",
    "__imod__": "remainder_",
}


# In-place ops that write straight into the tensor's buffer when no graph is recorded.
FAST_BINARY_INPLACE = {"add_": "add", "sub_": "sub", "mul_": "mul", "div_": "div"}
FAST_UNARY_INPLACE = {"neg_": "neg", "abs_": "abs", "exp_": "exp", "log_": "log", "sqrt_": "sqrt",
                      "sin_": "sin", "cos_": "cos", "floor_": "floor",
                      "round_": "round", "log1p_": "log1p", "expm1_": "expm1"}


def install() -> None:
    """Attach every method to ``Tensor`` (done once at import)."""
    for name, function in METHODS.items():
        setattr(Tensor, name, function)
    for name, function in INPLACE_OF.items():
        if name in FAST_BINARY_INPLACE:
            method = inplace.fast_binary_inplace(FAST_BINARY_INPLACE[name], function, name)
        elif name in FAST_UNARY_INPLACE:
            method = inplace.fast_unary_inplace(FAST_UNARY_INPLACE[name], function, name)
        else:
            method = inplace.make_inplace(function, name)
        setattr(Tensor, name, method)
    for dunder, name in OPERATOR_INPLACE.items():
        setattr(Tensor, dunder, getattr(Tensor, name))
    Tensor.__iand__ = inplace.make_inplace(pw.bitwise_and, "__iand__")
    Tensor.__ior__ = inplace.make_inplace(pw.bitwise_or, "__ior__")
    Tensor.__ixor__ = inplace.make_inplace(pw.bitwise_xor, "__ixor__")
    Tensor.T = property(lambda self: sh.permute(self, tuple(reversed(range(self.ndim)))))
    Tensor.mT = property(lambda self: sh.transpose(self, -2, -1))
    Tensor.H = Tensor.T
    Tensor.__hash__ = lambda self: id(self)


install()
