"""In-place random fills by distribution (``x.exponential_()``, ``x.geometric_(p)``,
``x.log_normal_()``, ``x.cauchy_()``, ``x.bernoulli(p)``) and PyTorch's argument checks for
``uniform_``, ``normal_``, ``random_`` and ``bernoulli_``.

Every sample is a transform of uniforms from the one Philox stream (``random.uniform_buffer``), so
a seed gives the same values on every backend (up to each backend's rounding of log/tan/exp).
"""
from __future__ import annotations

import math

from .. import dtypes
from . import inplace, pointwise as pw
from .random import uniform_buffer
from .support import Tensor

__all__ = ["bernoulli", "bernoulli_", "cauchy_", "exponential_", "geometric_", "log_normal_",
           "normal_", "random_", "uniform_"]

_TORCH_NAMES = {
    dtypes.float16: "Half", dtypes.bfloat16: "BFloat16", dtypes.float32: "Float",
    dtypes.float64: "Double", dtypes.int64: "Long", dtypes.int32: "Int", dtypes.int16: "Short",
    dtypes.int8: "Char", dtypes.uint8: "Byte", dtypes.bool: "Bool",
}


_C_NAMES = {
    dtypes.uint8: "unsigned char", dtypes.int8: "signed char", dtypes.int16: "short",
    dtypes.int32: "int", dtypes.int64: "long int", dtypes.bool: "bool", dtypes.float16: "c10::Half",
    dtypes.bfloat16: "c10::BFloat16", dtypes.float32: "float", dtypes.float64: "double",
}


def _require_floating(x: Tensor, op: str, distribution: str | None = None) -> None:
    if x._dtype.is_floating_point:
        return
    if distribution is not None:
        raise RuntimeError(f"{distribution} distribution is a continuous probability distribution. "
                           f"dtype must be a floating point but you specified {_TORCH_NAMES[x._dtype]}")
    raise NotImplementedError(f'"{op}" not implemented for \'{_TORCH_NAMES[x._dtype]}\'')


def _uniform(x: Tensor, generator) -> Tensor:
    """Uniforms in [0, 1) shaped like ``x``, in the dtype its sample is computed in."""
    work = dtypes.accumulate_dtype(x._dtype) if x._dtype.is_floating_point else dtypes.float32
    return x._like(uniform_buffer(x._backend, x._buf.shape, work, generator), work)


def _fill(x: Tensor, sample: Tensor) -> Tensor:
    return inplace.commit(x, sample.to(x._dtype) if sample._dtype is not x._dtype else sample,
                          "random fill")


def exponential_(x: Tensor, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples of the exponential distribution with rate ``lambd``."""
    _require_floating(x, "exponential_", "Exponential")
    if not lambd > 0.0:
        raise RuntimeError(f"exponential_ expects lambda > 0.0, but found lambda={lambd}")
    inplace.check_no_internal_overlap(x)
    u = _uniform(x, generator)
    return _fill(x, pw.log1p(-u) * (-1.0 / lambd))  # -log(1 - u) / lambd, u in [0, 1)


def geometric_(x: Tensor, p: float, *, generator=None) -> Tensor:
    """Fill with the number of Bernoulli(``p``) trials up to the first success (1, 2, ...)."""
    if not 0.0 < p < 1.0:
        raise RuntimeError(f"geometric_ expects p to be in (0, 1), but got p={p}")
    inplace.check_no_internal_overlap(x)
    u = _uniform(x, generator)
    trials = pw.ceil(pw.log1p(-u) / math.log1p(-p))
    return _fill(x, pw.clamp(trials, min=1.0))  # u == 0 gives 0 trials: count it as the first


def log_normal_(x: Tensor, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """Fill with ``exp(N(mean, std**2))`` samples."""
    _require_floating(x, "log_normal_")
    if not std > 0.0:
        raise RuntimeError(f"log_normal_ expects std > 0.0, but found std={std}")
    inplace.check_no_internal_overlap(x)
    from .random import normal_buffer
    work = dtypes.accumulate_dtype(x._dtype)
    z = x._like(normal_buffer(x._backend, x._buf.shape, work, generator), work)
    return _fill(x, pw.exp(z * std + mean))


def cauchy_(x: Tensor, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """Fill with Cauchy samples: ``median + sigma * tan(pi * (u - 1/2))``."""
    _require_floating(x, "cauchy_", "Cauchy")
    if not sigma > 0.0:
        raise RuntimeError(f"cauchy_ expects sigma > 0.0, but found sigma={sigma}")
    inplace.check_no_internal_overlap(x)
    u = _uniform(x, generator)
    return _fill(x, pw.tan((u - 0.5) * math.pi) * sigma + median)


def uniform_(x: Tensor, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples from U[a, b)."""
    _require_floating(x, "check_uniform_bounds")
    if a > b:
        raise RuntimeError(f"uniform_ expects to return a [from, to) range, but found from={a} > to={b}")
    return inplace.uniform_(x, a, b, generator=generator)


def normal_(x: Tensor, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with samples from N(mean, std**2)."""
    _require_floating(x, "normal_kernel_cpu")
    if std < 0.0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    return inplace.normal_(x, mean, std, generator=generator)


def _bounds(dtype: dtypes.dtype) -> tuple[int, int]:
    """The integers ``random_`` may produce for ``dtype`` (inclusive), as PyTorch's: floats up to
    2**digits, where every integer is exact."""
    if dtype is dtypes.bool:
        return 0, 1
    if dtype.is_floating_point:
        digits = {dtypes.float16: 11, dtypes.bfloat16: 8, dtypes.float32: 24, dtypes.float64: 53}[dtype]
        return -(2 ** digits), 2 ** digits
    info = dtypes.iinfo(dtype)
    return int(info.min), int(info.max)


def random_(x: Tensor, from_: int = 0, to: int | None = None, *, generator=None) -> Tensor:
    """``random_()``: integers over the dtype's exact range from 0; ``random_(to)``: [0, to);
    ``random_(from, to)``: [from, to)."""
    low, high = _bounds(x._dtype)
    name = _C_NAMES[x._dtype]
    if to is None:
        if from_:  # random_(to)
            from_, to = 0, from_
        else:  # int64's full range stops one short: the sampler's modulus must fit in int64
            return inplace.random_(x, 0, min(high + 1, 2 ** 63 - 1), generator=generator)
    if from_ >= to:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={from_} >= to={to}")
    if not low <= from_ <= high:
        raise RuntimeError(f"from is out of bounds for {name}")
    if not low <= to - 1 <= high:
        raise RuntimeError(f"to - 1 is out of bounds for {name}")
    return inplace.random_(x, from_, to, generator=generator)


def bernoulli_(x: Tensor, p=0.5, *, generator=None) -> Tensor:
    """Fill with 1 where a uniform falls below ``p`` (a float, or a tensor broadcast to ``x``)."""
    if not isinstance(p, Tensor) and not 0.0 <= p <= 1.0:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    inplace.check_no_internal_overlap(x)
    u = _uniform(x, generator)
    return _fill(x, pw.lt(u, p))


def bernoulli(x: Tensor, p: float | None = None, *, generator=None) -> Tensor:
    """``x.bernoulli()``: 0/1 samples with probabilities ``x``; ``x.bernoulli(p)``: with the
    scalar probability ``p``, shaped and typed like ``x``."""
    if p is None:
        u = _uniform(x, generator)
        return pw.lt(u, x.detach()).to(x._dtype)
    if isinstance(p, Tensor):
        raise TypeError("bernoulli() received an invalid combination of arguments - got (Tensor), "
                        "but expected one of: (*, Generator generator) or (float p, *, Generator generator)")
    if not 0.0 <= p <= 1.0:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    return pw.lt(_uniform(x, generator), p).to(x._dtype)
