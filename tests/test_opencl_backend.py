"""The OpenCL backend on a real OpenCL device (PoCL's CPU device where no GPU driver exists):
certification by the conformance and parity suites, same numbers as the CPU backend, device
selection, and the properties the backend promises (no host round trips, pooled buffers,
kernels built once, views that alias)."""
import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, strategies as st

import unigrad
from unigrad.backends import registry

from parity import run_parity_modules, skip_unless_available

pytestmark = skip_unless_available("opencl")

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.fixture
def backend():
    return registry.get_backend(unigrad.device("opencl"))


def test_conformance_suite_passes_on_opencl(backend):
    from unigrad.conformance import run
    results = run("opencl")
    failed = [(r.name, r.dtype, r.shape_class, r.message) for r in results if r.status == "failed"]
    assert not failed, failed[:5]
    passed = [r for r in results if r.status == "passed"]
    assert len(passed) > 1000
    skipped_dtypes = {r.dtype for r in results if r.status == "skipped"}
    expected = {d for d, has in (("float16", backend.fp16), ("float64", backend.fp64)) if not has}
    assert skipped_dtypes == expected


@pytest.mark.slow
def test_parity_suites_pass_on_opencl():
    """Every torch-parity module, re-run with opencl as the default device."""
    run_parity_modules("opencl")


# ----- same numbers as the CPU backend -------------------------------------------------------------
def test_random_stream_and_initial_weights_match_cpu_bitwise():
    """Uniform draws, integers, dropout masks and (uniform) initial weights are bitwise equal;
    normal draws go through log/cos/sqrt, whose last bit may differ between math libraries."""
    def draw(device):
        unigrad.manual_seed(7)
        with _default(device):
            layer = unigrad.nn.Linear(33, 17)
            mask = unigrad.nn.functional.dropout(unigrad.ones(5, 9), 0.5)
            exact = [unigrad.rand(1001), unigrad.rand(64, dtype=unigrad.float64), unigrad.randint(0, 1000, (99,)),
                     layer.weight, layer.bias, mask]
            return [t.detach().numpy() for t in exact], unigrad.randn(257, dtype=unigrad.float64).numpy()
    (ours, our_normal), (theirs, their_normal) = draw("opencl"), draw("cpu")
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(our_normal, their_normal, rtol=1e-14, atol=1e-15)


class _default:
    def __init__(self, device):
        self.device = device

    def __enter__(self):
        unigrad.set_default_device(self.device)

    def __exit__(self, *exc):
        unigrad.set_default_device(None)


def _example(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", ROOT / "examples" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name,steps", [("mlp", 30), ("cnn", 4)])
def test_example_training_curves_match_cpu(name, steps):
    curves = {}
    for device in ("cpu", "opencl"):
        with _default(device):
            curves[device] = _example(name).main(steps=steps)
    np.testing.assert_allclose(curves["opencl"], curves["cpu"], rtol=2e-4, atol=1e-5)


@given(n=st.integers(1, 70), k=st.integers(0, 40), m=st.integers(1, 70), batch=st.integers(1, 3),
       transpose_a=st.booleans(), transpose_b=st.booleans())
def test_matmul_shapes_and_layouts_match_float64(n, k, m, batch, transpose_a, transpose_b):
    rng = np.random.default_rng(n * 1000 + k * 10 + m)
    a = rng.standard_normal((batch, k, n) if transpose_a else (batch, n, k)).astype(np.float32)
    b = rng.standard_normal((batch, m, k) if transpose_b else (batch, k, m)).astype(np.float32)
    ta, tb = unigrad.tensor(a, device="opencl"), unigrad.tensor(b, device="opencl")
    ta = ta.transpose(1, 2) if transpose_a else ta
    tb = tb.transpose(1, 2) if transpose_b else tb
    expected = ta.cpu().numpy().astype(np.float64) @ tb.cpu().numpy().astype(np.float64)
    np.testing.assert_allclose((ta @ tb).numpy(), expected, rtol=1e-5, atol=1e-5 * max(k, 1))


# ----- what the backend promises -------------------------------------------------------------------
def _mlp_step(device):
    unigrad.manual_seed(0)
    model = unigrad.nn.Sequential(unigrad.nn.Linear(20, 32), unigrad.nn.ReLU(), unigrad.nn.Linear(32, 5)).to(device)
    optimizer = unigrad.optim.Adam(model.parameters(), lr=1e-2)
    x = unigrad.randn(16, 20, device=device)
    y = unigrad.randint(0, 5, (16,), device=device)

    def step():
        optimizer.zero_grad()
        loss = unigrad.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        return loss
    return step


def test_training_step_stays_on_device(backend, monkeypatch):
    """Data crosses to the host only when asked for (here: never during the steps)."""
    import pyopencl

    step = _mlp_step("opencl")
    step()
    transfers = []
    real_copy = pyopencl.enqueue_copy

    def counting_copy(queue, dest, src, **kwargs):
        if isinstance(dest, np.ndarray):
            transfers.append(dest.shape)
        return real_copy(queue, dest, src, **kwargs)

    monkeypatch.setattr(pyopencl, "enqueue_copy", counting_copy)
    for _ in range(3):
        loss = step()
    assert transfers == []
    assert np.isfinite(loss.item()) and transfers


def test_steps_reuse_pooled_buffers_and_built_kernels(backend):
    step = _mlp_step("opencl")
    for _ in range(2):
        step()
    allocations, builds = backend.pool.allocations, backend.programs.builds
    kernels = dict(backend.programs.kernels)
    for _ in range(5):
        step()
    assert backend.pool.allocations == allocations
    assert backend.programs.builds == builds
    assert all(backend.programs.kernels[key] is kernel for key, kernel in kernels.items())


def test_views_alias_their_base():
    base = unigrad.zeros(4, 6, device="opencl")
    view = base[1:3, ::2]
    view += 5
    base.t()[5, 0] = -1.0
    expected = np.zeros((4, 6), np.float32)
    expected[1:3, ::2] += 5
    expected[0, 5] = -1
    np.testing.assert_array_equal(base.numpy(), expected)
    np.testing.assert_array_equal(view.numpy(), expected[1:3, ::2])


def test_float_sum_of_many_elements_is_accurate():
    values = np.random.default_rng(0).uniform(0, 1, 1_000_003).astype(np.float32)
    total = unigrad.tensor(values, device="opencl").sum().item()
    assert abs(total - values.astype(np.float64).sum()) < 1e-6 * values.size


# ----- devices -------------------------------------------------------------------------------------
def _python(code, **env):
    completed = subprocess.run([sys.executable, "-c", code], env=dict(os.environ, **env), capture_output=True,
                               text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


def test_two_devices_hold_tensors_apart():
    out = _python(
        "import unigrad\n"
        "print(unigrad.backends.registry.get_backend(unigrad.device('opencl')).device_count())\n"
        "a = unigrad.ones(3, device='opencl:1') * 2\n"
        "print(a.device, a.sum().item())\n"
        "try:\n"
        "    a + unigrad.ones(3, device='opencl:0')\n"
        "except RuntimeError as error:\n"
        "    print('error:', error)\n", POCL_DEVICES="pthread pthread")
    lines = out.splitlines()
    assert int(lines[0]) >= 2  # two per PoCL platform installed
    assert lines[1] == "opencl:1 6.0"
    assert lines[2].startswith("error:") and "opencl:0" in lines[2] and "opencl:1" in lines[2]


def test_device_filter_reports_why_opencl_is_unavailable():
    out = _python("import unigrad\n"
                  "info = [i for i in unigrad.backends.registered() if i.name == 'opencl'][0]\n"
                  "print(info.available, info.reason)\n", UNIGRAD_OPENCL_DEVICES="no-such-device")
    assert out.startswith("False no usable OpenCL device") and "UNIGRAD_OPENCL_DEVICES" in out


def test_info_lists_opencl_devices(capsys):
    from unigrad import cli
    assert cli.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "opencl   available" in out
    assert "opencl:0  " in out and "compute units" in out


def test_gemm_tuning_is_cached_on_disk(backend, tmp_path, monkeypatch):
    from unigrad.backends.opencl.matmul import Gemm

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("UNIGRAD_OPENCL_GEMM", raising=False)
    first = Gemm(backend)
    chosen = first.config("float")
    assert first.timings["float"] and max(first.timings["float"].values()) > 0
    saved = json.loads((tmp_path / "unigrad" / "opencl-gemm-v2.json").read_text())
    assert list(saved.values()) == [list(chosen)]
    second = Gemm(backend)
    assert second.config("float") == chosen and second.timings == {}  # read, not re-tuned


def test_out_of_range_indices_raise_at_the_next_synchronisation():
    x = unigrad.arange(6.0, device="opencl").reshape(2, 3)
    picked = x.gather(1, unigrad.tensor([[0, 3], [1, 2]], device="opencl"))  # 3 is out of range
    with pytest.raises(IndexError, match="index out of range"):
        picked.numpy()
    good = x.gather(1, unigrad.tensor([[2, 0], [1, 1]], device="opencl"))  # the flag was cleared
    np.testing.assert_array_equal(good.numpy(), [[2.0, 0.0], [4.0, 4.0]])
    target = unigrad.tensor([0, 7], device="opencl")
    loss = unigrad.nn.functional.cross_entropy(unigrad.zeros(2, 3, device="opencl"), target)
    with pytest.raises(IndexError):
        loss.item()


def test_forked_worker_gets_a_clear_error_instead_of_hanging():
    from unigrad.utils.data import DataLoader, TensorDataset

    data = TensorDataset(unigrad.arange(6.0, device="opencl"))
    with pytest.raises(RuntimeError, match="forked subprocess"):
        list(DataLoader(data, batch_size=2, num_workers=1))
    assert unigrad.arange(3.0, device="opencl").sum().item() == 3.0  # the parent is unaffected


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_every_gemm_candidate_is_correct_here(backend, dtype):
    """Tuning may pick any candidate on some device (the tiled ones are for GPUs): each must
    give right answers on edges, transposed and batched operands wherever it runs."""
    from unigrad.backends.opencl import codegen
    from unigrad.backends.opencl.matmul import CPU_CANDIDATES, GPU_CANDIDATES, Gemm, _group_size

    rng = np.random.default_rng(3)
    a = rng.standard_normal((2, 70, 37)).astype(dtype)
    b = rng.standard_normal((2, 45, 37)).astype(dtype)  # used transposed
    ta = unigrad.tensor(a, device="opencl")
    tb = unigrad.tensor(b, device="opencl").transpose(1, 2)
    expected = a.astype(np.float64) @ b.astype(np.float64).transpose(0, 2, 1)
    gemm = Gemm(backend)
    tried = 0
    for config in dict.fromkeys(CPU_CANDIDATES + GPU_CANDIDATES):
        if _group_size(config) > backend.device.max_work_group_size:
            continue
        out = gemm._run(ta._buf, tb._buf, codegen.ctype(np.dtype(dtype)), config)
        np.testing.assert_allclose(backend.to_numpy(out), expected, rtol=1e-5, atol=1e-4, err_msg=str(config))
        tried += 1
    assert tried >= 10


def test_without_pyopencl_opencl_is_registered_but_unavailable_with_the_reason():
    out = _python("import sys\n"
                  "sys.modules['pyopencl'] = None  # as if not installed\n"
                  "import unigrad\n"
                  "info = [i for i in unigrad.backends.registered() if i.name == 'opencl'][0]\n"
                  "print(info.available, info.reason)\n"
                  "try:\n"
                  "    unigrad.ones(2, device='opencl')\n"
                  "except RuntimeError as error:\n"
                  "    print('error:', error)\n")
    lines = out.splitlines()
    assert lines[0] == "False PyOpenCL not installed (pip install 'unigrad[opencl]')"
    assert lines[1].startswith("error:") and "PyOpenCL not installed" in lines[1]


@pytest.mark.parametrize("device_kind", ["cpu-shaped", "gpu-shaped"])
def test_reductions_over_any_axes_in_both_kernel_shapes(backend, monkeypatch, device_kind):
    """CPU devices reduce each output in one work-item; GPUs use work-group trees. Both paths
    run here (the tree one by presenting the device as a GPU)."""
    monkeypatch.setattr(backend, "is_cpu", device_kind == "cpu-shaped")
    rng = np.random.default_rng(5)
    x = rng.standard_normal((5, 70, 3, 40)).astype(np.float32)
    x[1, 3, 0, 7] = np.nan
    ints = rng.integers(-9, 9, (6, 50, 7))
    tx, ti = unigrad.tensor(x, device="opencl"), unigrad.tensor(ints, device="opencl")
    clean = unigrad.tensor(np.nan_to_num(x), device="opencl")
    for axes in [(1,), (0, 2), (1, 3), (0, 1, 2, 3), (3,)]:
        np.testing.assert_allclose(clean.sum(axes).numpy(), np.nan_to_num(x).astype(np.float64).sum(axes),
                                   rtol=1e-5, atol=1e-4)
        np.testing.assert_array_equal(tx.amax(axes).numpy(), x.max(axes))
        np.testing.assert_array_equal(tx.amin(axes).numpy(), x.min(axes))
    for axis in range(4):
        np.testing.assert_array_equal(clean.argmax(axis).numpy(), np.nan_to_num(x).argmax(axis))
        np.testing.assert_array_equal(tx.argmax(axis).numpy(), unigrad.tensor(x).argmax(axis).numpy())
    np.testing.assert_array_equal(ti.sum((0, 2)).numpy(), ints.sum((0, 2)))
    np.testing.assert_array_equal(ti.amax(1).numpy(), ints.max(1))
    np.testing.assert_array_equal(ti.argmin(1).numpy(), ints.argmin(1))
    near_one = 1 + 0.01 * np.nan_to_num(x)
    np.testing.assert_allclose((1 + 0.01 * clean).prod((1, 3)).numpy(), near_one.astype(np.float64).prod((1, 3)),
                               rtol=1e-4)


def test_device_whose_compiler_fails_is_left_out_with_the_reason(monkeypatch):
    """PoCL 3.0 lists a CPU device on processors its LLVM does not know, then fails every build
    ("unknown target CPU 'generic'"): such a device is left out, and the reason is shown."""
    from unigrad.backends.opencl import devices

    real = devices._build_failure
    broken = devices.all_devices()[0].name

    def fake_failure(cl, device):
        return "its OpenCL compiler fails: error: unknown target CPU 'generic'" if device.name == broken \
            else real(cl, device)

    monkeypatch.setattr(devices, "_build_failure", fake_failure)
    monkeypatch.setattr(devices, "_devices", None)
    try:
        assert all(d.name != broken for d in devices.all_devices())
        lines = devices.describe_all()
        assert any(line.startswith("left out:") and "unknown target CPU 'generic'" in line for line in lines)
        if not devices.all_devices():
            ok, reason = devices.probe()
            assert not ok and "unknown target CPU 'generic'" in reason
    finally:
        monkeypatch.setattr(devices, "_devices", None)
