"""Compiled-vs-eager cases: ``unigrad.compile`` replays what eager computes on this device.

A plugin certifies both paths: the same training step, model forward/backward and random draws,
run eagerly and through a captured program on the device under test, must agree within the
training tolerance (in practice bitwise: the replay calls the same primitives in the same
order), and the compiled function must actually replay (no graph break, no fallback).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np


@dataclass
class CompiledCase:
    name: str
    run: Callable  # run(device, dtype, steps) -> list of (label, eager array, compiled array), compiled fn
    label: str
    steps: int = 4
    dtypes: tuple = ("float32",)
    primitives: tuple = ("matmul", "add", "random_bits")


def _model(lib, dtype, device):
    nn = lib.nn
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Dropout(0.2), nn.Linear(16, 3))
    return model.to(getattr(lib, dtype)).to(device)


def _data(lib, dtype, device, seed=0):
    rng = np.random.default_rng(seed)
    x = lib.tensor(rng.standard_normal((8, 6)), dtype=getattr(lib, dtype), device=device)
    y = lib.tensor(rng.integers(0, 3, 8), device=device)
    return x, y


def training_step(device, dtype, steps, optimizer):
    """A whole step (zero_grad, forward, loss, backward, clipping, optimizer) as one function."""
    import unigrad as lib
    runs = []
    for compiled in (False, True):
        lib.manual_seed(0)
        model = _model(lib, dtype, device)
        opt = optimizer(lib, model.parameters())
        x, y = _data(lib, dtype, device)

        def step(x, y):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            lib.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            return loss

        fn = lib.compile(step) if compiled else step
        losses = np.array([fn(x, y).item() for _ in range(steps)])
        runs.append(([losses] + [p.detach().cpu().numpy() for p in model.parameters()], fn))
    (eager, _), (compiled, fn) = runs
    return [(f"output {i}", e, c) for i, (e, c) in enumerate(zip(eager, compiled))], fn


def module_forward_backward(device, dtype, steps):
    """A compiled model in an eager loop: forward replayed, backward through the replay."""
    import unigrad as lib
    runs = []
    for compiled in (False, True):
        lib.manual_seed(0)
        model = _model(lib, dtype, device)
        forward = lib.compile(model) if compiled else model
        opt = lib.optim.Adam(model.parameters(), lr=0.01)
        x, y = _data(lib, dtype, device)
        losses = []
        for _ in range(steps):
            opt.zero_grad()
            loss = lib.nn.functional.cross_entropy(forward(x), y)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        runs.append(([np.array(losses)] + [p.detach().cpu().numpy() for p in model.parameters()],
                     getattr(forward, "_compiled_call", None)))
    (eager, _), (compiled, fn) = runs
    return [(f"output {i}", e, c) for i, (e, c) in enumerate(zip(eager, compiled))], fn


def random_draws(device, dtype, steps):
    """Random ops inside a compiled function advance the Philox stream on every replay."""
    import unigrad as lib
    d = getattr(lib, dtype)

    def draw(x):
        return x * lib.rand(5, dtype=d, device=device) + lib.randn(5, dtype=d, device=device)

    runs = []
    for fn in (draw, lib.compile(draw)):
        lib.manual_seed(1)
        x = lib.ones(5, dtype=d, device=device)
        runs.append([fn(x).cpu().numpy() for _ in range(steps)])
    pairs = [(f"draw {i}", e, c) for i, (e, c) in enumerate(zip(*runs))]
    return pairs, fn


def _sgd(lib, params):
    return lib.optim.SGD(params, lr=0.1, momentum=0.9)


def _adam(lib, params):
    return lib.optim.Adam(params, lr=0.01)


COMPILED_CASES = [
    CompiledCase("compiled.training_step_sgd", lambda d, t, s: training_step(d, t, s, _sgd), "4 steps"),
    CompiledCase("compiled.training_step_adam", lambda d, t, s: training_step(d, t, s, _adam), "4 steps",
                 primitives=("matmul", "sqrt", "div", "to_numpy")),
    CompiledCase("compiled.module_forward_backward", module_forward_backward, "4 steps"),
    CompiledCase("compiled.random_draws", random_draws, "3 draws", steps=3,
                 primitives=("random_bits", "uniform_from_bits")),
]
