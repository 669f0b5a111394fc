"""nn.utils against torch: packed sequences and the recurrent layers on them, weight and spectral
normalisation (hooks and parametrizations), parametrize, orthogonal, BatchNorm fusion, skip_init
and gradient clipping."""
import copy
import math
import pickle
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import unigrad
from parity import assert_close

urnn, trnn = unigrad.nn.utils.rnn, torch.nn.utils.rnn


def _pair(make, dtype="float64"):
    """The same module in unigrad and torch, torch's weights copied over."""
    torch.manual_seed(0)
    theirs = make(torch)
    ours = make(unigrad)
    if dtype == "float64":
        theirs, ours = theirs.double(), ours.double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _grads(tensors):
    return [None if t.grad is None else t.grad.numpy().copy() for t in tensors]


# ----- packing ----------------------------------------------------------------------------------
@settings(deadline=None, max_examples=25)
@given(lengths=st.lists(st.integers(1, 5), min_size=1, max_size=5), batch_first=st.booleans(),
       enforce_sorted=st.booleans(), padding_value=st.sampled_from([0.0, -1.5]), extra=st.integers(0, 2))
def test_pack_and_pad_match_torch(lengths, batch_first, enforce_sorted, padding_value, extra):
    if enforce_sorted:
        lengths = sorted(lengths, reverse=True)
    steps = max(lengths)
    shape = (len(lengths), steps, 3) if batch_first else (steps, len(lengths), 3)
    x = np.random.default_rng(len(lengths)).standard_normal(shape)
    results = {}
    for lib, rnn in ((unigrad, urnn), (torch, trnn)):
        xi = lib.tensor(x, requires_grad=True)
        packed = rnn.pack_padded_sequence(xi, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
        padded, lens = rnn.pad_packed_sequence(packed, batch_first=batch_first, padding_value=padding_value,
                                               total_length=steps + extra)
        (padded * lib.arange(padded.numel(), dtype=lib.float64).reshape(padded.shape)).sum().backward()
        results[lib.__name__] = (packed, padded, lens, xi.grad)
    (po, pdo, lo, go), (pt, pdt, lt, gt) = results["unigrad"], results["torch"]
    assert isinstance(po, urnn.PackedSequence) and isinstance(po, tuple)
    assert_close(po.data, pt.data)
    assert_close(po.batch_sizes, pt.batch_sizes)
    assert str(po.batch_sizes.device) == "cpu"
    for a, b in ((po.sorted_indices, pt.sorted_indices), (po.unsorted_indices, pt.unsorted_indices)):
        assert (a is None) == (b is None)
        if b is not None:
            assert_close(a, b)
    assert_close(pdo, pdt)
    assert_close(lo, lt)
    assert_close(go, gt)


def test_pad_sequence_sides_and_unpad_match_torch():
    rng = np.random.default_rng(0)
    seqs = [rng.standard_normal((n, 2, 3)) for n in (3, 1, 4)]
    for batch_first in (False, True):
        for side in ("right", "left"):
            outs = {}
            for lib, rnn in ((unigrad, urnn), (torch, trnn)):
                xs = [lib.tensor(s, requires_grad=True) for s in seqs]
                padded = rnn.pad_sequence(xs, batch_first=batch_first, padding_value=7.0, padding_side=side)
                (padded ** 2).sum().backward()
                outs[lib.__name__] = (padded, [x.grad for x in xs])
            assert_close(outs["unigrad"][0], outs["torch"][0])
            assert_close(outs["unigrad"][1], outs["torch"][1])
    lengths = [3, 1, 4]
    for batch_first in (False, True):
        ours = urnn.unpad_sequence(urnn.pad_sequence([unigrad.tensor(s) for s in seqs], batch_first),
                                   unigrad.tensor(lengths), batch_first=batch_first)
        theirs = trnn.unpad_sequence(trnn.pad_sequence([torch.tensor(s) for s in seqs], batch_first),
                                     torch.tensor(lengths), batch_first=batch_first)
        assert_close(ours, theirs)


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_round_trip_matches_torch(enforce_sorted):
    rng = np.random.default_rng(1)
    lengths = (5, 3, 3, 1) if enforce_sorted else (2, 5, 1, 4)
    seqs = [rng.standard_normal((n, 2)) for n in lengths]
    ours = urnn.pack_sequence([unigrad.tensor(s) for s in seqs], enforce_sorted=enforce_sorted)
    theirs = trnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=enforce_sorted)
    assert_close(ours.data, theirs.data)
    assert_close(ours.batch_sizes, theirs.batch_sizes)
    assert_close(urnn.unpack_sequence(ours), trnn.unpack_sequence(theirs))
    assert_close(urnn.unpack_sequence(ours), [torch.tensor(s) for s in seqs])


def test_packed_sequence_object_like_torchs():
    packed = urnn.pack_sequence([unigrad.ones(3, 2), unigrad.ones(1, 2)])
    assert packed._fields == trnn.PackedSequence._fields
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert sorted_indices is None and unsorted_indices is None
    assert packed.double().data.dtype is unigrad.float64 and packed.long().data.dtype is unigrad.int64
    assert packed.to(unigrad.float64).batch_sizes is packed.batch_sizes
    assert packed.to(packed.data.device) is packed and not packed.is_cuda
    assert str(packed.cpu().data.device) == "cpu" and packed.cpu().batch_sizes is packed.batch_sizes
    permuted = urnn.PackedSequence(data, batch_sizes, unigrad.tensor([1, 0]))
    assert permuted.unsorted_indices.tolist() == [1, 0]
    assert urnn.PackedSequence((data, batch_sizes)).data is data
    assert urnn.invert_permutation(unigrad.tensor([2, 0, 1])).tolist() == \
        trnn.invert_permutation(torch.tensor([2, 0, 1])).tolist()
    assert urnn.invert_permutation(None) is None


@pytest.mark.parametrize("call, error, message", [
    (lambda lib, r: r.pack_padded_sequence(lib.zeros(5, 3, 2), [5, 3]), RuntimeError,
     "Expected `len(lengths)` to be equal to batch_size, but got 2 (batch_size=3)"),
    (lambda lib, r: r.pack_padded_sequence(lib.zeros(5, 3, 2), [5, 3, 0]), RuntimeError,
     "Length of all samples has to be greater than 0"),
    (lambda lib, r: r.pack_padded_sequence(lib.zeros(5, 3, 2), [3, 5, 2]), RuntimeError,
     "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True"),
    (lambda lib, r: r.pack_padded_sequence(lib.zeros(5, 3, 2), lib.tensor([[5, 3, 2]])), RuntimeError,
     "'lengths' argument should be a 1D CPU int64 tensor"),
    (lambda lib, r: r.pack_padded_sequence(lib.zeros(5, 0, 2), []), RuntimeError, "Cannot pack empty tensors."),
    (lambda lib, r: r.pad_sequence([]), RuntimeError, "received an empty list of sequences"),
    (lambda lib, r: r.pad_sequence([lib.ones(2)], padding_side="middle"), RuntimeError,
     "Expected padding_side to be one of left or right, but got middle."),
    (lambda lib, r: r.pad_sequence(3), RuntimeError, "pad_sequence: Expected iterable for input sequences"),
    (lambda lib, r: r.pad_packed_sequence(r.pack_padded_sequence(lib.zeros(5, 3, 2), [5, 3, 2]), total_length=3),
     ValueError, "Expected total_length to be at least the length of the longest sequence in input, but got "
                 "total_length=3 and max sequence length being 5"),
    (lambda lib, r: lib.nn.GRU(2, 4)(r.PackedSequence(lib.ones(4, 2, 2), lib.tensor([2, 2], device="cpu"))), RuntimeError,
     "input must have 2 dimensions, got 3"),
    (lambda lib, r: lib.nn.GRU(2, 4)(r.pack_padded_sequence(lib.zeros(5, 3, 2), [5, 3, 2]), lib.zeros(2, 3, 4)),
     RuntimeError, "Expected hidden size (1, 3, 4), got [2, 3, 4]"),
])
def test_packing_errors_are_torchs(call, error, message):
    for lib, rnn in ((unigrad, urnn), (torch, trnn)):
        with pytest.raises(error) as caught:
            call(lib, rnn)
        assert message in str(caught.value), (lib.__name__, str(caught.value))


def test_pack_refuses_lengths_past_the_padded_length():
    with pytest.raises(RuntimeError, match="at most the padded length 5, but got 6"):
        urnn.pack_padded_sequence(unigrad.zeros(5, 3, 2), [6, 3, 2])


# ----- recurrent layers on packed sequences ------------------------------------------------------
RNN_CASES = [
    ("LSTM", {}, True, False), ("LSTM", {"num_layers": 2, "bidirectional": True}, False, True),
    ("GRU", {"bidirectional": True}, True, True), ("GRU", {"num_layers": 2, "bias": False}, False, False),
    ("RNN", {"nonlinearity": "relu", "bidirectional": True}, False, False),
    ("RNN", {"num_layers": 2}, True, True),
]


def _packed_run(lib, rnn_mod, model, x, lengths, enforce_sorted, batch_first, states):
    xi = lib.tensor(x, requires_grad=True)
    hs = None if states is None else [lib.tensor(s, requires_grad=True) for s in states]
    packed = rnn_mod.pack_padded_sequence(xi, lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    hx = None if hs is None else (tuple(hs) if len(hs) == 2 else hs[0])
    out, final = model(packed, hx)
    assert isinstance(out, rnn_mod.PackedSequence)
    padded, _ = rnn_mod.pad_packed_sequence(out, batch_first=batch_first)
    finals = list(final) if isinstance(final, tuple) else [final]
    weights = np.random.default_rng(5)
    loss = (padded * lib.tensor(weights.standard_normal(tuple(padded.shape)))).sum()
    for f in finals:
        loss = loss + (f * lib.tensor(weights.standard_normal(tuple(f.shape)))).sum()
    loss.backward()
    return [out.data, padded, *finals], [xi, *(hs or [])], list(model.parameters())


@pytest.mark.parametrize("kind, kwargs, enforce_sorted, batch_first", RNN_CASES)
@pytest.mark.parametrize("with_states", [False, True])
def test_recurrent_layers_on_packed_sequences_match_torch(kind, kwargs, enforce_sorted, batch_first, with_states):
    lengths = [4, 3, 3, 1] if enforce_sorted else [2, 4, 1, 3]
    ours_model, theirs_model = _pair(lambda lib: getattr(lib.nn, kind)(3, 4, batch_first=batch_first, **kwargs))
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 4, 3))
    directions = 2 if kwargs.get("bidirectional") else 1
    states = None
    if with_states:
        count = 2 if kind == "LSTM" else 1
        states = [rng.standard_normal((kwargs.get("num_layers", 1) * directions, 4, 4)) for _ in range(count)]
    o_out, o_in, o_par = _packed_run(unigrad, urnn, ours_model, x, lengths, enforce_sorted, batch_first, states)
    t_out, t_in, t_par = _packed_run(torch, trnn, theirs_model, x, lengths, enforce_sorted, batch_first, states)
    assert_close(o_out, t_out, rtol=1e-10, atol=1e-12)
    assert_close(_grads(o_in), _grads(t_in), rtol=1e-9, atol=1e-11)
    assert_close(_grads(o_par), _grads(t_par), rtol=1e-9, atol=1e-11)


def test_packed_lstm_float32_and_padded_path_agree():
    ours, theirs = _pair(lambda lib: lib.nn.LSTM(3, 5, num_layers=2), dtype="float32")
    x = np.random.default_rng(3).standard_normal((6, 3, 3)).astype(np.float32)
    o, _, _ = _packed_run(unigrad, urnn, ours, x, [6, 6, 6], True, False, None)
    t, _, _ = _packed_run(torch, trnn, theirs, x, [6, 6, 6], True, False, None)
    assert_close(o, t, rtol=1e-5, atol=1e-6)
    full = ours(unigrad.tensor(x))  # all sequences full length: the packed and padded paths agree
    assert_close(full[0].detach(), o[1].detach(), rtol=1e-5, atol=1e-6)


def test_packed_gru_double_backward_matches_torch():
    ours, theirs = _pair(lambda lib: lib.nn.GRU(2, 3, bidirectional=True))
    x = np.random.default_rng(4).standard_normal((3, 2, 2))
    results = {}
    for lib, rnn, model in ((unigrad, urnn, ours), (torch, trnn, theirs)):
        xi = lib.tensor(x, requires_grad=True)
        out, h = model(rnn.pack_padded_sequence(xi, [3, 2]))
        (g,) = lib.autograd.grad((out.data ** 2).sum() + h.sum(), xi, create_graph=True)
        (g ** 2).sum().backward()
        results[lib.__name__] = (g.detach(), xi.grad, [p.grad for p in model.parameters()])
    assert_close(results["unigrad"], results["torch"], rtol=1e-9, atol=1e-11)


# ----- weight and spectral normalisation (hooks) ------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None, -1])
def test_weight_norm_hook_matches_torch(dim):
    with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated"):
        torch.manual_seed(0)
        theirs = torch.nn.utils.weight_norm(torch.nn.Linear(4, 3).double(), dim=dim)
    with pytest.warns(FutureWarning, match="`torch.nn.utils.weight_norm` is deprecated"):
        ours = unigrad.nn.utils.weight_norm(unigrad.nn.Linear(4, 3).double(), dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((2, 4))
    a, b = ours(unigrad.tensor(x)), theirs(torch.tensor(x))
    assert_close(a, b)
    (a ** 2).sum().backward()
    (b ** 2).sum().backward()
    assert_close(ours.weight_g.grad, theirs.weight_g.grad)
    assert_close(ours.weight_v.grad, theirs.weight_v.grad)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            unigrad.nn.utils.weight_norm(ours, dim=dim)
    unigrad.nn.utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_close(ours.weight, theirs.weight)
    assert isinstance(ours.weight, unigrad.nn.Parameter)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found in"):
        unigrad.nn.utils.remove_weight_norm(ours)


@pytest.mark.parametrize("make, dim", [(lambda lib: lib.nn.Linear(5, 4), None),
                                       (lambda lib: lib.nn.Conv2d(3, 4, 3), None),
                                       (lambda lib: lib.nn.ConvTranspose2d(3, 4, 2), None),
                                       (lambda lib: lib.nn.Linear(5, 4), 1)])
def test_spectral_norm_hook_matches_torch(make, dim):
    torch.manual_seed(0)
    theirs = torch.nn.utils.spectral_norm(make(torch).double(), n_power_iterations=2, dim=dim)
    ours = unigrad.nn.utils.spectral_norm(make(unigrad).double(), n_power_iterations=2, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    shape = (2, 5) if isinstance(theirs, torch.nn.Linear) else (1, 3, 5, 5)
    x = np.random.default_rng(1).standard_normal(shape)
    for train in (True, True, False):
        ours.train(train)
        theirs.train(train)
        a, b = ours(unigrad.tensor(x)), theirs(torch.tensor(x))
        assert_close(a, b, rtol=1e-10, atol=1e-12)
        assert_close(ours.weight_u, theirs.weight_u, rtol=1e-10, atol=1e-12)
    a.sum().backward()
    b.sum().backward()
    assert_close(ours.weight_orig.grad, theirs.weight_orig.grad, rtol=1e-10, atol=1e-12)
    unigrad.nn.utils.remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_close(ours.weight, theirs.weight, rtol=1e-10, atol=1e-12)


def test_spectral_norm_errors_are_torchs():
    for lib in (unigrad, torch):
        with pytest.raises(ValueError, match="Expected n_power_iterations to be positive"):
            lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2), n_power_iterations=0)
        model = lib.nn.utils.spectral_norm(lib.nn.Linear(2, 2))
        with pytest.raises(RuntimeError, match="Cannot register two spectral_norm hooks"):
            lib.nn.utils.spectral_norm(model)
        with pytest.raises(ValueError, match="spectral_norm of 'bias' not found"):
            lib.nn.utils.remove_spectral_norm(model, "bias")


# ----- parametrize --------------------------------------------------------------------------------
def _symmetric(lib):
    class Symmetric(lib.nn.Module):
        calls = 0

        def forward(self, x):
            type(self).calls += 1
            return x.triu() + x.triu(1).transpose(-1, -2)

        def right_inverse(self, a):
            return a.triu()
    return Symmetric


def _scale(lib, invertible=True):
    class Scale(lib.nn.Module):
        def forward(self, x):
            return x * 2.0

    class InvertibleScale(Scale):
        def right_inverse(self, x):
            return x / 2.0
    return InvertibleScale if invertible else Scale


def test_parametrize_matches_torchs_behaviour():
    results = {}
    for lib in (unigrad, torch):
        P = lib.nn.utils.parametrize
        torch.manual_seed(0)
        layer = lib.nn.Linear(3, 3).double()
        with lib.no_grad():
            layer.weight.copy_(lib.arange(9.0).reshape(3, 3))
        Symmetric = _symmetric(lib)
        P.register_parametrization(layer, "weight", Symmetric())
        assert type(layer).__name__ == "ParametrizedLinear" and P.is_parametrized(layer)
        assert P.is_parametrized(layer, "weight") and not P.is_parametrized(layer, "bias")
        assert P.type_before_parametrizations(layer) is lib.nn.Linear
        keys = list(layer.state_dict())
        symmetric = layer.weight.detach().numpy().copy()
        P.register_parametrization(layer, "weight", _scale(lib)())
        stacked = layer.weight.detach().numpy().copy()
        layer.weight = lib.tensor(np.ones((3, 3)) * 4.0, dtype=lib.float64)  # through right_inverse
        Symmetric.calls = 0
        with P.cached():
            first, second = layer.weight, layer.weight
        assert first is second and Symmetric.calls == 1
        clone = copy.deepcopy(layer).weight.detach().numpy()
        with pytest.raises(RuntimeError, match="Serialization of parametrized modules is only supported"):
            pickle.dumps(layer)
        x = lib.ones(2, 3, dtype=lib.float64)
        layer(x).sum().backward()
        grad = layer.parametrizations.weight.original.grad.numpy().copy()
        P.remove_parametrizations(layer, "weight")
        results[lib.__name__] = (keys, symmetric, stacked, first.detach().numpy(), grad, list(layer.state_dict()),
                                 layer.weight.detach().numpy(), type(layer).__name__,
                                 clone, isinstance(layer.weight, lib.nn.Parameter))
        with pytest.raises(ValueError, match="does not have a parametrization on weight"):
            P.remove_parametrizations(layer, "weight")
        with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a parametrized element"):
            P.register_parametrization(layer, "nothing", Symmetric())

        class Shrink(lib.nn.Module):
            def forward(self, x):
                return x[:2]
        with pytest.raises(ValueError, match="may not change the shape of the tensor"):
            P.register_parametrization(lib.nn.Linear(3, 3), "weight", Shrink())
    ours, theirs = results["unigrad"], results["torch"]
    assert ours[0] == theirs[0] == ["bias", "parametrizations.weight.original"]
    for a, b in zip(ours[1:5], theirs[1:5]):
        np.testing.assert_allclose(a, b)
    assert ours[5] == theirs[5] and ours[7] == theirs[7] == "Linear" and ours[9] and theirs[9]
    np.testing.assert_allclose(ours[6], theirs[6])
    np.testing.assert_allclose(ours[8], theirs[8])


def test_remove_parametrizations_without_leaving_and_transfer():
    for lib in (unigrad, torch):
        P = lib.nn.utils.parametrize
        layer = lib.nn.Linear(2, 2)
        original = layer.weight.detach().clone()
        P.register_parametrization(layer, "weight", _scale(lib, invertible=False)())
        other = lib.nn.Linear(2, 2)
        P.transfer_parametrizations_and_params(layer, other)
        assert P.is_parametrized(other, "weight")
        np.testing.assert_allclose(other.weight.detach().numpy(), 2 * original.numpy())
        P.remove_parametrizations(layer, "weight", leave_parametrized=False)
        np.testing.assert_allclose(layer.weight.detach().numpy(), original.numpy())
        wn = lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(2, 2))
        with pytest.raises(ValueError, match="Cannot leave unparametrized"):
            P.remove_parametrizations(wn, "weight", leave_parametrized=False)


# ----- parametrizations ----------------------------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_parametrization_matches_torch(dim):
    ours, theirs = _pair(lambda lib: lib.nn.utils.parametrizations.weight_norm(lib.nn.Linear(4, 3), dim=dim))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == \
        ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    x = np.random.default_rng(0).standard_normal((2, 4))
    a, b = ours(unigrad.tensor(x)), theirs(torch.tensor(x))
    assert_close(a, b)
    (a ** 3).sum().backward()
    (b ** 3).sum().backward()
    assert_close(_grads(ours.parameters()), _grads(theirs.parameters()))


@pytest.mark.parametrize("make", [lambda lib: lib.nn.Linear(5, 4), lambda lib: lib.nn.Conv1d(2, 3, 3),
                                  lambda lib: lib.nn.ConvTranspose2d(3, 2, 2)])
def test_spectral_norm_parametrization_matches_torch(make):
    ours, theirs = _pair(lambda lib: lib.nn.utils.parametrizations.spectral_norm(make(lib), n_power_iterations=3))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for train in (True, True, False):
        ours.train(train)
        theirs.train(train)
        assert_close(ours.weight, theirs.weight, rtol=1e-10, atol=1e-12)
        assert_close(ours.parametrizations.weight[0]._v, theirs.parametrizations.weight[0]._v, rtol=1e-10,
                     atol=1e-12)
    (ours.weight ** 2).sum().backward()
    (theirs.weight ** 2).sum().backward()
    assert_close(ours.parametrizations.weight.original.grad, theirs.parametrizations.weight.original.grad,
                 rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("shape, orthogonal_map, trivial", [
    ((4, 4), None, True), ((5, 3), None, True), ((3, 5), None, True), ((4, 4), "cayley", True),
    ((3, 5), "cayley", True), ((5, 3), "matrix_exp", True), ((4, 4), "householder", True),
    ((5, 3), "householder", False), ((3, 5), "householder", False)])
def test_orthogonal_parametrization_matches_torch(shape, orthogonal_map, trivial):
    ours, theirs = _pair(lambda lib: lib.nn.utils.parametrizations.orthogonal(
        lib.nn.Linear(shape[1], shape[0]), orthogonal_map=orthogonal_map, use_trivialization=trivial))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert_close(ours.weight, theirs.weight, rtol=1e-10, atol=1e-12)
    # move the unconstrained original somewhere generic, then compare values and gradients
    update = np.random.default_rng(7).standard_normal(shape) * 0.3
    with unigrad.no_grad():
        ours.parametrizations.weight.original.add_(unigrad.tensor(update))
    with torch.no_grad():
        theirs.parametrizations.weight.original.add_(torch.tensor(update))
    w_o, w_t = ours.weight, theirs.weight
    assert_close(w_o, w_t, rtol=1e-9, atol=1e-11)
    if (orthogonal_map or ("matrix_exp" if shape[0] == shape[1] else "householder")) != "householder":
        # (the householder map scales columns by int(diagonal), as PyTorch's)
        q = w_o.detach().numpy()
        gram = q @ q.T if shape[0] <= shape[1] else q.T @ q
        np.testing.assert_allclose(gram, np.eye(min(shape)), atol=1e-6)  # the base was made in float32
    weights = np.random.default_rng(8).standard_normal(shape)
    (w_o * unigrad.tensor(weights)).sum().backward()
    (w_t * torch.tensor(weights)).sum().backward()
    assert_close(ours.parametrizations.weight.original.grad, theirs.parametrizations.weight.original.grad,
                 rtol=1e-8, atol=1e-10)
    # assigning an orthogonal matrix stores it (through right_inverse)
    target = np.linalg.qr(np.random.default_rng(9).standard_normal((max(shape), min(shape))))[0]
    target = target if shape[0] >= shape[1] else target.T
    if trivial:
        ours.weight = unigrad.tensor(target)
        theirs.weight = torch.tensor(target)
        assert_close(ours.weight, theirs.weight, rtol=1e-9, atol=1e-11)


def test_orthogonal_errors_are_torchs():
    for lib in (unigrad, torch):
        orth = lib.nn.utils.parametrizations.orthogonal
        with pytest.raises(ValueError, match="has no parameter or buffer with name 'nope'"):
            orth(lib.nn.Linear(2, 2), "nope")
        with pytest.raises(ValueError, match="Expected a matrix or batch of matrices. Got a tensor of 1 dimensions."):
            orth(lib.nn.Linear(2, 2), "bias")
        with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp"'):
            orth(lib.nn.Linear(2, 2), orthogonal_map="svd")
        layer = orth(lib.nn.Linear(2, 2), use_trivialization=False)
        with pytest.raises(NotImplementedError, match="not possible to assign to the matrix exponential"):
            layer.weight = lib.eye(2)


# ----- fusion, skip_init ---------------------------------------------------------------------------
def test_fuse_conv_and_linear_with_batchnorm_match_torch():
    for transpose in (False, True):
        conv_o, conv_t = _pair(lambda lib: (lib.nn.ConvTranspose2d(3, 4, 2) if transpose else lib.nn.Conv2d(3, 4, 3)))
        bn_o, bn_t = _pair(lambda lib: lib.nn.BatchNorm2d(4))
        stats = np.random.default_rng(0)
        for bn in (bn_o, bn_t):
            lib = unigrad if bn is bn_o else torch
            with lib.no_grad():
                bn.running_mean.copy_(lib.tensor(stats.standard_normal(4)))
                bn.running_var.copy_(lib.tensor(stats.random(4) + 0.5))
                bn.weight.copy_(lib.tensor(stats.standard_normal(4)))
            stats = np.random.default_rng(0)
        for m in (conv_o, conv_t, bn_o, bn_t):
            m.eval()
        fused_o = unigrad.nn.utils.fuse_conv_bn_eval(conv_o, bn_o, transpose=transpose)
        fused_t = torch.nn.utils.fuse_conv_bn_eval(conv_t, bn_t, transpose=transpose)
        x = np.random.default_rng(1).standard_normal((2, 3, 5, 5))
        assert_close(fused_o(unigrad.tensor(x)), fused_t(torch.tensor(x)), rtol=1e-10, atol=1e-12)
        assert_close(fused_o(unigrad.tensor(x)), bn_o(conv_o(unigrad.tensor(x))), rtol=1e-10, atol=1e-12)
        assert fused_o is not conv_o and isinstance(fused_o.bias, unigrad.nn.Parameter)
    lin_o, lin_t = _pair(lambda lib: lib.nn.Linear(3, 4, bias=False))
    bn1_o, bn1_t = _pair(lambda lib: lib.nn.BatchNorm1d(4))
    for m in (lin_o, lin_t, bn1_o, bn1_t):
        m.eval()
    x = np.random.default_rng(2).standard_normal((5, 3))
    assert_close(unigrad.nn.utils.fuse_linear_bn_eval(lin_o, bn1_o)(unigrad.tensor(x)),
                 torch.nn.utils.fuse_linear_bn_eval(lin_t, bn1_t)(torch.tensor(x)), rtol=1e-10, atol=1e-12)
    for lib in (unigrad, torch):
        with pytest.raises(AssertionError, match="Fusion only for eval!"):
            lib.nn.utils.fuse_linear_bn_eval(lib.nn.Linear(3, 4), lib.nn.BatchNorm1d(4))
        with pytest.raises(AssertionError, match="linear.out_features == bn.num_features"):
            lib.nn.utils.fuse_linear_bn_eval(lib.nn.Linear(3, 4).eval(), lib.nn.BatchNorm1d(3).eval())


def test_skip_init_builds_uninitialised_modules():
    layer = unigrad.nn.utils.skip_init(unigrad.nn.Linear, 4, 3, bias=True, dtype=unigrad.float64)
    assert isinstance(layer, unigrad.nn.Linear) and layer.weight.shape == (3, 4)
    assert layer.weight.dtype is unigrad.float64 and isinstance(layer.weight, unigrad.nn.Parameter)
    assert str(layer.weight.device) == "cpu"
    for lib in (unigrad, torch):
        with pytest.raises(RuntimeError, match="Expected a Module; got"):
            lib.nn.utils.skip_init(int)

        class NoDevice(lib.nn.Module):
            def __init__(self, n):
                super().__init__()
        with pytest.raises(RuntimeError, match="Module must support a 'device' arg to skip initialization"):
            lib.nn.utils.skip_init(NoDevice, 3)


# ----- gradient clipping -----------------------------------------------------------------------
def _params(lib, scale=1.0):
    rng = np.random.default_rng(3)
    params = []
    for shape, dtype in (((3, 4), "float64"), ((5,), "float32"), ((2, 2, 2), "float64")):
        p = lib.zeros(shape, dtype=getattr(lib, dtype), requires_grad=True)
        p.grad = lib.tensor(rng.standard_normal(shape) * scale, dtype=getattr(lib, dtype))
        params.append(p)
    params.append(lib.zeros(2, requires_grad=True))  # no gradient: skipped
    return params


@pytest.mark.parametrize("norm_type", [2, 1, 3.5, 0, math.inf, -math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    results = {}
    for lib in (unigrad, torch):
        params = _params(lib)
        total = lib.nn.utils.clip_grad_norm_(params, max_norm, norm_type=norm_type, foreach=None)
        results[lib.__name__] = (total, [p.grad for p in params[:3]])
    assert_close(results["unigrad"][0], results["torch"][0], rtol=1e-6, atol=1e-7)
    assert_close(results["unigrad"][1], results["torch"][1], rtol=1e-6, atol=1e-7)


def test_get_total_norm_and_clip_grads_with_norm_match_torch():
    results = {}
    for lib in (unigrad, torch):
        params = _params(lib)
        grads = [p.grad for p in params[:3]]
        total = lib.nn.utils.get_total_norm(grads, norm_type=2.0, foreach=True)
        lib.nn.utils.clip_grads_with_norm_(params, 1.0, total)
        single = lib.nn.utils.get_total_norm(grads[0])
        results[lib.__name__] = (total, grads, single, lib.nn.utils.get_total_norm([]))
    assert_close(results["unigrad"], results["torch"], rtol=1e-6, atol=1e-7)


def test_clipping_options_and_warnings_are_torchs():
    for lib in (unigrad, torch):
        params = _params(lib)
        params[0].grad[0, 0] = float("inf")
        with pytest.raises(RuntimeError, match="The total norm of order 2.0 for gradients from `parameters` is "
                                               "non-finite, so it cannot be clipped"):
            lib.nn.utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
        with pytest.warns(UserWarning, match="`parameters` is an empty generator"):
            lib.nn.utils.clip_grad_norm_((p for p in []), 1.0)
        with pytest.warns(FutureWarning, match="`torch.nn.utils.clip_grad_norm` is now deprecated"):
            lib.nn.utils.clip_grad_norm(_params(lib), 1.0)
        single = _params(lib)[0]
        assert float(lib.nn.utils.clip_grad_norm_(single, 1e9)) > 0
        clipped = _params(lib)
        lib.nn.utils.clip_grad_value_(clipped, 0.3, foreach=False)
        assert float(max(p.grad.abs().max() for p in clipped[:3])) <= 0.3 + 1e-7


def test_packed_layers_under_cpu_autocast_keep_torchs_dtypes():
    for lib, rnn in ((unigrad, urnn), (torch, trnn)):
        dtypes = []
        for cls in (lib.nn.LSTM, lib.nn.GRU, lib.nn.RNN):
            model = cls(3, 4, device="cpu")
            with lib.autocast("cpu", dtype=lib.bfloat16):
                out, state = model(rnn.pack_padded_sequence(lib.ones(5, 2, 3, device="cpu"), [5, 3]))
            dtypes.append(str(out.data.dtype).split(".")[-1])
        assert dtypes == ["float32", "float32", "bfloat16"], lib.__name__
