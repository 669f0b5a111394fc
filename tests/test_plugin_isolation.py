"""One broken plugin never takes down the others: bad hooks, bad names, sys.exit at import,
takeovers of built-in device types, invalid probe results, wrong result shapes (caught by
``UNIGRAD_CHECK_BACKEND``), and the conformance CLI's one-line diagnosis."""
import os
import subprocess
import sys

import pytest

import unigrad
from unigrad.backends import registry
from unigrad.backends.checked import BackendResultError
from unigrad.backends.numpy import NumpyBackend
from unigrad.conformance import cli as conformance_cli
from unigrad.plugins import PluginWarning

from test_plugins import GOOD_PLUGIN, _install, _reset

MISSPELT_HOOK = """
import unigrad
from unigrad.backends.numpy import NumpyBackend

class Misspelt(NumpyBackend):
    name = "misspelt"

@unigrad.plugins.hookimpl
def unigrad_register_backend():
    return [Misspelt]
"""

LIST_NAME = """
import unigrad
from unigrad.backends.numpy import NumpyBackend

class ListName(NumpyBackend):
    name = ["listname"]

@unigrad.plugins.hookimpl
def unigrad_register_backends():
    return [ListName]
"""

EXITS = "import sys\nsys.exit('no GPU here, goodbye')\n"

INTERRUPTED = "raise KeyboardInterrupt\n"


def takeover(device_type: str, marker: str = "") -> str:
    return f"""
import unigrad
from unigrad.backends.numpy import NumpyBackend

class Impostor(NumpyBackend):
    name = {device_type!r}
    impostor = True

@unigrad.plugins.hookimpl({marker})
def unigrad_register_backends():
    return [Impostor]
"""


PROBE_NO = """
import unigrad
from unigrad.backends.numpy import NumpyBackend

class ProbeNo(NumpyBackend):
    name = "probeno"

    @classmethod
    def probe(cls):
        return "no"

@unigrad.plugins.hookimpl
def unigrad_register_backends():
    return [ProbeNo]
"""

WRONG_ADD = """
import numpy as np
import unigrad
from unigrad.backends.numpy import NumpyBackend

class WrongAdd(NumpyBackend):
    name = "wrongadd"

    def add(self, a, b, out=None):
        return np.append(np.asarray(super().add(a, b, out)).reshape(-1), 0)  # one element too many

@unigrad.plugins.hookimpl
def unigrad_register_backends():
    return [WrongAdd]
"""


@pytest.fixture(autouse=True)
def _fresh_registry():
    _reset()
    yield
    registry._overrides.clear()
    registry.set_backend_checks(False)
    _reset()


def _messages(record) -> str:
    return " | ".join(str(w.message) for w in record)


def _cpu_still_works():
    assert unigrad.ones(2).tolist() == [1.0, 1.0]
    assert type(registry.get_backend("cpu")) is NumpyBackend


@pytest.mark.parametrize("plugin, expected", [
    (MISSPELT_HOOK, "implements unknown hook(s) 'unigrad_register_backend' (did you mean 'unigrad_register_backends'?)"),
    (LIST_NAME, "has device-type name ['listname']; expected a non-empty identifier-like string"),
    (EXITS, "failed to load: SystemExit: it called sys.exit('no GPU here, goodbye')"),
])
def test_a_broken_plugin_is_named_and_the_others_work(tmp_path, monkeypatch, plugin, expected):
    _install(tmp_path, monkeypatch, {"mock": GOOD_PLUGIN, "broken": plugin})
    with pytest.warns(PluginWarning) as record:
        names = [info.name for info in unigrad.backends.registered()]
    assert "unigrad plugin 'broken' " in _messages(record) and expected in _messages(record)
    assert "cpu" in names and "mock" in names and "misspelt" not in names
    _cpu_still_works()
    assert (unigrad.ones(2, device="mock") * 3).tolist() == [3.0, 3.0]


def test_keyboard_interrupt_in_a_plugin_goes_through(tmp_path, monkeypatch):
    _install(tmp_path, monkeypatch, {"interrupted": INTERRUPTED})
    with pytest.raises(KeyboardInterrupt):
        unigrad.backends.available()


@pytest.mark.parametrize("marker", ["", "trylast=True", "tryfirst=True"])
@pytest.mark.parametrize("device_type", ["cpu", "opencl"])
def test_builtin_device_types_are_not_taken_over(tmp_path, monkeypatch, marker, device_type):
    _install(tmp_path, monkeypatch, {"impostor": takeover(device_type, marker)})
    with pytest.warns(PluginWarning) as record:
        info = {i.name: i for i in unigrad.backends.registered()}[device_type]
    message = _messages(record)
    assert f"unigrad plugin 'impostor' registers device type {device_type!r}, which is built into unigrad; ignored" in message
    assert f"UNIGRAD_OVERRIDE_BACKENDS={device_type}=impostor" in message and "unigrad.backends.numpy" not in message
    assert info.plugin.startswith("unigrad.backends.") and not getattr(info.backend_class, "impostor", False)
    _cpu_still_works()


def test_opting_in_lets_a_plugin_replace_a_builtin(tmp_path, monkeypatch):
    monkeypatch.setenv("UNIGRAD_OVERRIDE_BACKENDS", "cpu=impostor")
    _install(tmp_path, monkeypatch, {"impostor": takeover("cpu", "trylast=True")})
    info = {i.name: i for i in unigrad.backends.registered()}["cpu"]
    assert info.plugin == "impostor" and registry.get_backend("cpu").impostor
    monkeypatch.delenv("UNIGRAD_OVERRIDE_BACKENDS")
    _reset()
    unigrad.backends.allow_override("cpu", "impostor")
    assert registry.get_backend("cpu").impostor and unigrad.ones(2).sum().item() == 2.0
    with pytest.raises(RuntimeError, match="before the first device use"):
        unigrad.backends.allow_override("cpu", "someone_else")
    with pytest.raises(ValueError, match="not a built-in device type"):
        unigrad.backends.allow_override("mock", "impostor")


def test_two_plugins_claiming_one_device_type_keep_the_first_and_name_the_second(tmp_path, monkeypatch):
    _install(tmp_path, monkeypatch, {"first": GOOD_PLUGIN, "second": GOOD_PLUGIN.replace("calls = 0", "calls = 0\n    second = True")})
    with pytest.warns(PluginWarning, match="plugin 'second' registers device type 'mock', already provided by plugin 'first'"):
        info = {i.name: i for i in unigrad.backends.registered()}["mock"]
    assert info.plugin == "first"


def test_probe_must_return_bool_and_reason(tmp_path, monkeypatch):
    _install(tmp_path, monkeypatch, {"probeno": PROBE_NO})
    with pytest.warns(PluginWarning, match=r"plugin 'probeno' backend 'probeno': probe\(\) returned 'no'; expected a \(bool, str\)"):
        info = {i.name: i for i in unigrad.backends.registered()}["probeno"]
    assert not info.available and "(bool, str)" in info.reason
    with pytest.raises(RuntimeError, match="'probeno' is unavailable: probe"):
        unigrad.ones(1, device="probeno")
    _cpu_still_works()


def test_conformance_cli_names_the_failed_plugin_in_one_line(tmp_path, monkeypatch, capsys):
    _install(tmp_path, monkeypatch, {"broken": "raise ImportError('libfoo.so: cannot open shared object')\n",
                                     "probeno": PROBE_NO})
    assert conformance_cli.main(["--device", "broken", "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "Traceback" not in err
    assert "plugin 'broken' failed to load: ImportError: libfoo.so: cannot open shared object" in err
    assert conformance_cli.main(["--device", "probeno", "-q"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "'probeno' (plugin 'probeno') is unavailable: probe() returned 'no'" in err
    assert conformance_cli.main(["--device", "nosuch", "-q"]) == 2
    assert "no backend for device type 'nosuch'" in capsys.readouterr().err


def test_result_checks_catch_a_wrong_shape(tmp_path, monkeypatch):
    _install(tmp_path, monkeypatch, {"wrongadd": WRONG_ADD})
    x = unigrad.ones(2, 3, device="wrongadd")
    assert unigrad.backends.set_backend_checks(True) is False
    y = unigrad.ones(2, 3, device="wrongadd")
    with pytest.raises(BackendResultError, match=r"backend 'wrongadd' \(plugin 'wrongadd'\): primitive 'add' "
                                                  r"returned shape \[7\] .* expected \[2, 3\]"):
        y + y
    assert x.tolist() == [[1.0] * 3] * 2  # nothing else disturbed
    assert (unigrad.ones(2, 3) + 1).sum().item() == 12.0  # the cpu backend passes its checks


def test_conformance_turns_result_checks_on(tmp_path, monkeypatch):
    from unigrad.conformance import run
    _install(tmp_path, monkeypatch, {"wrongadd": WRONG_ADD})
    results = [r for r in run("wrongadd", ["float32"], "^add$") if r.status != "skipped"]
    assert results and all(r.status == "error" and "primitive 'add' returned shape" in r.message for r in results)
    assert not registry.backend_checks_enabled()


def test_check_backend_environment_variable():
    code = ("import unigrad; x = unigrad.ones(2); print(type(x._backend).__name__, "
            "unigrad.backends.registry.backend_checks_enabled())")
    env = dict(os.environ, UNIGRAD_CHECK_BACKEND="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["CheckedBackend", "True"]
