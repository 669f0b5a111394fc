"""``repr`` of tensors in PyTorch's style: ``tensor([1.0000, 2.5000], requires_grad=True)``."""
from __future__ import annotations

import numpy as np

from . import dtypes

_DEFAULT_SHOWN = {dtypes.int64, dtypes.bool}


def _float_formatter(values: np.ndarray):
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.4f}"
    magnitude = np.abs(finite)
    nonzero = magnitude[magnitude > 0]
    integral = np.all(finite == np.round(finite))
    big = magnitude.max() >= 1e8
    small = nonzero.size and nonzero.min() < 1e-4
    if integral and not big:
        width = max(len(f"{v:.0f}") for v in finite) + 1
        return lambda v: _special(v) or f"{v:.0f}.".rjust(width)
    if big or small or (nonzero.size and nonzero.max() / nonzero.min() > 1e3 and magnitude.max() > 1e3):
        return lambda v: _special(v) or f"{v:.4e}"
    width = max(len(f"{v:.4f}") for v in finite)
    return lambda v: _special(v) or f"{v:.4f}".rjust(width)


def _special(v) -> str | None:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return None


def tensor_repr(t) -> str:
    values = np.asarray(t.detach()._host())
    if values.dtype == np.float16 or values.dtype == dtypes.bfloat16.numpy:
        values = values.astype(np.float32)
    prefix = "tensor("
    if values.dtype.kind == "f":
        formatter = {"float_kind": _float_formatter(values)}
    elif values.dtype.kind == "b":
        width = 5 if (~values).any() else 4
        formatter = {"bool": lambda v: ("True" if v else "False").rjust(width)}
    else:
        formatter = None
    body = np.array2string(values, separator=", ", prefix=prefix, formatter=formatter,
                           threshold=1000, edgeitems=3, max_line_width=80)
    if values.size == 0 and values.ndim == 1:
        body = "[]"
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    if values.size == 0 and values.ndim > 1:
        suffixes.append(f"size={tuple(values.shape)}")
    if t.dtype not in _DEFAULT_SHOWN and t.dtype is not dtypes.get_default_dtype():
        suffixes.append(f"dtype={t.dtype!r}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    text = prefix + body + "".join(", " + s for s in suffixes) + ")"
    return "Parameter containing:\n" + text if t._is_param else text
