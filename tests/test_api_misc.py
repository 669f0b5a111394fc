"""Top-level API gaps public programs hit: accelerator, cpu, backends flags, printing, legacy
tensor types, threads, inference mode and small utilities."""
from __future__ import annotations

import numpy as np
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


# ----- printing and formatting -----------------------------------------------------------------
_PRINT_CASES = [
    np.array([1.0, 2.5]), np.arange(10.0), np.array([1e-5, 1.0]), np.array([1e9, 1.0]),
    np.array([np.nan, np.inf, -np.inf, 1.0]), np.array([0.0, -0.0]), np.array([1.0, 1000.0, 1e5]),
    np.random.default_rng(0).standard_normal((4, 5)), np.random.default_rng(0).standard_normal(2000),
    np.random.default_rng(1).standard_normal((50, 50)), np.arange(3000).reshape(30, 100),
    np.array([True, False]), np.array(3.5), np.array(7), np.zeros((0, 3)),
    np.random.default_rng(2).standard_normal((2, 3, 4)), np.array([-1.0, 2e-3, 123.4567]),
    np.arange(100, dtype=np.int64) * 1234567, np.linspace(-1, 1, 30),
]


@pytest.fixture
def restore_printoptions():
    yield
    unigrad.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


@pytest.mark.parametrize("options", [
    {}, dict(precision=2), dict(threshold=5), dict(edgeitems=1, threshold=10), dict(linewidth=40),
    dict(profile="short"), dict(profile="full"), dict(sci_mode=True), dict(sci_mode=False),
    dict(edgeitems=0, threshold=3), dict(profile="short", precision=6),
])
def test_repr_matches_torch_under_printoptions(options, restore_printoptions):
    unigrad.set_printoptions(**options)
    torch.set_printoptions(**options)
    for array in _PRINT_CASES:
        array = array.astype(np.float32) if array.dtype == np.float64 else array
        assert repr(unigrad.tensor(array)) == repr(torch.tensor(array)), array


def test_repr_suffixes_match_torch(restore_printoptions):
    ours = unigrad.tensor([1.0, 2.0], requires_grad=True)
    theirs = torch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(ours) == repr(theirs)
    assert repr(ours * 2) == repr(theirs * 2)
    assert repr(unigrad.zeros(0, dtype=unigrad.int64)).replace("unigrad", "torch") == \
        repr(torch.zeros(0, dtype=torch.int64))
    assert repr(unigrad.zeros(2, 0)) == repr(torch.zeros(2, 0))
    assert repr(unigrad.nn.Parameter(unigrad.ones(2))) == repr(torch.nn.Parameter(torch.ones(2)))
    long_row = np.random.default_rng(3).standard_normal(7).astype(np.float32)
    unigrad.set_printoptions(linewidth=60)
    torch.set_printoptions(linewidth=60)
    assert repr(unigrad.tensor(long_row, requires_grad=True)) == \
        repr(torch.tensor(long_row, requires_grad=True))


@pytest.mark.parametrize("spec", ["", ".2f", ">10.3f", ".3e", "+.1f", "g"])
def test_format_spec_on_scalar_tensors(spec):
    for value in (3.14159, -2.5):
        assert format(unigrad.tensor(value), spec) == format(torch.tensor(value), spec)
    assert format(unigrad.tensor(3.0, requires_grad=True), spec) == \
        format(torch.tensor(3.0, requires_grad=True), spec)
    assert "{:.2f}".format(unigrad.tensor(1.0) / 3) == "0.33"


def test_format_spec_on_integer_and_multi_element_tensors():
    assert f"{unigrad.tensor(7):d}" == f"{torch.tensor(7):d}" == "7"
    assert f"{unigrad.tensor(7):.2f}" == f"{torch.tensor(7):.2f}"
    assert f"{unigrad.tensor([1.5, 2.0])}" == f"{torch.tensor([1.5, 2.0])}"
    for shape_data in ([1.5], [[1.5]], [1.5, 2.0]):
        with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
            format(torch.tensor(shape_data), ".1f")
        with pytest.raises(TypeError, match="unsupported format string passed to Tensor.__format__"):
            format(unigrad.tensor(shape_data), ".1f")


# ----- torch.backends flags and process-wide preferences --------------------------------------
@pytest.fixture
def restore_preferences():
    from unigrad.backends import cudnn, preferences
    saved = dict(vars(preferences))
    saved_cudnn = {k: getattr(cudnn, k) for k in ("enabled", "benchmark", "deterministic", "allow_tf32")}
    threads = unigrad.get_num_threads()
    yield
    for key in ("float32_matmul_precision", "deterministic_algorithms", "deterministic_warn_only",
                "num_interop_threads"):
        setattr(preferences, key, saved[key])
    for key, value in saved_cudnn.items():
        setattr(cudnn, key, value)
    import threadpoolctl
    threadpoolctl.threadpool_limits(limits=threads)
    preferences.num_threads = saved["num_threads"]


def test_backends_namespaces_match_torch_cpu_build():
    import unigrad.backends.cudnn as cudnn  # the import form programs use
    assert cudnn is unigrad.backends.cudnn
    assert unigrad.backends.cudnn.is_available() is torch.backends.cudnn.is_available() is False
    assert unigrad.backends.cudnn.version() is torch.backends.cudnn.version() is None
    for flag in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(unigrad.backends.cudnn, flag) == getattr(torch.backends.cudnn, flag), flag
    assert unigrad.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert unigrad.backends.mps.is_built() is torch.backends.mps.is_built() is False
    assert unigrad.backends.cuda.matmul.allow_tf32 is torch.backends.cuda.matmul.allow_tf32 is False
    assert unigrad.backends.mkldnn.is_available() is False
    assert unigrad.backends.openmp.is_available() is False
    assert unigrad.backends.cuda.flash_sdp_enabled() and unigrad.backends.cuda.math_sdp_enabled()


def test_cudnn_flags_are_settable_and_flags_context_restores(restore_preferences):
    unigrad.backends.cudnn.benchmark = True
    unigrad.backends.cudnn.deterministic = True
    assert unigrad.backends.cudnn.benchmark and unigrad.backends.cudnn.deterministic
    with unigrad.backends.cudnn.flags(enabled=False, deterministic=False):
        assert not unigrad.backends.cudnn.enabled and not unigrad.backends.cudnn.deterministic
    assert unigrad.backends.cudnn.enabled and unigrad.backends.cudnn.deterministic


def test_float32_matmul_precision_and_allow_tf32_as_torch(restore_preferences):
    original = torch.get_float32_matmul_precision()
    try:
        for lib in (unigrad, torch):
            assert lib.get_float32_matmul_precision() == "highest"
            lib.backends.cuda.matmul.allow_tf32 = True
            assert lib.get_float32_matmul_precision() == "high"
            lib.set_float32_matmul_precision("medium")
            assert lib.backends.cuda.matmul.allow_tf32 is True
            lib.set_float32_matmul_precision("highest")
            assert lib.backends.cuda.matmul.allow_tf32 is False
            with pytest.warns(UserWarning, match="is not one of 'highest', 'high', or 'medium'"):
                lib.set_float32_matmul_precision("bogus")
            assert lib.get_float32_matmul_precision() == "highest"
    finally:
        torch.set_float32_matmul_precision(original)


def test_deterministic_algorithm_switches_as_torch(restore_preferences):
    try:
        for lib in (unigrad, torch):
            lib.use_deterministic_algorithms(True, warn_only=True)
            assert lib.are_deterministic_algorithms_enabled()
            assert lib.is_deterministic_algorithms_warn_only_enabled()
            assert lib.get_deterministic_debug_mode() == 1
            lib.use_deterministic_algorithms(False)
            assert not lib.are_deterministic_algorithms_enabled()
            assert not lib.is_deterministic_algorithms_warn_only_enabled()
            lib.set_deterministic_debug_mode("error")
            assert lib.are_deterministic_algorithms_enabled() and lib.get_deterministic_debug_mode() == 2
            lib.set_deterministic_debug_mode(0)
            with pytest.raises(TypeError, match="must be bool"):
                lib.use_deterministic_algorithms("yes")
            with pytest.raises(RuntimeError, match="expected one of `default`, `warn`, `error`"):
                lib.set_deterministic_debug_mode("bad")
            with pytest.raises(RuntimeError, match="expected 0, 1, or 2"):
                lib.set_deterministic_debug_mode(5)
    finally:
        torch.use_deterministic_algorithms(False)


def test_set_num_threads_sizes_the_blas_pool(restore_preferences):
    import threadpoolctl
    unigrad.set_num_threads(1)
    assert unigrad.get_num_threads() == 1
    assert unigrad.backends.preferences.num_threads == 1
    blas = [pool["num_threads"] for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]
    assert blas and all(n == 1 for n in blas)
    for bad, kind in ((0, "expects a positive integer"), (1.5, "expects an int, but got float"),
                      (True, "expects an int, but got bool")):
        with pytest.raises(RuntimeError, match=kind):
            unigrad.set_num_threads(bad)
        with pytest.raises(RuntimeError, match=kind):
            torch.set_num_threads(bad)
    unigrad.set_num_interop_threads(3)
    assert unigrad.get_num_interop_threads() == 3
    with pytest.raises(RuntimeError, match="set_num_interop_threads expects a positive integer"):
        unigrad.set_num_interop_threads(0)


# ----- inference mode --------------------------------------------------------------------------
@pytest.mark.parametrize("lib", [unigrad, torch], ids=["unigrad", "torch"])
def test_inference_mode_semantics(lib):
    with lib.no_grad():
        with lib.inference_mode(False):
            assert lib.is_grad_enabled() and not lib.is_inference_mode_enabled()
    with lib.inference_mode():
        assert not lib.is_grad_enabled() and lib.is_inference_mode_enabled()
        x = lib.ones(2, requires_grad=True)
        y = x * 2
        assert x.is_inference() and y.is_inference()
        assert x.requires_grad and not y.requires_grad and y.grad_fn is None
        with lib.inference_mode(False):
            assert lib.is_grad_enabled() and not lib.ones(1).is_inference()
    assert lib.is_grad_enabled() and not lib.is_inference_mode_enabled()
    assert y.is_inference() and not (y + 1).is_inference() and not lib.ones(1).is_inference()

    @lib.inference_mode()
    def called(a):
        return a * 2, lib.is_inference_mode_enabled()

    @lib.inference_mode
    def bare(a):
        return a * 2

    out, flag = called(lib.ones(1, requires_grad=True))
    assert flag and out.is_inference() and not out.requires_grad
    assert bare(lib.ones(1)).is_inference()
    assert lib.inference_mode().mode is True and lib.inference_mode(False).mode is False
    assert lib.autograd.inference_mode is lib.inference_mode


def test_inference_mode_restores_state_after_an_exception():
    with pytest.raises(ValueError):
        with unigrad.inference_mode():
            raise ValueError
    assert unigrad.is_grad_enabled() and not unigrad.is_inference_mode_enabled()
    from unigrad.autograd.grad_mode import inference_scopes
    assert inference_scopes[0] == 0


# ----- more top-level names ----------------------------------------------------------------------
def test_compile_wraps_and_jit_returns_what_it_gets():
    model = unigrad.nn.Linear(2, 2)
    assert unigrad.compile(model)._orig_mod is model
    assert unigrad.compile(model, mode="max-autotune")._orig_mod is model

    @unigrad.compile(fullgraph=True)
    def double(x):
        return x * 2

    assert double(unigrad.ones(1)).item() == 2.0 and double(unigrad.ones(1)).item() == 2.0
    assert not unigrad.compiler.is_compiling() and unigrad.compiler.disable(len)(["a"]) == 1

    @unigrad.jit.script
    def triple(x):
        return x * 3

    assert triple(unigrad.ones(1)).item() == 3.0
    assert unigrad.jit.trace(model, unigrad.ones(1, 2)) is model
    assert not unigrad.jit.is_scripting() and not unigrad.jit.is_tracing()
    assert unigrad.jit.ignore(len) is len and unigrad.jit.ignore(drop=True)(len) is len


def test_random_module_and_fork_rng():
    unigrad.random.manual_seed(5)
    assert unigrad.random.initial_seed() == 5
    before = unigrad.random.get_rng_state()
    with unigrad.random.fork_rng():
        unigrad.rand(3)
    after = unigrad.random.get_rng_state()
    assert before.tolist() == after.tolist()
    first = unigrad.rand(3)
    unigrad.random.set_rng_state(before)
    assert unigrad.rand(3).tolist() == first.tolist()


def test_version_grad_scaler_and_device_modules():
    assert unigrad.version.__version__ == unigrad.__version__
    if not unigrad.cuda.is_available():
        assert unigrad.version.cuda is None and torch.version.cuda is None
    assert unigrad.GradScaler is unigrad.amp.GradScaler
    assert unigrad.get_device_module("cuda") is unigrad.cuda
    assert unigrad.get_device_module(unigrad.device("cpu")) is unigrad.cpu
    assert unigrad.get_device_module("opencl") is unigrad.opencl
    with pytest.raises(RuntimeError, match="does not have a corresponding module"):
        unigrad.get_device_module("npu")
    if "opencl" in unigrad.backends.available():
        assert unigrad.opencl.is_available() and unigrad.opencl.device_count() >= 1
        unigrad.opencl.synchronize()


def test_small_flags_match_torch_cpu_build():
    for lib in (unigrad, torch):
        assert lib.is_warn_always_enabled() is False
        assert lib.is_vulkan_available() is False
        assert lib.init_num_threads() is None
        assert lib.is_inference(lib.ones(1)) is False and lib.is_distributed(lib.ones(1)) is False
    unigrad.set_warn_always(True)
    assert unigrad.is_warn_always_enabled()
    unigrad.set_warn_always(False)
    assert unigrad.set_flush_denormal(True) is False  # NumPy cannot flush denormals


def test_in_place_top_level_functions_match_torch():
    for lib in (unigrad, torch):
        x = lib.ones(3)
        assert lib.zero_(x) is x and x.tolist() == [0.0, 0.0, 0.0]
        assert lib.fill_(x, 2.5) is x and x.tolist() == [2.5] * 3
        leaf = lib.ones(2, requires_grad=True)
        filled = lib.fill(leaf, 4.0)
        assert filled.tolist() == [4.0, 4.0] and filled.grad_fn.name() == "FillBackward0"
        filled.sum().backward()
        assert leaf.grad.tolist() == [0.0, 0.0]
        y = lib.ones(2, requires_grad=True) * 2
        assert lib.detach_(y) is y and y.grad_fn is None and not y.requires_grad


# ----- torch.testing.assert_close ------------------------------------------------------------------
def _assert_close_outcome(lib, make, **kwargs):
    try:
        lib.testing.assert_close(*make(lib), **kwargs)
    except Exception as error:  # noqa: BLE001 - compared with torch's
        return type(error), str(error).replace("unigrad.api.tensor.Tensor", "torch.Tensor")
    return None


@pytest.mark.parametrize("make, kwargs", [
    (lambda lib: (lib.tensor([1.0, 2, 3]), lib.tensor([1.0, 2.5, 3])), {}),
    (lambda lib: (lib.tensor([1.0, 2]), lib.tensor([1.0, 2.0]) + 1e-7), {}),
    (lambda lib: (1.0, 1.1), {}),
    (lambda lib: (1, 2), {}),
    (lambda lib: (lib.tensor([1, 2]), lib.tensor([1, 3])), {}),
    (lambda lib: (lib.tensor([float("nan")]), lib.tensor([float("nan")])), {}),
    (lambda lib: (lib.tensor([float("nan")]), lib.tensor([float("nan")])), {"equal_nan": True}),
    (lambda lib: (lib.tensor([1.0]), lib.tensor([1.0])), {"rtol": 0}),
    (lambda lib: ([lib.tensor([1.0])], [lib.tensor([1.0]), lib.tensor(2.0)]), {}),
    (lambda lib: ({"a": lib.tensor([1.0])}, {"a": lib.tensor([1.1])}), {}),
    (lambda lib: ((lib.tensor([1.0]), 2.0), (lib.tensor([1.0]), 2.5)), {}),
    (lambda lib: (lib.tensor([[1.0, 2], [3, 4]]), lib.tensor([[1.0, 2], [3, 5]])), {"msg": "custom"}),
    (lambda lib: (lib.tensor([1.0]), 1.0), {}),
    (lambda lib: (lib.tensor(1.0), lib.tensor(1.0001)), {}),
    (lambda lib: (lib.tensor([1.0, 2]), lib.tensor([1.0, 2], dtype=lib.float64)), {"check_dtype": False}),
    (lambda lib: (lib.tensor([0.0, 2]), lib.tensor([1e-9, 2.0])), {}),
    (lambda lib: (lib.tensor([1.0, 100]), lib.tensor([1.5, 101])), {}),
    (lambda lib: (lib.tensor([1.0, 100]), lib.tensor([1.5, 101])), {"rtol": 0.5, "atol": 0.0}),
    (lambda lib: (lib.tensor([1.0, 2.0], dtype=lib.float16), lib.tensor([1.0, 2.001], dtype=lib.float16)), {}),
    (lambda lib: (lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64), lib.tensor([[1.0, 2.0], [3.0, 4.1]],
                                                                                   dtype=lib.float64)), {}),
])
def test_assert_close_matches_torch(make, kwargs):
    ours = _assert_close_outcome(unigrad, make, **kwargs)
    theirs = _assert_close_outcome(torch, make, **kwargs)
    if theirs is None:
        assert ours is None
    else:
        assert ours is not None and ours[0] is theirs[0]
        assert ours[1].replace("unigrad.", "torch.") == theirs[1]


def _add_rank(rank, shared):
    shared[rank] += rank + 1


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
def test_multiprocessing_spawn_with_shared_memory():
    shared = unigrad.zeros(3, device="cpu").share_memory_()
    unigrad.multiprocessing.spawn(_add_rank, args=(shared,), nprocs=3, start_method="fork")
    assert shared.tolist() == [1.0, 2.0, 3.0]
    assert unigrad.multiprocessing.Process is __import__("multiprocessing").Process
