"""Top-level spellings PyTorch has for things unigrad already computes: ``rsub``, ``get_device``,
and the complex-number helpers that are identities on real tensors (``conj``, ``real``...)."""
from __future__ import annotations

from .ops import pointwise as pw
from .tensor import Tensor

__all__ = ["conj", "get_device", "imag", "real", "resolve_conj", "resolve_neg", "rsub"]


def rsub(input: Tensor, other, *, alpha=1) -> Tensor:
    """``other - alpha * input`` (subtraction with the operands reversed)."""
    return pw.sub(other, input, alpha=alpha)


def get_device(input: Tensor) -> int:
    """The device index of ``input`` (-1 on cpu)."""
    return input.get_device()


def conj(input: Tensor) -> Tensor:
    """``input`` itself: real tensors are their own conjugate."""
    return input


def resolve_conj(input: Tensor) -> Tensor:
    return input


def resolve_neg(input: Tensor) -> Tensor:
    return input


def real(input: Tensor) -> Tensor:
    """``input`` itself: the real part of a real tensor."""
    return input


def imag(input: Tensor) -> Tensor:
    raise RuntimeError("imag is not implemented for tensors with non-complex dtypes.")
