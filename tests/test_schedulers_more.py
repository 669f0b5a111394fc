"""Every lr scheduler against torch: lr (and momentum) sequences over two parameter groups,
get_last_lr, state_dicts both ways, closed forms, warnings and errors."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import unigrad


def _optimizer(lib, kind="SGD"):
    groups = [{"params": [lib.zeros(2, requires_grad=True)]},
              {"params": [lib.zeros(3, requires_grad=True)], "lr": 0.3}]
    if kind == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups, lr=0.1, betas=(0.85, 0.99))


def _sequence(lib, make, steps=40, kind="SGD", metric=None):
    opt = _optimizer(lib, kind)
    sched = make(lib.optim.lr_scheduler, opt)
    rows = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for i in range(steps):
            opt.step()
            if metric is None:
                sched.step()
            else:
                sched.step(metric(i))
            group = opt.param_groups[0]
            rows.append((list(sched.get_last_lr()), [g["lr"] for g in opt.param_groups],
                         group.get("momentum"), group.get("betas")))
    return rows, sched, opt


SCHEDULERS = {
    "LambdaLR": lambda m, o: m.LambdaLR(o, lambda e: 0.95 ** e),
    "LambdaLR_per_group": lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** e]),
    "MultiplicativeLR": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.9),
    "StepLR": lambda m, o: m.StepLR(o, step_size=7, gamma=0.5),
    "MultiStepLR": lambda m, o: m.MultiStepLR(o, milestones=[3, 9, 9, 20], gamma=0.3),
    "ConstantLR": lambda m, o: m.ConstantLR(o, factor=0.25, total_iters=6),
    "LinearLR": lambda m, o: m.LinearLR(o, start_factor=0.2, end_factor=0.9, total_iters=11),
    "ExponentialLR": lambda m, o: m.ExponentialLR(o, gamma=0.93),
    "PolynomialLR": lambda m, o: m.PolynomialLR(o, total_iters=17, power=2.0),
    "PolynomialLR_linear": lambda m, o: m.PolynomialLR(o),
    "CosineAnnealingLR": lambda m, o: m.CosineAnnealingLR(o, T_max=9, eta_min=0.01),
    "CosineAnnealingWarmRestarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5, eta_min=0.001),
    "CosineAnnealingWarmRestarts_Tmult": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2),
    "CyclicLR_triangular": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=4),
    "CyclicLR_triangular2": lambda m, o: m.CyclicLR(o, [0.01, 0.02], [0.1, 0.5], step_size_up=3,
                                                    step_size_down=5, mode="triangular2"),
    "CyclicLR_exp_range": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=5, mode="exp_range",
                                                  gamma=0.97, base_momentum=0.7, max_momentum=0.95),
    "CyclicLR_scale_fn": lambda m, o: m.CyclicLR(o, 0.01, 0.1, step_size_up=3, scale_fn=lambda x: 0.5 ** x,
                                                 scale_mode="iterations", cycle_momentum=False),
    "OneCycleLR": lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=40),
    "OneCycleLR_three_phase_linear": lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 2.0], epochs=4, steps_per_epoch=10,
                                                               pct_start=0.25, anneal_strategy="linear",
                                                               three_phase=True, div_factor=10.0),
    "SequentialLR": lambda m, o: m.SequentialLR(o, [m.LinearLR(o, 0.1, total_iters=5), m.ExponentialLR(o, 0.9),
                                                    m.StepLR(o, 3)], milestones=[5, 20]),
    "ChainedScheduler": lambda m, o: m.ChainedScheduler([m.ConstantLR(o, 0.5, total_iters=4),
                                                         m.ExponentialLR(o, 0.95)]),
    "ChainedScheduler_nested": lambda m, o: m.ChainedScheduler(
        [m.SequentialLR(o, [m.ConstantLR(o, 0.5, total_iters=3), m.CosineAnnealingLR(o, 10)], [6]),
         m.MultiStepLR(o, [8, 16])], optimizer=o),
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
@pytest.mark.parametrize("kind", ["SGD", "Adam"])
def test_scheduler_sequences_match_torch(name, kind):
    ours, o_sched, _ = _sequence(unigrad, SCHEDULERS[name], kind=kind)
    theirs, t_sched, _ = _sequence(torch, SCHEDULERS[name], kind=kind)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a[0], b[0], rtol=1e-13, err_msg=f"last_lr at {step}")
        np.testing.assert_allclose(a[1], b[1], rtol=1e-13, err_msg=f"group lr at {step}")
        if b[2] is not None:
            np.testing.assert_allclose(a[2], b[2], rtol=1e-13, err_msg=f"momentum at {step}")
        if b[3] is not None:
            np.testing.assert_allclose(a[3], b[3], rtol=1e-13, err_msg=f"betas at {step}")
    assert sorted(o_sched.state_dict()) == sorted(t_sched.state_dict())


def _continue(opt, sched, steps=10):
    lrs = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(steps):
            opt.step()
            sched.step()
            lrs.append(list(sched.get_last_lr()))
    return lrs


def _plain(state):
    """A scheduler state_dict without its callables (compared by key only)."""
    return {k: ([_plain(s) for s in v] if k == "_schedulers" else v) for k, v in state.items()
            if not callable(v)}


@pytest.mark.parametrize("name", ["StepLR", "CosineAnnealingWarmRestarts_Tmult", "CyclicLR_exp_range",
                                  "OneCycleLR_three_phase_linear", "SequentialLR", "ChainedScheduler",
                                  "LambdaLR", "PolynomialLR"])
def test_scheduler_state_dicts_move_between_torch_and_unigrad(name):
    make = SCHEDULERS[name]
    _, t_sched, t_opt = _sequence(torch, make, steps=13)
    _, o_sched, o_opt = _sequence(unigrad, make, steps=13)
    t_state, o_state = t_sched.state_dict(), o_sched.state_dict()
    assert sorted(o_state) == sorted(t_state)
    plain_o, plain_t = _plain(o_state), _plain(t_state)
    for key in ("last_epoch", "_step_count", "_last_lr", "base_lrs", "T_cur", "T_i", "total_steps"):
        if key in plain_t:
            np.testing.assert_allclose(plain_o[key], plain_t[key], rtol=1e-13, err_msg=key)
    # a fresh unigrad scheduler resumes from torch's states, a fresh torch one from unigrad's
    resumed_o_opt, resumed_t_opt = _optimizer(unigrad), _optimizer(torch)
    resumed_o = make(unigrad.optim.lr_scheduler, resumed_o_opt)
    resumed_t = make(torch.optim.lr_scheduler, resumed_t_opt)
    resumed_o_opt.load_state_dict(t_opt.state_dict())
    resumed_o.load_state_dict(t_state)
    resumed_t_opt.load_state_dict(o_opt.state_dict())
    resumed_t.load_state_dict(o_state)
    reference = _continue(t_opt, t_sched)
    np.testing.assert_allclose(_continue(resumed_o_opt, resumed_o), reference, rtol=1e-13)
    np.testing.assert_allclose(_continue(resumed_t_opt, resumed_t), reference, rtol=1e-13)
    np.testing.assert_allclose(_continue(o_opt, o_sched), reference, rtol=1e-13)


@pytest.mark.parametrize("kwargs", [
    {},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.05, "patience": 2},
    {"mode": "min", "threshold_mode": "abs", "patience": 1, "cooldown": 3, "factor": 0.5},
    {"mode": "max", "patience": 0, "cooldown": 1, "min_lr": [0.02, 0.001], "factor": 0.3},
    {"patience": 2, "min_lr": 0.05, "eps": 1e-3},
])
def test_reduce_lr_on_plateau_matches_torch(kwargs):
    metric = lambda i: [1.0, 0.9, 0.95, 0.91, 0.9, 0.9, 0.7, 0.71, 0.72, 0.69, 0.8][i % 11] + 0.001 * i  # noqa: E731
    ours, o_sched, _ = _sequence(unigrad, lambda m, o: m.ReduceLROnPlateau(o, **kwargs), steps=30, metric=metric)
    theirs, t_sched, _ = _sequence(torch, lambda m, o: m.ReduceLROnPlateau(o, **kwargs), steps=30, metric=metric)
    np.testing.assert_allclose([r[1] for r in ours], [r[1] for r in theirs], rtol=1e-14)
    np.testing.assert_allclose([r[0] for r in ours], [r[0] for r in theirs], rtol=1e-14)
    assert sorted(o_sched.state_dict()) == sorted(t_sched.state_dict())
    for key in ("best", "num_bad_epochs", "cooldown_counter", "last_epoch", "min_lrs"):
        assert o_sched.state_dict()[key] == t_sched.state_dict()[key], key


def test_reduce_lr_on_plateau_new_group_and_errors():
    for lib in (unigrad, torch):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0, 0.0])
        opt.add_param_group({"params": [lib.zeros(1, requires_grad=True)]})
        sched.step(1.0)
        with pytest.raises(RuntimeError, match="differs from when `ReduceLROnPlateau` was initialized"):
            sched.step(2.0)
        with pytest.raises(ValueError, match="expected 2 min_lrs, got 3"):
            lib.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(lib), min_lr=[0, 0, 0])
        with pytest.raises(ValueError, match="Factor should be < 1.0"):
            lib.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(lib), factor=1.0)
        with pytest.raises(ValueError, match="threshold mode bad is unknown"):
            lib.optim.lr_scheduler.ReduceLROnPlateau(_optimizer(lib), threshold_mode="bad")


@pytest.mark.parametrize("name, epochs", [("StepLR", [0, 3, 7, 8, 15, 2]), ("MultiStepLR", [0, 4, 9, 10, 25]),
                                          ("CosineAnnealingLR", [0, 4, 13, 2]),
                                          ("CosineAnnealingWarmRestarts_Tmult", [0, 2, 3, 9, 10, 22, 4]),
                                          ("ExponentialLR", [0, 5, 1]), ("LinearLR", [0, 3, 20]),
                                          ("PolynomialLR", [0, 8, 30]), ("ConstantLR", [0, 6, 2])])
def test_step_with_epoch_uses_the_closed_form_and_warns(name, epochs):
    results = {}
    for lib in (unigrad, torch):
        opt = _optimizer(lib)
        sched = SCHEDULERS[name](lib.optim.lr_scheduler, opt)
        seq = []
        for epoch in epochs:
            opt.step()
            if name.startswith("CosineAnnealingWarmRestarts"):
                sched.step(epoch)
            else:
                with pytest.warns(UserWarning, match="The epoch parameter in `scheduler.step\\(\\)`"):
                    sched.step(epoch)
            seq.append(sched.get_last_lr())
        results[lib.__name__] = seq
    np.testing.assert_allclose(results["unigrad"], results["torch"], rtol=1e-13)


def test_scheduler_warnings_are_torchs():
    for lib in (unigrad, torch):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.StepLR(opt, 2)
        with pytest.warns(UserWarning, match="Detected call of `lr_scheduler.step\\(\\)` before"):
            sched.step()
        with pytest.warns(UserWarning, match="please use `get_last_lr\\(\\)`"):
            sched.get_lr()
        opt2 = _optimizer(lib)
        sched2 = lib.optim.lr_scheduler.ExponentialLR(opt2, 0.5)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            opt2.step()
            sched2.step()
        opt3 = _optimizer(lib)
        sched3 = lib.optim.lr_scheduler.ExponentialLR(opt3, 0.5)
        assert hasattr(opt3.step, "_wrapped_by_lr_sched")
        opt3.step = lambda closure=None: None
        with pytest.warns(UserWarning, match="has been overridden after learning rate scheduler"):
            sched3.step()


@pytest.mark.parametrize("make, error, message", [
    (lambda m, o: m.LambdaLR(o, [lambda e: 1.0]), ValueError, "Expected 2 lr_lambdas, but got 1"),
    (lambda m, o: m.MultiplicativeLR(o, 0.5), TypeError, "lr_lambda should be a function"),
    (lambda m, o: m.ConstantLR(o, factor=2.0), ValueError, "Constant multiplicative factor expected"),
    (lambda m, o: m.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative factor expected"),
    (lambda m, o: m.LinearLR(o, end_factor=1.5), ValueError, "Ending multiplicative factor expected"),
    (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "Expected positive integer T_0"),
    (lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=2, T_mult=0), ValueError, "Expected integer T_mult >= 1"),
    (lambda m, o: m.CyclicLR(o, 0.1, 1.0, mode="bad"), ValueError, "mode is invalid and scale_fn is None"),
    (lambda m, o: m.CyclicLR(o, [0.1], 1.0), ValueError, "base_lr must have the same length"),
    (lambda m, o: m.OneCycleLR(o, 1.0), ValueError, "You must define either total_steps OR"),
    (lambda m, o: m.OneCycleLR(o, 1.0, total_steps=0), ValueError, "Expected positive integer total_steps"),
    (lambda m, o: m.OneCycleLR(o, 1.0, total_steps=10, pct_start=2.0), ValueError, "Expected float between 0 and 1"),
    (lambda m, o: m.OneCycleLR(o, 1.0, total_steps=10, anneal_strategy="x"), ValueError, "anneal_strategy must be"),
    (lambda m, o: m.SequentialLR(o, [m.StepLR(o, 2)], milestones=[3]), ValueError, "number of milestones"),
    (lambda m, o: m.SequentialLR(o, [], milestones=[]), ValueError, "expects at least one scheduler"),
    (lambda m, o: m.ChainedScheduler([m.ReduceLROnPlateau(o)]), ValueError, "does not support `ReduceLROnPlateau`"),
    (lambda m, o: m.StepLR(o, 2, last_epoch=3), KeyError, "param 'initial_lr' is not specified"),
    (lambda m, o: m.StepLR(object(), 2), TypeError, "object is not an Optimizer"),
])
def test_scheduler_errors_are_torchs(make, error, message):
    for lib in (unigrad, torch):
        with pytest.raises(error, match=message.replace("(", "\\(").replace(")", "\\)")):
            make(lib.optim.lr_scheduler, _optimizer(lib))


def test_one_cycle_past_the_end_and_momentum_requirement():
    for lib in (unigrad, torch):
        opt = _optimizer(lib)
        sched = lib.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=3)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for _ in range(3):
                opt.step()
                sched.step()
            with pytest.raises(ValueError, match="Tried to step 4 times"):
                sched.step()
        plain = lib.optim.Adagrad([lib.zeros(1, requires_grad=True)])
        with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
            lib.optim.lr_scheduler.CyclicLR(plain, 0.1, 1.0)


@settings(deadline=None)
@given(base=st.floats(1e-4, 0.1), span=st.floats(1.0, 20.0), up=st.integers(1, 6), down=st.integers(1, 6),
       mode=st.sampled_from(["triangular", "triangular2", "exp_range"]), gamma=st.floats(0.8, 1.0))
def test_cyclic_lr_property(base, span, up, down, mode, gamma):
    make = lambda m, o: m.CyclicLR(o, base, base * span, step_size_up=up, step_size_down=down,  # noqa: E731
                                   mode=mode, gamma=gamma)
    ours = _sequence(unigrad, make, steps=25)[0]
    theirs = _sequence(torch, make, steps=25)[0]
    np.testing.assert_allclose([r[1] for r in ours], [r[1] for r in theirs], rtol=1e-13)
    np.testing.assert_allclose([r[2] for r in ours], [r[2] for r in theirs], rtol=1e-13)


def test_tensor_lr_is_filled_in_place():
    for lib in (unigrad, torch):
        lr = lib.tensor(0.5)
        opt = lib.optim.SGD([lib.zeros(2, requires_grad=True)], lr=lr)
        sched = lib.optim.lr_scheduler.StepLR(opt, 1, gamma=0.5)
        opt.step()
        sched.step()
        assert opt.param_groups[0]["lr"] is lr
        assert abs(float(lr) - 0.25) < 1e-7
        assert isinstance(sched.get_last_lr()[0], lib.Tensor)
