"""``unigrad.return_types``: the named tuples ops return, like ``torch.return_types``.

``values, indices = x.sort()`` unpacks them and ``x.sort().indices`` reads a field; the class of
the result is named after the op (``type(x.sort()).__name__ == "sort"``) as in PyTorch.
"""
from __future__ import annotations

from collections import namedtuple

__all__ = ["sort", "topk", "kthvalue", "median", "nanmedian", "mode", "max", "min", "aminmax",
           "cummax", "cummin", "histogram", "histogramdd"]


def _return_type(name: str, fields: tuple):
    base = namedtuple(name, fields)

    def __repr__(self) -> str:  # PyTorch prints each field on its own line
        body = ",\n".join(f"{field}={value!r}" for field, value in zip(fields, self))
        return f"unigrad.return_types.{name}(\n{body})"

    cls = type(name, (base,), {"__slots__": (), "__repr__": __repr__, "__module__": __name__})
    cls.__qualname__ = name
    return cls


_VALUES_INDICES = ("values", "indices")
sort = _return_type("sort", _VALUES_INDICES)
topk = _return_type("topk", _VALUES_INDICES)
kthvalue = _return_type("kthvalue", _VALUES_INDICES)
median = _return_type("median", _VALUES_INDICES)
nanmedian = _return_type("nanmedian", _VALUES_INDICES)
mode = _return_type("mode", _VALUES_INDICES)
max = _return_type("max", _VALUES_INDICES)  # noqa: A001 - PyTorch's name
min = _return_type("min", _VALUES_INDICES)  # noqa: A001
aminmax = _return_type("aminmax", ("min", "max"))
cummax = _return_type("cummax", _VALUES_INDICES)
cummin = _return_type("cummin", _VALUES_INDICES)
histogram = _return_type("histogram", ("hist", "bin_edges"))
histogramdd = _return_type("histogramdd", ("hist", "bin_edges"))
