"""Top-level spellings PyTorch has for things unigrad already computes: ``rsub``, ``get_device``,
and the complex-number helpers that are identities on real tensors (``conj``, ``real``...)."""
from __future__ import annotations

from .ops import pointwise as pw
from .tensor import Tensor

__all__ = ["conj", "detach_", "fill", "fill_", "get_device", "get_device_module", "imag", "real",
           "resolve_conj", "resolve_neg", "rsub", "zero_"]


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


def zero_(input: Tensor) -> Tensor:
    """``input.zero_()``."""
    return input.zero_()


def fill_(input: Tensor, value) -> Tensor:
    """``input.fill_(value)``."""
    return input.fill_(value)


def fill(input: Tensor, value) -> Tensor:
    """A new tensor shaped like ``input`` filled with ``value`` (its gradient is zero)."""
    out = input.detach().clone().fill_(value)
    return out._attach("FillBackward0", lambda g: (g * 0,), (input,))


def detach_(input: Tensor) -> Tensor:
    return input.detach_()


def get_device_module(device=None):
    """The module for a device type: ``unigrad.cuda`` for ``"cuda"``, ``unigrad.cpu`` for
    ``"cpu"`` (the accelerator's when ``device`` is None)."""
    import importlib

    from .. import accelerator
    from .device import device as Device
    if device is None:
        current = accelerator.current_accelerator()
        kind = current.type if current is not None else "cpu"
    else:
        kind = device if isinstance(device, str) and ":" not in device else Device(device).type
    try:
        return importlib.import_module(f"unigrad.{kind}")
    except ModuleNotFoundError:
        raise RuntimeError(f"Device '{kind}' does not have a corresponding module registered as "
                           f"'unigrad.{kind}'.") from None
