"""``repr`` of tensors exactly as PyTorch prints them (``tensor([1.0000, 2.5000], requires_grad=True)``),
driven by ``set_printoptions``. The layout rules follow ``torch/_tensor_str.py``: one formatter per
tensor chooses integer, fixed or scientific notation and a common width from the shown values."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import dtypes

__all__ = ["set_printoptions", "tensor_repr"]


@dataclass
class _PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PRINT_OPTS = _PrintOptions()

_PROFILES = {
    "default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
    "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": dict(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(precision: int | None = None, threshold: float | None = None,
                     edgeitems: int | None = None, linewidth: int | None = None,
                     profile: str | None = None, sci_mode: bool | None = None) -> None:
    """Set how tensors print (PyTorch's ``torch.set_printoptions``).

    ``profile`` is ``"default"``, ``"short"`` or ``"full"`` and is applied first; the other
    arguments override it. ``sci_mode`` is reset to automatic (None) unless given, as in PyTorch.
    """
    if profile is not None:
        for key, value in _PROFILES.get(profile, {}).items():
            setattr(PRINT_OPTS, key, value)
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    """Chooses the notation and width shared by every element shown."""

    def __init__(self, values: np.ndarray) -> None:
        self.floating = values.dtype.kind == "f"
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        flat = values.reshape(-1)
        if not self.floating:
            for value in flat.tolist():
                self.max_width = max(self.max_width, len(f"{value}"))
            return
        shown = flat[np.isfinite(flat) & (flat != 0)]
        if not shown.size:
            return  # nothing to measure: integer notation, width 1 (sci_mode is not consulted)
        magnitude = np.abs(shown).astype(np.float64)
        smallest, largest = float(magnitude.min()), float(magnitude.max())
        self.int_mode = bool(np.all(shown == np.ceil(shown)))
        if PRINT_OPTS.sci_mode is None:
            self.sci_mode = largest / smallest > 1000.0 or largest > 1.0e8 or smallest < 1.0e-4
        else:
            self.sci_mode = PRINT_OPTS.sci_mode
        precision = PRINT_OPTS.precision
        as_python = shown.tolist()
        if self.sci_mode:
            widths = (len(f"{v:.{precision}e}") for v in as_python)
        elif self.int_mode:
            widths = (len(f"{v:.0f}") + 1 for v in as_python)
        else:
            widths = (len(f"{v:.{precision}f}") for v in as_python)
        self.max_width = max(self.max_width, max(widths))

    def width(self) -> int:
        return self.max_width

    def format(self, value) -> str:
        if self.floating:
            precision = PRINT_OPTS.precision
            if self.sci_mode:
                text = f"{value:{self.max_width}.{precision}e}"
            elif self.int_mode:
                text = f"{value:.0f}"
                if not (math.isinf(value) or math.isnan(value)):
                    text += "."
            else:
                text = f"{value:.{precision}f}"
        else:
            text = f"{value}"
        return (self.max_width - len(text)) * " " + text


def _summarized(values: np.ndarray) -> np.ndarray:
    """Only the values a summarised print shows (the ``edgeitems`` at each end of each dim)."""
    edge = PRINT_OPTS.edgeitems
    if values.ndim == 0:
        return values
    if values.ndim > 1 and not edge:
        return values[tuple(slice(0, 0) for _ in values.shape)]
    if values.shape[0] > 2 * edge:
        values = np.concatenate((values[:edge], values[values.shape[0] - edge:]))
    if values.ndim == 1:
        return values
    return np.stack([_summarized(row) for row in values])


def _vector_str(values: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    element_length = formatter.width() + 2
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))
    edge = PRINT_OPTS.edgeitems
    if summarize and not edge:
        data = ["..."]
    elif summarize and values.shape[0] > 2 * edge:
        data = ([formatter.format(v) for v in values[:edge].tolist()] + [" ..."] +
                [formatter.format(v) for v in values[values.shape[0] - edge:].tolist()])
    else:
        data = [formatter.format(v) for v in values.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str(values: np.ndarray, indent: int, summarize: bool, formatter: _Formatter) -> str:
    if values.ndim == 0:
        return formatter.format(values.item())
    if values.ndim == 1:
        return _vector_str(values, indent, summarize, formatter)
    edge = PRINT_OPTS.edgeitems
    rows = values.shape[0]
    if summarize and rows > 2 * edge:
        slices = ([_tensor_str(values[i], indent + 1, summarize, formatter) for i in range(edge)] +
                  ["..."] +
                  [_tensor_str(values[i], indent + 1, summarize, formatter)
                   for i in range(rows - edge, rows)])
    else:
        slices = [_tensor_str(values[i], indent + 1, summarize, formatter) for i in range(rows)]
    return "[" + ("," + "\n" * (values.ndim - 1) + " " * (indent + 1)).join(slices) + "]"


def _add_suffixes(text: str, suffixes: list, indent: int) -> str:
    parts = [text]
    last_line_len = len(text) - text.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


def _host_values(t) -> np.ndarray:
    values = np.asarray(t.detach()._host())
    if values.dtype == np.float16 or values.dtype == dtypes.bfloat16.numpy:
        values = values.astype(np.float32)
    return values


def tensor_repr(t) -> str:
    prefix = "tensor("
    indent = len(prefix)
    suffixes = []
    if t.device.type != "cpu":
        suffixes.append(f"device='{t.device}'")
    default_shown = t.dtype in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool)
    if t.numel() == 0:
        if t.ndim != 1:
            suffixes.append(f"size={tuple(t.shape)}")
        if t.dtype is not dtypes.get_default_dtype():
            suffixes.append(f"dtype={t.dtype!r}")
        body = "[]"
    else:
        if not PRINT_OPTS.edgeitems:
            suffixes.append(f"size={tuple(t.shape)}")
        if not default_shown:
            suffixes.append(f"dtype={t.dtype!r}")
        values = _host_values(t)
        summarize = values.size > PRINT_OPTS.threshold
        formatter = _Formatter(_summarized(values) if summarize else values)
        body = _tensor_str(values, indent, summarize, formatter)
    try:
        node = t.grad_fn
    except RuntimeError:  # a view that may no longer be used under autograd (PyTorch prints this)
        node = _INVALID
    if node is not None:
        suffixes.append(f"grad_fn=<{node.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    text = _add_suffixes(prefix + body, suffixes, indent)
    return "Parameter containing:\n" + text if t._is_param else text


class _InvalidNode:
    """What a view's grad_fn prints as when reading it raises."""

    @staticmethod
    def name() -> str:
        return "Invalid"


_INVALID = _InvalidNode()
