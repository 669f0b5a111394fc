"""Module API: registration, traversal order, state_dict keys, loading, hooks, repr, modes."""
import math
from collections import OrderedDict

import numpy as np
import pytest
import torch

import unigrad
from unigrad import nn


def _mlp(lib):
    return lib.nn.Sequential(OrderedDict([
        ("fc1", lib.nn.Linear(4, 8)), ("act", lib.nn.ReLU()),
        ("block", lib.nn.Sequential(lib.nn.Linear(8, 8), lib.nn.BatchNorm1d(8))),
        ("fc2", lib.nn.Linear(8, 2)),
    ]))


def test_names_and_order_match_torch():
    ours, theirs = _mlp(unigrad), _mlp(torch)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert repr(ours) == repr(theirs)


def test_torch_state_dict_loads_and_reproduces_outputs():
    ours, theirs = _mlp(unigrad), _mlp(torch)
    theirs.eval()
    ours.eval()
    result = ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert result.missing_keys == [] and result.unexpected_keys == []
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(unigrad.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_strict_loading_reports_keys_and_changes_nothing():
    model = _mlp(unigrad)
    state = model.state_dict()
    before = model.fc1.weight.detach().clone()
    bad = OrderedDict(state)
    del bad["fc2.bias"]
    bad["extra.weight"] = np.zeros(3)
    bad["fc1.weight"] = np.zeros((4, 4))
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict(bad)
    message = str(info.value)
    assert 'Missing key(s) in state_dict: "fc2.bias"' in message
    assert 'Unexpected key(s) in state_dict: "extra.weight"' in message
    assert "size mismatch for fc1.weight" in message
    assert model.fc1.weight.equal(before)
    del bad["fc1.weight"]
    result = model.load_state_dict(bad, strict=False)
    assert result.missing_keys == ["fc1.weight", "fc2.bias"] and result.unexpected_keys == ["extra.weight"]


def test_setattr_registration_and_errors():
    m = nn.Module()
    m.w = nn.Parameter(unigrad.ones(2))
    m.sub = nn.Linear(2, 2)
    m.register_buffer("stat", unigrad.zeros(2))
    m.register_buffer("scratch", unigrad.zeros(1), persistent=False)
    assert isinstance(m.w, nn.Parameter) and isinstance(m.w, unigrad.Tensor)
    assert not isinstance(unigrad.ones(1), nn.Parameter)
    assert list(m.state_dict()) == ["w", "stat", "sub.weight", "sub.bias"]
    assert [n for n, _ in m.named_buffers()] == ["stat", "scratch"]
    with pytest.raises(TypeError, match="cannot assign"):
        m.w = unigrad.ones(2)
    with pytest.raises(KeyError, match="contain"):
        m.register_parameter("a.b", None)
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        m.missing
    del m.sub
    assert "sub.weight" not in m.state_dict()
    assert repr(m.w).startswith("Parameter containing:\ntensor([1., 1.], requires_grad=True)")


def test_shared_parameters_are_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_train_eval_apply_zero_grad_requires_grad():
    model = _mlp(unigrad)
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    seen = []
    model.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Sequential" and seen[0] == "Linear"
    out = model(unigrad.ones(3, 4)).sum()
    out.backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad(set_to_none=False)
    assert all(float(p.grad.abs().sum()) == 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_to_dtype_keeps_parameter_identity():
    model = nn.Linear(3, 2)
    weight = model.weight
    model.double()
    assert model.weight is weight and weight.dtype == unigrad.float64
    model.to(unigrad.float32)
    assert weight.dtype == unigrad.float32
    model.to("cpu")
    assert weight.device == unigrad.device("cpu")
    bn = nn.BatchNorm1d(3).double()
    assert bn.num_batches_tracked.dtype == unigrad.int64 and bn.running_mean.dtype == unigrad.float64


def test_forward_hooks():
    model = nn.Linear(2, 2)
    calls = []
    pre = model.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = model.register_forward_hook(lambda m, args, out: calls.append(out.shape) or out + 1)
    out = model(unigrad.ones(1, 2))
    assert calls == [unigrad.Size([1, 2])]
    np.testing.assert_allclose(out.detach().numpy(), model.bias.detach().numpy()[None] + 1, rtol=1e-6)
    pre.remove()
    post.remove()
    assert model(unigrad.zeros(1, 2)).allclose(model.bias.unsqueeze(0))


def test_containers():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    seq.append(nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and isinstance(seq[1:], nn.Sequential)
    assert len(seq[:2]) == 2
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    layers.append(nn.ReLU())
    assert len(layers) == 4 and len(list(layers.parameters())) == 6
    mdict = nn.ModuleDict({"a": nn.Linear(1, 1), "b": nn.ReLU()})
    assert list(mdict.keys()) == ["a", "b"] and "a" in mdict
    plist = nn.ParameterList([nn.Parameter(unigrad.ones(2)) for _ in range(2)])
    assert [n for n, _ in plist.named_parameters()] == ["0", "1"]
    holder = nn.Module()
    holder.layers = layers
    assert "layers.0.weight" in holder.state_dict()


def test_default_initialisation_statistics():
    unigrad.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w = layer.weight.detach().numpy()
    assert w.min() >= -bound and w.max() <= bound and abs(w.std() - bound / math.sqrt(3)) < 2e-3
    conv = nn.Conv2d(8, 16, 3)
    assert abs(conv.weight.detach().numpy()).max() <= 1 / math.sqrt(8 * 9)
    emb = nn.Embedding(1000, 16, padding_idx=0)
    assert emb.weight[0].abs().sum().item() == 0 and abs(emb.weight.detach().numpy()[1:].std() - 1) < 0.02


def test_init_functions_match_torch_formulas():
    from unigrad.nn import init
    for name, param in [("linear", None), ("relu", None), ("tanh", None), ("leaky_relu", 0.2), ("selu", None)]:
        assert init.calculate_gain(name, param) == pytest.approx(torch.nn.init.calculate_gain(name, param))
    w = unigrad.empty(200, 300)
    init.xavier_uniform_(w)
    assert abs(w.numpy()).max() <= math.sqrt(6 / 500)
    init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
    assert abs(w.numpy().std() - math.sqrt(2 / 200)) < 3e-3
    init.trunc_normal_(w, std=0.5, a=-0.4, b=0.4)
    assert w.numpy().min() >= -0.4 and w.numpy().max() <= 0.4
    init.orthogonal_(w)
    q = w.numpy().astype(np.float64)
    np.testing.assert_allclose(q @ q.T, np.eye(200), atol=1e-5)
    init.eye_(w)
    assert w.sum().item() == 200
    for fn in (init.zeros_, init.ones_):
        fn(w)
    assert w.sum().item() == 200 * 300


def test_clip_grad_and_vector_conversion():
    from unigrad.nn.utils import (clip_grad_norm_, clip_grad_value_, parameters_to_vector,
                                  vector_to_parameters)
    for lib in (unigrad, torch):
        a = lib.tensor([3.0, 4.0], requires_grad=True)
        b = lib.tensor([12.0], requires_grad=True)
        a.grad, b.grad = lib.tensor([3.0, 4.0]), lib.tensor([12.0])
        total = (clip_grad_norm_ if lib is unigrad else torch.nn.utils.clip_grad_norm_)([a, b], 6.5)
        assert float(total) == pytest.approx(13.0)
        if lib is unigrad:
            ours = a.grad.tolist() + b.grad.tolist()
        else:
            theirs = a.grad.tolist() + b.grad.tolist()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    p = unigrad.tensor([1.0, -5.0], requires_grad=True)
    p.grad = unigrad.tensor([2.0, -3.0])
    clip_grad_value_([p], 1.0)
    assert p.grad.tolist() == [1.0, -1.0]
    inf = unigrad.tensor([1.0], requires_grad=True)
    inf.grad = unigrad.tensor([float("inf")])
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_([inf], 1.0, error_if_nonfinite=True)
    model = nn.Linear(2, 2)
    vec = parameters_to_vector(model.parameters())
    assert vec.shape == (6,)
    vector_to_parameters(vec * 0 + 1, model.parameters())
    assert model.weight.sum().item() == 4
