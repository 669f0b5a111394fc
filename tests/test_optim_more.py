"""Optimizers beyond the classic ones (Rprop, ASGD, Adafactor, SparseAdam, Muon), PyTorch's
Optimizer base (defaults, hooks, named parameters, duplicates, state_dicts both ways) and
swa_utils, against torch step for step."""
import sys
import warnings

import numpy as np
import pytest
import torch

import unigrad

SHAPES = [(4, 3), (3,), (2, 3, 2)]
MATRICES = [(4, 3), (3, 5), (5, 5)]


def _problem(lib, dtype, shapes, seed=0):
    rng = np.random.default_rng(seed)
    ldtype = getattr(lib, dtype)
    params = [lib.tensor(rng.standard_normal(s), dtype=ldtype, requires_grad=True) for s in shapes]
    goals = [lib.tensor(rng.standard_normal(s), dtype=ldtype) for s in shapes]
    return params, goals


def _loss(params, goals):
    return sum(((p - g) ** 2 * (i + 1)).sum() + (p ** 4).sum() * 0.01
               for i, (p, g) in enumerate(zip(params, goals)))


def _run(opt, params, goals, steps):
    history = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(params, goals).backward()
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def _trajectory(lib, make, steps, dtype, shapes=SHAPES):
    params, goals = _problem(lib, dtype, shapes)
    return _run(make(lib, params), params, goals, steps)


NEW_OPTIMIZERS = {
    "Rprop": (lambda lib, p: lib.optim.Rprop(p, lr=0.01), SHAPES),
    "Rprop_etas_maximize": (lambda lib, p: lib.optim.Rprop(p, lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2),
                                                           maximize=True), SHAPES),
    "ASGD": (lambda lib, p: lib.optim.ASGD(p, lr=0.02), SHAPES),
    "ASGD_t0_wd": (lambda lib, p: lib.optim.ASGD(p, lr=0.05, lambd=1e-3, alpha=0.6, t0=5, weight_decay=0.01),
                   SHAPES),
    "Adafactor": (lambda lib, p: lib.optim.Adafactor(p, lr=0.05), SHAPES),
    "Adafactor_options": (lambda lib, p: lib.optim.Adafactor(p, lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-3),
                                                             d=1.5, weight_decay=0.1, maximize=True), SHAPES),
    "Muon": (lambda lib, p: lib.optim.Muon(p, lr=0.02), MATRICES),
    "Muon_plain_rms": (lambda lib, p: lib.optim.Muon(p, lr=0.02, momentum=0.9, nesterov=False,
                                                     weight_decay=0.0, adjust_lr_fn="match_rms_adamw"), MATRICES),
}


@pytest.mark.parametrize("name", sorted(NEW_OPTIMIZERS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_new_optimizer_trajectory_matches_torch(name, dtype):
    make, shapes = NEW_OPTIMIZERS[name]
    ours = _trajectory(unigrad, make, 25, dtype, shapes)
    theirs = _trajectory(torch, make, 25, dtype, shapes)
    rtol, atol = (1e-10, 1e-12) if dtype == "float64" else (2e-5, 2e-6)
    if name.startswith("Muon"):  # bfloat16 products: a rounding tie may break the other way
        rtol, atol = 1e-3, 1e-4
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for pa, pb in zip(a, b):
            np.testing.assert_allclose(pa, pb, rtol=rtol, atol=atol * (step + 1), err_msg=f"step {step}")


def test_muon_newton_schulz_rounds_like_torch():
    from torch.optim._muon import _zeropower_via_newtonschulz as theirs
    from unigrad.optim.muon import zeropower_via_newtonschulz as ours
    rng = np.random.default_rng(3)
    for shape in [(4, 3), (3, 5), (16, 24)]:
        g = rng.standard_normal(shape).astype(np.float32)
        a = ours(unigrad.tensor(g), (3.4445, -4.775, 2.0315), 5, 1e-7)
        b = theirs(torch.tensor(g), (3.4445, -4.775, 2.0315), 5, 1e-7)
        assert a.dtype is unigrad.bfloat16
        a, b = a.float().numpy(), b.float().numpy()
        # every value agrees to one bfloat16 rounding; almost all bit for bit
        np.testing.assert_allclose(a, b, rtol=2 ** -7, atol=2 ** -9)
        assert (a == b).mean() > 0.9


ALL = {
    "SGD": lambda lib, p: lib.optim.SGD(p, lr=0.05, momentum=0.9),
    "Adam": lambda lib, p: lib.optim.Adam(p, lr=0.05, amsgrad=True),
    "AdamW": lambda lib, p: lib.optim.AdamW(p, lr=0.05),
    "Adagrad": lambda lib, p: lib.optim.Adagrad(p, lr=0.1),
    "RMSprop": lambda lib, p: lib.optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "Adadelta": lambda lib, p: lib.optim.Adadelta(p),
    "Adamax": lambda lib, p: lib.optim.Adamax(p),
    "NAdam": lambda lib, p: lib.optim.NAdam(p, lr=0.05),
    "RAdam": lambda lib, p: lib.optim.RAdam(p, lr=0.05),
    "Rprop": lambda lib, p: lib.optim.Rprop(p),
    "ASGD": lambda lib, p: lib.optim.ASGD(p, t0=3),
    "Adafactor": lambda lib, p: lib.optim.Adafactor(p),
    "Muon": lambda lib, p: lib.optim.Muon(p, lr=0.02),
}


@pytest.mark.parametrize("name", sorted(ALL) + ["LBFGS", "SparseAdam"])
def test_defaults_and_param_group_keys_are_torchs(name):
    shapes = MATRICES[:1]
    ours = getattr(unigrad.optim, name)(_problem(unigrad, "float32", shapes)[0])
    theirs = getattr(torch.optim, name)(_problem(torch, "float32", shapes)[0])
    assert list(ours.defaults) == list(theirs.defaults)
    assert ours.defaults == theirs.defaults
    assert [list(g) for g in ours.param_groups] == [list(g) for g in theirs.param_groups]
    assert repr(ours) == repr(theirs)


def _to_torch(value):
    if isinstance(value, unigrad.Tensor):
        return torch.from_numpy(np.array(value.detach().cpu().numpy(), copy=True))
    if isinstance(value, dict):
        return {k: _to_torch(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_torch(v) for v in value)
    return value


def _assert_state_equal(ours, theirs):
    assert set(ours) == set(theirs), (set(ours), set(theirs))
    for key in theirs:
        a, b = ours[key], theirs[key]
        if isinstance(b, torch.Tensor):
            assert isinstance(a, unigrad.Tensor), key
            assert a.dtype.name == str(b.dtype).replace("torch.", ""), key
            np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12, atol=1e-14, err_msg=key)
        elif isinstance(b, dict):
            _assert_state_equal(a, b)
        else:
            assert a == b, key


@pytest.mark.parametrize("name", sorted(ALL))
def test_state_dicts_move_between_torch_and_unigrad(name):
    shapes = MATRICES if name == "Muon" else SHAPES
    make = ALL[name]
    t_params, t_goals = _problem(torch, "float64", shapes)
    u_params, u_goals = _problem(unigrad, "float64", shapes)
    t_opt, u_opt = make(torch, t_params), make(unigrad, u_params)
    _run(t_opt, t_params, t_goals, 4)
    _run(u_opt, u_params, u_goals, 4)
    t_state, u_state = t_opt.state_dict(), u_opt.state_dict()
    assert u_state["param_groups"] == t_state["param_groups"]
    assert set(u_state["state"]) == set(t_state["state"])
    for index in t_state["state"]:
        _assert_state_equal(u_state["state"][index], t_state["state"][index])

    # torch's state_dict loads as it is; unigrad's, converted to torch tensors, loads into torch
    fresh_u_params, _ = _problem(unigrad, "float64", shapes)
    fresh_t_params, _ = _problem(torch, "float64", shapes)
    with unigrad.no_grad():
        for p, q in zip(fresh_u_params, t_params):
            p.copy_(unigrad.tensor(q.detach().numpy()))
    with torch.no_grad():
        for p, q in zip(fresh_t_params, u_params):
            p.copy_(torch.tensor(q.detach().numpy()))
    resumed_u, resumed_t = make(unigrad, fresh_u_params), make(torch, fresh_t_params)
    resumed_u.load_state_dict(t_state)
    resumed_t.load_state_dict(_to_torch(u_state))
    for index in t_state["state"]:  # loading casts as PyTorch does (to the parameter's dtype)
        _assert_state_equal(resumed_u.state_dict()["state"][index], resumed_t.state_dict()["state"][index])
    after_u = _run(resumed_u, fresh_u_params, u_goals, 4)
    after_t = _run(resumed_t, fresh_t_params, t_goals, 4)
    after_t_ref = _run(t_opt, t_params, t_goals, 4)
    for a, b, c in zip(after_u, after_t, after_t_ref):
        for pa, pb, pc in zip(a, b, c):
            np.testing.assert_allclose(pa, pb, rtol=1e-10, atol=1e-12)
            # a loaded float32 scalar state (ASGD's eta, NAdam's mu_product) becomes float64 with
            # the parameters, in PyTorch too, so the resumed runs agree with the unbroken one only
            # to float32 rounding
            np.testing.assert_allclose(pa, pc, rtol=1e-6, atol=1e-9)


def test_loaded_state_follows_the_parameter_dtype_and_keeps_step():
    t_params, t_goals = _problem(torch, "float64", SHAPES)
    t_opt = torch.optim.Adam(t_params)
    _run(t_opt, t_params, t_goals, 2)
    u_params, _ = _problem(unigrad, "float32", SHAPES)
    u_opt = unigrad.optim.Adam(u_params)
    u_opt.load_state_dict(t_opt.state_dict())
    state = u_opt.state[u_params[0]]
    assert state["exp_avg"].dtype is unigrad.float32
    assert state["step"].dtype is unigrad.float32 and state["step"].item() == 2.0
    assert str(state["step"].device) == "cpu"


def test_load_state_dict_errors_are_torchs():
    for lib in (unigrad, torch):
        params, _ = _problem(lib, "float32", SHAPES)
        opt = lib.optim.SGD(params, lr=0.1)
        saved = opt.state_dict()
        other = lib.optim.SGD([{"params": params[:1]}, {"params": params[1:]}], lr=0.1)
        with pytest.raises(ValueError, match="different number of parameter groups"):
            other.load_state_dict(saved)
        short = lib.optim.SGD(params[:2], lr=0.1)
        with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
            short.load_state_dict(saved)


def test_duplicate_parameters_warn_and_train_like_torch():
    results = {}
    for lib in (unigrad, torch):
        p = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
        with pytest.warns(UserWarning, match="duplicate parameters"):
            opt = lib.optim.SGD([p, p], lr=0.1, momentum=0.9)
        trace = []
        for _ in range(4):
            opt.zero_grad()
            (p ** 2).sum().backward()
            opt.step()
            trace.append(p.detach().numpy().copy())
        results[lib.__name__] = trace
        adam_p = lib.tensor([1.0, -2.0], dtype=lib.float64, requires_grad=True)
        with pytest.warns(UserWarning):
            adam = lib.optim.Adam([adam_p, adam_p], lr=0.1)
        for _ in range(3):
            adam.zero_grad()
            (adam_p ** 3).sum().backward()
            adam.step()
        results[lib.__name__ + "adam"] = adam_p.detach().numpy().copy()
        results[lib.__name__ + "steps"] = adam.state[adam_p]["step"].item()
    np.testing.assert_allclose(results["unigrad"], results["torch"], rtol=1e-12)
    np.testing.assert_allclose(results["unigradadam"], results["torchadam"], rtol=1e-12)
    assert results["unigradsteps"] == results["torchsteps"] == 6


def test_named_parameters_and_param_groups_like_torch():
    saved = {}
    for lib in (unigrad, torch):
        torch.manual_seed(0)
        model = lib.nn.Linear(3, 2)
        opt = lib.optim.AdamW(model.named_parameters(), lr=0.1)
        extra = lib.zeros(2, requires_grad=True)
        with pytest.raises(ValueError, match="with/without names"):
            opt.add_param_group({"params": [extra]})
        opt.add_param_group({"params": [("extra", extra)], "lr": 0.5, "weight_decay": 0.0})
        with pytest.raises(ValueError, match="more than one parameter group"):
            opt.add_param_group({"params": [("again", extra)]})
        with pytest.raises(TypeError, match="ordered collections"):
            opt.add_param_group({"params": {extra}})
        with pytest.raises(ValueError, match="non-leaf"):
            lib.optim.SGD([extra * 2], lr=0.1)
        with pytest.raises(TypeError, match="optimizer can only optimize Tensors"):
            lib.optim.SGD([1.0], lr=0.1)
        with pytest.raises(ValueError, match="empty parameter list"):
            lib.optim.SGD([], lr=0.1)
        with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
            lib.optim.SGD(extra, lr=0.1)
        with pytest.raises(ValueError, match="Some param names are missing"):
            lib.optim.SGD([("w", extra), lib.zeros(1, requires_grad=True)], lr=0.1)
        saved[lib.__name__] = opt.state_dict()["param_groups"]
    assert saved["unigrad"] == saved["torch"]
    assert saved["torch"][0]["param_names"] == ["weight", "bias"]


def test_step_and_state_dict_hooks_run_like_torchs():
    logs = {}
    for lib in (unigrad, torch):
        log = []
        p = lib.ones(2, requires_grad=True)
        opt = lib.optim.SGD([p], lr=0.5)
        module = sys.modules[type(opt).__mro__[1].__module__]  # torch.optim.optimizer / ours
        global_pre = module.register_optimizer_step_pre_hook(lambda o, a, k: log.append("gpre"))
        global_post = module.register_optimizer_step_post_hook(lambda o, a, k: log.append("gpost"))
        pre = opt.register_step_pre_hook(lambda o, a, k: log.append(("pre", len(a), sorted(k))))
        opt.register_step_post_hook(lambda o, a, k: log.append("post"))
        opt.register_state_dict_pre_hook(lambda o: log.append("sd_pre"))
        opt.register_state_dict_pre_hook(lambda o: log.append("sd_pre_first"), prepend=True)

        def add_key(o, sd):
            log.append("sd_post")
            sd["extra"] = 7
        opt.register_state_dict_post_hook(add_key)
        opt.register_load_state_dict_pre_hook(lambda o, sd: log.append(("load_pre", sd.get("extra"))))
        opt.register_load_state_dict_post_hook(lambda o: log.append("load_post"))
        p.grad = lib.ones(2)
        opt.step()
        pre.remove()
        global_pre.remove()
        global_post.remove()
        opt.step(closure=None)
        sd = opt.state_dict()
        opt.load_state_dict(sd)
        log.append(sd["extra"])

        def replace_closure(o, args, kwargs):
            return args, {"closure": lambda: 42.0}
        opt.register_step_pre_hook(replace_closure)
        log.append(opt.step())
        with pytest.raises(RuntimeError, match="must return None or a tuple"):
            opt.register_step_pre_hook(lambda o, a, k: 3)
            opt.step()
        logs[lib.__name__] = log
        logs[lib.__name__ + "p"] = p.detach().numpy().copy()
    assert logs["unigrad"] == logs["torch"]
    np.testing.assert_allclose(logs["unigradp"], logs["torchp"])


def test_zero_grad_modes():
    for lib in (unigrad, torch):
        p = lib.ones(3, requires_grad=True)
        (p * 2).sum().backward()
        opt = lib.optim.SGD([p], lr=0.1)
        opt.zero_grad(set_to_none=False)
        assert p.grad is not None and float(p.grad.abs().sum()) == 0.0 and not p.grad.requires_grad
        opt.zero_grad()
        assert p.grad is None


@pytest.mark.parametrize("make, message", [
    (lambda lib, p: lib.optim.SGD(p, lr=-1), "Invalid learning rate"),
    (lambda lib, p: lib.optim.SGD(p, lr=0.1, momentum=-1), "Invalid momentum value"),
    (lambda lib, p: lib.optim.SGD(p, lr=0.1, nesterov=True), "Nesterov momentum requires"),
    (lambda lib, p: lib.optim.SGD(p, lr=0.1, fused=True, foreach=True), "cannot be `True` together"),
    (lambda lib, p: lib.optim.Adam(p, betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    (lambda lib, p: lib.optim.Adam(p, eps=-1), "Invalid epsilon value"),
    (lambda lib, p: lib.optim.Adam(p, fused=True, differentiable=True), "does not support `differentiable`"),
    (lambda lib, p: lib.optim.Adagrad(p, lr_decay=-1), "Invalid lr_decay value"),
    (lambda lib, p: lib.optim.Adagrad(p, initial_accumulator_value=-1), "Invalid initial_accumulator_value"),
    (lambda lib, p: lib.optim.RMSprop(p, alpha=-1), "Invalid alpha value"),
    (lambda lib, p: lib.optim.Adadelta(p, rho=2), "Invalid rho value"),
    (lambda lib, p: lib.optim.NAdam(p, momentum_decay=-1), "Invalid momentum_decay value"),
    (lambda lib, p: lib.optim.Rprop(p, etas=(1.5, 1.2)), "Invalid eta values"),
    (lambda lib, p: lib.optim.ASGD(p, weight_decay=-1), "Invalid weight_decay value"),
    (lambda lib, p: lib.optim.Adafactor(p, beta2_decay=0.5), "beta2_decay should be <= 0"),
    (lambda lib, p: lib.optim.Adafactor(p, d=0.5), "Clipping threshold d should be >= 1"),
    (lambda lib, p: lib.optim.Adafactor(p, eps=(-1, 1e-3)), "epsilon1 should be >= 0"),
    (lambda lib, p: lib.optim.SparseAdam(p, lr=0), "Invalid learning rate"),
    (lambda lib, p: lib.optim.SparseAdam(p, betas=(0.9, 1.0)), "Invalid beta parameter at index 1"),
    (lambda lib, p: lib.optim.Muon(p, adjust_lr_fn="nope"), "Adjust learning rate function nope"),
    (lambda lib, p: lib.optim.Muon([lib.zeros(3, requires_grad=True)]), "Muon only supports 2D parameters"),
])
def test_constructor_errors_are_torchs(make, message):
    for lib in (unigrad, torch):
        params = [lib.zeros(2, 2, requires_grad=True)]
        with pytest.raises((ValueError, RuntimeError)) as caught:
            make(lib, params)
        assert message in str(caught.value), (lib.__name__, caught.value)
    with pytest.raises(type(caught.value)):
        make(unigrad, [unigrad.zeros(2, 2, requires_grad=True)])


def test_sparse_adam_refuses_dense_gradients_as_torch():
    for lib in (unigrad, torch):
        p = lib.zeros(3, requires_grad=True)
        opt = lib.optim.SparseAdam([p])
        assert opt.step() is None  # no gradient yet: nothing to do
        p.grad = lib.ones(3)
        with pytest.raises(RuntimeError, match="SparseAdam does not support dense gradients, please "
                                               "consider Adam instead"):
            opt.step()


def test_differentiable_sgd_step_gradients_match_torch():
    grads = {}
    for lib in (unigrad, torch):
        w0 = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
        c = lib.tensor([1.0, 2.0, -0.5], dtype=lib.float64, requires_grad=True)
        w = w0.clone()
        opt = lib.optim.SGD([w], lr=0.1, momentum=0.5, weight_decay=0.1, differentiable=True)
        for k in range(3):
            w.grad = c * (k + 1)  # a gradient with a graph back to c
            opt.step()
        (w ** 2).sum().backward()
        grads[lib.__name__] = (w0.grad.numpy().copy(), c.grad.numpy().copy(), w.detach().numpy().copy())
    for ours, theirs in zip(grads["unigrad"], grads["torch"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


# ----- swa_utils ---------------------------------------------------------------------------------
def _swa_model(lib):
    torch.manual_seed(1)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4), lib.nn.Linear(4, 2)).double()


def _copy_weights(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


@pytest.mark.parametrize("kind", ["swa", "ema_multi", "ema_avg", "ema_buffers"])
def test_averaged_model_matches_torch(kind):
    rng = np.random.default_rng(0)
    batches = [rng.standard_normal((5, 3)) for _ in range(4)]
    results = {}
    t_model = _swa_model(torch)
    u_model = _swa_model(unigrad)
    _copy_weights(u_model, t_model)
    for lib, model in ((unigrad, u_model), (torch, t_model)):
        swa = lib.optim.swa_utils
        kwargs = {"swa": {}, "ema_multi": {"multi_avg_fn": swa.get_ema_multi_avg_fn(0.9)},
                  "ema_avg": {"avg_fn": swa.get_ema_avg_fn(0.8)},
                  "ema_buffers": {"use_buffers": True, "multi_avg_fn": swa.get_ema_multi_avg_fn(0.7)}}[kind]
        averaged = swa.AveragedModel(model, **kwargs)
        opt = lib.optim.SGD(model.parameters(), lr=0.1)
        for x in batches:
            opt.zero_grad()
            model(lib.tensor(x)).pow(2).sum().backward()
            opt.step()
            averaged.update_parameters(model)
        results[lib.__name__] = ({k: v.detach().numpy().copy() for k, v in averaged.state_dict().items()},
                                 averaged(lib.tensor(batches[0])).detach().numpy())
    ours, theirs = results["unigrad"], results["torch"]
    assert list(ours[0]) == list(theirs[0])
    for key in theirs[0]:
        np.testing.assert_allclose(ours[0][key], theirs[0][key], rtol=1e-12, atol=1e-14, err_msg=key)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-12, atol=1e-14)


def test_swa_average_of_integer_buffers_is_refused_like_torch():
    for lib in (unigrad, torch):
        model = _swa_model(lib)
        swa = lib.optim.swa_utils
        averaged = swa.AveragedModel(model, use_buffers=True, multi_avg_fn=swa.get_swa_multi_avg_fn())
        averaged.update_parameters(model)
        model(lib.ones(2, 3, dtype=lib.float64))
        with pytest.raises(RuntimeError):  # num_batches_tracked is int64: no integer addcdiv
            averaged.update_parameters(model)


def test_update_bn_recomputes_running_statistics():
    rng = np.random.default_rng(2)
    data = [rng.standard_normal((6, 3)) * 2 + 1 for _ in range(3)]
    t_model = _swa_model(torch)
    u_model = _swa_model(unigrad)
    _copy_weights(u_model, t_model)
    t_model.eval()
    u_model.eval()
    torch.optim.swa_utils.update_bn([(torch.tensor(x), 0) for x in data], t_model)
    unigrad.optim.swa_utils.update_bn([(unigrad.tensor(x), 0) for x in data], u_model)
    assert not u_model.training and u_model[1].momentum == 0.1
    for name, buf in t_model.named_buffers():
        np.testing.assert_allclose(dict(u_model.named_buffers())[name].numpy(), buf.numpy(), rtol=1e-12)


@pytest.mark.parametrize("strategy, epochs", [("cos", 3), ("linear", 4), ("cos", 0)])
def test_swalr_sequence_matches_torch(strategy, epochs):
    seqs = {}
    for lib in (unigrad, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.5)
        sched = lib.optim.swa_utils.SWALR(opt, swa_lr=0.05, anneal_epochs=epochs, anneal_strategy=strategy)
        seq = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(8):
                opt.step()
                sched.step()
                seq.append(sched.get_last_lr()[0])
        seqs[lib.__name__] = (seq, sorted(sched.state_dict()))
    np.testing.assert_allclose(seqs["unigrad"][0], seqs["torch"][0], rtol=1e-14)
    assert seqs["unigrad"][1] == seqs["torch"][1]
    with pytest.raises(ValueError, match="anneal_strategy must be one of"):
        unigrad.optim.swa_utils.SWALR(unigrad.optim.SGD([unigrad.zeros(1, requires_grad=True)]), 0.1,
                                      anneal_strategy="step")
    with pytest.raises(ValueError, match="Invalid decay value"):
        unigrad.optim.swa_utils.get_ema_multi_avg_fn(1.5)


@pytest.mark.parametrize("name", sorted(ALL) + ["LBFGS", "SparseAdam"])
def test_constructors_take_every_argument_torchs_take(name):
    import inspect
    ours = inspect.signature(getattr(unigrad.optim, name).__init__).parameters
    theirs = inspect.signature(getattr(torch.optim, name).__init__).parameters
    assert list(ours) == list(theirs)
    for key, parameter in theirs.items():
        assert ours[key].kind == parameter.kind, key
        assert ours[key].default == parameter.default, key


@pytest.mark.skipif("arrayapi" not in unigrad.backends.available(), reason="the example plugin is not installed")
def test_muon_on_a_device_without_bfloat16_rounds_like_torch():
    assert unigrad.bfloat16 not in unigrad.backends.registry.get_backend("arrayapi").supported_dtypes
    make, shapes = NEW_OPTIMIZERS["Muon"]
    params, goals = _problem(unigrad, "float32", shapes)
    params = [p.detach().to("arrayapi").requires_grad_() for p in params]
    goals = [g.to("arrayapi") for g in goals]
    ours = _run(make(unigrad, params), params, goals, 10)
    theirs = _trajectory(torch, make, 10, "float32", shapes)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for pa, pb in zip(a, b):
            np.testing.assert_allclose(pa, pb, rtol=1e-3, atol=1e-4 * (step + 1))
