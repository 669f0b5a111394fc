"""NumPy's spellings of PyTorch's argument names, which PyTorch accepts as aliases.

PyTorch's argument parser takes ``axis`` for ``dim`` and ``keepdims`` for ``keepdim`` in every
function and method (``x.argmax(axis=1)``, ``torch.sum(x, axis=0, keepdims=True)``); programs
written against NumPy habits (the d2l book's, for one) rely on it.
"""
from __future__ import annotations

import functools

_ALIASES = (("axis", "dim"), ("keepdims", "keepdim"))


def accept_numpy_names(fn):
    """``fn`` taking ``axis``/``keepdims`` as ``dim``/``keepdim``; giving both is a TypeError."""
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            for alias, canonical in _ALIASES:
                if alias in kwargs:
                    if canonical in kwargs:
                        raise TypeError(f"{name}() got multiple values for argument '{canonical}'")
                    kwargs[canonical] = kwargs.pop(alias)
        return fn(*args, **kwargs)
    return wrapper
