"""Grad modes: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` (context managers and decorators)."""
from __future__ import annotations

import functools
import threading


class _GradState(threading.local):
    enabled = True
    inference = False


_state = _GradState()
#: how many ``inference_mode`` scopes are open in any thread: while 0, ``Tensor._make`` marks
#: nothing and pays only this one lookup
inference_scopes = [0]


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


def is_inference_mode_enabled() -> bool:
    """Whether this thread is inside ``inference_mode()``."""
    return _state.inference


class inference_mode(_GradModeContext):
    """Like ``no_grad``, and tensors created inside report ``is_inference()`` (PyTorch's
    ``torch.inference_mode``). ``inference_mode(False)`` is normal mode: grad recording on.
    Works with ``with``, as ``@inference_mode()`` and as a bare ``@inference_mode``."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return super().__new__(cls)
        return cls()(mode)  # used as a bare decorator: mode is the function

    def __init__(self, mode: bool = True) -> None:
        self.mode = mode

    def __enter__(self):
        self._previous = (_state.enabled, _state.inference)
        _state.enabled = not self.mode
        _state.inference = self.mode
        if self.mode:
            inference_scopes[0] += 1
        return self

    def __exit__(self, *exc_info) -> None:
        if self.mode:
            inference_scopes[0] -= 1
        _state.enabled, _state.inference = self._previous

    def clone(self) -> "inference_mode":
        return self.__class__(self.mode)

    def _fresh(self):
        return self.clone()
