"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` (context managers and decorators)."""
from __future__ import annotations

import functools
import threading


class _GradState(threading.local):
    enabled = True


_state = _GradState()


def is_grad_enabled() -> bool:
    """Whether ops record the autograd graph on this thread."""
    return _state.enabled


class _GradModeContext:
    """Base of the grad-mode switches: usable with ``with`` and as a decorator."""

    _target: bool = True

    def __enter__(self):
        self._previous = _state.enabled
        _state.enabled = self._target
        return self

    def __exit__(self, *exc_info) -> None:
        _state.enabled = self._previous

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with self.__class__._fresh(self):
                return func(*args, **kwargs)
        return wrapper

    def _fresh(self):
        return self.__class__()


class no_grad(_GradModeContext):
    """Disable graph recording: results of ops have ``requires_grad=False``."""

    _target = False


class enable_grad(_GradModeContext):
    """Enable graph recording (inside a ``no_grad`` region, for example)."""

    _target = True


class set_grad_enabled(_GradModeContext):
    """Enable or disable graph recording; takes effect at once, like PyTorch's, and also works
    as a context manager or decorator."""

    def __init__(self, mode: bool) -> None:
        self._target = bool(mode)
        self._previous = _state.enabled
        _state.enabled = self._target

    def __enter__(self):
        return self

    def __call__(self, func):
        _state.enabled = self._previous  # as a decorator it must not switch the mode right away
        return super().__call__(func)

    def _fresh(self):
        return _SetGradEnabledScope(self._target)


class _SetGradEnabledScope(_GradModeContext):
    def __init__(self, mode: bool) -> None:
        self._target = mode
