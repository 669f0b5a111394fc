"""Which OpenCL devices exist, in the stable order that ``"opencl:N"`` indexes.

Order: GPUs and accelerators before CPUs; within a kind, newer platform versions first (so
Debian's PoCL 3.1, which runs our kernels several times faster than the PyPI PoCL 3.0 build, is
``opencl:0`` when both are installed); then platform and device enumeration order. The
environment variable ``UNIGRAD_OPENCL_DEVICES`` (comma-separated, case-insensitive substrings of
"platform name / device name / platform version") keeps only matching devices, in that order.
"""
from __future__ import annotations

import os
import re

_devices: list | None = None


def _version_key(text: str) -> tuple:
    numbers = re.findall(r"\d+", text)
    return tuple(-int(n) for n in numbers[:4])


def _label(platform, device) -> str:
    return f"{platform.name} / {device.name} / {platform.version}"


def all_devices() -> list:
    """Every usable ``pyopencl.Device``, in ``opencl:N`` order (found once per process)."""
    global _devices
    if _devices is not None:
        return _devices
    import pyopencl as cl

    found = []
    for p_index, platform in enumerate(cl.get_platforms()):
        try:
            devices = platform.get_devices()
        except cl.Error:  # a platform whose driver cannot enumerate devices
            continue
        for d_index, device in enumerate(devices):
            if not device.available or not device.compiler_available:
                continue
            is_cpu = bool(device.type & cl.device_type.CPU)
            found.append(((is_cpu, _version_key(platform.version), p_index, d_index), platform, device))
    found.sort(key=lambda entry: entry[0])
    ordered = [(platform, device) for _, platform, device in found]
    wanted = os.environ.get("UNIGRAD_OPENCL_DEVICES")
    if wanted:
        patterns = [w.strip().lower() for w in wanted.split(",") if w.strip()]
        ordered = [pair for pattern in patterns for pair in ordered if pattern in _label(*pair).lower()]
    _devices = [device for _, device in ordered]
    return _devices


def probe() -> tuple[bool, str]:
    try:
        import pyopencl as cl
    except ImportError:
        return False, "PyOpenCL not installed (pip install 'unigrad[opencl]')"
    except Exception as error:
        return False, f"PyOpenCL failed to import: {type(error).__name__}: {error}"
    try:
        platforms = cl.get_platforms()
    except Exception as error:  # pyopencl raises LogicError when no ICD is installed
        return False, (f"no OpenCL platform found ({error}); pip install pocl-binary-distribution "
                       "gives a CPU device")
    if not all_devices():
        names = ", ".join(p.name for p in platforms) or "none"
        hint = " (UNIGRAD_OPENCL_DEVICES filters them)" if os.environ.get("UNIGRAD_OPENCL_DEVICES") else ""
        return False, f"no usable OpenCL device on platforms: {names}{hint}"
    return True, ""


def describe_all() -> list[str]:
    """One line per device: its ``opencl:N`` name, kind, platform and notable capabilities."""
    import pyopencl as cl

    lines = []
    for index, device in enumerate(all_devices()):
        kind = ("GPU" if device.type & cl.device_type.GPU else "CPU" if device.type & cl.device_type.CPU
                else "accelerator")
        fp64 = "fp64" if device.double_fp_config else "no fp64"
        fp16 = "fp16" if "cl_khr_fp16" in device.extensions else "no fp16"
        lines.append(f"opencl:{index}  {kind} {device.name.strip()} on {device.platform.name.strip()} "
                     f"({device.platform.version.strip()}), {device.max_compute_units} compute units, "
                     f"{fp64}, {fp16}")
    return lines
