"""Backends come from pluggy plugins: discovery by entry point, isolation of broken plugins,
registration checks, and no hook calls on the hot path."""
import sys
import textwrap

import pytest

import unigrad
from unigrad.api import creation
from unigrad.backends import registry
from unigrad.plugins import PluginWarning, manager

GOOD_PLUGIN = """
import unigrad
from unigrad.backends.numpy import NumpyBackend

class MockBackend(NumpyBackend):
    name = "mock"
    indexed = True
    calls = 0

    @classmethod
    def device_count(cls):
        return 2

    def add(self, a, b):
        MockBackend.calls += 1
        return super().add(a, b)

@unigrad.plugins.hookimpl
def unigrad_register_backends():
    return [MockBackend]
"""

BROKEN_IMPORT = "raise ImportError('this plugin is broken on purpose')\n"

BROKEN_HOOK = """
import unigrad

@unigrad.plugins.hookimpl
def unigrad_register_backends():
    raise RuntimeError('hook exploded')
"""

INCOMPLETE = """
import unigrad
from unigrad.backends import Backend

class Incomplete(Backend):
    name = "incomplete"
    def empty(self, shape, dtype):
        return None

@unigrad.plugins.hookimpl
def unigrad_register_backends():
    return [Incomplete]
"""


def _install(tmp_path, monkeypatch, plugins: dict) -> None:
    """Make `plugins` ({entry-point name: module source}) discoverable as an installed dist."""
    entries = []
    for name, source in plugins.items():
        module = f"unigrad_test_plugin_{name}"
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        entries.append(f"{name} = {module}")
    dist = tmp_path / "unigrad_test_plugins-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: unigrad-test-plugins\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[unigrad.backends]\n" + "\n".join(entries) + "\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in plugins:
        sys.modules.pop(f"unigrad_test_plugin_{name}", None)
    _reset()


def _reset():
    manager.reset()
    registry.reset()
    creation._placements.clear()


def installed_backend(name: str, class_source: str, class_name: str):
    """A fixture installing a plugin whose module defines ``class_source`` and registers the
    backend class ``class_name`` (device type ``name``); yields the device type."""
    source = class_source + (f"\n\n@unigrad.plugins.hookimpl\ndef unigrad_register_backends():\n"
                             f"    return [{class_name}]\n")

    @pytest.fixture
    def fixture(tmp_path, monkeypatch):
        _install(tmp_path, monkeypatch, {name: source})
        yield name
        _reset()
    return fixture


@pytest.fixture(autouse=True)
def _fresh_registry():
    _reset()
    yield
    _reset()


def test_builtin_backends_register_through_the_hook():
    names = {info.name: info for info in unigrad.backends.registered()}
    assert names["cpu"].available and names["cpu"].plugin == "unigrad.backends.numpy.plugin"
    assert "cuda" in names and names["cuda"].plugin == "unigrad.backends.cupy.plugin"
    if not names["cuda"].available:
        assert names["cuda"].reason
    assert "cpu" in unigrad.backends.available()
    impls = manager.get_plugin_manager().hook.unigrad_register_backends.get_hookimpls()
    assert {impl.plugin_name for impl in impls} >= set(manager.BUILTIN_PLUGINS)


def test_third_party_backend_from_entry_point(tmp_path, monkeypatch):
    _install(tmp_path, monkeypatch, {"mock": GOOD_PLUGIN})
    assert "mock" in unigrad.backends.available()
    x = unigrad.ones(3, device="mock:1")
    y = (x + x).sum()
    assert str(x.device) == "mock:1" and y.device == unigrad.device("mock:1")
    assert y.item() == 6.0
    cpu = unigrad.ones(3)
    with pytest.raises(RuntimeError, match="cpu and mock:1"):
        cpu + x
    assert (x.to("cpu") + cpu).tolist() == [2.0, 2.0, 2.0]
    with pytest.raises(RuntimeError, match="does not exist: 2 mock device"):
        unigrad.ones(1, device="mock:2")


def test_hot_path_calls_no_hook(tmp_path, monkeypatch):
    _install(tmp_path, monkeypatch, {"mock": GOOD_PLUGIN})
    x = unigrad.ones(3, device="mock")
    hook_calls = []
    pm = manager.get_plugin_manager()
    pm.add_hookcall_monitoring(lambda *a: hook_calls.append(a), lambda *a: None)
    for _ in range(100):
        x = x + 1
    assert hook_calls == []
    backend_class = type(registry.get_backend("mock:0"))
    assert backend_class.calls == 100


def test_broken_plugins_warn_by_name_and_spare_the_others(tmp_path, monkeypatch):
    _install(tmp_path, monkeypatch, {"mock": GOOD_PLUGIN, "broken": BROKEN_IMPORT,
                                     "exploding": BROKEN_HOOK, "incomplete": INCOMPLETE})
    with pytest.warns(PluginWarning) as record:
        names = unigrad.backends.available()
    messages = " | ".join(str(w.message) for w in record)
    assert "'broken' failed to load: ImportError: this plugin is broken on purpose" in messages
    assert "hook exploded" in messages and "UNIGRAD_DISABLE_PLUGINS=" in messages
    assert "does not implement" in messages and "matmul" in messages
    assert "mock" in names and "cpu" in names and "incomplete" not in names


def test_disable_and_allow_lists(tmp_path, monkeypatch):
    monkeypatch.setenv("UNIGRAD_DISABLE_PLUGINS", "mock")
    _install(tmp_path, monkeypatch, {"mock": GOOD_PLUGIN})
    assert "mock" not in unigrad.backends.available()
    monkeypatch.delenv("UNIGRAD_DISABLE_PLUGINS")
    monkeypatch.setenv("UNIGRAD_LOAD_PLUGINS", "")
    _reset()
    assert "mock" not in unigrad.backends.available()
    monkeypatch.setenv("UNIGRAD_LOAD_PLUGINS", "mock")
    _reset()
    assert "mock" in unigrad.backends.available()


def test_every_primitive_is_documented():
    from unigrad.backends.interface import Backend, REQUIRED_PRIMITIVES
    assert 40 <= len(REQUIRED_PRIMITIVES) <= 50
    for name in REQUIRED_PRIMITIVES:
        doc = getattr(Backend, name).__doc__
        assert doc and len(doc.strip()) >= 5, name


def test_default_device_from_environment(monkeypatch):
    from unigrad.api import device as device_module
    monkeypatch.setattr(device_module, "_default_device", None)
    monkeypatch.setenv("UNIGRAD_DEVICE", "cpu")
    assert unigrad.get_default_device() == unigrad.device("cpu")
    unigrad.set_default_device("cpu")
    assert unigrad.zeros(1).device == unigrad.device("cpu")
    unigrad.set_default_device(None)
