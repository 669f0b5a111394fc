"""``unigrad.compile(module)``: a module whose calls are compiled and whose state is the original's.

Unlike PyTorch's ``OptimizedModule`` (whose ``state_dict`` keys gain an ``_orig_mod.`` prefix),
the wrapper is transparent: parameters, buffers, ``state_dict`` keys, ``train()``/``eval()``,
attribute reads and writes all go to the original module, so checkpoints load either way.
"""
from __future__ import annotations

from ..nn.modules.module import Module
from .compiled import CompiledFunction

_PASS_THROUGH = (
    "state_dict", "load_state_dict", "parameters", "named_parameters", "buffers", "named_buffers",
    "children", "named_children", "modules", "named_modules", "get_submodule", "get_parameter",
    "train", "eval", "requires_grad_", "zero_grad", "apply", "to", "cpu", "cuda", "float", "double",
    "half", "type", "share_memory", "register_parameter", "register_buffer", "add_module",
    "register_module", "register_forward_hook", "register_forward_pre_hook", "extra_repr",
)


class CompiledModule(Module):
    """What ``unigrad.compile(module)`` returns; ``_orig_mod`` is the module itself."""

    def __init__(self, module: Module, settings: dict) -> None:
        object.__setattr__(self, "_orig_mod", module)
        object.__setattr__(self, "_compiled_call", CompiledFunction(
            module.__call__, name=type(module).__name__, **settings))

    def __call__(self, *args, **kwargs):
        return self._compiled_call(*args, **kwargs)

    forward = __call__

    def __getattr__(self, name: str):
        if name in ("_orig_mod", "_compiled_call"):
            raise AttributeError(name)
        return getattr(self._orig_mod, name)

    def __setattr__(self, name: str, value) -> None:
        setattr(self._orig_mod, name, value)

    def __delattr__(self, name: str) -> None:
        delattr(self._orig_mod, name)

    def __dir__(self):
        return dir(self._orig_mod)

    def __repr__(self) -> str:
        return f"CompiledModule({self._orig_mod!r})"

    def __getstate__(self):
        return {"_orig_mod": self._orig_mod}

    def __setstate__(self, state) -> None:
        object.__setattr__(self, "_orig_mod", state["_orig_mod"])
        object.__setattr__(self, "_compiled_call", CompiledFunction(
            self._orig_mod.__call__, name=type(self._orig_mod).__name__))


def _delegate(name: str):
    def method(self, *args, **kwargs):
        result = getattr(self._orig_mod, name)(*args, **kwargs)
        return self if result is self._orig_mod else result
    method.__name__ = name
    method.__doc__ = getattr(Module, name, None).__doc__ if hasattr(Module, name) else None
    return method


for _name in _PASS_THROUGH:
    setattr(CompiledModule, _name, _delegate(_name))
