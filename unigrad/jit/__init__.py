"""``torch.jit`` for code that decorates with it: ``script`` and ``trace`` return their argument
(unigrad runs eagerly; TorchScript files cannot be saved or loaded), and ``is_scripting()`` /
``is_tracing()`` are False so scripted-only branches are skipped as in eager PyTorch."""
from __future__ import annotations

from typing import Final  # noqa: F401  (torch.jit.Final)

__all__ = ["Final", "export", "ignore", "is_scripting", "is_tracing", "script", "trace", "unused"]


def script(obj, optimize=None, _frames_up: int = 0, _rcb=None, example_inputs=None):
    """The function or module itself (run eagerly)."""
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """The function or module itself (run eagerly; nothing is recorded)."""
    return func


def ignore(drop=False, **kwargs):
    """Accepted as ``@jit.ignore`` and ``@jit.ignore(drop=True)``."""
    if callable(drop):
        return drop
    return lambda function: function


def unused(fn):
    return fn


def export(fn):
    return fn


def is_scripting() -> bool:
    return False


def is_tracing() -> bool:
    return False


def save(m, f, _extra_files=None) -> None:
    raise RuntimeError("unigrad cannot write TorchScript archives; save a state_dict with "
                       "unigrad.save(model.state_dict(), path) instead")


def load(f, map_location=None, _extra_files=None):
    raise RuntimeError("unigrad cannot read TorchScript archives; load a state_dict with unigrad.load")
