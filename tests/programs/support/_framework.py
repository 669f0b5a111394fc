"""The framework (unigrad or torch) the stand-ins build tensors and modules with.

One process runs one framework: a ``support.<framework>_vision`` shim binds it before the
``support.vision`` modules are imported, and they read it at import time.
"""
import types

torch: types.ModuleType | None = None


def use(framework: types.ModuleType) -> None:
    """Bind ``framework``; binding a second, different one in the same process is an error."""
    global torch
    if torch is not None and torch is not framework:
        raise RuntimeError(f"support is bound to {torch.__name__}; cannot also use {framework.__name__}")
    torch = framework


def get() -> types.ModuleType:
    if torch is None:
        raise RuntimeError("import support.unigrad_vision or support.torch_vision first")
    return torch
