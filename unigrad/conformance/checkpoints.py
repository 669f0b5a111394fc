"""Conformance of checkpoints on a device: ``unigrad.save``/``unigrad.load`` round trips keep
values, dtypes, shapes, strides and Parameter-ness bitwise, and (when the backend implements the
optional ``storage_position`` hook) views saved together come back sharing memory."""
from __future__ import annotations

import io

import numpy as np

import unigrad

from ..backends import registry
from . import cases as table


def run_checkpoint(device, dtype, seed):
    result = table.Result("checkpoint.round_trip", "semantics", dtype, "-", seed, "passed",
                          primitives=("as_strided", "to_numpy", "from_numpy"),
                          reproducer=f"unigrad conformance --device {device} --op '^checkpoint' --dtype {dtype}"
                          + (f" --seed {seed}" if seed else ""))
    d = getattr(unigrad, dtype)
    rng = np.random.default_rng(seed)
    base = unigrad.tensor(rng.standard_normal((4, 6)), dtype=d, device=device)
    weight = unigrad.nn.Parameter(unigrad.tensor(rng.standard_normal(3), dtype=d, device=device))
    saved = {"base": base, "transposed": base.t(), "slice": base[1:, 2:5], "row": base[2],
             "weight": weight, "flipped": base.flip(0), "steps": 7}
    buffer = io.BytesIO()
    unigrad.save(saved, buffer)
    buffer.seek(0)
    loaded = unigrad.load(buffer)
    for name, original in saved.items():
        back = loaded[name]
        if not isinstance(original, unigrad.Tensor):
            if back != original:
                return _fail(result, f"{name}: {back!r} != {original!r}")
            continue
        if back.device != original.device or back.dtype is not original.dtype or back.shape != original.shape:
            return _fail(result, f"{name}: came back as {back.dtype} {list(back.shape)} on {back.device}")
        if np.asarray(back.detach()._host()).tobytes() != np.asarray(original.detach()._host()).tobytes():
            return _fail(result, f"{name}: values differ after the round trip")
        if name != "flipped" and back.stride() != original.stride():
            return _fail(result, f"{name}: strides {back.stride()} != {original.stride()}")
    if not isinstance(loaded["weight"], unigrad.nn.Parameter) or not loaded["weight"].requires_grad:
        return _fail(result, "a Parameter came back as a plain tensor")
    if registry.get_backend(unigrad.device(device)).storage_position is not None:
        loaded["row"].fill_(0.5)
        if not np.all(np.asarray(loaded["base"][2].detach()._host()) == np.asarray(loaded["row"].detach()._host())):
            return _fail(result, "views saved together do not share memory after loading (storage_position)")
    return result


def _fail(result, message):
    result.status, result.message = "failed", message
    return result
