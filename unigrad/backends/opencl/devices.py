"""Which OpenCL devices exist, in the stable order that ``"opencl:N"`` indexes.

Order: GPUs and accelerators before CPUs; within a kind, newer platform versions first (so
Debian's PoCL 3.1, which runs our kernels several times faster than the PyPI PoCL 3.0 build, is
``opencl:0`` when both are installed); then platform and device enumeration order. The
environment variable ``UNIGRAD_OPENCL_DEVICES`` (comma-separated, case-insensitive substrings of
"platform name / device name / platform version") keeps only matching devices, in that order.

A device counts as usable only if its compiler builds a one-line kernel: PoCL 3.0 (the PyPI build,
LLVM 14) reports a CPU device on processors its LLVM does not know (AMD Zen 5, for one) but then
fails every build with "unknown target CPU 'generic'". Such devices are left out, and ``unigrad
info`` and the backend's reason say why.
"""
from __future__ import annotations

import os
import re

_devices: list | None = None
_rejected: list = []  # (label, reason) of devices whose compiler cannot build a kernel
_CANARY = "__kernel void unigrad_canary(__global float *x) { x[get_global_id(0)] += 1.0f; }"


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
    _rejected.clear()
    for p_index, platform in enumerate(cl.get_platforms()):
        try:
            devices = platform.get_devices()
        except cl.Error:  # a platform whose driver cannot enumerate devices
            continue
        for d_index, device in enumerate(devices):
            if not device.available or not device.compiler_available:
                continue
            failure = _build_failure(cl, device)
            if failure:
                _rejected.append((_label(platform, device).strip(), failure))
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


def _build_failure(cl, device) -> str:
    """Why ``device`` cannot build a trivial kernel, or "" when it can."""
    try:
        context = cl.Context([device])
        cl.Program(context, _CANARY).build()
    except Exception as error:  # a broken compiler fails in many ways; each makes the device unusable
        lines = [line.strip() for line in str(error).splitlines() if "error" in line.lower()]
        return f"its OpenCL compiler fails: {(lines[-1] if lines else str(error))[:200]}"
    return ""


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
        rejected = "".join(f"; {label}: {reason}" for label, reason in _rejected)
        return False, f"no usable OpenCL device on platforms: {names}{hint}{rejected}"
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
    lines += [f"left out: {label}: {reason}" for label, reason in _rejected]
    return lines
