"""Every layer against torch: outputs, input and parameter gradients, buffers (float32/64)."""
import numpy as np
import pytest
import torch

import unigrad
from nn_parity import compare_module

ug_nn, th_nn = unigrad.nn, torch.nn
R = np.random.default_rng(7)


def rand(*shape, dtype=torch.float32, scale=1.0):
    return torch.tensor(R.standard_normal(shape) * scale, dtype=dtype)


def both(name, *args, **kwargs):
    return (lambda: getattr(ug_nn, name)(*args, **kwargs), lambda: getattr(th_nn, name)(*args, **kwargs))


LAYERS = {
    "Linear": (both("Linear", 5, 3), [(4, 5)]),
    "Linear_nobias_3d": (both("Linear", 5, 3, bias=False), [(2, 4, 5)]),
    "Bilinear": (both("Bilinear", 3, 4, 2), [(5, 3), (5, 4)]),
    "Conv1d": (both("Conv1d", 3, 4, 3, stride=2, padding=1), [(2, 3, 9)]),
    "Conv2d": (both("Conv2d", 3, 4, 3), [(2, 3, 7, 6)]),
    "Conv2d_strided_padded": (both("Conv2d", 2, 4, (3, 2), stride=(2, 1), padding=(1, 2)), [(2, 2, 7, 6)]),
    "Conv2d_dilated": (both("Conv2d", 2, 3, 3, dilation=2, padding=2), [(1, 2, 8, 8)]),
    "Conv2d_groups": (both("Conv2d", 4, 6, 3, groups=2, bias=False), [(2, 4, 5, 5)]),
    "Conv2d_same": (both("Conv2d", 2, 3, 4, padding="same"), [(2, 2, 6, 6)]),
    "Conv2d_valid": (both("Conv2d", 2, 3, 3, padding="valid"), [(2, 2, 6, 6)]),
    "ConvTranspose2d": (both("ConvTranspose2d", 3, 2, 3, stride=2, padding=1, output_padding=1), [(2, 3, 4, 5)]),
    "ConvTranspose2d_groups": (both("ConvTranspose2d", 4, 6, 2, stride=2, groups=2), [(1, 4, 3, 3)]),
    "MaxPool1d": (both("MaxPool1d", 3, 2, 1), [(2, 3, 9)]),
    "MaxPool2d": (both("MaxPool2d", 2), [(2, 3, 8, 8)]),
    "MaxPool2d_ceil_pad_dil": (both("MaxPool2d", 3, 2, 1, dilation=1, ceil_mode=True), [(2, 2, 8, 7)]),
    "MaxPool2d_dilated": (both("MaxPool2d", 2, 1, 0, dilation=2), [(1, 2, 6, 6)]),
    "MaxPool2d_indices": (both("MaxPool2d", 3, 2, 1, return_indices=True), [(2, 2, 7, 7)]),
    "AvgPool1d": (both("AvgPool1d", 3, 2, 1), [(2, 3, 9)]),
    "AvgPool2d": (both("AvgPool2d", 2), [(2, 3, 8, 8)]),
    "AvgPool2d_pad_ceil": (both("AvgPool2d", 3, 2, 1, ceil_mode=True), [(2, 2, 8, 7)]),
    "AvgPool2d_exclude_pad": (both("AvgPool2d", 3, 2, 1, count_include_pad=False), [(2, 2, 7, 7)]),
    "AdaptiveAvgPool2d": (both("AdaptiveAvgPool2d", (3, 2)), [(2, 3, 7, 5)]),
    "AdaptiveAvgPool2d_even": (both("AdaptiveAvgPool2d", 1), [(2, 3, 4, 4)]),
    "AdaptiveMaxPool2d": (both("AdaptiveMaxPool2d", (2, 3)), [(2, 3, 5, 7)]),
    "AdaptiveAvgPool1d": (both("AdaptiveAvgPool1d", 3), [(2, 3, 7)]),
    "AdaptiveMaxPool2d_indices": (both("AdaptiveMaxPool2d", (2, 3), return_indices=True), [(2, 3, 5, 7)]),
    "AdaptiveMaxPool2d_indices_even": (both("AdaptiveMaxPool2d", (2, 3), return_indices=True), [(2, 3, 4, 6)]),
    "AdaptiveMaxPool2d_indices_keep_rows": (both("AdaptiveMaxPool2d", (None, 3), return_indices=True), [(2, 3, 5, 7)]),
    "AdaptiveMaxPool1d_indices": (both("AdaptiveMaxPool1d", 3, return_indices=True), [(2, 3, 7)]),
    "AdaptiveMaxPool1d_indices_even": (both("AdaptiveMaxPool1d", 3, return_indices=True), [(2, 3, 9)]),
    "BatchNorm1d": (both("BatchNorm1d", 4), [(8, 4)]),
    "BatchNorm1d_3d": (both("BatchNorm1d", 3), [(4, 3, 5)]),
    "BatchNorm2d": (both("BatchNorm2d", 3), [(4, 3, 5, 5)]),
    "BatchNorm2d_no_affine": (both("BatchNorm2d", 3, affine=False, momentum=None), [(4, 3, 2, 2)]),
    "BatchNorm2d_no_stats": (both("BatchNorm2d", 3, track_running_stats=False), [(4, 3, 2, 2)]),
    "LayerNorm": (both("LayerNorm", (3, 4)), [(2, 5, 3, 4)]),
    "LayerNorm_no_affine": (both("LayerNorm", 6, elementwise_affine=False), [(3, 6)]),
    "GroupNorm": (both("GroupNorm", 2, 4), [(3, 4, 5, 5)]),
    "Embedding": (both("Embedding", 10, 4), [torch.tensor([[1, 2, 2], [9, 0, 3]])]),
    "Embedding_padding": (both("Embedding", 10, 4, padding_idx=2), [torch.tensor([[1, 2, 2], [9, 0, 2]])]),
    "Flatten": (both("Flatten"), [(2, 3, 4)]),
    "Unflatten": (both("Unflatten", 1, (2, 3)), [(4, 6)]),
    "Identity": (both("Identity"), [(3,)]),
    "RNN": (both("RNN", 4, 5), [(6, 3, 4)]),
    "RNN_relu_2layer": (both("RNN", 4, 5, num_layers=2, nonlinearity="relu"), [(6, 3, 4)]),
    "LSTM": (both("LSTM", 4, 5), [(6, 3, 4)]),
    "LSTM_2layer_bidir_batch_first": (both("LSTM", 4, 5, num_layers=2, bidirectional=True, batch_first=True), [(3, 6, 4)]),
    "LSTM_nobias": (both("LSTM", 4, 5, bias=False), [(6, 3, 4)]),
    "GRU": (both("GRU", 4, 5), [(6, 3, 4)]),
    "GRU_bidir_2layer": (both("GRU", 4, 5, num_layers=2, bidirectional=True), [(6, 3, 4)]),
    "RNNCell": (both("RNNCell", 4, 5), [(3, 4), (3, 5)]),
    "LSTMCell": (both("LSTMCell", 4, 5), [(3, 4), ((3, 5), (3, 5))]),
    "GRUCell": (both("GRUCell", 4, 5), [(3, 4), (3, 5)]),
    "MultiheadAttention": (both("MultiheadAttention", 8, 2), [(5, 3, 8), (5, 3, 8), (5, 3, 8)]),
    "MultiheadAttention_batch_first": (both("MultiheadAttention", 8, 4, batch_first=True), [(3, 5, 8), (3, 6, 8), (3, 6, 8)]),
    "TransformerEncoderLayer": (both("TransformerEncoderLayer", 8, 2, 16, dropout=0.0, batch_first=True), [(3, 5, 8)]),
    "TransformerEncoderLayer_norm_first_gelu": (both("TransformerEncoderLayer", 8, 2, 16, dropout=0.0, activation="gelu", norm_first=True), [(5, 3, 8)]),
}


def _inputs(specs, dtype):
    out = []
    for spec in specs:
        if isinstance(spec, torch.Tensor):
            out.append(spec)
        elif isinstance(spec[0], tuple):
            out.append(tuple(rand(*s, dtype=dtype) for s in spec))
        else:
            out.append(rand(*spec, dtype=dtype))
    return out


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("train", [True, False])
def test_layer_matches_torch(name, dtype, train):
    (ours, theirs), specs = LAYERS[name]
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-8, atol=1e-10)
    inputs = _inputs(specs, dtype)
    if name.startswith("LSTMCell"):  # the state is a tuple argument
        compare = lambda: compare_module(ours, theirs, inputs, dtype=dtype, train=train, **tol)  # noqa: E731
    else:
        compare = lambda: compare_module(ours, theirs, inputs, dtype=dtype, train=train, **tol)  # noqa: E731
    compare()


def test_lstm_with_initial_state_and_final_states():
    h0, c0 = rand(2, 3, 5), rand(2, 3, 5)
    compare_module(*both("LSTM", 4, 5, num_layers=2), [rand(6, 3, 4), (h0, c0)], rtol=1e-4, atol=1e-5)
    compare_module(*both("GRU", 4, 5), [rand(6, 3, 4), rand(1, 3, 5)], rtol=1e-4, atol=1e-5)


def test_unbatched_recurrent_input():
    compare_module(*both("LSTM", 4, 5), [rand(6, 4)], rtol=1e-4, atol=1e-5)
    compare_module(*both("GRUCell", 4, 5), [rand(4)], rtol=1e-4, atol=1e-5)


def test_batchnorm_running_stats_over_several_steps():
    ours, theirs = compare_module(*both("BatchNorm2d", 3, momentum=0.3), [rand(4, 3, 2, 2)],
                                  rtol=1e-5, atol=1e-6)
    for _ in range(3):
        x = rand(4, 3, 2, 2)
        ours(unigrad.tensor(x.numpy()))
        theirs(x)
    for name, buf in theirs.named_buffers():
        np.testing.assert_allclose(dict(ours.named_buffers())[name].numpy(), buf.numpy(), rtol=1e-5)
    ours.eval()
    theirs.eval()
    x = rand(2, 3, 2, 2)
    np.testing.assert_allclose(ours(unigrad.tensor(x.numpy())).detach().numpy(),
                               theirs(x).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_mha_masks_and_weights():
    q = rand(4, 2, 8)
    mask = torch.triu(torch.ones(4, 4, dtype=torch.bool), 1)
    pad = torch.tensor([[False, False, True, False], [False, True, False, False]])
    ours, theirs = both("MultiheadAttention", 8, 2)
    torch.manual_seed(0)
    t = theirs()
    o = ours()
    o.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    t_out, t_w = t(q, q, q, key_padding_mask=pad, attn_mask=mask)
    o_q = unigrad.tensor(q.numpy())
    o_out, o_w = o(o_q, o_q, o_q, key_padding_mask=unigrad.tensor(pad.numpy()),
                   attn_mask=unigrad.tensor(mask.numpy()))
    np.testing.assert_allclose(o_out.detach().numpy(), t_out.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(o_w.detach().numpy(), t_w.detach().numpy(), rtol=1e-4, atol=1e-5)


def test_transformer_encoder_stack():
    layer_o = lambda: ug_nn.TransformerEncoder(ug_nn.TransformerEncoderLayer(8, 2, 16, 0.0), 2)  # noqa: E731
    layer_t = lambda: th_nn.TransformerEncoder(th_nn.TransformerEncoderLayer(8, 2, 16, 0.0), 2,  # noqa: E731
                                               enable_nested_tensor=False)
    compare_module(layer_o, layer_t, [rand(5, 3, 8)], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("create_graph", [False, True])
def test_lstm_gradients_of_every_input_and_state_match_torch(create_graph):
    """Two bidirectional layers in float64, seeds on the output sequence and both final states:
    the gradients of the input, h0, c0 and every parameter, through the buffer-level backward and
    (create_graph) through its differentiable replay, whose gradient is itself differentiable in
    the seeds (checked against torch's second-order gradient with respect to the seed)."""
    rng = np.random.default_rng(3)
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    ours = unigrad.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    data = [rng.standard_normal(shape) for shape in ((2, 5, 3), (4, 2, 4), (4, 2, 4))]
    seeds = [rng.standard_normal(shape) for shape in ((2, 5, 8), (4, 2, 4), (4, 2, 4))]
    results = []
    for lib, module in ((unigrad, ours), (torch, theirs)):
        grad = unigrad.autograd.grad if lib is unigrad else torch.autograd.grad
        x, h0, c0 = (lib.tensor(a, requires_grad=True) for a in data)
        s_out, s_h, s_c = (lib.tensor(a, requires_grad=True) for a in seeds)
        out, (h_n, c_n) = module(x, (h0, c0))
        total = (out * s_out).sum() + (h_n * s_h).sum() + (c_n * s_c).sum()
        params = list(module.parameters())
        grads = grad(total, [x, h0, c0] + params, create_graph=create_graph)
        values = [g.detach().numpy() for g in grads]
        if create_graph:
            probe = lib.tensor(np.cos(np.arange(grads[0].numel())).reshape(tuple(grads[0].shape)))
            (of_seed,) = grad((grads[0] * probe).sum(), [s_out], allow_unused=True) if lib is unigrad else \
                grad((grads[0] * probe).sum(), [s_out])
            values.append(of_seed.detach().numpy())
        results.append(values)
    for ours_value, theirs_value in zip(*results):
        np.testing.assert_allclose(ours_value, theirs_value, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_recurrent_states_of_the_wrong_shape_or_dtype_are_refused(name):
    layer = getattr(ug_nn, name)(4, 5)
    x = unigrad.randn(3, 2, 4)
    good = unigrad.zeros(1, 2, 5)
    state = lambda h: (h, good) if name == "LSTM" else h  # noqa: E731
    with pytest.raises(RuntimeError, match=r"Expected hidden size \(1, 2, 5\), got \[1, 3, 5\]"):
        layer(x, state(unigrad.zeros(1, 3, 5)))
    with pytest.raises(RuntimeError, match="not the same dtype, found input tensor with float32 and hidden "
                                           "tensor .* with float64"):
        layer(x, state(unigrad.zeros(1, 2, 5, dtype=unigrad.float64)))
    out, _ = layer(x, state(good))  # the layer still works after the refusals
    assert tuple(out.shape) == (3, 2, 5)


@pytest.mark.parametrize("name", ["LSTM", "GRU", "RNN"])
def test_recurrent_layers_refuse_empty_sequences_and_accept_empty_batches(name):
    layer = getattr(ug_nn, name)(3, 4, num_layers=2, bidirectional=True)
    with pytest.raises(RuntimeError, match="Expected sequence length to be larger than 0"):
        layer(unigrad.randn(0, 2, 3))
    x = unigrad.randn(5, 0, 3, requires_grad=True)
    out, state = layer(x)
    h_n = state[0] if name == "LSTM" else state
    (out.sum() + h_n.sum()).backward()
    assert tuple(out.shape) == (5, 0, 8) and tuple(h_n.shape) == (4, 0, 4) and tuple(x.grad.shape) == (5, 0, 3)
