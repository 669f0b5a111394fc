"""One helper drives every parity test: run the same function on unigrad and torch, compare
forward values, dtypes, shapes and the gradients of every input that requires grad."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import unigrad

TOLERANCE = {  # (rtol, atol) by dtype, as torch.testing uses
    "float64": (1e-7, 1e-7),
    "float32": (1.3e-6, 1e-5),
    "float16": (1e-3, 1e-3),
}


def to_numpy(value):
    if isinstance(value, unigrad.Tensor):
        return np.asarray(value.detach().numpy())
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def assert_close(ours, theirs, rtol=None, atol=None, what="value"):
    if isinstance(theirs, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(theirs), what
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_close(a, b, rtol, atol, f"{what}[{i}]")
        return
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, unigrad.Tensor), f"{what}: expected a Tensor, got {type(ours)}"
        assert ours.dtype.name == str(theirs.dtype).replace("torch.", ""), \
            f"{what}: dtype {ours.dtype} != {theirs.dtype}"
        assert tuple(ours.shape) == tuple(theirs.shape), f"{what}: shape {ours.shape} != {theirs.shape}"
    a, b = to_numpy(ours), to_numpy(theirs)
    if a.dtype.kind in "biu" and b.dtype.kind in "biu":
        np.testing.assert_array_equal(a, b, err_msg=what)
        return
    default_rtol, default_atol = TOLERANCE.get(str(a.dtype), (1e-5, 1e-5))
    np.testing.assert_allclose(a.astype(np.float64), b.astype(np.float64),
                               rtol=default_rtol if rtol is None else rtol,
                               atol=default_atol if atol is None else atol, equal_nan=True,
                               err_msg=what)


def skip_unless_supported(dtype_name: str) -> None:
    """Skip (as the conformance suite does) when the device under test declares no such dtype."""
    backend = unigrad.backends.registry.get_backend(unigrad.get_default_device())
    if dtype_name not in {d.name for d in backend.supported_dtypes}:
        pytest.skip(f"device {unigrad.get_default_device()} declares no {dtype_name} support")


def make_inputs(arrays, requires_grad):
    ours, theirs = [], []
    for i, array in enumerate(arrays):
        if isinstance(array, np.generic):
            array = np.asarray(array)
        if not isinstance(array, np.ndarray):
            ours.append(array)
            theirs.append(array)
            continue
        skip_unless_supported(array.dtype.name)
        grad = requires_grad and array.dtype.kind == "f"
        ours.append(unigrad.tensor(array, requires_grad=grad))
        theirs.append(torch.tensor(array, requires_grad=grad))
    return ours, theirs


def check(fn, *arrays, grad=True, rtol=None, atol=None, grad_rtol=None, grad_atol=None, seed=0):
    """``fn(lib, *tensors)`` is run with ``lib=unigrad`` and ``lib=torch`` on copies of ``arrays``."""
    ours_in, theirs_in = make_inputs(arrays, grad)
    ours = fn(unigrad, *ours_in)
    theirs = fn(torch, *theirs_in)
    assert_close(ours, theirs, rtol, atol, "forward")
    if not grad:
        return ours
    outs_o = ours if isinstance(ours, (tuple, list)) else [ours]
    outs_t = theirs if isinstance(theirs, (tuple, list)) else [theirs]
    pairs = [(o, t) for o, t in zip(outs_o, outs_t)
             if isinstance(t, torch.Tensor) and t.requires_grad]
    if not pairs:
        return ours
    rng = np.random.default_rng(seed)
    loss_o, loss_t = 0, 0
    for o, t in pairs:
        weight = rng.standard_normal(tuple(t.shape)).astype(to_numpy(t).dtype)
        loss_o = loss_o + (o * unigrad.tensor(weight)).sum()
        loss_t = loss_t + (t * torch.tensor(weight)).sum()
    loss_o.backward()
    loss_t.backward()
    for i, (a, b) in enumerate(zip(ours_in, theirs_in)):
        if isinstance(b, torch.Tensor) and b.requires_grad:
            if b.grad is None:
                assert a.grad is None or np.all(to_numpy(a.grad) == 0), f"grad of input {i}"
                continue
            assert a.grad is not None, f"input {i} got no gradient"
            assert_close(a.grad, b.grad, grad_rtol if grad_rtol is not None else rtol,
                         grad_atol if grad_atol is not None else atol, f"grad of input {i}")
    return ours


# ----- re-running the parity modules on another backend ----------------------------------------
PARITY_MODULES = [  # one per line, so that branches adding modules merge cleanly
    "test_pointwise.py",
    "test_reduction.py",
    "test_shape.py",
    "test_indexing.py",
    "test_linalg.py",
    "test_autograd.py",
    "test_nn_functional.py",
    "test_nn_layers.py",
    "test_optim.py",
    "test_random.py",
    "test_random_chunks.py",
    "test_examples.py",
    "test_sorting.py",
    "test_nn_spatial.py",
    "test_nn_norm_act.py",
    "test_nn_losses_more.py",
    "test_nn_embedding_distance.py",
    "test_transformer.py",
    "test_tensor_utils.py",
    "test_module_semantics.py",
    "test_autograd_more.py",
    "test_scans_linalg.py",
    "test_shape_more.py",
    "test_optim_more.py",
    "test_schedulers_more.py",
    "test_data_more.py",
    "test_nn_init.py",
    "test_nn_utils.py",
    "test_pointwise_math.py",
    "test_aten_functions.py",
    "test_signal_histogram.py",
    "test_fast_kernels.py",
    "test_distributions.py",
    "test_module_api_more.py",
    "test_autograd_views.py",
    "test_grad_fn_names.py",
    "test_double_backward.py",
    "test_program_fixes.py",
    "test_inplace_activations.py",
    "test_conv_phases.py",
    "test_inplace_overlap.py",
]


def run_parity_modules(device: str) -> None:
    """Every torch-parity module in a subprocess with ``device`` as the default device."""
    import os
    import pathlib
    import subprocess
    import sys
    root = pathlib.Path(__file__).resolve().parent.parent
    env = dict(os.environ, UNIGRAD_DEVICE=device)
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *(f"tests/{m}" for m in PARITY_MODULES)],
        cwd=root, env=env, capture_output=True, text=True, timeout=1500)
    failures = "\n".join(line for line in completed.stdout.splitlines() if line.startswith(("FAILED", "ERROR")))
    assert completed.returncode == 0, failures + "\n" + completed.stdout[-4000:] + completed.stderr[-2000:]
    assert " passed" in completed.stdout


def skip_unless_available(device_type: str):
    """A module-level mark: skip, with the registry's reason, where ``device_type`` is unusable."""
    import pytest
    import unigrad
    reason = next((i.reason for i in unigrad.backends.registered() if i.name == device_type), "not registered")
    return pytest.mark.skipif(device_type not in unigrad.backends.available(),
                              reason=f"{device_type} unavailable: {reason}")
