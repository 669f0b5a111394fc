"""``GradScaler``: dynamic loss scaling, so small float16 gradients do not flush to zero.

The scale multiplies the loss before ``backward``; ``step`` divides the gradients by it again
(``unscale_``), skips the optimizer step when any gradient is inf/NaN, and ``update`` adjusts the
scale: times ``backoff_factor`` after an overflow, times ``growth_factor`` after
``growth_interval`` clean steps in a row. The decisions are PyTorch's, step for step; the scale is
a float32 value, rounded as PyTorch's float32 scale tensor is.
"""
from __future__ import annotations

import warnings
from enum import Enum

import numpy as np

from ..api import dtypes
from ..api.creation import tensor as _tensor
from ..api.ops import pointwise, reduction
from ..api.tensor import Tensor
from ..autograd.grad_mode import no_grad

__all__ = ["GradScaler", "OptState"]


class OptState(Enum):
    READY = 0
    UNSCALED = 1
    STEPPED = 2


def _float32(value: float) -> float:
    return float(np.float32(value))


class GradScaler:
    """Scale the loss, unscale gradients and skip steps with inf/NaN gradients (``torch.amp.GradScaler``).

    ``device`` is accepted for PyTorch compatibility; the scale lives on the device of each
    output ``scale`` is given. ``enabled=False`` turns every method into a pass-through.
    """

    def __init__(self, device: str = "cuda", init_scale: float = 2.0 ** 16, growth_factor: float = 2.0,
                 backoff_factor: float = 0.5, growth_interval: int = 2000, enabled: bool = True) -> None:
        self._device = device
        self._enabled = enabled
        if enabled:
            if growth_factor <= 1.0:
                raise ValueError(f"The growth factor must be > 1.0, got {growth_factor}")
            if not 0.0 < backoff_factor < 1.0:
                raise ValueError(f"The backoff factor must be < 1.0 and > 0, got {backoff_factor}")
            if int(growth_interval) != growth_interval or growth_interval <= 0:
                raise ValueError(f"growth_interval must be a positive int, got {growth_interval!r}")
        self._init_scale = init_scale
        self._scale: float | None = None  # set on first use, like PyTorch's lazy scale tensor
        self._growth_factor = growth_factor
        self._backoff_factor = backoff_factor
        self._growth_interval = int(growth_interval)
        self._init_growth_tracker = 0
        self._growth_tracker: int | None = None
        self._scale_tensors: dict = {}  # device -> 0-dim float32 tensor holding the scale
        self._per_optimizer_states: dict = {}

    # ----- scaling ----------------------------------------------------------------------------
    def _lazy_init(self) -> None:
        if self._scale is None:
            self._scale = _float32(self._init_scale)
            self._growth_tracker = self._init_growth_tracker

    def _scale_on(self, device) -> Tensor:
        found = self._scale_tensors.get(device)
        if found is None or found[0] != self._scale:
            found = (self._scale, _tensor(self._scale, dtype=dtypes.float32, device=device))
            self._scale_tensors[device] = found
        return found[1]

    def scale(self, outputs):
        """``outputs`` (a tensor or nested lists/tuples of tensors) multiplied by the scale."""
        if not self._enabled:
            return outputs
        if isinstance(outputs, Tensor):
            self._lazy_init()
            return outputs * self._scale_on(outputs.device)
        if isinstance(outputs, (list, tuple)):
            return type(outputs)(self.scale(o) for o in outputs)
        raise ValueError("outputs must be a Tensor or an iterable of Tensors")

    # ----- unscaling and stepping --------------------------------------------------------------
    def _state_of(self, optimizer) -> dict:
        return self._per_optimizer_states.setdefault(
            id(optimizer), {"stage": OptState.READY, "found_inf": 0.0})

    def unscale_(self, optimizer) -> None:
        """Divide ``optimizer``'s gradients by the scale in place (call before clipping) and
        record whether any is inf/NaN. At most once per optimizer between ``update`` calls."""
        if not self._enabled:
            return
        if self._scale is None:
            raise RuntimeError("Attempted unscale_ but _scale is None.  This may indicate your script "
                               "did not use scaler.scale(loss or outputs) earlier in the iteration.")
        state = self._state_of(optimizer)
        if state["stage"] is OptState.UNSCALED:
            raise RuntimeError("unscale_() has already been called on this optimizer since the last update().")
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("unscale_() is being called after step().")
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        for g in grads:
            if g.dtype is dtypes.float16:
                raise ValueError("Attempting to unscale FP16 gradients.")
        inverse = _float32(1.0 / np.float64(self._scale))  # PyTorch: scale.double().reciprocal().float()
        with no_grad():
            bad = None
            for g in grads:
                # non-finite before unscaling, as PyTorch's kernel checks the scaled value
                count = reduction.sum(pointwise.logical_not(pointwise.isfinite(g)))
                bad = count if bad is None else bad + count
                g.mul_(inverse)
        state["found_inf"] = float(bad.item()) if bad is not None else 0.0  # one sync per optimizer
        state["stage"] = OptState.UNSCALED

    def step(self, optimizer, *args, **kwargs):
        """Unscale (if not done yet) and call ``optimizer.step`` unless a gradient is inf/NaN.
        Returns what ``optimizer.step`` returned, or None when the step was skipped."""
        if not self._enabled:
            return optimizer.step(*args, **kwargs)
        if "closure" in kwargs:
            raise RuntimeError("Closure use is not currently supported if GradScaler is enabled.")
        if self._scale is None:
            raise RuntimeError("Attempted step but _scale is None.  This may indicate your script "
                               "did not use scaler.scale(loss or outputs) earlier in the iteration.")
        state = self._state_of(optimizer)
        if state["stage"] is OptState.STEPPED:
            raise RuntimeError("step() has already been called since the last update().")
        if state["stage"] is OptState.READY:
            self.unscale_(optimizer)
        result = optimizer.step(*args, **kwargs) if not state["found_inf"] else None
        state["stage"] = OptState.STEPPED
        return result

    def update(self, new_scale=None) -> None:
        """Adjust the scale for the next iteration from the inf checks of this one (or set it to
        ``new_scale``, a float or a one-element tensor)."""
        if not self._enabled:
            return
        if self._scale is None:
            raise RuntimeError("Attempted update but _scale is None.  This may indicate your script "
                               "did not use scaler.scale(loss or outputs) earlier in the iteration.")
        if new_scale is not None:
            if isinstance(new_scale, Tensor):
                if new_scale.numel() != 1 or not new_scale.dtype.is_floating_point:
                    raise ValueError("new_scale should be a float or a 1-element floating tensor")
                new_scale = new_scale.item()
            self._scale = _float32(new_scale)
        else:
            checks = [s["found_inf"] for s in self._per_optimizer_states.values()
                      if s["stage"] is not OptState.READY]
            if not checks:
                raise AssertionError("No inf checks were recorded prior to update.")
            if sum(checks) > 0:  # PyTorch's _amp_update_scale_, computed as its CPU kernel does
                self._scale = _float32(np.float64(self._scale) * self._backoff_factor)
                self._growth_tracker = 0
            else:
                successful = self._growth_tracker + 1
                if successful == self._growth_interval:
                    grown = _float32(np.float64(self._scale) * self._growth_factor)
                    if np.isfinite(grown):
                        self._scale = grown
                    self._growth_tracker = 0
                else:
                    self._growth_tracker = successful
        self._per_optimizer_states = {}

    # ----- introspection and state ----------------------------------------------------------
    def get_scale(self) -> float:
        """The current scale (the initial one before first use; 1.0 when disabled)."""
        if not self._enabled:
            return 1.0
        return self._scale if self._scale is not None else self._init_scale

    def get_growth_factor(self) -> float:
        return self._growth_factor

    def set_growth_factor(self, new_factor: float) -> None:
        self._growth_factor = new_factor

    def get_backoff_factor(self) -> float:
        return self._backoff_factor

    def set_backoff_factor(self, new_factor: float) -> None:
        self._backoff_factor = new_factor

    def get_growth_interval(self) -> int:
        return self._growth_interval

    def set_growth_interval(self, new_interval: int) -> None:
        self._growth_interval = int(new_interval)

    def _get_growth_tracker(self) -> int:
        if not self._enabled:
            return 0
        return self._growth_tracker if self._growth_tracker is not None else self._init_growth_tracker

    def is_enabled(self) -> bool:
        return self._enabled

    def state_dict(self) -> dict:
        """``scale``, ``growth_factor``, ``backoff_factor``, ``growth_interval`` and
        ``_growth_tracker`` (empty when disabled), as PyTorch saves them."""
        if not self._enabled:
            return {}
        return {"scale": self.get_scale(), "growth_factor": self._growth_factor,
                "backoff_factor": self._backoff_factor, "growth_interval": self._growth_interval,
                "_growth_tracker": self._get_growth_tracker()}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore a ``state_dict``; checks every key before changing anything."""
        if not self._enabled:
            return
        if len(state_dict) == 0:
            raise RuntimeError("The source state dict is empty, possibly because it was saved "
                               "from a disabled instance of GradScaler.")
        expected = ("scale", "growth_factor", "backoff_factor", "growth_interval", "_growth_tracker")
        missing = [k for k in expected if k not in state_dict]
        if missing:
            raise KeyError(f"GradScaler state dict misses {', '.join(missing)}; it has "
                           f"{', '.join(map(str, state_dict))}")
        scale, tracker = state_dict["scale"], state_dict["_growth_tracker"]
        if isinstance(scale, Tensor):
            scale = scale.item()
        if isinstance(tracker, Tensor):
            tracker = tracker.item()
        self._init_scale = scale
        self._scale = _float32(scale)
        self._growth_factor = state_dict["growth_factor"]
        self._backoff_factor = state_dict["backoff_factor"]
        self._growth_interval = int(state_dict["growth_interval"])
        self._init_growth_tracker = int(tracker)
        self._growth_tracker = int(tracker)

    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        if self._enabled and self._per_optimizer_states:
            warnings.warn("A GradScaler instance may only be pickled at the beginning of an "
                          "iteration, or at the end after scaler.update().", stacklevel=2)
        state["_per_optimizer_states"] = {}
        state["_scale_tensors"] = {}
        return state
