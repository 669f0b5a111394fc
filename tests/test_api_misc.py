"""Top-level API gaps public programs hit: accelerator, cpu, backends flags, printing, legacy
tensor types, threads, inference mode and small utilities."""
from __future__ import annotations

import pytest
import torch

import unigrad
from unigrad.backends import Backend, BackendInfo, registry


# ----- accelerator ---------------------------------------------------------------------------
def _fake_info(name, available, accelerator, count=2):
    cls = type(f"Fake{name}", (Backend,), {"name": name, "is_accelerator": accelerator,
                                           "device_count": classmethod(lambda c: count),
                                           "__abstractmethods__": frozenset()})
    return BackendInfo(name, f"plugin-{name}", available, "" if available else "missing", cls)


@pytest.fixture
def fake_registry(monkeypatch):
    def install(*infos):
        monkeypatch.setattr(registry, "registered", lambda: list(infos))
    return install


def test_accelerator_flags_of_built_in_backends():
    classes = {info.name: info.backend_class for info in unigrad.backends.registered()}
    assert classes["cpu"].is_accelerator is False
    assert classes["cuda"].is_accelerator is True
    assert classes["opencl"].is_accelerator is True
    assert Backend.is_accelerator is False  # plugins opt in


def test_accelerator_order_cuda_then_opencl_then_plugins(fake_registry):
    plugin = _fake_info("npu", True, True)
    fake_registry(_fake_info("cpu", True, False), plugin, _fake_info("opencl", True, True),
                  _fake_info("cuda", True, True))
    assert unigrad.accelerator.current_accelerator() == unigrad.device("cuda")
    fake_registry(_fake_info("cpu", True, False), plugin, _fake_info("opencl", True, True),
                  _fake_info("cuda", False, True))
    assert unigrad.accelerator.current_accelerator() == unigrad.device("opencl")
    fake_registry(_fake_info("cpu", True, False), _fake_info("late", True, True, 3), plugin,
                  _fake_info("opencl", False, True), _fake_info("cuda", False, True))
    assert unigrad.accelerator.current_accelerator() == unigrad.device("late")
    assert unigrad.accelerator.device_count() == 3
    assert unigrad.accelerator.is_available()


def test_accelerator_without_any_matches_torch_cpu_build(fake_registry):
    fake_registry(_fake_info("cpu", True, False), _fake_info("cuda", False, True),
                  _fake_info("npu", True, False))
    assert unigrad.accelerator.is_available() is torch.accelerator.is_available() is False
    assert unigrad.accelerator.current_accelerator() is None
    assert torch.accelerator.current_accelerator() is None
    assert unigrad.accelerator.device_count() == torch.accelerator.device_count() == 0
    for name in ("current_device_index", "synchronize"):
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
            getattr(torch.accelerator, name)()
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
            getattr(unigrad.accelerator, name)()
    with pytest.raises(RuntimeError, match="none is available"):
        unigrad.accelerator.set_device_index(0)


def test_accelerator_on_this_machine_runs_a_tensor():
    if not unigrad.accelerator.is_available():
        pytest.skip("no accelerator backend is available here")
    dev = unigrad.accelerator.current_accelerator()
    assert dev.index is None
    assert unigrad.accelerator.current_device_index() == 0
    x = unigrad.ones(3, device=dev) * 2
    unigrad.accelerator.synchronize()
    unigrad.accelerator.synchronize(0)
    assert x.device.type == dev.type and x.tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="does not exist"):
        unigrad.accelerator.set_device_index(unigrad.accelerator.device_count())
    unigrad.accelerator.set_device_index(-1)  # a no-op, as in PyTorch
    with unigrad.accelerator.device_index(0):
        assert unigrad.accelerator.current_device_index() == 0
    with pytest.raises(ValueError, match="doesn't match the current accelerator"):
        unigrad.accelerator.set_device_index("cpu")


def test_set_device_index_moves_the_bare_device_type(fake_registry, monkeypatch):
    fake_registry(_fake_info("cpu", True, False), _fake_info("cuda", True, True, count=2))
    forgotten = []
    monkeypatch.setattr(unigrad.api.creation, "forget_placements", lambda: forgotten.append(1))
    monkeypatch.setattr(registry, "_current_index", {})
    unigrad.accelerator.set_device_index("cuda:1")
    assert unigrad.accelerator.current_device_index() == 1
    assert forgotten
    with unigrad.accelerator.device_index(0):
        assert unigrad.accelerator.current_device_index() == 0
    assert unigrad.accelerator.current_device_index() == 1


def test_cpu_module_matches_torch():
    assert unigrad.cpu.is_available() is torch.cpu.is_available() is True
    assert unigrad.cpu.device_count() == torch.cpu.device_count() == 1
    assert unigrad.cpu.current_device() == torch.cpu.current_device() == "cpu"
    assert unigrad.cpu.synchronize() is None and torch.cpu.synchronize() is None


def test_cuda_bf16_supported_without_gpu():
    if unigrad.cuda.is_available():
        pytest.skip("a GPU is present")
    assert unigrad.cuda.is_bf16_supported() is torch.cuda.is_bf16_supported() is False
