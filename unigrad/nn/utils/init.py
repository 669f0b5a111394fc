"""``skip_init``: build a module without initialising its parameters."""
from __future__ import annotations

import inspect

from ...api import creation
from ...autograd.grad_mode import no_grad
from ..modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """An instance of ``module_cls`` whose parameters and buffers are left uninitialised (as
    PyTorch's ``to_empty``). unigrad has no meta device, so the module is built on ``device``
    and its tensors then replaced by uninitialised ones of the same shape, dtype and device;
    the class must accept ``device``, as PyTorch requires."""
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs.setdefault("device", "cpu")
    module = module_cls(*args, **kwargs)
    with no_grad():
        for sub in module.modules():
            for name, param in sub._parameters.items():
                if param is not None:
                    param.data = creation.empty_like(param)
            for name, buf in sub._buffers.items():
                if buf is not None:
                    sub._buffers[name] = creation.empty_like(buf)
    return module
