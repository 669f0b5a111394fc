"""``autocast``: regions where chosen ops run in float16/bfloat16 and others in float32.

Ops that autocast may recast test ``autocast_state.local.active`` on entry and, inside a region,
come here (``dispatch``): their floating arguments on the region's device type are cast by the
op's policy (``unigrad.amp.policy``) and the op runs with autocast paused, so the ops it is built
from are not recast again. Casts of float32 leaf tensors that require grad (parameters) are cached
until the outermost region exits, so a weight used at every time step is cast once.
"""
from __future__ import annotations

import functools
import warnings
import weakref

from ..api import autocast_state, dtypes
from ..api.device import device as Device
from ..api.ops.pointwise import to_dtype
from ..api.tensor import Tensor
from ..autograd.grad_mode import _state as _grad_state
from ..backends import registry
from . import policy

__all__ = ["autocast", "is_autocast_available", "is_autocast_enabled", "get_autocast_dtype",
           "clear_autocast_cache", "custom_fwd", "custom_bwd"]

_local = autocast_state.local
_LOW = dtypes.LOW_PRECISION


def _backend_info(device_type: str):
    info = {i.name: i for i in registry.registered()}.get(device_type)
    if info is None:
        names = ", ".join(repr(i.name) for i in registry.registered())
        raise RuntimeError(f"autocast: unknown device_type {device_type!r}; registered device types: {names}")
    return info


def is_autocast_available(device_type: str) -> bool:
    """Whether ``device_type`` names a registered backend that can run here."""
    info = {i.name: i for i in registry.registered()}.get(device_type)
    return bool(info and info.available)


def _default_dtype(device_type: str):
    backend = registry.get_backend(Device(device_type))
    if backend.autocast_dtype is not None:
        return backend.autocast_dtype
    for candidate in (dtypes.float16, dtypes.bfloat16):
        if candidate in backend.supported_dtypes:
            return candidate
    return dtypes.float16


def get_autocast_dtype(device_type: str) -> dtypes.dtype:
    """The low-precision dtype autocast uses on ``device_type`` (the region's, else the default:
    bfloat16 on "cpu", float16 elsewhere where the device holds it, else bfloat16)."""
    setting = _local.settings.get(device_type)
    if setting is not None:
        return setting[1]
    return _default_dtype(device_type) if is_autocast_available(device_type) else dtypes.float16


def is_autocast_enabled(device_type: str = "cuda") -> bool:
    """Whether an enabled autocast region for ``device_type`` is open on this thread."""
    setting = _local.settings.get(device_type)
    return bool(setting and setting[0])


def clear_autocast_cache() -> None:
    """Drop this thread's cached low-precision casts of parameters."""
    _local.cache = {}


# ----- PyTorch's global switches (this thread's state outside any ``with autocast`` block) --------
def set_autocast_enabled(device_type, enabled=None) -> None:
    """Turn autocast on or off for ``device_type`` on this thread, as entering a region does but
    without an exit (``set_autocast_enabled(True)`` alone, PyTorch's old form, means "cuda")."""
    if enabled is None:
        device_type, enabled = "cuda", device_type
    previous = _local.settings.get(device_type)
    dtype = previous[1] if previous else get_autocast_dtype(device_type)
    cache = previous[2] if previous else is_autocast_cache_enabled()
    _set(device_type, (bool(enabled), dtype, cache))


def set_autocast_dtype(device_type: str, dtype) -> None:
    """The low-precision dtype autocast uses on ``device_type`` from now on (this thread)."""
    previous = _local.settings.get(device_type)
    _set(device_type, (previous[0] if previous else False, dtypes.as_dtype(dtype),
                       previous[2] if previous else is_autocast_cache_enabled()))


def _set(device_type: str, setting: tuple) -> None:
    settings = dict(_local.settings)
    settings[device_type] = setting
    _local.settings = settings
    if not hasattr(_local, "cache"):
        _local.cache = {}
    _local.active = any(s[0] for s in settings.values())


def is_autocast_cache_enabled() -> bool:
    """Whether regions opened without ``cache_enabled`` cache casts of parameters (default True)."""
    return getattr(_local, "cache_default", True)


def set_autocast_cache_enabled(enabled: bool) -> None:
    _local.cache_default = bool(enabled)


def is_autocast_cpu_enabled() -> bool:
    return is_autocast_enabled("cpu")


def set_autocast_cpu_enabled(enabled: bool) -> None:
    set_autocast_enabled("cpu", enabled)


def get_autocast_cpu_dtype():
    return get_autocast_dtype("cpu")


def set_autocast_cpu_dtype(dtype) -> None:
    set_autocast_dtype("cpu", dtype)


def get_autocast_gpu_dtype():
    return get_autocast_dtype("cuda")


def set_autocast_gpu_dtype(dtype) -> None:
    set_autocast_dtype("cuda", dtype)


class autocast:
    """``with unigrad.autocast("cpu"):`` (or as a decorator): inside, matmul, linear and
    convolutions run in ``dtype`` (bfloat16 on "cpu", float16 on GPUs by default) while
    precision-sensitive ops run in float32, following PyTorch's op lists for the device type.

    Regions nest (an inner ``enabled=False`` region switches autocast off), apply only to tensors
    on ``device_type`` and only to this thread. Gradients flow back to float32 parameters in
    float32; run ``backward()`` after leaving the region.
    """

    def __init__(self, device_type: str, dtype=None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if not isinstance(device_type, str):
            raise ValueError(f"Expected `device_type` of type `str`, got: `{type(device_type).__name__}`")
        self.device = device_type
        self._cache_enabled = is_autocast_cache_enabled() if cache_enabled is None else bool(cache_enabled)
        self._enabled = bool(enabled)
        info = _backend_info(device_type)
        if not info.available:
            if self._enabled:
                warnings.warn(f"User provided device_type of {device_type!r}, but it is unavailable "
                              f"({info.reason}). Disabling autocast.", UserWarning, stacklevel=2)
            self._enabled = False
            self.fast_dtype = dtypes.as_dtype(dtype) if dtype is not None else dtypes.float16
            return
        self.fast_dtype = get_autocast_dtype(device_type) if dtype is None else dtypes.as_dtype(dtype)
        if self._enabled:
            supported = registry.get_backend(Device(device_type)).supported_dtypes
            if self.fast_dtype not in _LOW:
                warnings.warn(f"In {device_type} autocast, but the target dtype {self.fast_dtype.name} is "
                              f"not supported: autocast casts to float16 or bfloat16. Disabling autocast.",
                              UserWarning, stacklevel=2)
                self._enabled = False
            elif self.fast_dtype not in supported:
                reason = registry.get_backend(Device(device_type)).unsupported_reason(self.fast_dtype)
                warnings.warn(f"In {device_type} autocast, but device type {device_type!r} does not hold "
                              f"{self.fast_dtype.name}{' (' + reason + ')' if reason else ''} (it holds: "
                              f"{', '.join(sorted(d.name for d in supported))}). Disabling autocast.",
                              UserWarning, stacklevel=2)
                self._enabled = False

    def __enter__(self):
        state = _local
        self._previous = (state.settings, state.active)
        settings = dict(state.settings)
        settings[self.device] = (self._enabled, self.fast_dtype, self._cache_enabled)
        if state.depth == 0:
            state.cache = {}
        state.settings = settings
        state.depth += 1
        state.active = any(setting[0] for setting in settings.values())
        return self

    def __exit__(self, *exc_info) -> None:
        state = _local
        state.depth -= 1
        if state.depth == 0:
            state.cache = {}
        state.settings, state.active = self._previous

    def __call__(self, func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)
        return wrapper


# ----- the dispatcher the frontend ops call inside a region ----------------------------------------
def _first_tensor(args, kwargs):
    for value in args:
        if value.__class__ is Tensor:
            return value
        if value.__class__ in (list, tuple):
            for item in value:
                if item.__class__ is Tensor:
                    return item
    for value in kwargs.values():
        if value.__class__ is Tensor:
            return value
    return None


def _cast(value, target, device_type, cache_enabled):
    """``value`` cast to ``target`` when autocast may cast it (a floating tensor on the region's
    device type, not float64); lists and tuples element-wise."""
    cls = value.__class__
    if cls in (list, tuple):
        return cls(_cast(v, target, device_type, cache_enabled) for v in value)
    if cls is not Tensor:
        return value
    d = value._dtype
    if d is target or not d.is_floating_point or d is dtypes.float64 or value._device.type != device_type:
        return value
    if cache_enabled and target in _LOW and d is dtypes.float32 and value._requires_grad \
            and value.grad_fn is None and value._base is None:
        state = _local
        cache = state.__dict__.setdefault("cache", {})
        key = (id(value), target, _grad_state.enabled)
        hit = cache.get(key)
        if hit is not None and hit[0]() is value and hit[1] == value._version[0]:
            return hit[2]
        out = to_dtype(value, target)
        cache[key] = (weakref.ref(value), value._version[0], out)
        return out
    return to_dtype(value, target)


def _widest(args, kwargs):
    widest = None
    for value in list(args) + list(kwargs.values()):
        items = value if value.__class__ in (list, tuple) else (value,)
        for item in items:
            if item.__class__ is Tensor and item._dtype.is_floating_point:
                widest = item._dtype if widest is None else dtypes.promote_types(widest, item._dtype)
    return widest


def policy_of(name: str, tensor: Tensor):
    """``(policy, dtype)`` autocast applies to op ``name`` given its first tensor argument, or
    ``(None, None)`` outside an enabled region for that tensor's device type."""
    setting = _local.settings.get(tensor._device.type)
    if setting is None or not setting[0]:
        return None, None
    return policy.TABLES[tensor._backend.autocast_lists].get(name), setting


def _dispatch(name, op, args, kwargs):
    state = _local
    first = _first_tensor(args, kwargs)
    if first is not None:
        kind, setting = policy_of(name, first)
        if kind is not None:
            if kind == "banned":
                raise RuntimeError(
                    f"unigrad.nn.functional.{name} and its module are unsafe to autocast on "
                    f"{first._device.type} (PyTorch's lists ban them): use the *_with_logits form, "
                    f"which combines the sigmoid and the loss, or leave the autocast region")
            if kind == "lower":
                target = setting[1]
            elif kind == "fp32":
                target = dtypes.float32
            else:
                target = _widest(args, kwargs)
            if target is not None:
                device_type = first._device.type
                if kind == "promote":  # promotion may widen float64 too: cast on any device
                    args = tuple(to_dtype(a, target) if a.__class__ is Tensor and a._dtype.is_floating_point
                                 else _promote_sequence(a, target) for a in args)
                    kwargs = {k: to_dtype(v, target) if v.__class__ is Tensor and v._dtype.is_floating_point
                              else v for k, v in kwargs.items()}
                else:
                    cache = setting[2]
                    args = tuple(_cast(a, target, device_type, cache) for a in args)
                    kwargs = {k: _cast(v, target, device_type, cache) for k, v in kwargs.items()}
    state.active = False
    try:
        return op(*args, **kwargs)
    finally:
        state.active = True


def _promote_sequence(value, target):
    if value.__class__ in (list, tuple):
        return value.__class__(to_dtype(v, target) if v.__class__ is Tensor and v._dtype.is_floating_point
                               else v for v in value)
    return value


def run_module(name: str, forward, tensors: tuple, cast_more=None):
    """Run a whole layer (``forward(*cast_tensors, cast)``) as one autocast op: its floating
    inputs and, through ``cast`` (applied by the layer to its weights), its parameters are cast
    by the policy of ``name``, and the layer's inner ops run with autocast paused. Outside a
    region (or for an op the device's lists do not name) ``cast`` is the identity."""
    first = next((t for t in tensors if t.__class__ is Tensor), None)
    kind, setting = policy_of(name, first) if first is not None else (None, None)
    if kind not in ("lower", "fp32", "input"):
        return forward(*tensors, lambda t: t)
    target = {"lower": setting[1] if setting else None, "fp32": dtypes.float32, "input": first._dtype}[kind]
    device_type, cache = first._device.type, setting[2]

    def cast(value):
        return _cast(value, target, device_type, cache)

    state = _local
    previous = state.active
    state.active = False
    try:
        return forward(*(cast(t) for t in tensors), cast)
    finally:
        state.active = previous


def cast_inputs(name: str, *tensors):
    """The tensors cast by the policy of ``name`` (for composites whose inner ops autocast
    themselves, such as the GPU lists' recurrent cells); unchanged outside a region."""
    first = next((t for t in tensors if t.__class__ is Tensor), None)
    if first is None or not _local.active:
        return tensors
    kind, setting = policy_of(name, first)
    if kind not in ("lower", "fp32"):
        return tensors
    target = setting[1] if kind == "lower" else dtypes.float32
    return tuple(_cast(t, target, first._device.type, setting[2]) for t in tensors)


autocast_state.dispatch = _dispatch


# ----- custom autograd Functions -----------------------------------------------------------------
def custom_fwd(fwd=None, *, device_type: str, cast_inputs=None):
    """Decorator for ``Function.forward``: with ``cast_inputs`` set, inside an enabled region the
    floating tensor arguments on ``device_type`` are cast to it and forward runs with autocast off;
    either way ``custom_bwd`` later runs backward under the same autocast state."""
    if fwd is None:
        return functools.partial(custom_fwd, device_type=device_type, cast_inputs=cast_inputs)

    @functools.wraps(fwd)
    def decorate_fwd(ctx, *args, **kwargs):
        ctx._fwd_used_autocast = is_autocast_enabled(device_type)
        ctx._dtype = get_autocast_dtype(device_type)
        if cast_inputs is None or not ctx._fwd_used_autocast:
            return fwd(ctx, *args, **kwargs)
        target = dtypes.as_dtype(cast_inputs)
        args = tuple(_cast(a, target, device_type, False) for a in args)
        kwargs = {k: _cast(v, target, device_type, False) for k, v in kwargs.items()}
        with autocast(device_type, enabled=False):
            return fwd(ctx, *args, **kwargs)
    return decorate_fwd


def custom_bwd(bwd=None, *, device_type: str):
    """Decorator for ``Function.backward``: runs it under the autocast state its forward saw."""
    if bwd is None:
        return functools.partial(custom_bwd, device_type=device_type)

    @functools.wraps(bwd)
    def decorate_bwd(ctx, *args, **kwargs):
        with autocast(device_type, dtype=ctx._dtype, enabled=ctx._fwd_used_autocast):
            return bwd(ctx, *args, **kwargs)
    return decorate_bwd
