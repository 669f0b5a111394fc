"""Conformance cases for window functions, histograms and ``gradient`` (composites of existing
primitives) and the top-level ATen spellings of nn operations."""
from __future__ import annotations

from .cases import Case, fixed


def _windows(lib, x):
    windows = [lib.hann_window(8, dtype=x.dtype, device=x.device),
               lib.hamming_window(7, False, dtype=x.dtype, device=x.device),
               lib.blackman_window(6, dtype=x.dtype, device=x.device),
               lib.bartlett_window(5, dtype=x.dtype, device=x.device),
               lib.kaiser_window(6, True, 4.0, dtype=x.dtype, device=x.device)]
    return [x[:w.shape[0]] * w for w in windows]


def _histogram(lib, x, w):
    # bins whose edges sit away from the values (no tie decided by an edge's last bit)
    hist, edges = lib.histogram(x, 4, range=(-2.5, 2.5), weight=w.abs())
    grid, _ = lib.histogramdd(x.reshape(-1, 2), [2, 3], range=[-2.5, 2.5, -2.5, 2.5])
    return hist, edges, grid


CASES = [
    Case("windows", "elementwise", _windows, fixed(((8,), "real")), ("vector",), ("float32", "float64"), True,
         "transcendental", ("cos", "mul", "add")),
    Case("histogram", "reduction", _histogram, fixed(((12,), "real"), ((12,), "real")), ("vector",),
         ("float32", "float64"), False, "rounded", ("sort", "scatter_add", "lt")),
    Case("gradient", "elementwise", lambda lib, x: (*lib.gradient(x, spacing=0.5), *lib.gradient(x, dim=1, edge_order=2)),
         fixed(((4, 6), "real")), ("matrix",), ("float32", "float64"), True, "rounded", ("sub", "div", "as_strided")),
    Case("aten_spellings", "nn", lambda lib, x, w: (lib.layer_norm(x, (5,), None, None, 1e-5, True),
                                                    lib.embedding(w, lib.tensor([[0, 2], [3, 1]], device=w.device), -1),
                                                    lib.threshold(x, 0.1, -1.0), lib.celu(x, 0.5)),
         fixed(((3, 5), "real"), ((4, 3), "real")), ("matrix",), ("float32", "float64"), True, "transcendental",
         ("gather", "sum", "sqrt", "where")),
]
