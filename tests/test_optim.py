"""Optimizer trajectories and scheduler lr sequences against torch, state_dict round trips."""
import math

import numpy as np
import pytest
import torch

import unigrad

R = np.random.default_rng(9)
SHAPES = [(4, 3), (3,), (2, 2, 2)]


def _trajectory(lib, make_opt, steps, dtype, sched=None, closure_based=False, seed=0):
    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s) for s in SHAPES]
    targets = [rng.standard_normal(s) for s in SHAPES]
    ldtype = getattr(lib, dtype)
    params = [lib.tensor(v, dtype=ldtype, requires_grad=True) for v in init]
    goals = [lib.tensor(v, dtype=ldtype) for v in targets]
    opt = make_opt(lib, params)
    scheduler = sched(lib, opt) if sched else None
    history = []

    def closure():
        opt.zero_grad()
        loss = sum(((p - g) ** 2 * (i + 1)).sum() + (p ** 4).sum() * 0.01
                   for i, (p, g) in enumerate(zip(params, goals)))
        loss.backward()
        return loss

    for _ in range(steps):
        if closure_based:
            opt.step(closure)
        else:
            closure()
            opt.step()
        if scheduler is not None:
            scheduler.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history, opt


OPTIMIZERS = {
    "SGD": lambda lib, p: lib.optim.SGD(p, lr=0.05),
    "SGD_momentum": lambda lib, p: lib.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "SGD_nesterov_maximize": lambda lib, p: lib.optim.SGD(p, lr=0.01, momentum=0.5, nesterov=True, maximize=True),
    "Adam": lambda lib, p: lib.optim.Adam(p, lr=0.05),
    "Adam_amsgrad_wd": lambda lib, p: lib.optim.Adam(p, lr=0.05, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True),
    "Adam_maximize": lambda lib, p: lib.optim.Adam(p, lr=0.01, maximize=True),
    "AdamW": lambda lib, p: lib.optim.AdamW(p, lr=0.05),
    "AdamW_amsgrad": lambda lib, p: lib.optim.AdamW(p, lr=0.05, weight_decay=0.2, amsgrad=True),
    "Adagrad": lambda lib, p: lib.optim.Adagrad(p, lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1),
    "RMSprop": lambda lib, p: lib.optim.RMSprop(p, lr=0.01),
    "RMSprop_centered_momentum": lambda lib, p: lib.optim.RMSprop(p, lr=0.01, momentum=0.9, centered=True, weight_decay=0.01),
    "Adadelta": lambda lib, p: lib.optim.Adadelta(p, lr=1.0, weight_decay=0.01),
    "Adamax": lambda lib, p: lib.optim.Adamax(p, lr=0.05, weight_decay=0.01),
    "Adadelta_maximize": lambda lib, p: lib.optim.Adadelta(p, lr=0.5, weight_decay=0.01, maximize=True),
    "RMSprop_maximize": lambda lib, p: lib.optim.RMSprop(p, lr=0.01, weight_decay=0.01, maximize=True),
    "NAdam_L2_maximize": lambda lib, p: lib.optim.NAdam(p, lr=0.05, weight_decay=0.1, maximize=True),
    "NAdam": lambda lib, p: lib.optim.NAdam(p, lr=0.05),
    "NAdam_decoupled": lambda lib, p: lib.optim.NAdam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
    "RAdam": lambda lib, p: lib.optim.RAdam(p, lr=0.05),
    "RAdam_wd": lambda lib, p: lib.optim.RAdam(p, lr=0.05, weight_decay=0.1, decoupled_weight_decay=True),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_optimizer_trajectory_matches_torch(name, dtype):
    steps = 25
    ours, _ = _trajectory(unigrad, OPTIMIZERS[name], steps, dtype)
    theirs, _ = _trajectory(torch, OPTIMIZERS[name], steps, dtype)
    rtol, atol = (1e-10, 1e-12) if dtype == "float64" else (2e-5, 2e-6)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for pa, pb in zip(a, b):
            np.testing.assert_allclose(pa, pb, rtol=rtol, atol=atol * (step + 1), err_msg=f"step {step}")


@pytest.mark.parametrize("kwargs", [{}, {"line_search_fn": "strong_wolfe"}, {"history_size": 3, "max_iter": 5}])
def test_lbfgs_matches_torch(kwargs):
    make = lambda lib, p: lib.optim.LBFGS(p, lr=0.5, **kwargs)  # noqa: E731
    ours, _ = _trajectory(unigrad, make, 4, "float64", closure_based=True)
    theirs, _ = _trajectory(torch, make, 4, "float64", closure_based=True)
    for a, b in zip(ours, theirs):
        for pa, pb in zip(a, b):
            np.testing.assert_allclose(pa, pb, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", ["SGD_momentum", "Adam_amsgrad_wd", "RMSprop_centered_momentum", "NAdam", "Adagrad"])
def test_state_dict_round_trip_continues_the_trajectory(name):
    full, _ = _trajectory(unigrad, OPTIMIZERS[name], 10, "float64")
    rng = np.random.default_rng(0)
    init = [rng.standard_normal(s) for s in SHAPES]
    targets = [rng.standard_normal(s) for s in SHAPES]
    params = [unigrad.tensor(v, requires_grad=True, dtype=unigrad.float64) for v in init]
    goals = [unigrad.tensor(v, dtype=unigrad.float64) for v in targets]
    opt = OPTIMIZERS[name](unigrad, params)

    def run(optimizer, count):
        for _ in range(count):
            optimizer.zero_grad()
            sum(((p - g) ** 2 * (i + 1)).sum() + (p ** 4).sum() * 0.01
                for i, (p, g) in enumerate(zip(params, goals))).backward()
            optimizer.step()
    run(opt, 5)
    saved = opt.state_dict()
    fresh = OPTIMIZERS[name](unigrad, params)
    fresh.load_state_dict(saved)
    run(fresh, 5)
    for p, expected in zip(params, full[-1]):
        np.testing.assert_allclose(p.detach().numpy(), expected, rtol=1e-8)  # NAdam: float32 mu_product is cast on load, as in torch


def test_param_groups_and_errors():
    a = unigrad.zeros(2, requires_grad=True)
    b = unigrad.zeros(2, requires_grad=True)
    opt = unigrad.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.9)
    assert [g["lr"] for g in opt.param_groups] == [0.1, 0.5] and opt.param_groups[1]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [a]})
    with pytest.raises(ValueError, match="empty parameter list"):
        unigrad.optim.Adam([])
    with pytest.raises(ValueError, match="Invalid learning rate"):
        unigrad.optim.Adam([a], lr=-1)
    with pytest.raises(ValueError, match="non-leaf"):
        unigrad.optim.SGD([a * 2], lr=0.1)
    c = unigrad.zeros(2, requires_grad=True)
    opt.add_param_group({"params": c, "lr": 0.2})
    assert opt.param_groups[2]["momentum"] == 0.9
    a.grad = unigrad.ones(2)
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None


def _lrs(lib, make_sched, steps=30, opt="SGD"):
    p = lib.zeros(1, requires_grad=True)
    optimizer = lib.optim.SGD([p], lr=0.1, momentum=0.9) if opt == "SGD" else lib.optim.Adam([p], lr=0.1)
    scheduler = make_sched(lib, optimizer)
    out = []
    for _ in range(steps):
        optimizer.step()
        out.append((scheduler.get_last_lr()[0], optimizer.param_groups[0].get("momentum",
                                                                                 optimizer.param_groups[0].get("betas", (0,))[0])))
        scheduler.step()
    return out


SCHEDULERS = {
    "StepLR": lambda lib, o: lib.optim.lr_scheduler.StepLR(o, 4, gamma=0.5),
    "MultiStepLR": lambda lib, o: lib.optim.lr_scheduler.MultiStepLR(o, [3, 7, 7, 20], gamma=0.3),
    "ExponentialLR": lambda lib, o: lib.optim.lr_scheduler.ExponentialLR(o, 0.9),
    "CosineAnnealingLR": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingLR(o, 8, eta_min=0.01),
    "CosineAnnealingWarmRestarts": lambda lib, o: lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 5, T_mult=2, eta_min=0.001),
    "LambdaLR": lambda lib, o: lib.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (e + 1)),
    "MultiplicativeLR": lambda lib, o: lib.optim.lr_scheduler.MultiplicativeLR(o, lambda e: 0.95),
    "LinearLR": lambda lib, o: lib.optim.lr_scheduler.LinearLR(o, start_factor=0.2, total_iters=6),
    "OneCycleLR": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=40),
    "OneCycleLR_linear_three_phase": lambda lib, o: lib.optim.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=40, anneal_strategy="linear", three_phase=True),
    "SequentialLR": lambda lib, o: lib.optim.lr_scheduler.SequentialLR(
        o, [lib.optim.lr_scheduler.LinearLR(o, 0.1, total_iters=5), lib.optim.lr_scheduler.ExponentialLR(o, 0.8)], milestones=[5]),
}


@pytest.mark.parametrize("name", sorted(SCHEDULERS))
def test_scheduler_sequence_matches_torch(name):
    for opt in ("SGD", "Adam"):
        ours = _lrs(unigrad, SCHEDULERS[name], opt=opt)
        theirs = _lrs(torch, SCHEDULERS[name], opt=opt)
        np.testing.assert_allclose(np.array(ours), np.array(theirs), rtol=1e-12, atol=1e-15)


def test_reduce_lr_on_plateau_matches_torch():
    metrics = [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85]
    results = []
    for lib in (unigrad, torch):
        p = lib.zeros(1, requires_grad=True)
        opt = lib.optim.SGD([p], lr=1.0)
        sched = lib.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=2, factor=0.5, cooldown=1, min_lr=0.1)
        lrs = []
        for m in metrics:
            sched.step(m)
            lrs.append(opt.param_groups[0]["lr"])
        results.append(lrs)
    assert results[0] == results[1]


def test_scheduler_state_dict_round_trip():
    p = unigrad.zeros(1, requires_grad=True)
    opt = unigrad.optim.SGD([p], lr=0.1)
    sched = unigrad.optim.lr_scheduler.CosineAnnealingLR(opt, 10)
    for _ in range(3):
        sched.step()
    saved = sched.state_dict()
    opt2 = unigrad.optim.SGD([p], lr=0.1)
    sched2 = unigrad.optim.lr_scheduler.CosineAnnealingLR(opt2, 10)
    sched2.load_state_dict(saved)
    opt2.param_groups[0]["lr"] = opt.param_groups[0]["lr"]
    sched.step()
    sched2.step()
    assert sched.get_last_lr() == pytest.approx(sched2.get_last_lr())


def test_clip_then_step_matches_torch():
    results = []
    for lib in (unigrad, torch):
        w = lib.tensor([[1.0, -2.0], [3.0, 0.5]], requires_grad=True)
        opt = lib.optim.SGD([w], lr=0.1, momentum=0.9)
        for _ in range(5):
            opt.zero_grad()
            (w ** 3).sum().backward()
            lib.nn.utils.clip_grad_norm_([w], 1.0)
            opt.step()
        results.append(w.detach().numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)
