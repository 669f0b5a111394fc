"""Smaller top-level names of ``torch`` that ordinary code touches: build flags, ``poisson`` and
``binomial`` sampling, ``empty_permuted``, ``to_dlpack``, ``resize_as_``, and the Tensor methods
``hardshrink``, ``prelu``, ``resize`` and ``resize_as``."""
from __future__ import annotations

import warnings

from . import creation
from .tensor import Tensor

__all__ = ["binomial", "empty_permuted", "has_lapack", "has_mkl", "has_openmp", "has_spectral", "poisson",
           "resize_as_", "to_dlpack"]

#: PyTorch's build flags. unigrad has no LAPACK/MKL/OpenMP/FFT build of its own: these say what
#: ordinary code checks them for (whether the matching CPU paths exist), which here they do not.
has_lapack = has_mkl = has_openmp = has_spectral = False


def poisson(input: Tensor, generator=None) -> Tensor:  # noqa: A002 - PyTorch's name
    """Samples from Poisson distributions with rates ``input`` (unigrad's random stream)."""
    from ..distributions._sampling import poisson as sample
    return sample(input.detach())


def binomial(count: Tensor, prob: Tensor, generator=None) -> Tensor:
    """Samples from binomial distributions with ``count`` trials of probability ``prob``."""
    from ..distributions._sampling import binomial as sample
    return sample(count.detach(), prob.detach())


def empty_permuted(size, physical_layout, *, dtype=None, device=None, requires_grad: bool = False,
                   layout=None, pin_memory: bool = False) -> Tensor:
    """An uninitialised tensor of ``size`` whose dims lie in memory in the order
    ``physical_layout`` (outermost first): ``empty(size permuted).permute(inverse)``."""
    size, order = tuple(size), tuple(physical_layout)
    if sorted(order) != list(range(len(size))):
        raise RuntimeError(f"Number of dimensions in size does not match the length of the physical_layout; "
                           f"or physical_layout is not a permutation of the dims: {list(order)}")
    storage = creation.empty(tuple(size[d] for d in order), dtype=dtype, device=device)
    inverse = [order.index(d) for d in range(len(size))]
    out = storage.permute(*inverse)
    return out.requires_grad_() if requires_grad else out


def to_dlpack(tensor: Tensor):
    """A DLPack capsule of ``tensor`` (``torch.utils.dlpack.to_dlpack``)."""
    return tensor.__dlpack__()


def resize_as_(input: Tensor, other: Tensor, *, memory_format=None) -> Tensor:  # noqa: A002
    return input.resize_as_(other)


def _resize(self: Tensor, *sizes) -> Tensor:
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    return self.clone().resize_(*sizes)


def _resize_as(self: Tensor, other: Tensor) -> Tensor:
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    return self.clone().resize_as_(other)


def _hardshrink(self: Tensor, lambd: float = 0.5) -> Tensor:
    from ..nn import functional as F
    return F.hardshrink(self, lambd)


def _prelu(self: Tensor, weight: Tensor) -> Tensor:
    from ..nn import functional as F
    return F.prelu(self, weight)


METHODS = {"resize": _resize, "resize_as": _resize_as, "hardshrink": _hardshrink, "prelu": _prelu}
for _name, _method in METHODS.items():
    if not hasattr(Tensor, _name):
        setattr(Tensor, _name, _method)
