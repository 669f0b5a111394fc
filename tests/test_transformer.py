"""MultiheadAttention, the Transformer encoder/decoder layers and stacks, and nn.Transformer
against torch (torch's weights loaded): masks bool and float, key padding, causal hints,
need_weights, kdim/vdim, bias_kv, zero attention, batch_first, norm_first, activations; and a
word_language_model-style subclass of nn.Transformer."""
import math

import numpy as np
import pytest
import torch

import unigrad
from nn_parity import compare_module

R = np.random.default_rng(17)


def rand(*shape):
    return torch.tensor(R.standard_normal(shape))


def wrapped(lib, build, **call_kwargs):
    """``build(lib)`` called with keyword arguments (torch tensors given to unigrad as its own),
    as a module taking positional inputs."""
    if lib is unigrad:
        call_kwargs = {k: unigrad.tensor(v.numpy()) if isinstance(v, torch.Tensor) else v for k, v in call_kwargs.items()}

    class Call(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.m = build(lib)

        def forward(self, *inputs):
            return self.m(*inputs, **call_kwargs)
    return Call


def compare(build, inputs, train=True, **call_kwargs):
    return compare_module(wrapped(unigrad, build, **call_kwargs), wrapped(torch, build, **call_kwargs), inputs,
                          dtype=torch.float64, train=train, rtol=1e-9, atol=1e-11)


CAUSAL_BOOL = torch.triu(torch.ones(4, 4, dtype=torch.bool), 1)
CAUSAL_FLOAT = torch.nn.Transformer.generate_square_subsequent_mask(4, dtype=torch.float64)
PADDING = torch.tensor([[False, False, True, False], [False, True, False, False]])

MHA = {
    "self_weights": (lambda lib: lib.nn.MultiheadAttention(8, 2), {}, "self"),
    "self_no_weights": (lambda lib: lib.nn.MultiheadAttention(8, 2), {"need_weights": False}, "self"),
    "per_head_weights": (lambda lib: lib.nn.MultiheadAttention(8, 4), {"average_attn_weights": False}, "cross"),
    "bool_mask_padding": (lambda lib: lib.nn.MultiheadAttention(8, 2), {"attn_mask": CAUSAL_BOOL, "key_padding_mask": PADDING}, "self"),
    "float_mask": (lambda lib: lib.nn.MultiheadAttention(8, 2), {"attn_mask": CAUSAL_FLOAT}, "self"),
    "float_mask_no_weights": (lambda lib: lib.nn.MultiheadAttention(8, 2), {"attn_mask": CAUSAL_FLOAT, "need_weights": False}, "self"),
    "causal_hint": (lambda lib: lib.nn.MultiheadAttention(8, 2), {"attn_mask": CAUSAL_BOOL, "is_causal": True, "need_weights": False}, "self"),
    "mask_3d": (lambda lib: lib.nn.MultiheadAttention(8, 2), {"attn_mask": torch.tensor(R.standard_normal((4, 4, 4)))}, "self"),
    "float_padding": (lambda lib: lib.nn.MultiheadAttention(8, 2), {"key_padding_mask": torch.tensor(R.standard_normal((2, 4)))}, "self"),
    "kdim_vdim": (lambda lib: lib.nn.MultiheadAttention(8, 2, kdim=5, vdim=3), {}, "kv"),
    "bias_kv_zero_attn": (lambda lib: lib.nn.MultiheadAttention(8, 2, add_bias_kv=True, add_zero_attn=True),
                          {"attn_mask": CAUSAL_BOOL, "key_padding_mask": PADDING}, "self"),
    "bias_kv_no_weights": (lambda lib: lib.nn.MultiheadAttention(8, 2, add_bias_kv=True, bias=False), {"need_weights": False}, "cross"),
    "batch_first": (lambda lib: lib.nn.MultiheadAttention(8, 2, batch_first=True), {"key_padding_mask": PADDING}, "batch_first"),
    "unbatched": (lambda lib: lib.nn.MultiheadAttention(8, 2), {"key_padding_mask": PADDING[0]}, "unbatched"),
}
MHA_INPUTS = {
    "self": lambda: [rand(4, 2, 8)] * 3,
    "cross": lambda: [rand(3, 2, 8), rand(4, 2, 8), rand(4, 2, 8)],
    "kv": lambda: [rand(3, 2, 8), rand(4, 2, 5), rand(4, 2, 3)],
    "batch_first": lambda: [rand(2, 3, 8), rand(2, 4, 8), rand(2, 4, 8)],
    "unbatched": lambda: [rand(3, 8), rand(4, 8), rand(4, 8)],
}


@pytest.mark.parametrize("name", sorted(MHA))
def test_multihead_attention_matches_torch(name):
    build, kwargs, inputs = MHA[name]
    ours, theirs = compare(build, MHA_INPUTS[inputs](), **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_multihead_attention_self_attention_with_one_input_tensor():
    """query is key is value: the packed projection path (one matmul)."""
    x = rand(4, 2, 8)

    def build(lib):
        class SelfAttention(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.attention = lib.nn.MultiheadAttention(8, 2, batch_first=True)

            def forward(self, t):
                return self.attention(t, t, t, attn_mask=CAUSAL_BOOL if lib is torch else unigrad.tensor(CAUSAL_BOOL.numpy()))
        return SelfAttention
    compare_module(build(unigrad), build(torch), [x.transpose(0, 1)], dtype=torch.float64, rtol=1e-9, atol=1e-11)


LAYERS = {
    "encoder_layer": (lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16, 0.0), {}, "src"),
    "encoder_layer_norm_first_gelu_str": (lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16, 0.0, "gelu", norm_first=True), {}, "src"),
    "encoder_layer_callable_batch_first": (lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16, 0.0, lib.nn.functional.silu, batch_first=True),
                                           {"src_key_padding_mask": PADDING}, "src_bf"),
    "encoder_layer_masks": (lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16, 0.0, bias=False),
                            {"src_mask": CAUSAL_BOOL, "src_key_padding_mask": PADDING}, "src"),
    "encoder_layer_causal_hint": (lambda lib: lib.nn.TransformerEncoderLayer(8, 2, 16, 0.0), {"src_mask": CAUSAL_FLOAT, "is_causal": True}, "src"),
    "decoder_layer": (lambda lib: lib.nn.TransformerDecoderLayer(8, 2, 16, 0.0), {}, "tgt_memory"),
    "decoder_layer_masks": (lambda lib: lib.nn.TransformerDecoderLayer(8, 2, 16, 0.0, layer_norm_eps=1e-3),
                            {"tgt_mask": CAUSAL_FLOAT, "tgt_is_causal": True, "tgt_key_padding_mask": PADDING,
                             "memory_key_padding_mask": torch.tensor([[False] * 4 + [True], [False] * 5])}, "tgt_memory"),
    "decoder_layer_norm_first_module_activation": (lambda lib: lib.nn.TransformerDecoderLayer(8, 4, 16, 0.0, lib.nn.GELU(), norm_first=True, batch_first=True),
                                                   {"memory_mask": torch.zeros(3, 5, dtype=torch.bool)}, "tgt_memory_bf"),
    "encoder_stack": (lambda lib: lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16, 0.0), 2, lib.nn.LayerNorm(8),
                                                            enable_nested_tensor=False), {"mask": CAUSAL_FLOAT}, "src"),
    "encoder_stack_detects_causal": (lambda lib: lib.nn.TransformerEncoder(lib.nn.TransformerEncoderLayer(8, 2, 16, 0.0, batch_first=True), 2,
                                                                           enable_nested_tensor=False),
                                     {"mask": CAUSAL_FLOAT, "src_key_padding_mask": PADDING.double()}, "src_bf"),
    "decoder_stack": (lambda lib: lib.nn.TransformerDecoder(lib.nn.TransformerDecoderLayer(8, 2, 16, 0.0), 2, lib.nn.LayerNorm(8)),
                      {"tgt_mask": CAUSAL_BOOL}, "tgt_memory"),
    "transformer": (lambda lib: lib.nn.Transformer(8, 2, 2, 2, 16, 0.0), {"tgt_mask": CAUSAL_FLOAT}, "src_tgt"),
    "transformer_batch_first_norm_first": (lambda lib: lib.nn.Transformer(8, 2, 1, 2, 16, 0.0, "gelu", batch_first=True, norm_first=True),
                                           {"src_key_padding_mask": PADDING, "memory_key_padding_mask": PADDING,
                                            "tgt_mask": CAUSAL_BOOL, "src_is_causal": False}, "src_tgt_bf"),
}
LAYER_INPUTS = {
    "src": lambda: [rand(4, 2, 8)],
    "src_bf": lambda: [rand(2, 4, 8)],
    "tgt_memory": lambda: [rand(4, 2, 8), rand(5, 2, 8)],
    "tgt_memory_bf": lambda: [rand(2, 3, 8), rand(2, 5, 8)],
    "src_tgt": lambda: [rand(5, 2, 8), rand(4, 2, 8)],
    "src_tgt_bf": lambda: [rand(2, 4, 8), rand(2, 4, 8)],
}


@pytest.mark.parametrize("name, train", [(name, True) for name in sorted(LAYERS)] +
                         [("encoder_layer_masks", False), ("decoder_layer_masks", False), ("transformer", False)])
def test_transformer_layers_match_torch(name, train):
    build, kwargs, inputs = LAYERS[name]
    ours, theirs = compare(build, LAYER_INPUTS[inputs](), train=train, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())


def test_transformer_dropout_is_active_in_training_only():
    model = unigrad.nn.Transformer(8, 2, 1, 1, 16, dropout=0.5)
    src, tgt = unigrad.randn(5, 2, 8), unigrad.randn(4, 2, 8)
    unigrad.manual_seed(0)
    first = model(src, tgt)
    unigrad.manual_seed(1)
    assert not np.allclose(first.detach().numpy(), model(src, tgt).detach().numpy())
    model.eval()
    np.testing.assert_array_equal(model(src, tgt).detach().numpy(), model(src, tgt).detach().numpy())


def test_generate_square_subsequent_mask_is_a_static_method_like_torch():
    ours = unigrad.nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(ours.numpy(), torch.nn.Transformer.generate_square_subsequent_mask(4).numpy())
    assert ours.dtype is unigrad.float32
    assert unigrad.nn.Transformer.generate_square_subsequent_mask(3, dtype=unigrad.float64).dtype is unigrad.float64
    assert unigrad.nn.Transformer(8, 2, 1, 1, 16).generate_square_subsequent_mask(2).shape == (2, 2)


class _PositionalEncoding:
    """pytorch/examples word_language_model's PositionalEncoding, for either library."""

    @staticmethod
    def build(lib, d_model, dropout=0.1, max_len=50):
        class PositionalEncoding(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.dropout = lib.nn.Dropout(p=dropout)
                pe = lib.zeros(max_len, d_model)
                position = lib.arange(0, max_len, dtype=lib.float).unsqueeze(1)
                div_term = lib.exp(lib.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
                pe[:, 0::2] = lib.sin(position * div_term)
                pe[:, 1::2] = lib.cos(position * div_term)
                pe = pe.unsqueeze(0).transpose(0, 1)
                self.register_buffer("pe", pe)

            def forward(self, x):
                x = x + self.pe[:x.size(0), :]
                return self.dropout(x)
        return PositionalEncoding()


def _transformer_model(lib):
    """pytorch/examples word_language_model's TransformerModel: a subclass of nn.Transformer that
    replaces its decoder with a Linear and masks with log(tril(ones))."""
    class TransformerModel(lib.nn.Transformer):
        def __init__(self, ntoken, ninp, nhead, nhid, nlayers, dropout=0.5):
            super().__init__(d_model=ninp, nhead=nhead, dim_feedforward=nhid, num_encoder_layers=nlayers)
            self.model_type = "Transformer"
            self.src_mask = None
            self.pos_encoder = _PositionalEncoding.build(lib, ninp, dropout)
            self.input_emb = lib.nn.Embedding(ntoken, ninp)
            self.ninp = ninp
            self.decoder = lib.nn.Linear(ninp, ntoken)
            self.init_weights()

        def _generate_square_subsequent_mask(self, sz):
            return lib.log(lib.tril(lib.ones(sz, sz)))

        def init_weights(self):
            initrange = 0.1
            lib.nn.init.uniform_(self.input_emb.weight, -initrange, initrange)
            lib.nn.init.zeros_(self.decoder.bias)
            lib.nn.init.uniform_(self.decoder.weight, -initrange, initrange)

        def forward(self, src, has_mask=True):
            if has_mask:
                if self.src_mask is None or self.src_mask.size(0) != len(src):
                    self.src_mask = self._generate_square_subsequent_mask(len(src)).to(src.device)
            else:
                self.src_mask = None
            src = self.input_emb(src) * math.sqrt(self.ninp)
            src = self.pos_encoder(src)
            output = self.encoder(src, mask=self.src_mask)
            output = self.decoder(output)
            return lib.nn.functional.log_softmax(output, dim=-1)
    return TransformerModel(20, 8, 2, 16, 2, dropout=0.2)


def test_word_language_model_transformer_subclass_matches_torch():
    torch.manual_seed(0)
    theirs = _transformer_model(torch)
    ours = _transformer_model(unigrad)
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.eval()
    theirs.eval()
    tokens = R.integers(0, 20, (6, 3))
    expected = theirs(torch.tensor(tokens))
    got = ours(unigrad.tensor(tokens))
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-4, atol=1e-5)
    ours.train()
    loss = unigrad.nn.functional.nll_loss(ours(unigrad.tensor(tokens)).reshape(-1, 20), unigrad.tensor(tokens).reshape(-1))
    loss.backward()
    assert ours.input_emb.weight.grad is not None and isinstance(ours.decoder, unigrad.nn.Linear)


ERRORS = [
    (lambda lib: lib.nn.MultiheadAttention(8, 3), AssertionError, "embed_dim must be divisible by num_heads"),
    (lambda lib: lib.nn.MultiheadAttention(0, 2), ValueError, "embed_dim and num_heads must be greater than 0"),
    (lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.zeros(4, 2, 8), lib.zeros(4, 2, 8), lib.zeros(4, 2, 8), is_causal=True),
     RuntimeError, "Need attn_mask if specifying the is_causal hint"),
    (lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.zeros(4, 2, 8), lib.zeros(4, 2, 8), lib.zeros(4, 2, 8),
                                                 attn_mask=lib.zeros(3, 4)),
     RuntimeError, r"The shape of the 2D attn_mask is .*, but should be \(4, 4\)\."),
    (lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.zeros(4, 2, 8), lib.zeros(4, 8), lib.zeros(4, 8)), AssertionError,
     "For batched \\(3-D\\) `query`, expected `key` and `value` to be 3-D but found 2-D and 2-D tensors respectively"),
    (lambda lib: lib.nn.MultiheadAttention(8, 2)(lib.zeros(4, 2, 8), lib.zeros(4, 2, 8), lib.zeros(4, 2, 8),
                                                 attn_mask=lib.zeros(4, 4, dtype=lib.int64)),
     AssertionError, "only bool and floating types of attn_mask are supported"),
    (lambda lib: lib.nn.Transformer(8, 2, 1, 1, 16)(lib.zeros(4, 2, 8), lib.zeros(4, 3, 8)), RuntimeError,
     "the batch number of src and tgt must be equal"),
    (lambda lib: lib.nn.Transformer(8, 2, 1, 1, 16)(lib.zeros(4, 2, 8), lib.zeros(4, 2, 6)), RuntimeError,
     "the feature number of src and tgt must be equal to d_model"),
    (lambda lib: lib.nn.TransformerEncoderLayer(8, 2, activation="tanh"), RuntimeError, "activation should be relu/gelu, not tanh"),
    (lambda lib: lib.nn.functional.scaled_dot_product_attention(lib.zeros(2, 3, 4), lib.zeros(2, 3, 4), lib.zeros(2, 3, 4),
                                                                attn_mask=lib.ones(3, 3, dtype=lib.bool), is_causal=True),
     RuntimeError, "Explicit attn_mask should not be set when is_causal=True"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_bad_arguments_raise_like_torch(case):
    make, error, message = ERRORS[case]
    for lib in (unigrad, torch):
        with pytest.raises(error, match=message):
            make(lib)
