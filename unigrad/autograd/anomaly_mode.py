"""Anomaly detection (``torch.autograd.detect_anomaly``): while on, every graph node records the
forward traceback that created it; a backward that fails prints it, and (with ``check_nan``) a
node whose backward returns NaN raises ``RuntimeError: Function 'XBackward0' returned nan values
in its 0th output.``"""
from __future__ import annotations

import warnings

from .node import anomaly

__all__ = ["detect_anomaly", "is_anomaly_check_nan_enabled", "is_anomaly_enabled", "set_detect_anomaly"]


def is_anomaly_enabled() -> bool:
    return anomaly.enabled


def is_anomaly_check_nan_enabled() -> bool:
    return anomaly.check_nan


def _set(enabled: bool, check_nan: bool) -> None:
    anomaly.enabled, anomaly.check_nan = bool(enabled), bool(check_nan)


class detect_anomaly:  # noqa: N801 - PyTorch's name
    """Context manager turning anomaly detection on (it slows everything down)."""

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = check_nan
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the runtime and "
                      "should only be enabled for debugging.", stacklevel=2)

    def __enter__(self) -> None:
        self._previous = (anomaly.enabled, anomaly.check_nan)
        _set(True, self.check_nan)

    def __exit__(self, *exc_info) -> None:
        _set(*self._previous)


class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """Turn anomaly detection on or off at once; as a context manager, restore it on exit."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self._previous = (anomaly.enabled, anomaly.check_nan)
        _set(mode, check_nan)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc_info) -> None:
        _set(*self._previous)


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """``torch.set_anomaly_enabled``."""
    _set(enabled, check_nan)
