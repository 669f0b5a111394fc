"""``torch.__future__``: opt-in flags for behaviours that will become the default, here how
``nn.Module._apply`` (``to``, ``float``, ``cuda``...) treats parameters and their gradients."""
from __future__ import annotations

__all__ = ["get_overwrite_module_params_on_conversion", "get_swap_module_params_on_conversion",
           "set_overwrite_module_params_on_conversion", "set_swap_module_params_on_conversion"]

_overwrite_module_params_on_conversion: bool = False
_swap_module_params_on_conversion: bool = False


def set_overwrite_module_params_on_conversion(value: bool) -> None:
    """With True, ``Module._apply`` assigns new Parameters instead of setting ``param.data``
    (references to the old parameters no longer follow the module)."""
    global _overwrite_module_params_on_conversion
    _overwrite_module_params_on_conversion = value


def get_overwrite_module_params_on_conversion() -> bool:
    return _overwrite_module_params_on_conversion


def set_swap_module_params_on_conversion(value: bool) -> None:
    """With True, ``Module._apply`` and ``load_state_dict`` use ``torch.utils.swap_tensors`` to
    keep each parameter object while swapping in the converted (loaded) one's contents."""
    global _swap_module_params_on_conversion
    _swap_module_params_on_conversion = value


def get_swap_module_params_on_conversion() -> bool:
    return _swap_module_params_on_conversion
