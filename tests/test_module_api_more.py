"""nn.Module API against torch, method for method: the state_dict protocol and its hooks, forward
and backward hooks (module and global, call order), conversion, traversal, the containers, and
the lazy-module / weight_norm / spectral_norm loading paths built on the hooks.

Most tests run one scenario with ``lib`` = unigrad and ``lib`` = torch and compare what was
recorded (call orders, keys, messages, values)."""
from __future__ import annotations

import copy
import functools
import pickle
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import torch

import unigrad
from unigrad import nn

LIBS = (unigrad, torch)


def _both(scenario):
    """``scenario(lib)`` for unigrad and torch."""
    return scenario(unigrad), scenario(torch)


def _text(value) -> str:
    return str(value).replace("unigrad", "torch")


def _np(t):
    return None if t is None else t.detach().cpu().numpy()


def _error(fn):
    try:
        fn()
    except Exception as error:  # noqa: BLE001 - type and message are what is compared
        return type(error).__name__, _text(error)
    return None


def _mlp(lib):
    return lib.nn.Sequential(OrderedDict([
        ("fc1", lib.nn.Linear(3, 4)), ("act", lib.nn.ReLU()),
        ("block", lib.nn.Sequential(lib.nn.Linear(4, 4), lib.nn.BatchNorm1d(4))),
        ("fc2", lib.nn.Linear(4, 2)),
    ]))


def _copy_weights(ours, theirs) -> None:
    """Give ``ours`` (unigrad) the values of ``theirs`` (torch)."""
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


# ----- state_dict ---------------------------------------------------------------------------------
def test_state_dict_metadata_and_key_order():
    def scenario(lib):
        model = _mlp(lib)
        model.register_buffer("scratch", lib.zeros(1), persistent=False)
        state = model.state_dict()
        return list(state), dict(state._metadata), type(state).__name__
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_state_dict_destination_prefix_keep_vars_and_positional_args():
    def scenario(lib):
        model = lib.nn.Linear(2, 2)
        dest = OrderedDict()
        out = model.state_dict(destination=dest, prefix="net.", keep_vars=True)
        same = out is dest and out["net.weight"] is model.weight and not hasattr(dest, "_metadata")
        with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
            positional = model.state_dict(OrderedDict(), "p.")
        return same, list(out), list(positional), model.state_dict()["weight"].requires_grad
    ours, theirs = _both(scenario)
    assert ours == theirs == (True, ["net.weight", "net.bias"], ["p.weight", "p.bias"], False)


def test_subclass_overrides_migrate_old_checkpoints():
    """The common migration pattern: _load_from_state_dict renames keys of an old version, and
    _save_to_state_dict adds a key; both are called per module by the recursive protocol."""
    def scenario(lib):
        class Block(lib.nn.Module):
            _version = 2

            def __init__(self):
                super().__init__()
                self.proj = lib.nn.Linear(2, 2)
                self.register_buffer("scale", lib.ones(2))
                self.seen_versions = []

            def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing, unexpected, errors):
                version = local_metadata.get("version", None)
                self.seen_versions.append(version)
                if version is None or version < 2:
                    for old, new in (("w", "proj.weight"), ("b", "proj.bias")):
                        if prefix + old in state_dict:
                            state_dict[prefix + new] = state_dict.pop(prefix + old)
                super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing, unexpected, errors)

            def _save_to_state_dict(self, destination, prefix, keep_vars):
                super()._save_to_state_dict(destination, prefix, keep_vars)
                destination[prefix + "format"] = lib.tensor(2)

        model = lib.nn.Sequential(Block())
        keys = list(model.state_dict())
        old = {"0.w": lib.full((2, 2), 3.0), "0.b": lib.full((2,), 4.0), "0.scale": lib.full((2,), 5.0),
               "0.format": lib.tensor(2)}
        with pytest.raises(RuntimeError) as info:
            model.load_state_dict(old)  # "format" is not a parameter or buffer: unexpected
        result = model.load_state_dict(old, strict=False)
        current = model.state_dict()
        model.load_state_dict(current, strict=False)
        return (keys, _text(info.value), tuple(result), model[0].seen_versions,
                _np(model[0].proj.weight).tolist(), _np(model[0].scale).tolist())
    ours, theirs = _both(scenario)
    assert ours == theirs
    assert ours[3] == [None, None, 2]


def test_extra_state_round_trip_and_errors():
    def scenario(lib):
        class Counter(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.count = 0
                self.lin = lib.nn.Linear(1, 1)

            def get_extra_state(self):
                return {"count": self.count}

            def set_extra_state(self, state):
                self.count = state["count"]

        source, target = Counter(), Counter()
        source.count = 7
        holder = lib.nn.Sequential(source)
        state = holder.state_dict()
        lib.nn.Sequential(target).load_state_dict(state)
        missing = _error(lambda: lib.nn.Sequential(Counter()).load_state_dict(
            {k: v for k, v in state.items() if not k.endswith("_extra_state")}))
        plain = lib.nn.Sequential(lib.nn.Linear(1, 1))
        unexpected = _error(lambda: plain.load_state_dict({**plain.state_dict(), "0._extra_state": 1}))
        return list(state), state["0._extra_state"], target.count, missing, unexpected
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_state_dict_hooks_order_and_results():
    def scenario(lib):
        calls = []
        model = lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.Sequential(lib.nn.Linear(1, 1)))
        for name, module in model.named_modules():
            module.register_state_dict_pre_hook(
                lambda m, prefix, keep_vars, name=name: calls.append(("pre", name, prefix, keep_vars)))

            def post(m, state, prefix, metadata, name=name):
                calls.append(("post", name, prefix, len(state), dict(metadata)))
                metadata["seen"] = True
            module.register_state_dict_post_hook(post)
        model.state_dict(keep_vars=True)

        def bad_post(m, state, prefix, metadata):
            return {}
        model[0].register_state_dict_post_hook(bad_post)
        returning = _error(model.state_dict)
        again = _error(lambda: model[0]._register_state_dict_hook(bad_post))
        private = lib.nn.Linear(1, 1)
        private._register_state_dict_hook(lambda m, state, prefix, metadata: {"replaced": 1})
        child_private = lib.nn.Sequential(lib.nn.Linear(1, 1))
        child_private[0]._register_state_dict_hook(lambda m, state, prefix, metadata: {"ignored": 1})
        return (calls, returning, again, dict(private.state_dict()), list(child_private.state_dict()),
                model.state_dict.__func__ is lib.nn.Module.state_dict)
    ours, theirs = _both(scenario)
    assert ours == theirs
    assert ours[0][0] == ("pre", "", "", True) and ("post", "", "", 4, {"version": 1}) in ours[0]


def test_load_state_dict_hooks_see_arguments_and_edit_incompatible_keys():
    def scenario(lib):
        calls = []
        model = lib.nn.Sequential(lib.nn.Linear(1, 1), lib.nn.Linear(1, 1))
        model.register_load_state_dict_pre_hook(
            lambda m, sd, prefix, md, strict, missing, unexpected, errors:
                calls.append(("pre", type(m).__name__, prefix, sorted(sd), dict(md), strict)))
        model[1]._register_load_state_dict_pre_hook(
            lambda sd, prefix, md, strict, missing, unexpected, errors:
                calls.append(("private", prefix, sorted(sd), dict(md))))
        model[1]._register_load_state_dict_pre_hook(
            lambda m, sd, prefix, *rest: calls.append(("with_module", type(m).__name__, prefix)), with_module=True)

        def post(m, incompatible):
            calls.append(("post", type(m).__name__, list(incompatible.missing_keys), list(incompatible.unexpected_keys)))
            incompatible.missing_keys.clear()
            incompatible.unexpected_keys[:] = [k for k in incompatible.unexpected_keys if k != "extra"]
        model.register_load_state_dict_post_hook(post)
        model[0].register_load_state_dict_post_hook(
            lambda m, incompatible: calls.append(("child post", list(incompatible.missing_keys))))
        state = model.state_dict()
        del state["1.bias"]
        state["extra"] = lib.zeros(1)
        result = model.load_state_dict(state)  # strict, but the post hook forgives the differences
        bad = lib.nn.Linear(1, 1)
        bad.register_load_state_dict_post_hook(lambda m, incompatible: 1)
        returning = _error(lambda: bad.load_state_dict(bad.state_dict()))
        return calls, repr(result), tuple(result), returning
    ours, theirs = _both(scenario)
    assert ours == theirs
    assert ours[1] == "<All keys matched successfully>"


def test_load_state_dict_error_messages_and_incompatible_keys():
    def scenario(lib):
        model = _mlp(lib)
        state = OrderedDict(model.state_dict())
        del state["fc2.bias"]
        state["extra.weight"] = lib.zeros(3)
        state["block.1.unknown"] = lib.zeros(3)
        state["fc1.weight"] = lib.zeros(4, 4)
        strict = _error(lambda: model.load_state_dict(state))
        del state["fc1.weight"]
        result = model.load_state_dict(state, strict=False)
        not_mapping = _error(lambda: model.load_state_dict([1, 2]))
        not_tensor = _error(lambda: lib.nn.Linear(1, 1).load_state_dict({"weight": "w", "bias": lib.zeros(1)}))
        return strict, tuple(result), repr(result), type(result).__name__, result._fields, not_mapping, not_tensor
    ours, theirs = _both(scenario)
    assert ours == theirs
    assert "size mismatch for fc1.weight: copying a param with shape torch.Size([4, 4])" in ours[0][1]


def test_load_state_dict_copies_in_place_assign_and_scalar_compat():
    def scenario(lib):
        model = lib.nn.BatchNorm1d(2)
        weight = model.weight
        source = {k: v + 1 if v.is_floating_point() else v + 3 for k, v in model.state_dict().items()}
        model.load_state_dict(source)
        copied = model.weight is weight and model.weight.data_ptr() != source["weight"].data_ptr()
        frozen = lib.nn.BatchNorm1d(2)
        frozen.weight.requires_grad_(False)
        new = {k: v * 2 for k, v in source.items()}
        frozen.load_state_dict(new, assign=True)
        assigned = (frozen.running_mean is new["running_mean"], isinstance(frozen.weight, lib.nn.Parameter),
                    frozen.weight.requires_grad, frozen.bias.requires_grad,
                    frozen.weight.data_ptr() == new["weight"].data_ptr())
        scalar = lib.nn.Module()
        scalar.p = lib.nn.Parameter(lib.tensor(1.0))
        scalar.load_state_dict({"p": lib.tensor([5.0])})  # 1-element vectors of PyTorch 0.3
        return copied, _np(model.num_batches_tracked).tolist(), assigned, _np(scalar.p).tolist()
    ours, theirs = _both(scenario)
    assert ours == theirs == (True, 3, (True, True, False, True, True), 5.0)


def test_load_state_dict_accepts_numpy_arrays():
    """A unigrad extension: arrays (and torch tensors) load as tensors of the target's dtype."""
    model = nn.Linear(2, 2)
    theirs = torch.nn.Linear(2, 2)
    model.load_state_dict({"weight": theirs.weight.detach().numpy().astype(np.float64), "bias": theirs.bias.detach()})
    np.testing.assert_array_equal(_np(model.weight), _np(theirs.weight))
    assert model.weight.dtype == unigrad.float32


def test_batchnorm_and_instancenorm_old_version_state_dicts():
    def scenario(lib):
        bn = lib.nn.BatchNorm1d(2)
        bn.num_batches_tracked += 4
        old = OrderedDict((k, v) for k, v in bn.state_dict().items() if k != "num_batches_tracked")
        old._metadata = OrderedDict([("", {"version": 1})])
        bn.load_state_dict(old)  # no num_batches_tracked before version 2: the count is kept
        current = OrderedDict(old)
        current._metadata = OrderedDict([("", {"version": 2})])
        missing = _error(lambda: bn.load_state_dict(current))
        inorm = lib.nn.InstanceNorm1d(2)
        stats = OrderedDict([("running_mean", lib.zeros(2)), ("running_var", lib.ones(2))])
        unexpected = _error(lambda: inorm.load_state_dict(stats))
        return _np(bn.num_batches_tracked).tolist(), missing, unexpected
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_state_dict_round_trips_through_save_with_metadata(tmp_path):
    model = _mlp(unigrad)
    unigrad.save(model.state_dict(), tmp_path / "m.pt")
    loaded = unigrad.load(tmp_path / "m.pt")
    assert dict(loaded._metadata) == dict(model.state_dict()._metadata)
    reference = _mlp(torch)
    torch.save(reference.state_dict(), tmp_path / "t.pt")
    from_torch = unigrad.load(tmp_path / "t.pt")
    assert dict(from_torch._metadata) == dict(reference.state_dict()._metadata)
    assert repr(model.load_state_dict(from_torch)) == "<All keys matched successfully>"


# ----- lazy modules, weight_norm, spectral_norm ---------------------------------------------------
@pytest.mark.parametrize("build, shape", [
    (lambda nn: nn.Sequential(nn.LazyLinear(3), nn.ReLU(), nn.LazyLinear(2)), (4, 5)),
    (lambda nn: nn.Sequential(nn.LazyConv2d(4, 3), nn.LazyBatchNorm2d()), (2, 3, 6, 6)),
])
def test_lazy_modules_load_through_a_parent_before_the_first_forward(build, shape):
    theirs = build(torch.nn)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    theirs(torch.tensor(x))
    theirs.eval()
    ours = build(nn)
    uninitialized = ours.state_dict()
    assert all(isinstance(v, nn.UninitializedParameter) for k, v in uninitialized.items() if "weight" in k)
    result = ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert tuple(result) == ([], [])
    assert type(ours[0]).__name__.startswith("Lazy")  # becomes the ordinary module at its forward
    ours.eval()
    np.testing.assert_allclose(_np(ours(unigrad.tensor(x))), _np(theirs(torch.tensor(x))), rtol=1e-5, atol=1e-5)
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    assert not ours[0]._forward_pre_hooks and not ours[0]._load_state_dict_pre_hooks
    assert not hasattr(ours[0], "_load_hook")


def test_parametrized_weight_norm_loads_old_weight_g_weight_v_keys():
    for lib in LIBS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            old = lib.nn.utils.weight_norm(lib.nn.Linear(3, 2))  # the deprecated, hook-based one
        with lib.no_grad():
            old.weight_g.mul_(2.0)
        state = old.state_dict()
        assert list(state) == ["bias", "weight_g", "weight_v"]
        new = lib.nn.Sequential(lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(3, 2)))
        result = new.load_state_dict({"0." + k: v for k, v in state.items()})
        assert tuple(result) == ([], [])
        x = lib.ones(1, 3)
        assert lib.allclose(new(x), old(x))
    ours = nn.utils.parametrizations.weight_norm(nn.Linear(3, 2))
    theirs = torch.nn.utils.parametrizations.weight_norm(torch.nn.Linear(3, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        source = torch.nn.utils.weight_norm(torch.nn.Linear(3, 2))
    ours.load_state_dict({k: v.detach().numpy() for k, v in source.state_dict().items()})
    theirs.load_state_dict(source.state_dict())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(_np(ours.weight), _np(theirs.weight), rtol=1e-6)


def test_spectral_norm_writes_its_version_and_converts_old_state_dicts():
    def make(lib):
        lib.manual_seed(0)
        return lib.nn.utils.spectral_norm(lib.nn.Linear(3, 5).double())

    ours, theirs = make(unigrad), make(torch)
    _copy_weights(ours, theirs)
    assert ours.state_dict()._metadata == theirs.state_dict()._metadata
    assert ours.state_dict()._metadata[""]["spectral_norm"] == {"weight.version": 1}
    assert list(ours.state_dict()) == list(theirs.state_dict())
    with unigrad.no_grad(), torch.no_grad():
        for _ in range(3):  # a few training forwards so that u and v satisfy the invariant
            ours(unigrad.ones(1, 3, dtype=unigrad.float64))
            theirs(torch.ones(1, 3, dtype=torch.float64))
    # a state_dict from before version 1: ``weight`` stored, no ``weight_v``, no metadata
    old = {k: v for k, v in theirs.state_dict().items() if k != "weight_v"}
    old["weight"] = theirs.weight.detach().clone()
    target_theirs, target_ours = make(torch), make(unigrad)
    target_theirs.load_state_dict(old)
    target_ours.load_state_dict({k: v.numpy() for k, v in old.items()})
    np.testing.assert_allclose(_np(target_ours.weight_v), _np(target_theirs.weight_v), rtol=1e-6, atol=1e-9)
    target_ours.eval()
    target_theirs.eval()
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(_np(target_ours(unigrad.tensor(x))), _np(target_theirs(torch.tensor(x))), rtol=1e-6)
    missing = _error(lambda: make(unigrad).load_state_dict({"bias": unigrad.zeros(5, dtype=unigrad.float64)}))
    assert missing == _error(lambda: make(torch).load_state_dict({"bias": torch.zeros(5, dtype=torch.float64)}))
    unigrad.nn.utils.remove_spectral_norm(target_ours)
    assert not target_ours._state_dict_hooks and not target_ours._load_state_dict_pre_hooks
    assert tuple(target_ours.load_state_dict(target_ours.state_dict())) == ([], [])


# ----- forward hooks ------------------------------------------------------------------------------
def test_forward_hook_kinds_prepend_and_kwargs():
    def scenario(lib):
        calls = []

        class Net(lib.nn.Module):
            def forward(self, x, scale=1.0):
                calls.append(("forward", _np(x).tolist(), scale))
                return x * scale

        net = Net()
        net.register_forward_pre_hook(lambda m, args: calls.append(("pre1",)))
        net.register_forward_pre_hook(lambda m, args: args[0] + 1)  # single value: wrapped in a tuple
        net.register_forward_pre_hook(lambda m, args, kwargs: (args, {**kwargs, "scale": 2.0}), with_kwargs=True)
        net.register_forward_pre_hook(lambda m, args: calls.append(("pre0",)), prepend=True)
        net.register_forward_hook(lambda m, args, out: calls.append(("post1", _np(args[0]).tolist())))
        net.register_forward_hook(lambda m, args, kwargs, out: out * 10, with_kwargs=True)
        net.register_forward_hook(lambda m, args, out: calls.append(("post0", _np(out).tolist())), prepend=True)
        out = net(lib.ones(1))
        bad = Net()
        bad.register_forward_pre_hook(lambda m, args, kwargs: 1, with_kwargs=True)
        return calls, _np(out).tolist(), _error(lambda: bad(lib.ones(1)))
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_always_call_forward_hooks_run_when_forward_raises():
    def scenario(lib):
        calls = []

        class Failing(lib.nn.Module):
            def forward(self, x):
                raise ValueError("boom")

        net = Failing()
        net.register_forward_hook(lambda m, args, out: calls.append("normal"))
        net.register_forward_hook(lambda m, args, out: calls.append(("always", out)), always_call=True)
        net.register_forward_hook(lambda m, args, kwargs, out: calls.append(("kw", kwargs)), always_call=True,
                                  with_kwargs=True)

        def raising(m, args, out):
            raise KeyError("in hook")
        net.register_forward_hook(raising, always_call=True)
        handle = lib.nn.modules.module.register_module_forward_hook(
            lambda m, args, out: calls.append("global always"), always_call=True)
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                error = _error(lambda: net(lib.ones(1)))
        finally:
            handle.remove()
        return calls, error, [str(w.message) for w in caught]
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_global_and_module_hooks_call_order_in_nested_modules():
    def scenario(lib):
        calls = []
        mm = lib.nn.modules.module
        model = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Tanh())
        handles = [
            mm.register_module_forward_pre_hook(lambda m, args: calls.append(("global pre", type(m).__name__))),
            mm.register_module_forward_hook(lambda m, args, out: calls.append(("global post", type(m).__name__))),
            mm.register_module_full_backward_pre_hook(lambda m, go: calls.append(("global bw pre", type(m).__name__))),
            mm.register_module_full_backward_hook(lambda m, gi, go: calls.append(("global bw", type(m).__name__))),
        ]
        try:
            for module in model:
                name = type(module).__name__
                module.register_forward_pre_hook(lambda m, args, name=name: calls.append(("pre", name)))
                module.register_forward_hook(lambda m, args, out, name=name: calls.append(("post", name)))
                module.register_full_backward_pre_hook(lambda m, go, name=name: calls.append(("bw pre", name)))
                module.register_full_backward_hook(lambda m, gi, go, name=name: calls.append(("bw", name)))
            x = lib.ones(1, 2, requires_grad=True)
            model(x).sum().backward()
        finally:
            for handle in handles:
                handle.remove()
        model(lib.ones(1, 2))
        return calls
    ours, theirs = _both(scenario)
    assert ours == theirs
    assert ours[:3] == [("global pre", "Sequential"), ("global pre", "Linear"), ("pre", "Linear")]


def test_registration_hooks_can_replace_values():
    def scenario(lib):
        calls = []
        mm = lib.nn.modules.module
        handles = [
            mm.register_module_parameter_registration_hook(
                lambda m, name, p: calls.append(("param", type(m).__name__, name))),
            mm.register_module_buffer_registration_hook(
                lambda m, name, b: calls.append(("buffer", name)) or (b + 1 if b is not None else None)),
            mm.register_module_module_registration_hook(
                lambda m, name, sub: calls.append(("module", name, type(sub).__name__))),
        ]
        try:
            holder = lib.nn.Module()
            holder.lin = lib.nn.Linear(1, 1)
            holder.register_buffer("stat", lib.zeros(1))
            holder.register_module("act", lib.nn.ReLU())
            holder.act = None
        finally:
            for handle in handles:
                handle.remove()
        holder.register_buffer("quiet", lib.zeros(1))
        return calls, _np(holder.stat).tolist(), _np(holder.quiet).tolist(), list(holder._modules)
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_removable_handle_and_hook_dicts():
    def scenario(lib):
        model = lib.nn.Linear(1, 1)
        handle = model.register_forward_hook(lambda *a: None, with_kwargs=True, always_call=True)
        pre = model.register_forward_pre_hook(lambda *a: None, with_kwargs=True)
        before = (len(model._forward_hooks), len(model._forward_hooks_with_kwargs),
                  len(model._forward_hooks_always_called), len(model._forward_pre_hooks_with_kwargs))
        handle.remove()
        handle.remove()  # twice is fine
        with pre:
            pass
        after = (len(model._forward_hooks), len(model._forward_hooks_with_kwargs),
                 len(model._forward_hooks_always_called), len(model._forward_pre_hooks_with_kwargs),
                 len(model._forward_pre_hooks))
        kinds = {name: type(value).__name__ for name, value in vars(lib.nn.Module()).items()}
        return before, after, kinds, type(handle).__module__.replace("unigrad", "torch")
    ours, theirs = _both(scenario)
    assert ours == theirs
    assert ours[0] == (1, 1, 1, 1) and ours[1] == (0, 0, 0, 0, 0)


# ----- backward hooks -----------------------------------------------------------------------------
def _grads(values):
    return [None if g is None else _np(g).round(6).tolist() for g in values]


def test_full_backward_hooks_see_input_and_output_gradients():
    def scenario(lib):
        calls = []

        class TwoInTwoOut(lib.nn.Module):
            def forward(self, a, b, c, k=1.0):
                return a * 2 + b * 3 * k, a * c

        net = TwoInTwoOut()
        net.register_full_backward_pre_hook(lambda m, go: calls.append(("pre", _grads(go))))
        net.register_full_backward_hook(lambda m, gi, go: calls.append(("hook", _grads(gi), _grads(go))))
        a = lib.tensor([1.0, 2.0], requires_grad=True)
        c = lib.tensor([5.0, 6.0], requires_grad=True)
        b = lib.tensor([1.0, 1.0])
        first, second = net(a, b, c, k=2.0)
        first.sum().backward()  # second unused: its grad_output is None
        _, second = net(a, b, 3.0)
        (second * lib.tensor([1.0, -1.0])).sum().backward()
        return calls, _grads([a.grad, c.grad])
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_full_backward_hooks_replace_gradients_and_run_in_order():
    def scenario(lib):
        calls = []

        class Scale(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = lib.nn.Parameter(lib.tensor([1.0, 2.0]))

            def forward(self, x):
                return x * self.w

        net = Scale()
        net.register_full_backward_hook(lambda m, gi, go: calls.append("second") or (gi[0] * 10,))
        net.register_full_backward_hook(lambda m, gi, go: calls.append(("first", _grads(gi))), prepend=True)
        net.register_full_backward_pre_hook(lambda m, go: calls.append("pre second") or (go[0] * 2,))
        net.register_full_backward_pre_hook(lambda m, go: calls.append("pre first"), prepend=True)
        x = lib.tensor([3.0, 4.0], requires_grad=True)
        net(x).sum().backward()
        wrong = Scale()
        wrong.register_full_backward_hook(lambda m, gi, go: (gi[0], gi[0]))
        count = _error(lambda: wrong(lib.ones(2, requires_grad=True)).sum().backward())
        wrong_pre = Scale()
        wrong_pre.register_full_backward_pre_hook(lambda m, go: (go[0], go[0]))
        pre_count = _error(lambda: wrong_pre(lib.ones(2, requires_grad=True)).sum().backward())
        return calls, _grads([x.grad, net.w.grad]), count, pre_count
    ours, theirs = _both(scenario)
    assert ours == theirs
    assert ours[1] == [[20.0, 40.0], [6.0, 8.0]]


def test_full_backward_hook_without_input_gradients_and_non_tensor_outputs():
    def scenario(lib):
        calls = []

        class Mixed(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.w = lib.nn.Parameter(lib.ones(2))

            def forward(self, x):
                return x * self.w, lib.tensor([1, 2]), "label"

        net = Mixed()
        net.register_full_backward_hook(lambda m, gi, go: calls.append((_grads(gi), _grads(go))))
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = net(lib.ones(2))  # the input does not require grad
            out[0].sum().backward()
            returning = Mixed()
            returning.register_full_backward_hook(lambda m, gi, go: (lib.ones(2),))
            error = _error(lambda: returning(lib.ones(2))[0].sum().backward())
        with lib.no_grad():
            net(lib.ones(2, requires_grad=True))
        return calls, [str(w.message)[:60] for w in caught], out[2], out[1].requires_grad, error
    ours, theirs = _both(scenario)
    assert ours == theirs
    assert ours[0] == [([None], [[1.0, 1.0], None, None])]


def test_full_backward_hook_on_a_layer_matches_torch_values():
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    recorded = {}
    for lib in (torch, unigrad):
        lib.manual_seed(0)
        layer = lib.nn.Linear(4, 2)
        if lib is unigrad:
            _copy_weights(layer, reference)
        else:
            reference = layer
        seen = []
        layer.register_full_backward_hook(lambda m, gi, go, seen=seen: seen.append((_np(gi[0]), _np(go[0]))))
        inp = lib.tensor(x, requires_grad=True)
        (layer(inp) ** 2).sum().backward()
        recorded[lib] = seen[0]
    for ours, theirs in zip(recorded[unigrad], recorded[torch]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


def test_deprecated_backward_hook_and_mixing_rules():
    def scenario(lib):
        calls = []

        class Mul(lib.nn.Module):
            def forward(self, x, y):
                return x * y

        net = Mul()
        net.register_backward_hook(lambda m, gi, go: calls.append((_grads(gi), _grads(go))))
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.tensor([3.0, 4.0], requires_grad=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            net(x * 1, y * 1).sum().backward()
            net(x, y).sum().backward()
        mixing = _error(lambda: net.register_full_backward_hook(lambda *a: None))
        full = Mul()
        full.register_full_backward_hook(lambda *a: None)
        mixing_back = _error(lambda: full.register_backward_hook(lambda *a: None))
        return calls, [str(w.message)[:70] for w in caught], mixing, mixing_back
    ours, theirs = _both(scenario)
    assert ours == theirs
    assert ours[0][0] == ([[3.0, 4.0], [1.0, 2.0]], [[1.0, 1.0]])


def test_global_backward_hook_mixing_is_rejected():
    for lib in LIBS:
        mm = lib.nn.modules.module
        handle = mm.register_module_full_backward_hook(lambda *a: None)
        try:
            with pytest.raises(RuntimeError, match="Cannot use both regular backward hooks and full backward"):
                mm.register_module_backward_hook(lambda *a: None)
        finally:
            handle.remove()
            mm._global_is_full_backward_hook = None


# ----- calling, conversion and the other methods ----------------------------------------------------
def test_call_paths_and_missing_forward_and_init_arguments():
    def scenario(lib):
        module_cls = lib.nn.Module
        same = (module_cls.__call__ is module_cls._wrapped_call_impl, callable(module_cls._call_impl),
                module_cls.dump_patches, module_cls.call_super_init, hasattr(module_cls, "T_destination"))
        missing = _error(lambda: lib.nn.Module()(1))
        positional = _error(lambda: lib.nn.Module(1, 2))
        keyword = _error(lambda: lib.nn.Module(foo=1))

        class Base:
            def __init__(self, *args, **kwargs):
                self.got = (args, kwargs)

        class Cooperative(lib.nn.Module, Base):
            call_super_init = True

        cooperative = Cooperative(1, a=2)
        return same, missing, positional, keyword, cooperative.got, cooperative.training
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_call_runs_hooks_poked_into_the_dicts_and_overridden_call_impl():
    def scenario(lib):
        calls = []

        class Traced(lib.nn.Linear):
            def _call_impl(self, *args, **kwargs):
                calls.append("call_impl")
                return super()._call_impl(*args, **kwargs)

        Traced(1, 1)(lib.ones(1, 1))
        plain = lib.nn.Linear(1, 1)
        plain._forward_hooks[-1] = lambda m, args, out: calls.append("poked")  # as libraries do
        plain(lib.ones(1, 1))
        return calls
    ours, theirs = _both(scenario)
    assert ours == theirs == ["call_impl", "poked"]


def test_submodule_parameter_buffer_access_and_errors():
    def scenario(lib):
        model = _mlp(lib)
        results = [model.get_submodule("block.1") is model.block[1], model.get_submodule("") is model,
                   model.get_parameter("block.0.bias") is model.block[0].bias,
                   model.get_buffer("block.1.running_var") is model.block[1].running_var]
        errors = [_error(lambda: model.get_submodule("block.7")), _error(lambda: model.get_submodule("fc1.weight")),
                  _error(lambda: model.get_parameter("block.1.running_mean")),
                  _error(lambda: model.get_buffer("fc1.weight")), _error(lambda: model.get_buffer("fc1.nothing")),
                  _error(lambda: model.set_submodule("", lib.nn.ReLU())),
                  _error(lambda: model.set_submodule("block.new", lib.nn.ReLU(), strict=True)),
                  _error(lambda: model.set_submodule("fc1.weight", lib.nn.ReLU())),
                  _error(lambda: model.set_submodule("act", 3))]
        model.set_submodule("block.0", lib.nn.Identity())
        model.set_submodule("block.extra", lib.nn.Tanh())
        model.register_module("head", lib.nn.Sigmoid())
        return results, errors, [n for n, _ in model.named_modules()]
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_registration_errors_match_torch():
    def scenario(lib):
        m = lib.nn.Module()
        m.plain = 3
        m.register_buffer("buf", lib.zeros(1))
        m.p = lib.nn.Parameter(lib.zeros(1))
        return [
            _error(lambda: m.register_buffer("a.b", None)), _error(lambda: m.register_buffer("", None)),
            _error(lambda: m.register_buffer(3, None)), _error(lambda: m.register_buffer("plain", None)),
            _error(lambda: m.register_buffer("p", None)), _error(lambda: m.register_buffer("x", [1])),
            _error(lambda: m.register_parameter("a.b", None)), _error(lambda: m.register_parameter("buf", None)),
            _error(lambda: m.register_parameter("x", lib.zeros(1, device="cpu"))),
            _error(lambda: m.register_parameter("x", lib.nn.Parameter(lib.zeros(1, device="cpu")) * 2)),
            _error(lambda: m.add_module("a.b", None)), _error(lambda: m.add_module("plain", None)),
            _error(lambda: m.add_module("x", 3)), _error(lambda: setattr(m, "p", lib.zeros(1, device="cpu"))),
            _error(lambda: setattr(m, "buf", 3)), _error(lambda: lib.nn.Module.__new__(lib.nn.Module).register_buffer("b", None)),
        ]
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_buffer_assignment_rules():
    def scenario(lib):
        m = lib.nn.Module()
        m.plain = 1
        m.p = lib.nn.Parameter(lib.ones(1, device="cpu"))
        m.s = lib.nn.ReLU()
        errors = [_error(lambda: setattr(m, "plain", lib.nn.Buffer(lib.ones(1)))),
                  _error(lambda: setattr(m, "p", lib.nn.Buffer(lib.ones(1, device="cpu")))),
                  _error(lambda: setattr(m, "s", lib.nn.Buffer(lib.ones(1, device="cpu"))))]
        m.register_buffer("b", lib.ones(1), persistent=False)
        m.b = lib.zeros(1)  # stays non-persistent
        kept = sorted(m._non_persistent_buffers_set)
        m.b = lib.nn.Buffer(lib.zeros(1))  # a Buffer says persistent
        m.q = lib.nn.Buffer(lib.zeros(1), persistent=False)
        m.p = None
        m.s = None
        return errors, kept, sorted(m._non_persistent_buffers_set), list(m.state_dict()), m.p, m.s
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_compile_keeps_hooks_and_pickles():
    """``Module.compile()`` compiles ``forward`` in place; hooks still run around it, and a pickled
    module drops the captured programs (they hold this process's objects)."""
    model = nn.Linear(2, 2)
    assert model.compile() is None
    for _ in range(3):
        model(unigrad.ones(1, 2))
    assert model.forward.programs[0].replays >= 1
    calls = []
    model.register_forward_hook(lambda m, args, out: calls.append("hook"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a module with hooks is run eagerly, with a warning
        model(unigrad.ones(1, 2))
    assert calls == ["hook"]
    assert "forward" not in model.__getstate__()
    model._forward_hooks.clear()
    restored = pickle.loads(pickle.dumps(model))
    assert "forward" not in restored.__dict__ and restored(unigrad.ones(1, 2)).shape == (1, 2)


def test_named_modules_memo_prefix_and_duplicates():
    def scenario(lib):
        shared = lib.nn.Linear(1, 1)
        model = lib.nn.Sequential(shared, lib.nn.Sequential(shared, lib.nn.ReLU()))
        return ([n for n, _ in model.named_modules()],
                [n for n, _ in model.named_modules(prefix="net", remove_duplicate=False)],
                [n for n, _ in model.named_modules(memo={model[1]})],
                [n for n, _ in model.named_parameters(remove_duplicate=False)],
                len(list(model.modules(remove_duplicate=False))),
                [n for n, _ in model.named_parameters(prefix="p", recurse=False)],
                [n for n, _ in model[1].named_buffers()])
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_apply_converts_grads_and_honours_future_flags():
    def scenario(lib):
        model = lib.nn.BatchNorm1d(2)
        weight = model.weight
        model(lib.ones(3, 2) * lib.arange(3.0).reshape(3, 1)).sum().backward()
        grad = weight.grad
        model.double()
        default = (model.weight is weight, weight.grad is grad, grad.dtype == lib.float64,
                   str(model.num_batches_tracked.dtype).split(".")[-1])
        lib.__future__.set_overwrite_module_params_on_conversion(True)
        try:
            model.float()
            overwritten = (model.weight is weight, isinstance(model.weight, lib.nn.Parameter),
                           str(model.weight.grad.dtype).split(".")[-1], weight.dtype == lib.float64)
        finally:
            lib.__future__.set_overwrite_module_params_on_conversion(False)
        lib.__future__.set_swap_module_params_on_conversion(True)
        try:
            kept = model.weight
            model.double()
            swapped = (model.weight is kept, str(kept.dtype).split(".")[-1], kept.requires_grad,
                       str(kept.grad.dtype).split(".")[-1])
            source = {k: v + 2 if v.is_floating_point() else v for k, v in model.state_dict().items()}
            model.load_state_dict(source)
            model.load_state_dict(source, assign=True)
            swapped += (model.weight is kept, _np(kept).tolist(), isinstance(kept, lib.nn.Parameter))
        finally:
            lib.__future__.set_swap_module_params_on_conversion(False)
        return default, overwritten, swapped, lib.__future__.get_swap_module_params_on_conversion()
    ours, theirs = _both(scenario)
    assert ours == theirs == ((True, True, True, "int64"), (False, True, "float32", True),
                              (True, "float64", True, "float64", True, [3.0, 3.0], True), False)


def test_to_variants_and_dtype_rules():
    def scenario(lib):
        model = lib.nn.BatchNorm2d(2, device="cpu")  # float16 is not on every device
        model.to(lib.float64)
        first = str(model.weight.dtype).split(".")[-1], str(model.num_batches_tracked.dtype).split(".")[-1]
        model.to("cpu", lib.float32, False)
        model.to(device="cpu", dtype=lib.float64, non_blocking=True)
        model.to(lib.zeros(1, dtype=lib.float32, device="cpu"))
        model.to(memory_format=lib.channels_last)
        model.to(lib.float64, memory_format=lib.contiguous_format)
        bad = _error(lambda: model.to(lib.int32))
        model.half()
        half = str(model.running_mean.dtype).split(".")[-1], str(model.num_batches_tracked.dtype).split(".")[-1]
        model.bfloat16()
        bf16 = str(model.weight.dtype).split(".")[-1]
        model.float()
        return first, bad, half, bf16, str(model.weight.dtype).split(".")[-1]
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_to_empty_cpu_and_unavailable_devices():
    def scenario(lib):
        model = lib.nn.Linear(2, 3)
        weight = model.weight
        out = model.to_empty(device="cpu")
        shapes = (out is model, tuple(model.weight.shape), model.weight is weight, model.weight.requires_grad)
        holder = lib.nn.Sequential(lib.nn.Linear(1, 1))
        holder.register_buffer("b", lib.zeros(2))
        holder.to_empty(device="cpu", recurse=False)
        errors = [_error(lambda name=name: getattr(model, name)())[0] for name in ("xpu", "ipu", "mtia")]
        return shapes, errors, model.cpu() is model, model.share_memory() is model, model._get_name()
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_zero_grad_train_eval_and_requires_grad():
    def scenario(lib):
        model = _mlp(lib)
        model(lib.ones(2, 3)).sum().backward()
        grad = model.fc1.weight.grad
        model.fc1.weight.grad.requires_grad_(True)
        model.zero_grad(set_to_none=False)
        kept = (model.fc1.weight.grad is grad, float(grad.abs().sum()), grad.requires_grad)
        model.zero_grad()
        cleared = all(p.grad is None for p in model.parameters())
        model.eval()
        modes = [m.training for m in model.modules()]
        model.block.train()
        mixed = [m.training for m in model.modules()]
        bad = _error(lambda: model.train("yes"))
        model.requires_grad_(False)
        return kept, cleared, modes, mixed, bad, any(p.requires_grad for p in model.parameters())
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_replicate_for_data_parallel_and_replica_zero_grad_warning():
    def scenario(lib):
        model = _mlp(lib)
        replica = model._replicate_for_data_parallel()
        state = (type(replica).__name__, replica._parameters, replica._modules == model._modules,
                 replica._modules is model._modules, replica._buffers is model._buffers, replica._is_replica)
        with pytest.warns(UserWarning, match="Calling .zero_grad\\(\\) from a module created with nn.DataParallel"):
            replica.zero_grad()
        return state
    ours, theirs = _both(scenario)
    assert ours == theirs


def test_setstate_defaults_for_old_pickles_and_pickling():
    def scenario(lib):
        model = lib.nn.Linear(2, 2)
        state = model.__getstate__()
        for name in ("_forward_pre_hooks", "_forward_hooks_with_kwargs", "_forward_hooks_always_called",
                     "_state_dict_hooks", "_state_dict_pre_hooks", "_load_state_dict_pre_hooks",
                     "_load_state_dict_post_hooks", "_non_persistent_buffers_set", "_is_full_backward_hook",
                     "_backward_pre_hooks", "_forward_pre_hooks_with_kwargs"):
            state.pop(name)
        old = lib.nn.Linear.__new__(lib.nn.Linear)
        old.__setstate__(state)
        out = old(lib.ones(1, 2))
        restored = pickle.loads(pickle.dumps(model))
        twin = copy.deepcopy(model)
        return (sorted(vars(old)) == sorted(vars(model)), tuple(out.shape),
                _np(restored.weight).tolist() == _np(model.weight).tolist(), twin.weight is not model.weight)
    ours, theirs = _both(scenario)
    assert ours == theirs == (True, (1, 2), True, True)


def test_dir_repr_and_extra_repr_conventions():
    def scenario(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.body = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Sequential(lib.nn.ReLU()))
                self.register_buffer("running", lib.zeros(1))
                self.alpha = 0.5

            def extra_repr(self):
                return "alpha=0.5\n\nmode=test"

        class OneLine(lib.nn.Module):
            def extra_repr(self):
                return "k=1"

        net = Net()
        names = dir(net)
        return (repr(net), repr(OneLine()), repr(lib.nn.Module()),
                [n for n in ("body", "running", "alpha", "forward") if n in names],
                any(n[0].isdigit() for n in dir(net.body)), names == sorted(names))
    ours, theirs = _both(scenario)
    assert ours == theirs


# ----- containers ---------------------------------------------------------------------------------
def _kinds(container):
    return [type(m).__name__ for m in container]


def test_sequential_methods_match_torch():
    def scenario(lib):
        n = lib.nn
        seq = n.Sequential(n.ReLU(), n.Tanh(), n.Sigmoid())
        out = [_kinds(seq[1:]), type(seq[::2]).__name__, type(seq[-1]).__name__, _error(lambda: seq[3]),
               _error(lambda: seq[-4]), _error(lambda: seq["a"])]
        seq[-1] = n.Identity()
        seq.append(n.ELU()).insert(-1, n.GELU()).insert(0, n.SiLU())
        out += [_kinds(seq), list(seq._modules), _error(lambda: seq.insert(9, n.ReLU())),
                _error(lambda: seq.insert(0, 3))]
        seq.extend([n.Softsign(), n.Mish()])
        popped = seq.pop(1)
        sliced = seq.pop(slice(0, 2))
        del seq[-1]
        del seq[0:1]
        out += [type(popped).__name__, _kinds(sliced), _kinds(seq), list(seq._modules)]
        other = n.Sequential(n.ReLU())
        added = seq + other
        out += [_kinds(added), _error(lambda: seq + n.ReLU()), _kinds(seq * 2), _kinds(2 * other),
                _error(lambda: seq * 0), _error(lambda: seq * 1.5)]
        seq += other
        seq *= 2
        out += [_kinds(seq), list(seq._modules), len(seq), [k for k in dir(seq) if k.isdigit()]]
        named = n.Sequential(OrderedDict([("a", n.ReLU()), ("b", n.Tanh())]))
        out += [list(named._modules), list(named[:1]._modules), _kinds(reversed(list(named)))]
        x = lib.ones(2) * -1
        out += [_np(n.Sequential(n.ReLU(), n.Tanh())(x)).tolist(), _np(n.Sequential()(x)).tolist()]
        return out
    ours, theirs = _both(scenario)
    for a, b in zip(ours, theirs):
        assert _text(a) == _text(b), (a, b)


def test_modulelist_methods_match_torch():
    def scenario(lib):
        n = lib.nn
        layers = n.ModuleList([n.ReLU(), n.Tanh()])
        layers += [n.Sigmoid()]
        layers.extend(n.ModuleList([n.ELU()]))
        layers.insert(1, n.GELU())
        layers.insert(len(layers), n.Mish())
        out = [_kinds(layers), type(layers[1:3]).__name__, _kinds(layers[::-2]), type(layers[-1]).__name__,
               _error(lambda: layers[9]), _error(lambda: layers.extend(3))]
        layers[0] = n.Identity()
        popped = layers.pop(-1)
        sliced = layers.pop(slice(1, 3))
        del layers[0]
        out += [type(popped).__name__, _kinds(sliced), _kinds(layers), list(layers._modules)]
        combined = layers + [n.ReLU()]
        out += [type(combined).__name__, _kinds(combined), list(combined._modules)]
        out += [repr(n.ModuleList([n.Linear(1, 1), n.Linear(1, 1), n.ReLU(), n.Linear(1, 1)])), repr(n.ModuleList())]
        out += [_error(lambda: n.ModuleList([n.ReLU()])(1))]
        return out
    ours, theirs = _both(scenario)
    for a, b in zip(ours, theirs):
        assert _text(a) == _text(b), (a, b)


def test_modulelist_insert_follows_list_insert_for_any_index():
    layers = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    reference = ["ReLU", "Tanh"]
    for index, module in [(-1, nn.Sigmoid()), (-10, nn.ELU()), (10, nn.GELU()), (2, nn.Mish())]:
        layers.insert(index, module)
        reference.insert(index, type(module).__name__)
        assert _kinds(layers) == reference
        assert list(layers._modules) == [str(i) for i in range(len(reference))]


def test_moduledict_methods_match_torch():
    def scenario(lib):
        n = lib.nn
        d = n.ModuleDict({"b": n.ReLU(), "a": n.Tanh()})
        d.update([("c", n.Sigmoid()), ["d", n.ELU()]])
        d.update(n.ModuleDict({"e": n.GELU()}))
        d["f"] = n.Mish()
        out = [list(d), list(d.keys()), _kinds(d.values()), [k for k, _ in d.items()], "a" in d, len(d)]
        popped = d.pop("a")
        del d["b"]
        out += [type(popped).__name__, list(d), _error(lambda: d.update(3)), _error(lambda: d.update([3])),
                _error(lambda: d.update([("x", n.ReLU(), 1)])), _error(lambda: d["missing"])]
        d.clear()
        out.append(len(d))
        return out
    ours, theirs = _both(scenario)
    for a, b in zip(ours, theirs):
        assert _text(a) == _text(b), (a, b)


def test_parameterlist_methods_match_torch():
    def scenario(lib):
        n = lib.nn
        ones = functools.partial(lib.ones, device="cpu")  # the repr shows other devices
        plist = n.ParameterList([n.Parameter(ones(2)), ones(3)])
        plist.append("text")
        plist += [ones(1, 2)]
        plist.extend((ones(4),))
        out = [len(plist), [type(p).__name__ if not isinstance(p, lib.Tensor) else isinstance(p, n.Parameter)
                            for p in plist],
               [name for name, _ in plist.named_parameters()], repr(plist), len(plist[1:3]),
               type(plist[1:3]).__name__, plist[-3], _error(lambda: plist[9]), _error(lambda: plist.extend(lib.ones(2))),
               _error(lambda: plist()), [k for k in dir(plist) if k.isdigit()]]
        plist[0] = lib.full((2,), 5.0)
        out += [isinstance(plist[0], n.Parameter), _np(plist[0]).tolist()]
        return out
    ours, theirs = _both(scenario)
    for a, b in zip(ours, theirs):
        assert _text(a) == _text(b), (a, b)


def test_parameterdict_methods_match_torch():
    def scenario(lib):
        n = lib.nn
        ones = functools.partial(lib.ones, device="cpu")  # the repr shows other devices
        pdict = n.ParameterDict({"b": ones(1), "a": n.Parameter(ones(2) * 0)})  # a plain dict: sorted
        pdict.update(OrderedDict([("z", ones(3)), ("c", "note")]))
        pdict.update([("y", ones(1))])
        out = [list(pdict), list(pdict.keys()), [k for k, _ in pdict.items()], len(list(pdict.values())),
               list(reversed(pdict)), "a" in pdict, pdict.get("nope", 3), pdict["c"],
               isinstance(pdict["b"], n.Parameter), [k for k, _ in pdict.named_parameters()], repr(pdict)]
        out += [_np(pdict.setdefault("new", lib.ones(2))).tolist(), _np(pdict.setdefault("a")).tolist()]
        copied = pdict.copy()
        out += [type(copied).__name__, list(copied), copied["a"] is pdict["a"]]
        out += [pdict.popitem()[0], type(pdict.pop("c")).__name__, list(pdict)]
        del pdict["y"]
        merged = pdict | n.ParameterDict(OrderedDict([("m", lib.ones(1))]))
        pdict |= n.ParameterDict(OrderedDict([("n", lib.ones(1))]))
        out += [list(merged), list(pdict), list(pdict.fromkeys(["p", "q"], lib.ones(1))),
                _error(lambda: pdict[3]), _error(lambda: pdict.update(3)), _error(lambda: pdict.update([(1, 2, 3)])),
                _error(lambda: pdict(1))]
        pdict.clear()
        out += [len(pdict), list(pdict._parameters)]
        return out
    ours, theirs = _both(scenario)
    for a, b in zip(ours, theirs):
        assert _text(a) == _text(b), (a, b)


def test_container_is_deprecated():
    for lib in LIBS:
        with pytest.warns(FutureWarning, match="`nn.Container` is deprecated"):
            holder = lib.nn.Container(a=lib.nn.ReLU())
        assert list(holder._modules) == ["a"]


def test_utils_swap_tensors_and_hooks_module():
    def scenario(lib):
        a = lib.ones(2, requires_grad=True)
        (a * 1).sum().backward()
        b = lib.zeros(3, dtype=lib.float64)
        lib.utils.swap_tensors(a, b)
        hooks = OrderedDict()
        handle = lib.utils.hooks.RemovableHandle(hooks)
        hooks[handle.id] = "hook"
        restored_hooks, restored = pickle.loads(pickle.dumps((hooks, handle)))
        restored.remove()
        (b * 2).sum().backward()  # into b's (swapped-in) .grad, not a's
        return (tuple(a.shape), str(a.dtype).split(".")[-1], a.requires_grad, tuple(b.shape), b.requires_grad,
                len(restored_hooks), len(hooks), a.grad, _np(b.grad).tolist())
    ours, theirs = _both(scenario)
    assert ours == theirs == ((3,), "float64", False, (2,), True, 0, 1, None, [3.0, 3.0])
    with pytest.raises(TypeError, match="Expected two Tensors"):
        unigrad.utils.swap_tensors(unigrad.ones(1), 1)
