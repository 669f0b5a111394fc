"""Window functions (``torch.hann_window`` and friends), computed on the target device."""
from __future__ import annotations

import math

from .. import creation, dtypes
from . import pointwise as pw
from .special_math import i0

__all__ = ["bartlett_window", "blackman_window", "hamming_window", "hann_window", "kaiser_window"]


def _positions(name: str, window_length: int, periodic: bool, dtype, device):
    """``(n, N)``: sample positions ``0 .. L-1`` as floats and the window's period ``N`` (``L``
    when periodic, else ``L - 1``); ``None`` for the trivial lengths 0 and 1."""
    if window_length < 0:
        raise RuntimeError(f"{name} requires non-negative window_length, got window_length={window_length}")
    dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.get_default_dtype()
    if not dtype.is_floating_point:
        raise RuntimeError(f"{name} expects floating point dtypes, got: {dtype}")
    if window_length <= 1:
        return None, creation.ones(window_length, dtype=dtype, device=device)
    period = window_length if periodic else window_length - 1
    return (creation.arange(window_length, dtype=dtype, device=device), period), None


def _finish(window, requires_grad: bool):
    return window.requires_grad_() if requires_grad else window


def _cosine_sum(name, window_length, periodic, coefficients, dtype, device, requires_grad):
    """``sum_k (-1)^k a_k cos(2 pi k n / N)``: Hann, Hamming and Blackman windows."""
    found, trivial = _positions(name, window_length, periodic, dtype, device)
    if trivial is not None:
        return _finish(trivial, requires_grad)
    n, period = found
    window = None
    for k, a in enumerate(coefficients):
        term = pw.cos(n * (2 * math.pi * k / period)) * (a if k % 2 == 0 else -a) if k else \
            creation.full_like(n, a)
        window = term if window is None else window + term
    return _finish(window, requires_grad)


def hann_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                requires_grad: bool = False):
    """``0.5 - 0.5 cos(2 pi n / N)``."""
    return _cosine_sum("hann_window", window_length, periodic, (0.5, 0.5), dtype, device, requires_grad)


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *,
                   dtype=None, layout=None, device=None, requires_grad: bool = False):
    """``alpha - beta cos(2 pi n / N)``."""
    return _cosine_sum("hamming_window", window_length, periodic, (alpha, beta), dtype, device, requires_grad)


def blackman_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    requires_grad: bool = False):
    """``0.42 - 0.5 cos(2 pi n / N) + 0.08 cos(4 pi n / N)``."""
    return _cosine_sum("blackman_window", window_length, periodic, (0.42, 0.5, 0.08), dtype, device,
                       requires_grad)


def bartlett_window(window_length: int, periodic: bool = True, *, dtype=None, layout=None, device=None,
                    requires_grad: bool = False):
    """The triangular window ``1 - |2 n / N - 1|``."""
    found, trivial = _positions("bartlett_window", window_length, periodic, dtype, device)
    if trivial is not None:
        return _finish(trivial, requires_grad)
    n, period = found
    return _finish(1 - pw.abs(n * (2.0 / period) - 1), requires_grad)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype=None, layout=None,
                  device=None, requires_grad: bool = False):
    """``I0(beta sqrt(1 - (2 n / N - 1)^2)) / I0(beta)``."""
    found, trivial = _positions("kaiser_window", window_length, periodic, dtype, device)
    if trivial is not None:
        return _finish(trivial, requires_grad)
    n, period = found
    ratio = n * (2.0 / period) - 1
    argument = pw.sqrt(pw.clamp(1 - ratio * ratio, min=0.0)) * beta
    return _finish(i0(argument) / i0(creation.full_like(n, beta)), requires_grad)
