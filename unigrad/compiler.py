"""``torch.compile`` and ``torch.compiler``: unigrad runs eagerly, so compiling returns the model
or function unchanged (programs that call ``torch.compile(model)`` run as they would with
``compile=False``)."""
from __future__ import annotations

__all__ = ["compile", "disable", "is_compiling", "is_dynamo_compiling", "is_exporting", "reset"]


def compile(model=None, *, fullgraph: bool = False, dynamic=None, backend=None, mode=None,  # noqa: A001
            options=None, name=None, disable: bool = False, **kwargs):
    """Return ``model`` itself: unigrad has no graph compiler. As a decorator factory
    (``@torch.compile(mode=...)``) it returns the identity decorator."""
    if model is None:
        return lambda function: function
    return model


def is_compiling() -> bool:
    return False


def is_dynamo_compiling() -> bool:
    return False


def is_exporting() -> bool:
    return False


def disable(fn=None, recursive: bool = True, *, reason=None):
    """Exclude ``fn`` from compilation: a no-op here (usable with or without arguments)."""
    if fn is None:
        return lambda function: function
    return fn


def reset() -> None:
    """Clear compilation caches: there are none."""


def allow_in_graph(fn):
    return fn


def assume_constant_result(fn):
    return fn
