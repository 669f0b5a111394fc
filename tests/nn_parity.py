"""Run a unigrad module and the same torch module (weights copied) on the same inputs; compare
outputs, input gradients, parameter gradients and buffers."""
from __future__ import annotations

import numpy as np
import torch

import unigrad
from parity import assert_close


def _to_ours(value):
    if isinstance(value, torch.Tensor):
        return unigrad.tensor(value.detach().numpy(), requires_grad=value.requires_grad)
    if isinstance(value, (tuple, list)):
        return type(value)(_to_ours(v) for v in value)
    return value


def _flatten(value):
    if isinstance(value, (tuple, list)):
        out = []
        for v in value:
            out += _flatten(v)
        return out
    return [value] if value is not None else []


def compare_module(make_ours, make_theirs, inputs, *, dtype=torch.float32, train=True, rtol=None,
                   atol=None, grad_rtol=None, grad_atol=None, seed=0, check_grad=True):
    """``inputs``: torch tensors (float ones get requires_grad)."""
    torch.manual_seed(seed)
    theirs = make_theirs().to(dtype)
    ours = make_ours()
    if dtype == torch.float64:
        ours = ours.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    theirs.train(train)
    ours.train(train)
    t_inputs = [x.detach().clone().requires_grad_(x.is_floating_point() and check_grad)
                if isinstance(x, torch.Tensor) else x for x in inputs]
    o_inputs = [_to_ours(x) for x in t_inputs]
    t_out = theirs(*t_inputs)
    o_out = ours(*o_inputs)
    t_flat, o_flat = _flatten(t_out), _flatten(o_out)
    assert len(t_flat) == len(o_flat)
    for i, (a, b) in enumerate(zip(o_flat, t_flat)):
        assert_close(a, b, rtol, atol, f"output {i}")
    for name, buf in theirs.named_buffers():
        assert_close(dict(ours.named_buffers())[name], buf, rtol, atol, f"buffer {name}")
    if not check_grad:
        return ours, theirs
    rng = np.random.default_rng(seed)
    loss_t, loss_o = 0, 0
    for a, b in zip(o_flat, t_flat):
        if b.requires_grad:
            w = rng.standard_normal(tuple(b.shape))
            loss_t = loss_t + (b * torch.tensor(w, dtype=b.dtype)).sum()
            loss_o = loss_o + (a * unigrad.tensor(w, dtype=a.dtype)).sum()
    loss_t.backward()
    loss_o.backward()
    g_rtol = grad_rtol if grad_rtol is not None else rtol
    g_atol = grad_atol if grad_atol is not None else atol
    for i, (a, b) in enumerate(zip(o_inputs, t_inputs)):
        if isinstance(b, torch.Tensor) and b.requires_grad and b.grad is not None:
            assert_close(a.grad, b.grad, g_rtol, g_atol, f"input {i} grad")
    ours_params = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        if p.grad is None:
            assert ours_params[name].grad is None or np.all(ours_params[name].grad.numpy() == 0), name
            continue
        assert ours_params[name].grad is not None, f"{name} got no gradient"
        assert_close(ours_params[name].grad, p.grad, g_rtol, g_atol, f"grad of {name}")
    return ours, theirs
