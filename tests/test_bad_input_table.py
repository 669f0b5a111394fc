"""Every bad call of ``bad_input_cases.CASES`` raises the exception type PyTorch raises, on cpu and
opencl, and leaves every pre-existing tensor unchanged; when torch is installed, each row's type is
first checked against torch itself (so the table cannot drift from PyTorch)."""
import warnings

import numpy as np
import pytest

import unigrad

from bad_input_cases import CASES, fixtures

try:
    import torch
except ImportError:  # the table still runs; only the check of the table against torch is skipped
    torch = None

DEVICES = ["cpu"] + (["opencl"] if "opencl" in unigrad.backends.available() else [])
IDS = [case.name for case in CASES]


def builtin_base(error_type: type) -> type:
    """The first built-in class in ``error_type``'s MRO (torch's own errors derive from them)."""
    return next(k for k in error_type.__mro__ if k.__module__ == "builtins")


def snapshot(tensors: dict) -> dict:
    return {name: (tuple(t.shape), str(t.dtype), np.array(t.detach().tolist()), t._version[0])
            for name, t in tensors.items()}


@pytest.mark.skipif(torch is None, reason="torch is not installed")
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_torch_raises_the_tabled_type(case):
    tensors = fixtures(torch, "cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception) as caught:
            case.call(torch, "cpu", tensors)
    assert builtin_base(type(caught.value)) is case.error, f"torch raised {caught.value!r}"


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_unigrad_raises_pytorchs_type_and_keeps_every_tensor(case, device):
    tensors = fixtures(unigrad, device)
    before = snapshot(tensors)
    backend = unigrad.backends.get_backend(device)
    deferred_device = backend.deferred_index_checks
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if case.host_checked and deferred_device:
            try:  # documented: such devices skip PyTorch's CPU value checks
                case.call(unigrad, device, tensors)
                backend.synchronize()
            except case.error:
                pass
        else:
            with pytest.raises(case.error):
                case.call(unigrad, device, tensors)
                backend.synchronize()  # where the deferred errors of such devices surface
    after = snapshot(tensors)
    for name, (shape, dtype, values, version) in before.items():
        if name == case.writes and deferred_device:
            continue  # documented: in-range elements may have been written before the error surfaced
        assert after[name][:2] == (shape, dtype), name
        np.testing.assert_array_equal(after[name][2], values, err_msg=name)
        assert after[name][3] == version, f"{name}'s version counter moved"


@pytest.mark.skipif(torch is None, reason="torch is not installed")
@pytest.mark.parametrize("name, kwargs", [("SGD", dict(lr=0.1, momentum=0.9)), ("Adam", dict(lr=0.1))])
def test_a_repeated_parameter_warns_and_trains_as_pytorch(name, kwargs):
    results = []
    for lib in (torch, unigrad):
        p = lib.tensor([1.0, -2.0], requires_grad=True)
        q = lib.tensor([0.5], requires_grad=True)
        with pytest.warns(UserWarning, match="duplicate parameters"):
            optimizer = getattr(lib.optim, name)([p, q, p], **kwargs)
        for _ in range(3):
            optimizer.zero_grad()
            ((p * p).sum() + q * p[0]).sum().backward()
            optimizer.step()
        results.append(np.concatenate([p.detach().numpy(), q.detach().numpy()]))
    np.testing.assert_allclose(results[1], results[0], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("device", DEVICES)
def test_an_allocation_failure_is_an_out_of_memory_error(device):
    with pytest.raises(unigrad.OutOfMemoryError, match="allocate") as caught:
        unigrad.empty(2 ** 40, device=device)
    assert isinstance(caught.value, RuntimeError) and isinstance(caught.value, MemoryError)
    assert unigrad.cuda.OutOfMemoryError is unigrad.OutOfMemoryError
    assert unigrad.ones(2, device=device).sum().item() == 2.0  # the device still works
