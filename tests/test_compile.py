"""unigrad.compile: compiled steps replay bitwise what eager computes (the examples' models, three
optimizers, clipping, both zero_grad modes), each guard recaptures, each graph-break kind falls
back to eager (or raises under fullgraph), and the module wrapper is transparent."""
import copy
import logging
import os
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import unigrad
import unigrad.nn.functional as F
from unigrad import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
import autoencoder  # noqa: E402
import cnn  # noqa: E402
import lstm  # noqa: E402

@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """Fifty-step CNN runs cost seconds, not tens of seconds, when BLAS does not wake worker
    threads on an oversubscribed machine (results do not depend on it: the same GEMMs run)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(1):
        yield


@pytest.fixture
def on_cpu():
    """For tests about the cpu backend's own behaviour (host-side index checks, its listing)."""
    previous = unigrad.get_default_device()
    unigrad.set_default_device("cpu")
    yield
    unigrad.set_default_device(previous)


OPTIMIZERS = {
    "sgd": lambda params: unigrad.optim.SGD(params, lr=0.05, momentum=0.9),
    "adam": lambda params: unigrad.optim.Adam(params, lr=0.01),
    "adamw": lambda params: unigrad.optim.AdamW(params, lr=0.01),
}


def mlp():
    return nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 4))


class Encoder(nn.Module):
    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.encoder(x).mean(1))


MODELS = {  # build, data (x, y), loss
    "mlp": (mlp, lambda: (unigrad.randn(16, 10), unigrad.randint(0, 4, (16,))), F.cross_entropy),
    "cnn": (cnn.Net, lambda: (unigrad.randn(2, 1, 28, 28), unigrad.randint(0, 10, (2,))), F.nll_loss),
    "lstm": (lambda: lstm.Classifier(hidden=8), lambda: (unigrad.randn(4, 6, 1), unigrad.randint(0, 3, (4,))),
             F.cross_entropy),
    "autoencoder": (autoencoder.AutoEncoder, lambda: (unigrad.rand(2, 1, 16, 16),) * 2, F.mse_loss),
    "transformer": (Encoder, lambda: (unigrad.randn(2, 5, 16), unigrad.randint(0, 3, (2,))), F.cross_entropy),
}


def train(model_name, optimizer, compiled, *, steps=50, clip=False, set_to_none=True, device="cpu"):
    """Losses and final parameters of ``steps`` training steps (compiled as one function or not)."""
    build, data, loss_fn = MODELS[model_name]
    unigrad.manual_seed(0)
    model = build().to(device)
    x, y = (t.to(device) for t in data())
    opt = OPTIMIZERS[optimizer](model.parameters())

    def step(x, y):
        opt.zero_grad(set_to_none=set_to_none)
        loss = loss_fn(model(x), y)
        loss.backward()
        if clip:
            nn.utils.clip_grad_norm_(model.parameters(), 0.5)
        opt.step()
        return loss

    fn = unigrad.compile(step, fullgraph=True) if compiled else step
    losses = [fn(x, y).item() for _ in range(steps)]
    params = [p.detach().cpu().numpy().copy() for p in model.parameters()]
    return np.array(losses), params, fn


def assert_bitwise(eager, compiled):
    (la, pa, _), (lb, pb, fn) = eager, compiled
    assert np.array_equal(la.view(np.uint32 if la.dtype == np.float32 else np.uint64),
                          lb.view(np.uint32 if lb.dtype == np.float32 else np.uint64))
    for a, b in zip(pa, pb):
        assert np.array_equal(a.view(np.uint32), b.view(np.uint32))
    assert fn.broken is None and fn.given_up is None
    assert sum(p.replays for p in fn.programs) >= len(la) - 2  # captured at most twice


# ----- results: replay equals eager ----------------------------------------------------------------
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
@pytest.mark.parametrize("clip", [False, True])
@pytest.mark.parametrize("set_to_none", [True, False])
def test_mlp_training_step_is_bitwise_eager(optimizer, clip, set_to_none):
    eager = train("mlp", optimizer, False, clip=clip, set_to_none=set_to_none)
    assert_bitwise(eager, train("mlp", optimizer, True, clip=clip, set_to_none=set_to_none))


@pytest.mark.parametrize("model_name, optimizer, clip", [
    ("cnn", "sgd", True), ("cnn", "adamw", False), ("lstm", "adam", True), ("lstm", "sgd", False),
    ("autoencoder", "adamw", True), ("autoencoder", "sgd", False), ("transformer", "adam", True),
    ("transformer", "adamw", False)])
def test_example_training_steps_are_bitwise_eager(model_name, optimizer, clip):
    eager = train(model_name, optimizer, False, clip=clip)
    assert_bitwise(eager, train(model_name, optimizer, True, clip=clip))


def test_compiled_model_in_an_eager_loop_backpropagates_through_the_replay():
    def run(compiled):
        unigrad.manual_seed(0)
        model = cnn.Net()
        forward = unigrad.compile(model) if compiled else model
        opt = unigrad.optim.Adam(model.parameters(), lr=1e-3)
        x, y = unigrad.randn(2, 1, 28, 28), unigrad.randint(0, 10, (2,))
        losses = []
        for _ in range(6):
            opt.zero_grad()
            loss = F.nll_loss(forward(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        return losses, [p.detach().numpy().copy() for p in model.parameters()], forward

    (la, pa, _), (lb, pb, forward) = run(False), run(True)
    assert la == lb and all(np.array_equal(a, b) for a, b in zip(pa, pb))
    program = forward._compiled_call.programs[0]
    assert program.replays == 5 and program.primitive_count > 0
    out = forward(unigrad.randn(2, 1, 28, 28))
    assert out.grad_fn.name() == "CompiledFunctionBackward"
    with pytest.raises(RuntimeError, match="double backward"):
        unigrad.autograd.grad(out.sum(), list(forward.parameters())[:1], create_graph=True)


def test_inference_under_no_grad_and_eval_mode_are_their_own_variants():
    unigrad.manual_seed(0)
    model = mlp()
    compiled = unigrad.compile(model)
    x = unigrad.randn(5, 10)
    model.eval()
    with unigrad.no_grad():
        expected = model(x)
        for _ in range(3):
            out = compiled(x)
            assert np.array_equal(out.numpy(), expected.numpy()) and not out.requires_grad
    model.train()
    unigrad.manual_seed(1)
    expected = model(x)
    unigrad.manual_seed(1)
    out = compiled(x)
    assert np.array_equal(out.detach().numpy(), expected.detach().numpy()) and out.requires_grad
    assert len(compiled._compiled_call.programs) == 2


def test_compiled_function_with_and_without_grad():
    w = unigrad.randn(3, 3, requires_grad=True)
    f = unigrad.compile(lambda x: (x @ w).tanh().sum())
    x = unigrad.randn(2, 3)
    for _ in range(3):
        with unigrad.no_grad():
            assert not f(x).requires_grad
        loss = f(x)
        loss.backward()
    expected = (x @ w).tanh().sum()
    w.grad = None
    expected.backward()
    grad = w.grad.numpy().copy()
    w.grad = None
    f(x).backward()
    assert np.array_equal(w.grad.numpy(), grad)


def test_random_ops_draw_the_same_philox_stream_as_eager():
    def draws(fn):
        unigrad.manual_seed(3)
        return [fn(unigrad.ones(6)).numpy().copy() for _ in range(4)]

    def fn(x):
        return x * unigrad.rand(6) + unigrad.randn(6) + F.dropout(x, 0.5)

    eager, compiled = draws(fn), draws(unigrad.compile(fn))
    assert all(np.array_equal(a, b) for a, b in zip(eager, compiled))
    assert not np.array_equal(compiled[1], compiled[2])  # the generator's counter advances


def test_returned_tensors_and_grads_stay_valid_after_the_next_call():
    model = nn.Linear(4, 2)
    opt = unigrad.optim.SGD(model.parameters(), lr=0.1)

    @unigrad.compile
    def step(x):
        opt.zero_grad()
        out = model(x)
        loss = (out * out).sum()
        loss.backward()
        opt.step()
        return out, loss

    x = unigrad.randn(3, 4)
    results = [step(x) for _ in range(4)]
    grad = model.weight.grad
    kept = [(o.detach().numpy().copy(), l.item()) for o, l in results]
    kept_grad = grad.numpy().copy()
    step(x)
    assert all(np.array_equal(o.detach().numpy(), k[0]) and l.item() == k[1] for (o, l), k in zip(results, kept))
    assert model.weight.grad is not grad and np.array_equal(grad.numpy(), kept_grad)
    assert len({id(o._buf) for o, _ in results}) == len(results)


def test_out_of_range_targets_raise_indexerror_at_replay_like_eager(on_cpu):
    model = nn.Linear(3, 4)
    f = unigrad.compile(lambda x, y: F.cross_entropy(model(x), y))
    x = unigrad.randn(2, 3)
    for _ in range(2):
        f(x, unigrad.tensor([0, 3]))
    with pytest.raises(IndexError):
        f(x, unigrad.tensor([0, 4]))


def test_validating_reads_are_checks_not_graph_breaks(on_cpu):
    f = unigrad.compile(lambda p, t: F.binary_cross_entropy(p.sigmoid(), t) + (t.long() ** 2).sum())
    t = unigrad.tensor([0.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = [f(unigrad.zeros(2), t).item() for _ in range(3)]
    assert values[0] == values[2] and f.programs[0].replays == 2
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        f(unigrad.zeros(2), unigrad.tensor([0.0, 2.0]))


def test_memory_planning_reuses_dead_buffers_and_frees_early():
    f = unigrad.compile(lambda x: ((x * 2 + 1).exp() * 3).sum())
    x = unigrad.randn(100)
    expected = f(x).item()
    assert f(x).item() == expected
    program = f.programs[0]
    assert program.plan.reused >= 1 and "del " in program.source


_helper_model = nn.Linear(3, 2)


def _helper(x):
    return _helper_model(x) * 2


@unigrad.no_grad()
def _evaluate(x):
    return _helper(x).relu()


def test_decorated_functions_and_the_helpers_they_call_are_followed():
    f = unigrad.compile(_evaluate)
    x = unigrad.randn(4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        results = [f(x).numpy().copy() for _ in range(3)]
    assert f.programs[0].replays == 2 and np.array_equal(results[2], _evaluate(x).numpy())
    with unigrad.no_grad():
        _helper_model.weight.fill_(0.5)  # in place: read again by the replay
    assert np.array_equal(f(x).numpy(), _evaluate(x).numpy()) and f.programs[0].replays == 3
    _helper_model.weight = nn.Parameter(unigrad.ones(2, 3))  # a new parameter: recaptured
    assert np.array_equal(f(x).numpy(), _evaluate(x).numpy()) and f.captures == 2


# ----- guards --------------------------------------------------------------------------------------
def _recaptured(f, call) -> bool:
    before = f.captures
    call()
    return f.captures > before


def test_each_guard_recaptures():
    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.5))
    opt = unigrad.optim.SGD(model.parameters(), lr=0.1)

    def step(x, scale):
        opt.zero_grad()
        loss = (model(x) * scale).sum()
        loss.backward()
        opt.step()
        return loss

    f = unigrad.compile(step)
    x = unigrad.randn(2, 4)
    f(x, 1.0), f(x, 1.0)
    assert not _recaptured(f, lambda: f(x, 1.0))
    assert _recaptured(f, lambda: f(unigrad.randn(3, 4), 1.0))  # shape
    assert _recaptured(f, lambda: f(unigrad.randn(4, 2).t(), 1.0))  # strides
    assert _recaptured(f, lambda: f(x, 2.0))  # a Python scalar argument
    model.eval()
    assert _recaptured(f, lambda: f(x, 1.0))  # module training flag
    model.train()
    opt.param_groups[0]["lr"] = 0.5
    assert _recaptured(f, lambda: f(x, 1.0))  # hyperparameter
    assert "lr" in f.last_miss
    with unigrad.no_grad():
        g = unigrad.compile(lambda x: model(x))
        g(x)
    assert _recaptured(g, lambda: g(x))  # grad mode
    assert _recaptured(g, lambda: g(x.clone().requires_grad_()))  # requires_grad


def test_a_learning_rate_scheduler_takes_effect_on_the_next_call():
    def run(compiled):
        unigrad.manual_seed(0)
        model = nn.Linear(3, 1)
        opt = unigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        scheduler = unigrad.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        x = unigrad.randn(4, 3)

        def step():
            opt.zero_grad()
            loss = model(x).pow(2).mean()
            loss.backward()
            opt.step()
            return loss

        fn = unigrad.compile(step) if compiled else step
        losses = []
        for _ in range(8):
            losses.append(fn().item())
            scheduler.step()
        return losses, model.weight.detach().numpy().copy()

    (la, wa), (lb, wb) = run(False), run(True)
    assert la == lb and np.array_equal(wa, wb)


def test_replacing_a_parameter_recaptures():
    model = nn.Linear(2, 2)
    f = unigrad.compile(lambda x: model(x))
    x = unigrad.randn(1, 2)
    f(x), f(x)
    model.weight = nn.Parameter(unigrad.zeros(2, 2))
    assert np.array_equal(f(x).detach().numpy(), model.bias.detach().numpy()[None])


def test_recompile_limit_warns_then_runs_new_variants_eagerly():
    f = unigrad.compile(lambda x: x * 2)
    for n in range(1, 9):
        f(unigrad.ones(n))
    with pytest.warns(UserWarning, match="recompile limit"):
        assert f(unigrad.ones(9)).shape == (9,)
    assert len(f.programs) == 8 and f(unigrad.ones(9)).shape == (9,)
    replays = sum(p.replays for p in f.programs)
    f(unigrad.ones(3))
    assert sum(p.replays for p in f.programs) == replays + 1
    g = unigrad.compile(lambda x: x * 2, options={"cache_size_limit": 2})
    g(unigrad.ones(1)), g(unigrad.ones(2))
    with pytest.warns(UserWarning, match="cache_size_limit=2"):
        g(unigrad.ones(3))


# ----- graph breaks --------------------------------------------------------------------------------
def _host_read(x):
    return x * x.sum().item()


def _tolist(x):
    return x * len(x.tolist())


def _numpy(x):
    return x * float(x.detach().numpy()[0])


def _printing(x):
    print(x)
    return x + 1


def _control_flow(x):
    return x * 2 if bool(x.sum() > 0) else x * 3


def _nonzero(x):
    return x[x > 0].sum() + x.nonzero().shape[0]


def _hook(x):
    y = x * 2
    y.register_hook(lambda g: g * 2)
    return y.sum()


_log = []


def _side_effect(x):
    _log.append(1)
    return x + len(_log)


def _data_loader(x):
    loader = unigrad.utils.data.DataLoader(unigrad.utils.data.TensorDataset(x), batch_size=2)
    return sum(batch[0].sum() for batch in loader)


@unigrad.compiler.disable
def _disabled(x):
    return x + 1


def _calls_disabled(x):
    return _disabled(x) * 2


@pytest.mark.parametrize("fn, what", [
    (_host_read, "host read"), (_tolist, "host read"), (_numpy, "host read"), (_printing, "print"),
    (_control_flow, "host read"), (_nonzero, "depends on tensor values"), (_hook, "hook"),
    (_data_loader, "DataLoader"), (_calls_disabled, "compiler.disable")])
def test_graph_breaks_fall_back_to_eager_with_one_warning_or_raise_under_fullgraph(fn, what):
    x = unigrad.randn(4, requires_grad=fn is _hook)
    expected = fn(x)
    compiled = unigrad.compile(fn)
    with pytest.warns(UserWarning, match=what) as caught:
        first = compiled(x)
    assert sum("graph break" in str(w.message) for w in caught) == 1
    assert "test_compile.py" in str(compiled.broken)  # the user's source line
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        second = compiled(x)
    for result in (first, second):
        assert np.array_equal(np.asarray(result.detach().numpy()), np.asarray(expected.detach().numpy()))
    with pytest.raises(unigrad.compiler.Unsupported, match=what):
        unigrad.compile(fn, fullgraph=True)(x)


def test_python_side_effects_are_not_replayed():
    class Counter(nn.Module):
        def __init__(self):
            super().__init__()
            self.calls = 0

        def forward(self, x):
            self.calls += 1
            return x * self.calls

    counter = Counter()
    f = unigrad.compile(counter)
    with pytest.warns(UserWarning, match="calls changed from"):
        results = [f(unigrad.ones(1)).item() for _ in range(4)]
    assert results == [1.0, 2.0, 3.0, 4.0] and counter.calls == 4


def test_forward_hooks_break_the_graph():
    model = nn.Linear(2, 2)
    seen = []
    model.register_forward_hook(lambda m, args, out: seen.append(out))
    f = unigrad.compile(model)
    with pytest.warns(UserWarning, match="hooks"):
        f(unigrad.ones(1, 2))
    f(unigrad.ones(1, 2))
    assert len(seen) == 2


def test_grad_scaler_step_breaks_the_graph_cleanly():
    def run(compiled):
        unigrad.manual_seed(0)
        model = nn.Linear(4, 2)
        opt = unigrad.optim.SGD(model.parameters(), lr=0.1)
        scaler = unigrad.amp.GradScaler("cpu")
        x = unigrad.randn(3, 4)

        def step():
            opt.zero_grad()
            loss = model(x).pow(2).mean()
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            return loss

        fn = unigrad.compile(step) if compiled else step
        return [fn().item() for _ in range(3)], fn

    eager, _ = run(False)
    with pytest.warns(UserWarning, match="graph break"):
        compiled, fn = run(True)
    assert eager == compiled and "host read" in str(fn.broken) and "test_compile.py" in str(fn.broken)


def test_ddp_step_breaks_the_graph_cleanly():
    sys.path.insert(0, str(Path(__file__).parent))
    from test_distributed import run_on
    result = run_on("cpu", "ddp_compile_worker.py")
    assert result.stdout.count("compiled DDP == eager DDP") == 2 and "DistributedDataParallel" in result.stdout


# ----- module wrapper --------------------------------------------------------------------------------
def test_module_wrapper_is_transparent(tmp_path):
    model = cnn.Net()
    compiled = unigrad.compile(model)
    assert isinstance(compiled, nn.Module) and compiled._orig_mod is model
    assert list(compiled.state_dict()) == list(model.state_dict())
    assert [id(p) for p in compiled.parameters()] == [id(p) for p in model.parameters()]
    assert compiled.conv1 is model.conv1 and compiled.training
    compiled.eval()
    assert not model.training and not model.conv1.training
    compiled.train()
    compiled.extra = 3
    assert model.extra == 3
    unigrad.save(compiled.state_dict(), tmp_path / "ckpt.pt")
    fresh = cnn.Net()
    unigrad.compile(fresh).load_state_dict(unigrad.load(tmp_path / "ckpt.pt"))
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(fresh.state_dict().values(),
                                                                      model.state_dict().values()))


def test_module_compile_in_place():
    unigrad.manual_seed(0)
    model = mlp().eval()
    x = unigrad.randn(3, 10)
    expected = model(x).detach().numpy()
    model.compile()
    for _ in range(3):
        assert np.array_equal(model(x).detach().numpy(), expected)
    assert model.forward.programs[0].replays == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert isinstance(copy.deepcopy(model), nn.Sequential)


def test_unknown_mode_options_and_backend_name_the_accepted_values():
    with pytest.raises(RuntimeError, match="reduce-overhead"):
        unigrad.compile(lambda x: x, mode="fastest")
    with pytest.raises(RuntimeError, match="memory_planning"):
        unigrad.compile(lambda x: x, options={"unroll": True})
    with pytest.raises(RuntimeError, match="inductor"):
        unigrad.compile(lambda x: x, backend="tvm")
    with pytest.raises(RuntimeError, match="both"):
        unigrad.compile(lambda x: x, mode="default", options={})
    assert unigrad.compile(len, disable=True) is len


def test_reset_disable_is_compiling_and_explain(on_cpu):
    @unigrad.compile
    def f(x):
        return x.exp().sum() * (2 if unigrad.compiler.is_compiling() else 3)

    assert not unigrad.compiler.is_compiling()
    assert f(unigrad.zeros(3)).item() == 6.0 and f(unigrad.zeros(3)).item() == 6.0  # the captured path
    assert f.programs[0].replays == 1
    unigrad.compiler.reset()
    assert not f.programs and unigrad.compiler.disable(f) is f.fn
    report = unigrad.compiler.explain(_host_read, unigrad.ones(2))
    assert report.graph_count == 0 and report.graph_break_count == 1
    assert "test_compile.py" in str(report) and "host read" in str(report)
    report = unigrad.compiler.explain(lambda x: (x * 2).exp(), unigrad.ones(2))
    assert report.graph_count == 1 and report.op_count == 2 and "Op Count: 2" in str(report)
    assert "cpu.exp" in report.programs[0].listing()
    g = unigrad.compile(lambda x: x + 1)
    g(unigrad.ones(2)), g(unigrad.ones(2)), g(unigrad.ones(3))
    state = unigrad.compiler.explain(g)
    assert state.graph_count == 2 and state.recompiles == 1 and "shape [2]" in str(state)


def test_logs_name_recompiles_and_graph_breaks(caplog, monkeypatch):
    config = unigrad.compiler.config
    monkeypatch.setattr(config, "log_recompiles", True)
    monkeypatch.setattr(config, "log_graph_breaks", True)
    f = unigrad.compile(lambda x: x + 1)
    logger = logging.getLogger("unigrad.compiler")
    monkeypatch.setattr(logger, "propagate", True)
    with caplog.at_level(logging.INFO, logger="unigrad.compiler"):
        f(unigrad.ones(2)), f(unigrad.ones(3))
        with pytest.warns(UserWarning):
            unigrad.compile(_host_read)(unigrad.ones(2))
    text = caplog.text
    assert "recompiling" in text and "shape [2]" in text and "graph break" in text


def test_logs_env_var_is_read_at_import():
    import subprocess
    code = ("import unigrad; c = unigrad.compiler.config; "
            "print(c.log_graph_breaks, c.log_recompiles, c.log_graphs)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "UNIGRAD_LOGS": "graph_breaks,recompiles"}).stdout
    assert out.split() == ["True", "True", "False"]


# ----- other backends ----------------------------------------------------------------------------------
@pytest.mark.parametrize("device", ["opencl", "arrayapi"])
def test_compiled_training_step_on_other_backends(device):
    if device not in unigrad.backends.available():
        pytest.skip(f"no {device} backend here")
    for optimizer in ("sgd", "adam"):
        eager = train("mlp", optimizer, False, steps=8, clip=True, device=device)
        compiled = train("mlp", optimizer, True, steps=8, clip=True, device=device)
        np.testing.assert_allclose(compiled[0], eager[0], rtol=1e-6)
        for a, b in zip(eager[1], compiled[1]):
            np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
        assert compiled[2].broken is None and compiled[2].programs[0].replays >= 6


def test_replay_program_hook_receives_whole_programs(on_cpu):
    from unigrad.backends import registry
    backend = registry.get_backend(unigrad.device("cpu"))
    offered = []

    def replay_program(body, inputs, written, stable):
        offered.append((written, stable))
        return body

    backend.replay_program = replay_program
    try:
        w = unigrad.randn(4, 2)
        f = unigrad.compile(lambda x: (x @ w.add_(1.0)).relu(), mode="reduce-overhead")
        x = unigrad.randn(3, 4)
        results = [f(x).numpy().copy() for _ in range(3)]
    finally:
        del backend.replay_program
    expected_w = w.numpy()
    assert np.array_equal(results[-1], np.maximum(x.numpy() @ expected_w, 0))
    (written, stable), = offered
    assert len(written) == 1 and written == stable and f.programs[0].hooked


def test_a_view_written_in_place_keeps_its_base_out_of_buffer_reuse():
    """``v`` views ``m`` (a matmul result) and is written in place; a later element-wise result of
    ``m``'s shape must not be written into ``m``'s buffer while ``v`` is alive (the case of a
    Linear weight's gradient, a view of a matmul output, clipped in place before the update)."""
    def f(a, b):
        m = a @ b
        v = m.t().t()
        v.mul_(2.0)
        w = v * v + 1.0
        return v, w
    a, b = unigrad.randn(4, 3), unigrad.randn(3, 5)
    expected = [t.numpy().copy() for t in f(a, b)]
    compiled = unigrad.compile(f, fullgraph=True)
    for _ in range(3):
        for ours, theirs in zip(compiled(a, b), expected):
            np.testing.assert_array_equal(ours.numpy(), theirs)
    assert compiled.programs[0].replays >= 1
