"""nn semantics real programs depend on: channel dropout ranks, attribute re-assignment keeping
its slot, RNN flatten_parameters, and PyTorch's import paths."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import unigrad
import unigrad.nn as nn


# ----- channel dropout ---------------------------------------------------------------------
def _outcome(lib, name, shape, training=True, p=0.5):
    """What PyTorch's rules make of this rank: ('ok', output shape, warning texts) or ('error', type)."""
    function = getattr(lib.nn.functional, name)
    x = lib.ones(*shape)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = function(x, p, training)
        except Exception as error:  # noqa: BLE001 - the type is what is compared
            return ("error", type(error).__name__, str(error)[:40])
    return ("ok", tuple(out.shape), tuple(str(w.message)[:40] for w in caught))


@pytest.mark.parametrize("name", ["dropout1d", "dropout2d"])
@pytest.mark.parametrize("rank", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("training", [True, False])
def test_channel_dropout_ranks_as_torch(name, rank, training):
    shape = (4,) * rank
    assert _outcome(unigrad, name, shape, training) == _outcome(torch, name, shape, training)


def test_dropout2d_on_2d_input_keeps_shape_and_warns():
    layer = nn.Dropout2d(0.5)
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout2d"):
        out = layer(unigrad.ones(8, 16))
    assert out.shape == (8, 16)
    values = set(np.unique(out.numpy()).tolist())
    assert values <= {0.0, 2.0}


@pytest.mark.parametrize("name, shape", [("dropout1d", (6, 5, 7)), ("dropout1d", (5, 7)),
                                         ("dropout2d", (6, 5, 3, 4)), ("dropout2d", (6, 5, 7))])
def test_channel_dropout_zeroes_whole_channels(name, shape):
    unigrad.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = getattr(unigrad.nn.functional, name)(unigrad.ones(*shape), 0.5, True).numpy()
    # one row per channel: (C, L) as is, else (N*C, spatial...)
    channels = out if len(shape) == 2 else out.reshape(shape[0] * shape[1], -1)
    for row in channels:
        assert len(set(row.tolist())) == 1 and row[0] in (0.0, 2.0)
    assert 0.0 in channels and 2.0 in channels


def test_channel_dropout_inplace_and_gradient():
    x = unigrad.ones(4, 3, 5)
    unigrad.manual_seed(1)
    assert unigrad.nn.functional.dropout1d(x, 0.5, True, inplace=True) is x
    y = unigrad.ones(3, 5, requires_grad=True)
    out = unigrad.nn.functional.dropout1d(y * 1, 0.5, True)
    out.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), out.detach().numpy())
    with pytest.warns(UserWarning, match="Received a 3D input to dropout2d"):
        zeros = unigrad.nn.functional.dropout2d(unigrad.ones(2, 3, 4), 1.0, True)
    assert zeros.sum().item() == 0.0


# ----- attribute re-assignment keeps its slot ----------------------------------------------
class _Net:
    @staticmethod
    def build(lib):
        model = lib.nn.Sequential()
        model.conv = lib.nn.Conv2d(1, 2, 3)
        model.relu = lib.nn.ReLU()
        model.fc = lib.nn.Linear(4, 2)
        model.head = lib.nn.Linear(2, 2)
        return model


@pytest.mark.parametrize("lib", [unigrad, torch], ids=["unigrad", "torch"])
def test_reassigned_submodule_keeps_its_position(lib):
    model = _Net.build(lib)
    model.fc = lib.nn.Linear(4, 3)
    assert list(dict(model.named_children())) == ["conv", "relu", "fc", "head"]
    assert list(model.state_dict()) == ["conv.weight", "conv.bias", "fc.weight", "fc.bias",
                                        "head.weight", "head.bias"]
    trunk = lib.nn.Sequential(*list(model.children())[:-1])
    assert isinstance(trunk[-1], lib.nn.Linear) and trunk[-1].out_features == 3


def test_reassignment_order_matches_torch_for_parameters_and_buffers():
    def build(lib):
        layer = lib.nn.Module()
        layer.a = lib.nn.Parameter(lib.ones(1))
        layer.b = lib.nn.Parameter(lib.ones(1))
        layer.register_buffer("m", lib.zeros(1))
        layer.register_buffer("n", lib.zeros(1))
        layer.first = lib.nn.Linear(1, 1)
        layer.second = lib.nn.Linear(1, 1)
        layer.a = lib.nn.Parameter(lib.ones(2))     # parameter replaced: keeps its slot
        layer.m = lib.zeros(2)                       # buffer replaced: keeps its slot
        layer.first = None                           # module cleared: keeps its slot
        layer.first = lib.nn.Linear(1, 1)
        layer.register_parameter("b", lib.nn.Parameter(lib.ones(3)))
        layer.n = lib.nn.Parameter(lib.ones(1))      # a buffer name becomes a parameter: moves
        return layer
    ours, theirs = build(unigrad), build(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(dict(ours.named_parameters())) == list(dict(theirs.named_parameters()))
    assert list(dict(ours.named_buffers())) == list(dict(theirs.named_buffers()))
    assert ours.a.shape == (2,) and ours.m.shape == (2,)


def test_replacing_the_classifier_loads_a_torch_state_dict():
    torch_model, our_model = _Net.build(torch), _Net.build(unigrad)
    torch_model.fc = torch.nn.Linear(4, 5)
    our_model.fc = nn.Linear(4, 5)
    state = {k: unigrad.tensor(v.detach().numpy()) for k, v in torch_model.state_dict().items()}
    our_model.load_state_dict(state)
    assert list(our_model.state_dict()) == list(torch_model.state_dict())


# ----- RNN and import paths -----------------------------------------------------------------
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_rnn_flatten_parameters_and_all_weights(kind):
    ours, theirs = getattr(nn, kind)(3, 4, num_layers=2), getattr(torch.nn, kind)(3, 4, num_layers=2)
    assert ours.flatten_parameters() is None and theirs.flatten_parameters() is None
    assert [[tuple(w.shape) for w in ws] for ws in ours.all_weights] == \
        [[tuple(w.shape) for w in ws] for ws in theirs.all_weights]
    out, _ = ours(unigrad.ones(5, 2, 3))
    assert out.shape == (5, 2, 4)


def test_non_dynamically_quantizable_linear_path():
    from unigrad.nn.modules.linear import NonDynamicallyQuantizableLinear
    layer = NonDynamicallyQuantizableLinear(4, 2)
    assert isinstance(layer, nn.Linear) and layer(unigrad.ones(3, 4)).shape == (3, 2)
    attention = nn.MultiheadAttention(4, 2)
    assert type(attention.out_proj) is NonDynamicallyQuantizableLinear
    assert type(torch.nn.MultiheadAttention(4, 2).out_proj).__name__ == "NonDynamicallyQuantizableLinear"
