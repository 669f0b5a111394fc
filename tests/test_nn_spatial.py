"""The spatial family against torch: 3-d and transposed convolutions with every padding mode,
3-d / adaptive / LP / fractional pooling and unpooling, padding layers, interpolation in every
mode, fold/unfold, grid sampling, pixel and channel shuffles, feature dropout."""
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import unigrad
from nn_parity import compare_module
from parity import check

R = np.random.default_rng(11)
ug_nn, th_nn = unigrad.nn, torch.nn


def randn(*shape, dtype=np.float64):
    return R.standard_normal(shape).astype(dtype)


def F(lib):
    return lib.nn.functional


def both(name, *args, **kwargs):
    return (lambda: getattr(ug_nn, name)(*args, **kwargs), lambda: getattr(th_nn, name)(*args, **kwargs))


def rand(*shape, dtype=torch.float32):
    return torch.tensor(R.standard_normal(shape), dtype=dtype)


# ----- layers: outputs, input and parameter gradients, state_dict from torch -------------------
LAYERS = {
    "Conv3d": (both("Conv3d", 4, 6, (3, 2, 3), stride=(1, 2, 1), padding=(1, 0, 2), dilation=(2, 1, 1), groups=2),
               [(2, 4, 5, 6, 5)]),
    "Conv3d_same_reflect": (both("Conv3d", 2, 3, (2, 3, 4), padding="same", padding_mode="reflect"), [(1, 2, 4, 5, 6)]),
    "Conv3d_replicate_nobias": (both("Conv3d", 2, 2, 3, padding=1, stride=2, bias=False, padding_mode="replicate"),
                                [(2, 2, 5, 4, 5)]),
    "Conv3d_unbatched_circular": (both("Conv3d", 2, 3, 2, padding=(1, 2, 1), padding_mode="circular"), [(2, 3, 4, 3)]),
    "Conv2d_circular_dilated": (both("Conv2d", 2, 3, 3, padding=(2, 1), dilation=2, padding_mode="circular"), [(2, 2, 6, 5)]),
    "Conv2d_same_replicate": (both("Conv2d", 2, 3, (2, 4), padding="same", padding_mode="replicate"), [(2, 2, 5, 6)]),
    "Conv1d_reflect_groups": (both("Conv1d", 4, 2, 3, padding=2, groups=2, padding_mode="reflect"), [(2, 4, 7)]),
    "ConvTranspose1d": (both("ConvTranspose1d", 4, 6, 3, stride=2, padding=1, output_padding=1, groups=2, dilation=2),
                        [(2, 4, 5)]),
    "ConvTranspose3d": (both("ConvTranspose3d", 3, 2, (2, 3, 2), stride=(2, 1, 3), padding=(0, 1, 1),
                             output_padding=(1, 0, 2)), [(2, 3, 3, 4, 3)]),
    "ConvTranspose3d_unbatched_groups": (both("ConvTranspose3d", 4, 2, 2, groups=2, bias=False, dilation=(1, 2, 1)),
                                         [(4, 2, 3, 2)]),
    "MaxPool3d": (both("MaxPool3d", (2, 3, 2), stride=(1, 2, 2), padding=1, dilation=(2, 1, 1), ceil_mode=True,
                       return_indices=True), [(2, 2, 5, 6, 5)]),
    "MaxPool3d_unbatched": (both("MaxPool3d", 2), [(3, 4, 5, 4)]),
    "AvgPool3d": (both("AvgPool3d", (3, 2, 2), stride=2, padding=(1, 1, 0), ceil_mode=True, count_include_pad=False),
                  [(2, 2, 6, 5, 5)]),
    "AvgPool3d_divisor": (both("AvgPool3d", 2, stride=1, divisor_override=3), [(1, 2, 3, 4, 3)]),
    "AvgPool1d_ceil": (both("AvgPool1d", 3, 2, 1, ceil_mode=True), [(2, 3, 8)]),
    "AdaptiveAvgPool3d": (both("AdaptiveAvgPool3d", (3, 2, 4)), [(2, 3, 5, 6, 7)]),
    "AdaptiveAvgPool3d_none": (both("AdaptiveAvgPool3d", (None, 3, 1)), [(2, 4, 3, 5)]),
    "AdaptiveAvgPool2d_uneven": (both("AdaptiveAvgPool2d", (4, 3)), [(2, 3, 7, 5)]),
    "AdaptiveMaxPool3d": (both("AdaptiveMaxPool3d", (3, 2, 4), return_indices=True), [(2, 3, 5, 6, 7)]),
    "AdaptiveMaxPool2d_none": (both("AdaptiveMaxPool2d", (None, 3), return_indices=True), [(2, 3, 4, 7)]),
    "AdaptiveMaxPool1d": (both("AdaptiveMaxPool1d", 4, return_indices=True), [(3, 7)]),
    "LPPool1d": (both("LPPool1d", 2, 3, 2), [(2, 3, 8)]),
    "LPPool2d": (both("LPPool2d", 3, (2, 3), stride=(2, 1), ceil_mode=True), [(2, 3, 5, 6)]),
    "LPPool3d": (both("LPPool3d", 1.5, 2), [(2, 2, 4, 5, 4)]),
    "Upsample_nearest3d": (both("Upsample", scale_factor=(2, 1.5, 0.7)), [(1, 2, 3, 4, 5)]),
    "Upsample_nearest_exact": (both("Upsample", size=(5, 7), mode="nearest-exact"), [(2, 2, 3, 4)]),
    "Upsample_linear": (both("Upsample", scale_factor=2.5, mode="linear"), [(2, 3, 5)]),
    "Upsample_bilinear": (both("Upsample", size=(5, 3), mode="bilinear"), [(2, 2, 4, 6)]),
    "Upsample_bicubic_corners": (both("Upsample", scale_factor=(1.5, 2), mode="bicubic", align_corners=True),
                                 [(2, 2, 4, 3)]),
    "Upsample_trilinear": (both("Upsample", size=(3, 5, 2), mode="trilinear"), [(1, 2, 2, 3, 4)]),
    "Upsample_area": (both("Upsample", size=(3, 4), mode="area"), [(2, 2, 7, 5)]),
    "UpsamplingNearest2d": (both("UpsamplingNearest2d", scale_factor=2), [(1, 2, 3, 4)]),
    "UpsamplingBilinear2d": (both("UpsamplingBilinear2d", size=(5, 7)), [(1, 2, 3, 4)]),
    "PixelShuffle": (both("PixelShuffle", 2), [(2, 8, 3, 4)]),
    "PixelUnshuffle": (both("PixelUnshuffle", 3), [(2, 1, 6, 3)]),
    "ChannelShuffle": (both("ChannelShuffle", 3), [(2, 6, 2, 3)]),
    "Fold": (both("Fold", (5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)), [(2, 12, 12)]),
    "Unfold": (both("Unfold", (2, 3), dilation=(2, 1), padding=1, stride=(1, 2)), [(2, 3, 5, 6)]),
    "Dropout3d_eval": (both("Dropout3d", 0.4), [(2, 3, 2, 2, 2)]),
    "FeatureAlphaDropout_eval": (both("FeatureAlphaDropout", 0.4), [(2, 3, 4)]),
    "ZeroPad1d": (both("ZeroPad1d", (2, -1)), [(2, 3, 4)]),
    "ZeroPad2d": (both("ZeroPad2d", (1, 0, 2, 1)), [(2, 2, 3)]),
    "ZeroPad3d": (both("ZeroPad3d", 1), [(1, 2, 2, 2, 2)]),
    "ConstantPad1d": (both("ConstantPad1d", 2, 1.5), [(2, 3)]),
    "ConstantPad2d": (both("ConstantPad2d", (0, 1, -1, 2), -2.0), [(2, 2, 3, 3)]),
    "ConstantPad3d": (both("ConstantPad3d", (1, 0, 0, 1, 2, 0), 0.5), [(2, 2, 2, 3)]),
    "ReflectionPad1d": (both("ReflectionPad1d", (3, 1)), [(2, 2, 5)]),
    "ReflectionPad2d": (both("ReflectionPad2d", (1, 2, 2, 0)), [(2, 3, 4)]),
    "ReflectionPad3d": (both("ReflectionPad3d", (1, 0, 2, 1, 0, 1)), [(1, 2, 3, 3, 4)]),
    "ReplicationPad1d": (both("ReplicationPad1d", (2, 3)), [(3, 4)]),
    "ReplicationPad2d": (both("ReplicationPad2d", (1, -1, 3, 0)), [(2, 2, 3, 4)]),
    "ReplicationPad3d": (both("ReplicationPad3d", 2), [(2, 2, 2, 3)]),
    "CircularPad1d": (both("CircularPad1d", (2, 1)), [(2, 2, 4)]),
    "CircularPad2d": (both("CircularPad2d", (1, 2, -1, 2)), [(2, 2, 3, 4)]),
    "CircularPad3d": (both("CircularPad3d", (1, 0, 0, 2, 1, 1)), [(1, 2, 2, 3, 3)]),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_layer_matches_torch(name, dtype):
    (ours, theirs), shapes = LAYERS[name]
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-9, atol=1e-10)
    compare_module(ours, theirs, [rand(*s, dtype=dtype) for s in shapes], dtype=dtype,
                   train=not name.endswith("_eval"), **tol)


def test_conv_transpose_output_size_picks_the_output_padding():
    for n, size in ((1, [9]), (2, [2, 4, 9, 8]), (3, [8, 8, 7])):
        ours, theirs = both(f"ConvTranspose{n}d", 4, 2, 3, stride=(3, 2, 2)[:n], padding=1)
        x = rand(2, 4, *(3, 4, 4)[:n])
        compare_module(ours, theirs, [x, size], rtol=1e-4, atol=1e-5)
    layer = ug_nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1)
    with pytest.raises(ValueError, match=r"requested an output size of \[12, 12\], but valid sizes range from "
                                         r"\[7, 7\] to \[8, 8\]"):
        layer(unigrad.zeros(1, 4, 4, 4), output_size=[12, 12])
    with pytest.raises(ValueError, match="output_size must have 2 or 4 elements"):
        layer(unigrad.zeros(1, 4, 4, 4), output_size=[7])


def test_layers_repr_and_state_dict_names_match_torch():
    for name, ((ours, theirs), _) in LAYERS.items():
        o, t = ours(), theirs()
        assert repr(o) == repr(t), name
        o.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
        assert {k: tuple(v.shape) for k, v in o.state_dict().items()} == \
               {k: tuple(v.shape) for k, v in t.state_dict().items()}, name
    assert repr(ug_nn.ConvTranspose3d(2, 4, 3, output_padding=1, stride=2, groups=2)) == \
        repr(th_nn.ConvTranspose3d(2, 4, 3, output_padding=1, stride=2, groups=2))
    assert repr(ug_nn.Conv2d(2, 3, 3, padding="same", bias=False, padding_mode="zeros")) == \
        repr(th_nn.Conv2d(2, 3, 3, padding="same", bias=False, padding_mode="zeros"))


@pytest.mark.parametrize("name,args", [("Conv3d", (3, 8, (2, 3, 3))), ("ConvTranspose1d", (6, 4, 5)),
                                       ("ConvTranspose3d", (4, 6, 3, 1, 0, 0, 2))])
def test_convolution_initialisation_follows_kaiming_uniform(name, args):
    unigrad.manual_seed(0)
    layer = getattr(ug_nn, name)(*args)
    weight, bias = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    fan_in = weight.shape[1] * int(np.prod(weight.shape[2:]))
    bound = 1 / np.sqrt(fan_in)  # kaiming_uniform(a=sqrt(5)) gives the same bound as the bias
    assert np.all(np.abs(weight) <= bound) and np.all(np.abs(bias) <= bound)
    assert weight.std() == pytest.approx(bound / np.sqrt(3), rel=0.25)
    assert tuple(weight.shape) == tuple(getattr(th_nn, name)(*args).weight.shape)


def test_constructor_errors_match_torch():
    cases = [
        (lambda nn: nn.Conv3d(4, 6, 3, groups=4), ValueError, "out_channels must be divisible by groups"),
        (lambda nn: nn.Conv3d(4, 6, 3, groups=0), ValueError, "groups must be a positive integer"),
        (lambda nn: nn.Conv1d(4, 6, 3, padding="full"), ValueError, "Invalid padding string 'full'"),
        (lambda nn: nn.Conv2d(4, 6, 3, stride=2, padding="same"), ValueError, "not supported for strided"),
        (lambda nn: nn.Conv3d(4, 6, 3, padding_mode="mirror"), ValueError, "padding_mode must be one of"),
        (lambda nn: nn.ConvTranspose3d(4, 6, 3, padding_mode="reflect"), ValueError,
         'Only "zeros" padding mode is supported for ConvTranspose3d'),
        (lambda nn: nn.FractionalMaxPool2d(2), ValueError, "requires specifying either an output size"),
        (lambda nn: nn.FractionalMaxPool3d(2, output_size=3, output_ratio=0.5), ValueError, "only one of"),
        (lambda nn: nn.FractionalMaxPool2d(2, output_ratio=1.5), ValueError, "output_ratio must be between 0 and 1"),
        (lambda nn: nn.FractionalMaxPool3d(0, output_size=2), ValueError, "kernel_size must be greater than 0"),
    ]
    for make, error, match in cases:
        for nn in (th_nn, ug_nn):
            with pytest.raises(error, match=match):
                make(nn)


# ----- functional forms ---------------------------------------------------------------------------
FUNCTIONAL = {
    "conv3d": (lambda lib, x, w, b: F(lib).conv3d(x, w, b, (2, 1, 1), "valid", (1, 1, 2)), [(2, 3, 5, 4, 6), (4, 3, 2, 2, 2), (4,)]),
    "conv3d_same_groups": (lambda lib, x, w: F(lib).conv3d(x, w, None, 1, "same", 1, 3), [(1, 6, 3, 4, 3), (3, 2, 2, 3, 2)]),
    "conv_transpose1d": (lambda lib, x, w, b: F(lib).conv_transpose1d(x, w, b, 3, 2, 2, 1, 2), [(2, 3, 5), (3, 2, 4), (2,)]),
    "conv_transpose3d": (lambda lib, x, w: F(lib).conv_transpose3d(x, w, None, 2, (1, 0, 0), (1, 0, 1), 2), [(1, 4, 2, 3, 2), (4, 1, 3, 2, 2)]),
    "conv_transpose2d_dilation_output_padding": (lambda lib, x, w: F(lib).conv_transpose2d(x, w, stride=1, dilation=2, output_padding=1), [(1, 2, 3, 4), (2, 3, 2, 3)]),
    "fold_unbatched": (lambda lib, x: F(lib).fold(x, (4, 5), 2, stride=(2, 1), padding=(1, 0)), [(8, 12)]),
    "unfold_unbatched": (lambda lib, x: F(lib).unfold(x, (3, 2), padding=(1, 0), dilation=(1, 2)), [(2, 4, 5)]),
    "pad_reflect_3d": (lambda lib, x: F(lib).pad(x, (1, 2, 2, 1, 0, 1), mode="reflect"), [(2, 2, 3, 4, 3)]),
    "pad_replicate_negative": (lambda lib, x: F(lib).pad(x, (-1, 2, 2, -2), mode="replicate"), [(2, 3, 4, 5)]),
    "pad_circular_negative": (lambda lib, x: F(lib).pad(x, (2, -1, -1, 1), mode="circular"), [(2, 3, 4, 5)]),
    "pad_reflect_unbatched": (lambda lib, x: F(lib).pad(x, (3, 3), mode="reflect"), [(3, 5)]),
    "pad_constant_5d": (lambda lib, x: F(lib).pad(x, (1, 1, 0, 2, 1, 0, 0, 1, 1, 0), value=-3.0), [(1, 2, 2, 2, 2)]),
    "max_pool1d_with_indices": (lambda lib, x: F(lib).max_pool1d_with_indices(x, 3, 2, 1), [(2, 3, 9)]),
    "max_pool2d_with_indices": (lambda lib, x: F(lib).max_pool2d_with_indices(x, (2, 3), 1, (1, 1), 2, True), [(2, 2, 6, 7)]),
    "max_pool3d_with_indices": (lambda lib, x: F(lib).max_pool3d_with_indices(x, 2, (1, 2, 2)), [(2, 4, 3, 5)]),
    "max_unpool1d": (lambda lib, x: F(lib).max_unpool1d(*F(lib).max_pool1d(x, 2, return_indices=True), 2), [(2, 3, 7)]),
    "max_unpool2d_output_size": (lambda lib, x: F(lib).max_unpool2d(*F(lib).max_pool2d(x, 3, 2, 1, return_indices=True), 3, 2, 1, (7, 8)), [(2, 2, 7, 8)]),
    "max_unpool3d": (lambda lib, x: F(lib).max_unpool3d(*F(lib).max_pool3d(x, 2, return_indices=True), 2), [(2, 2, 4, 2, 6)]),
    "max_unpool2d_unbatched": (lambda lib, x: F(lib).max_unpool2d(*F(lib).max_pool2d(x, 2, return_indices=True), 2), [(3, 4, 6)]),
    "adaptive_max_pool2d_with_indices": (lambda lib, x: F(lib).adaptive_max_pool2d_with_indices(x, (3, 4)), [(2, 2, 5, 7)]),
    "adaptive_avg_pool1d_uneven": (lambda lib, x: F(lib).adaptive_avg_pool1d(x, 5), [(2, 3, 7)]),
    "lp_pool_inf": (lambda lib, x: F(lib).lp_pool2d(x, float("inf"), 2), [(2, 2, 4, 4)]),
    "pixel_shuffle_5d": (lambda lib, x: F(lib).pixel_shuffle(x, 2), [(2, 1, 8, 2, 3)]),
    "pixel_unshuffle_3d": (lambda lib, x: F(lib).pixel_unshuffle(x, 2), [(2, 4, 6)]),
    "channel_shuffle_3d": (lambda lib, x: F(lib).channel_shuffle(x, 2), [(2, 6, 3)]),
    "top_level_aliases": (lambda lib, x, w: (lib.conv3d(x, w), lib.pixel_shuffle(x[0], 1), lib.max_pool3d(x, 2)),
                          [(1, 2, 4, 4, 4), (3, 2, 2, 2, 2)]),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_matches_torch(name):
    fn, shapes = FUNCTIONAL[name]
    check(fn, *[randn(*s) for s in shapes], rtol=1e-9, atol=1e-10)


INTERPOLATE = [  # (input shape, kwargs)
    ((2, 3, 7), dict(size=4)),
    ((2, 3, 7), dict(scale_factor=0.6)),
    ((2, 3, 4, 5), dict(scale_factor=(1.7, 0.5))),
    ((2, 3, 4, 5), dict(scale_factor=1.3, recompute_scale_factor=True)),
    ((1, 2, 3, 4, 5), dict(size=(4, 2, 7))),
    ((1, 2, 3, 4, 2), dict(scale_factor=(0.7, 2.0, 1.5))),
]
MODES = {3: ("nearest", "nearest-exact", "linear", "area"), 4: ("nearest", "nearest-exact", "bilinear", "bicubic", "area"),
         5: ("nearest", "nearest-exact", "trilinear", "area")}


@pytest.mark.parametrize("shape,kwargs", INTERPOLATE)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_interpolate_every_mode_matches_torch(shape, kwargs, dtype):
    x = randn(*shape, dtype=dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-9, atol=1e-10)
    for mode in MODES[len(shape)]:
        corners = [None] if mode in ("nearest", "nearest-exact", "area") else [False, True]
        for align_corners in corners:
            check(lambda lib, t: F(lib).interpolate(t, mode=mode, align_corners=align_corners, **kwargs), x, **tol)


def test_upsample_aliases_warn_like_torch():
    x = randn(1, 2, 3, 4)
    for name, kwargs in (("upsample", dict(scale_factor=2, mode="bilinear")), ("upsample_nearest", dict(size=(5, 5))),
                         ("upsample_bilinear", dict(scale_factor=(2, 1)))):
        with pytest.warns(UserWarning, match=f"nn.functional.{name}` is deprecated"):
            check(lambda lib, t: getattr(F(lib), name)(t, **kwargs), x)


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_4d_matches_torch(mode, padding_mode, align_corners):
    grid = R.uniform(-1.4, 1.4, (2, 3, 4, 2))
    check(lambda lib, x, g: F(lib).grid_sample(x, g, mode, padding_mode, align_corners),
          randn(2, 3, 4, 5), grid, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_5d_matches_torch(mode, padding_mode):
    grid = R.uniform(-2.5, 2.5, (2, 2, 3, 2, 3))  # far outside: reflection folds several times
    for align_corners in (False, True):
        check(lambda lib, x, g: F(lib).grid_sample(x, g, mode, padding_mode, align_corners),
              randn(2, 2, 3, 4, 3), grid, rtol=1e-9, atol=1e-10)


def test_grid_sample_on_size_one_dims_and_exact_half_positions_matches_torch():
    grid = R.integers(-12, 13, (1, 3, 4, 2)) / 8.0  # pixel positions land on .5: round half to even
    for shape in ((1, 2, 1, 5), (1, 2, 1, 1)):
        for mode, padding_mode in (("nearest", "zeros"), ("bilinear", "reflection"), ("bicubic", "border")):
            for align_corners in (False, True):
                check(lambda lib, x, g: F(lib).grid_sample(x, g, mode, padding_mode, align_corners),
                      randn(*shape), grid, rtol=1e-9, atol=1e-10)


def test_grid_sample_float32_and_affine_grid_match_torch():
    for size, shape in (((2, 3, 4, 5), (2, 2, 3)), ((2, 1, 3, 4, 2), (2, 3, 4)), ((2, 1, 1, 5), (2, 2, 3))):
        for align_corners in (False, True):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # unit-size grids with align_corners warn in both
                check(lambda lib, t: F(lib).affine_grid(t, size, align_corners=align_corners),
                      randn(*shape, dtype=np.float32), rtol=1e-5, atol=1e-6)
    theta = np.array([[[0.9, -0.3, 0.1], [0.2, 1.1, -0.2]]], dtype=np.float32)
    check(lambda lib, x, t: F(lib).grid_sample(x, F(lib).affine_grid(t, (1, 2, 5, 6), align_corners=False),
                                               align_corners=False),
          randn(1, 2, 4, 5, dtype=np.float32), theta, rtol=1e-5, atol=1e-5)
    with pytest.warns(UserWarning, match="Default grid_sample and affine_grid behavior"):
        F(unigrad).grid_sample(unigrad.zeros(1, 1, 2, 2), unigrad.zeros(1, 1, 1, 2))


def test_fractional_max_pool_with_given_samples_matches_torch():
    samples2, samples3 = R.random((2, 3, 2)), R.random((2, 2, 3))

    def given(lib, samples):  # the samples are data, not a differentiable input
        return lib.tensor(samples)
    check(lambda lib, x: F(lib).fractional_max_pool2d(x, (2, 3), (5, 4), return_indices=True,
                                                      _random_samples=given(lib, samples2)), randn(2, 3, 9, 11))
    check(lambda lib, x: F(lib).fractional_max_pool3d(x, 2, output_ratio=(0.5, 0.7, 0.6), return_indices=True,
                                                      _random_samples=given(lib, samples3)), randn(2, 2, 6, 7, 8))
    check(lambda lib, x: F(lib).fractional_max_pool2d(x, 2, output_size=3,
                                                      _random_samples=given(lib, samples2[:1].astype(np.float32))),
          randn(3, 9, 11, dtype=np.float32))
    layers = [lambda lib=lib: lib.nn.FractionalMaxPool2d(3, output_ratio=(0.6, 0.5), return_indices=True,
                                                         _random_samples=given(lib, samples2))
              for lib in (unigrad, torch)]
    compare_module(*layers, [rand(2, 3, 8, 10, dtype=torch.float64)], dtype=torch.float64)


# ----- properties over argument combinations -----------------------------------------------------
@st.composite
def convolutions(draw, transposed=False):
    n = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([1, 2]))
    in_channels, out_channels = groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(n))
    stride = tuple(draw(st.integers(1, 3)) for _ in range(n))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(n))
    padding = tuple(draw(st.integers(0, 2)) for _ in range(n))
    spans = [d * (k - 1) + 1 for k, d in zip(kernel, dilation)]
    sizes = tuple(draw(st.integers(max(1, s - 2 * p if not transposed else 1), 5))
                  for s, p in zip(spans, padding))
    if transposed:
        output_padding = tuple(draw(st.integers(0, max(s, d) - 1)) for s, d in zip(stride, dilation))
        outs = [(i - 1) * s - 2 * p + sp + op for i, s, p, sp, op in zip(sizes, stride, padding, spans, output_padding)]
        if min(outs) <= 0:
            padding = (0,) * n
        return n, groups, in_channels, out_channels, kernel, stride, dilation, padding, sizes, output_padding
    return n, groups, in_channels, out_channels, kernel, stride, dilation, padding, sizes, draw(st.booleans())


@given(convolutions(), st.booleans())
@settings(max_examples=20)
def test_convolution_combinations_match_torch(case, bias):
    n, groups, cin, cout, kernel, stride, dilation, padding, sizes, unbatched = case
    x = randn(*((cin,) if unbatched else (2, cin)), *sizes)
    w = randn(cout, cin // groups, *kernel)
    b = randn(cout) if bias else None
    name = f"conv{n}d"
    check(lambda lib, x, w, *b: getattr(F(lib), name)(x, w, *(b or (None,)), stride, padding, dilation, groups),
          x, w, *([b] if bias else []), rtol=1e-9, atol=1e-10)


@given(convolutions(transposed=True))
@settings(max_examples=20)
def test_transposed_convolution_combinations_match_torch(case):
    n, groups, cin, cout, kernel, stride, dilation, padding, sizes, output_padding = case
    name = f"conv_transpose{n}d"
    check(lambda lib, x, w, b: getattr(F(lib), name)(x, w, b, stride, padding, output_padding, groups, dilation),
          randn(2, cin, *sizes), randn(cin, cout // groups, *kernel), randn(cout), rtol=1e-9, atol=1e-10)


@given(st.integers(1, 3), st.sampled_from(["reflect", "replicate", "circular", "constant"]),
       st.lists(st.integers(-1, 3), min_size=6, max_size=6), st.booleans())
def test_pad_combinations_match_torch(dims, mode, widths, unbatched):
    sizes = (4, 3, 5)[:dims]
    widths = widths[:2 * dims]
    for k, size in enumerate(reversed(sizes)):  # keep within what each mode accepts
        before, after = widths[2 * k], widths[2 * k + 1]
        kept = size - max(-before, 0) - max(-after, 0)
        limit = {"reflect": size - 1, "circular": kept}.get(mode, 3)
        widths[2 * k], widths[2 * k + 1] = min(before, limit), min(after, limit)
    x = randn(*((3,) if unbatched else (2, 3)), *sizes)
    check(lambda lib, t: F(lib).pad(t, widths, mode=mode), x)


@given(st.integers(1, 3), st.data())
def test_pooling_combinations_match_torch(n, data):
    kernel = tuple(data.draw(st.integers(1, 3)) for _ in range(n))
    stride = tuple(data.draw(st.integers(1, 3)) for _ in range(n))
    dilation = tuple(data.draw(st.integers(1, 2)) for _ in range(n))
    padding = tuple(data.draw(st.integers(0, k // 2)) for k in kernel)
    ceil_mode, include_pad = data.draw(st.booleans()), data.draw(st.booleans())
    sizes = tuple(data.draw(st.integers(d * (k - 1) + 1, 6)) for k, d in zip(kernel, dilation))
    x = np.round(randn(2, 2, *sizes), 1)  # ties: the first maximum gets the gradient
    check(lambda lib, t: getattr(F(lib), f"max_pool{n}d")(t, kernel, stride, padding, dilation, ceil_mode, True), x)
    check(lambda lib, t: getattr(F(lib), f"avg_pool{n}d")(t, kernel, stride, padding, ceil_mode, include_pad), x)
    out_sizes = tuple(data.draw(st.integers(1, 7)) for _ in range(n))
    check(lambda lib, t: getattr(F(lib), f"adaptive_max_pool{n}d")(t, out_sizes, True), x)
    check(lambda lib, t: getattr(F(lib), f"adaptive_avg_pool{n}d")(t, out_sizes), x)


@given(st.sampled_from([3, 4, 5]), st.data())
def test_interpolate_sizes_match_torch(ndim, data):
    n = ndim - 2
    sizes = tuple(data.draw(st.integers(1, 6)) for _ in range(n))
    mode = data.draw(st.sampled_from(MODES[ndim]))
    if data.draw(st.booleans()):
        kwargs = dict(size=tuple(data.draw(st.integers(1, 9)) for _ in range(n)))
    else:
        factors = tuple(data.draw(st.sampled_from([0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0])) for _ in range(n))
        factors = tuple(f if int(s * f) >= 1 else 1.0 for f, s in zip(factors, sizes))  # a non-empty output
        kwargs = dict(scale_factor=factors, recompute_scale_factor=data.draw(st.sampled_from([None, True])))
    if mode not in ("nearest", "nearest-exact", "area"):
        kwargs["align_corners"] = data.draw(st.booleans())
    check(lambda lib, t: F(lib).interpolate(t, mode=mode, **kwargs), randn(2, 2, *sizes), rtol=1e-9, atol=1e-10)


# ----- gradients ----------------------------------------------------------------------------------
def test_gradcheck_in_float64():
    from unigrad.autograd import gradcheck
    t = lambda *s: unigrad.tensor(randn(*s), requires_grad=True)  # noqa: E731
    fn = unigrad.nn.functional
    x3, w3 = t(1, 2, 2, 3, 2), t(2, 1, 2, 2, 1)
    assert gradcheck(lambda a, b: fn.conv3d(a, b, padding=1, stride=2, groups=2), (x3, w3))
    assert gradcheck(lambda a, b: fn.conv_transpose3d(a, b, stride=2, output_padding=1, groups=2), (x3, w3))
    x2, grid = t(1, 1, 3, 4), unigrad.tensor(R.uniform(-1.2, 1.2, (1, 2, 2, 2)), requires_grad=True)
    for mode, padding_mode in (("bilinear", "reflection"), ("bicubic", "zeros")):
        assert gradcheck(lambda a, g: fn.grid_sample(a, g, mode, padding_mode, align_corners=False), (x2, grid))
    assert gradcheck(lambda a: fn.interpolate(a, scale_factor=1.5, mode="bicubic", align_corners=False), (x2,))
    assert gradcheck(lambda a: fn.adaptive_avg_pool3d(a, (2, 2, 1)), (x3,))
    assert gradcheck(lambda a: fn.fold(a, (3, 4), 2), (t(1, 4, 6),))
    assert gradcheck(lambda a: fn.pad(a, (2, 1, 1, 2), mode="reflect"), (x2,))


@pytest.mark.parametrize("name", ["conv_transpose3d", "interpolate", "pad_circular", "fold"])
def test_double_backward_matches_torch(name):
    x, w = randn(1, 2, 3, 2, 3), randn(2, 2, 2, 2, 2)
    ops = {
        "conv_transpose3d": lambda lib, a, b: F(lib).conv_transpose3d(a, b, stride=2, padding=1),
        "interpolate": lambda lib, a, b: F(lib).interpolate(a * b.sum(), size=(4, 3, 5), mode="trilinear"),
        "pad_circular": lambda lib, a, b: F(lib).pad(a * b.mean(), (1, 2, 2, 1, 1, 1), mode="circular") ** 2,
        "fold": lambda lib, a, b: F(lib).fold((a * b.sum()).reshape(1, 4, 9), (4, 4), 2, stride=(1, 1)) ** 2,
    }
    grads = {}
    for lib in (unigrad, torch):
        a, b = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        out = ops[name](lib, a, b)
        ga, gb = lib.autograd.grad((out * out).sum(), (a, b), create_graph=True)
        second = lib.autograd.grad((ga * ga).sum() + gb.sum(), (a, b))
        grads[lib.__name__] = [np.asarray(g.detach().numpy()) for g in (ga, gb) + tuple(second)]
    for ours, theirs in zip(grads["unigrad"], grads["torch"]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-9)


# ----- randomness: fractional pooling and feature dropout ------------------------------------------
@pytest.mark.parametrize("n", [2, 3])
def test_fractional_max_pool_windows_follow_the_pseudo_random_sequence(n):
    pool = F(unigrad).fractional_max_pool2d if n == 2 else F(unigrad).fractional_max_pool3d
    in_sizes, kernel, out_sizes = (17, 12, 9)[:n], (2, 3, 1)[:n], (11, 6, 5)[:n]
    planes = (4, 32)
    ramp = unigrad.tensor(np.arange(np.prod(planes + in_sizes), dtype=np.float64).reshape(planes + in_sizes))
    unigrad.manual_seed(5)
    values, indices = pool(ramp, kernel, out_sizes, return_indices=True)
    unigrad.manual_seed(5)
    np.testing.assert_array_equal(pool(ramp, kernel, out_sizes).numpy(), values.numpy())  # seeded
    unigrad.manual_seed(6)
    assert not np.array_equal(pool(ramp, kernel, out_sizes).numpy(), values.numpy())
    assert tuple(values.shape) == planes + out_sizes
    flat = ramp.numpy().reshape(planes + (-1,))
    np.testing.assert_array_equal(np.take_along_axis(flat, indices.numpy().reshape(planes + (-1,)), 2),
                                  values.numpy().reshape(planes + (-1,)))
    # on a ramp a window's maximum is its last element: the indices reveal every window's start
    coords = np.unravel_index(indices.numpy(), in_sizes)
    for d in range(n):
        starts = np.moveaxis(coords[d] - (kernel[d] - 1), 2 + d, -1).reshape(planes + (-1, out_sizes[d]))
        assert np.all(starts == starts[:, :, :1])  # a dim's starts do not depend on the other dims
        starts = starts[:, :, 0]
        alpha = (in_sizes[d] - kernel[d]) / (out_sizes[d] - 1)
        assert np.all(starts[..., 0] == 0) and np.all(starts[..., -1] == in_sizes[d] - kernel[d])
        steps = np.diff(starts, axis=-1)
        assert set(np.unique(steps[..., :-1])) <= {np.floor(alpha), np.ceil(alpha)}
        # the samples are uniform: the first step is ceil(alpha) as often as for evenly spread samples
        u = (np.arange(10_000) + 0.5) / 10_000
        expected = (np.floor((1 + u) * alpha) - np.floor(u * alpha) == np.ceil(alpha)).mean()
        assert (steps[..., 0] == np.ceil(alpha)).mean() == pytest.approx(expected, abs=0.15)


def test_fractional_max_pool_samples_come_from_the_philox_stream():
    x = unigrad.tensor(randn(4, 8, 9, 9))
    unigrad.manual_seed(9)
    values = F(unigrad).fractional_max_pool2d(x, 2, output_size=5)
    unigrad.manual_seed(9)
    samples = unigrad.rand(4, 8, 2, dtype=x.dtype)
    np.testing.assert_array_equal(
        values.numpy(), F(unigrad).fractional_max_pool2d(x, 2, output_size=5, _random_samples=samples).numpy())
    layer = ug_nn.FractionalMaxPool3d(2, output_ratio=0.5)
    unigrad.manual_seed(9)
    out = layer(unigrad.tensor(randn(2, 3, 6, 6, 7)))
    assert tuple(out.shape) == (2, 3, 3, 3, 3) and layer._random_samples is None


def test_dropout3d_and_feature_alpha_dropout_drop_whole_channels():
    unigrad.manual_seed(2)
    x = unigrad.ones(16, 32, 2, 3, 2)
    out = F(unigrad).dropout3d(x, 0.3).numpy().reshape(16, 32, -1)
    assert np.all(out == out[..., :1])
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((out[..., 0] == 0).mean() - 0.3) < 0.05
    unbatched = F(unigrad).dropout3d(unigrad.ones(32, 2, 2, 2), 0.5).numpy().reshape(32, -1)
    assert np.all(unbatched == unbatched[:, :1]) and 0 < (unbatched[:, 0] == 0).sum() < 32
    layer = ug_nn.Dropout3d(0.5)
    layer.eval()
    assert layer(x) is x
    p, alpha = 0.2, 1.7580993408473766
    a = 1 / np.sqrt((alpha ** 2 * p + 1) * (1 - p))
    z = R.standard_normal((64, 128, 6)).astype(np.float32)
    unigrad.manual_seed(3)
    y = F(unigrad).feature_alpha_dropout(unigrad.tensor(z), p, training=True).numpy()
    dropped = np.all(np.isclose(y, -alpha * a * (1 - p)), axis=-1)
    np.testing.assert_allclose(y[~dropped], z[~dropped] * a + alpha * a * p, rtol=1e-6, atol=1e-6)
    assert abs(dropped.mean() - p) < 0.03  # whole channels take the constant value
    assert abs(y.mean()) < 0.05 and abs(y.std() - 1.0) < 0.05  # mean and variance are kept
    unigrad.manual_seed(3)
    np.testing.assert_array_equal(F(unigrad).feature_alpha_dropout(unigrad.tensor(z), p, training=True).numpy(), y)
    assert np.all(F(unigrad).feature_alpha_dropout(unigrad.tensor(z), 1.0, training=True).numpy() == 0)
    assert np.all(F(unigrad).alpha_dropout(unigrad.tensor(z), 1.0, training=True).numpy() == 0)


def test_dropout2d_reads_3d_input_as_batched_with_torchs_warning():
    unigrad.manual_seed(4)
    with pytest.warns(UserWarning, match="assuming that channel-wise 1D dropout behavior is desired"):
        out = F(unigrad).dropout2d(unigrad.ones(8, 16, 5), 0.5).numpy()
    assert np.all(out == out[..., :1])  # (N, C, L): masks per (n, c)
    assert len({tuple(row) for row in (out[..., 0] == 0)}) > 1  # not one mask shared by the batch
    with pytest.warns(UserWarning, match="Received a 2-D input to dropout3d"):
        F(unigrad).dropout3d(unigrad.ones(4, 4), 0.5)


# ----- bad input: same exception type as torch, same message ---------------------------------------
ERRORS = [
    (lambda lib: F(lib).conv3d(lib.zeros(2, 3, 4), lib.zeros(4, 3, 2, 2, 2)), RuntimeError,
     r"Expected 4D \(unbatched\) or 5D \(batched\) input to conv3d, but got input of size: \[2, 3, 4\]"),
    (lambda lib: F(lib).conv3d(lib.zeros(1, 2, 4, 4, 4), lib.zeros(4, 3, 2, 2, 2)), RuntimeError,
     r"Given groups=1, weight of size \[4, 3, 2, 2, 2\], expected input\[1, 2, 4, 4, 4\] to have 3 channels"),
    (lambda lib: F(lib).conv3d(lib.zeros(1, 3, 2, 2, 2), lib.zeros(4, 3, 3, 3, 3)), RuntimeError,
     r"Kernel size: \(3 x 3 x 3\). Kernel size can't be greater than actual input size"),
    (lambda lib: F(lib).conv2d(lib.zeros(1, 3, 5, 5), lib.zeros(4, 3, 3, 3), stride=2, padding="same"), RuntimeError,
     "padding='same' is not supported for strided convolutions"),
    (lambda lib: F(lib).conv2d(lib.zeros(1, 3, 5, 5), lib.zeros(4, 3, 3, 3), lib.zeros(3)), RuntimeError,
     r"expected bias to be 1-dimensional with 4 elements, but got bias of size \[3\]"),
    (lambda lib: F(lib).conv2d(lib.zeros(1, 4, 5, 5), lib.zeros(3, 2, 3, 3), groups=2), RuntimeError,
     "expected weight to be divisible by 2 at dimension 0"),
    (lambda lib: F(lib).conv2d(lib.zeros(1, 3, 5, 5), lib.zeros(4, 3, 3, 3), padding=-1), RuntimeError,
     "negative padding is not supported"),
    (lambda lib: F(lib).conv2d(lib.zeros(1, 3, 5, 5, dtype=lib.float64), lib.zeros(4, 3, 3, 3)), RuntimeError,
     "expected scalar type Double but found Float"),
    (lambda lib: F(lib).conv_transpose2d(lib.zeros(1, 3, 5, 5), lib.zeros(4, 3, 3, 3)), RuntimeError,
     r"Given transposed=1, weight of size \[4, 3, 3, 3\], expected input\[1, 3, 5, 5\] to have 4 channels"),
    (lambda lib: F(lib).conv_transpose3d(lib.zeros(1, 3, 5, 5, 5), lib.zeros(3, 3, 3, 3, 3), stride=2,
                                         output_padding=2), RuntimeError,
     "output padding must be smaller than either stride or dilation, but got output_padding_depth: 2"),
    (lambda lib: F(lib).conv_transpose1d(lib.zeros(1, 3, 1), lib.zeros(3, 3, 1), padding=1), RuntimeError,
     r"Given input size per channel: \(1 x 1\). Calculated output size per channel: \(1 x -1\)"),
    (lambda lib: F(lib).max_pool2d(lib.zeros(1, 1, 4, 4), 2, padding=2), RuntimeError,
     "pad should be at most half of effective kernel size, but got pad=2, kernel_size=2 and dilation=1"),
    (lambda lib: F(lib).max_pool3d(lib.zeros(1, 1, 2, 2, 2), 3), RuntimeError,
     r"Given input size: \(1x2x2x2\). Calculated output size: \(1x0x0x0\). Output size is too small"),
    (lambda lib: F(lib).max_pool2d(lib.zeros(1, 1, 4, 4), 2, dilation=0), RuntimeError,
     "dilation should be greater than zero, but got dilationH: 0 dilationW: 0"),
    (lambda lib: F(lib).max_pool3d(lib.zeros(1, 1, 4, 4, 4), 0, 1), RuntimeError,
     "kernel size should be greater than zero, but got kT: 0 kH: 0 kW: 0"),
    (lambda lib: F(lib).avg_pool2d(lib.zeros(1, 1, 4, 4), (2, 2, 2)), RuntimeError,
     "avg_pool2d: kernel_size must either be a single int, or a tuple of two ints"),
    (lambda lib: F(lib).avg_pool2d(lib.zeros(1, 1, 4, 4), 2, divisor_override=0), RuntimeError,
     "divisor must be not zero"),
    (lambda lib: F(lib).adaptive_avg_pool3d(lib.zeros(1, 3, 4, 4, 4), (2, 2)), RuntimeError,
     "adaptive_avg_pool3d: output_size must be 3"),
    (lambda lib: F(lib).adaptive_avg_pool2d(lib.zeros(1, 1, 0, 4), 2), RuntimeError,
     r"Expected input to have non-zero size for non-batch dimensions, but input has sizes \[1, 1, 0, 4\]"),
    (lambda lib: F(lib).adaptive_max_pool2d(lib.zeros(1, 1, 4, 4, dtype=lib.int64), 2), NotImplementedError,
     "\"adaptive_max_pool2d\" not implemented for 'Long'"),
    (lambda lib: F(lib).max_unpool2d(lib.zeros(1, 1, 2, 2), lib.tensor([[[[0, 1], [2, 100]]]]), 2), RuntimeError,
     r"Found an invalid max index: 100 \(output volumes are of size 4x4\)"),
    (lambda lib: F(lib).max_unpool1d(lib.zeros(1, 1, 2), lib.tensor([[[0, -1]]]), 2), RuntimeError,
     r"Found an invalid max index: -1 \(output volumes are of size 4x1\)"),
    (lambda lib: F(lib).max_unpool2d(lib.zeros(1, 1, 2, 2), lib.zeros(1, 1, 2, 2), 2), RuntimeError,
     "elements in indices should be type int64 but got: Float"),
    (lambda lib: F(lib).max_unpool2d(lib.zeros(1, 1, 2, 2), lib.zeros(1, 1, 1, 3, dtype=lib.int64), 2), RuntimeError,
     r"Expected shape of indices to be same as that of the input tensor \(\[1, 1, 2, 2\]\)"),
    (lambda lib: F(lib).max_unpool2d(lib.zeros(1, 1, 2, 2), lib.zeros(1, 1, 2, 2, dtype=lib.int64), 2,
                                     output_size=(7, 7)), ValueError,
     r'invalid output_size "\(7, 7\)" \(dim 0 must be between 2 and 6\)'),
    (lambda lib: F(lib).fractional_max_pool2d(lib.zeros(1, 1, 4, 4), 3, output_size=3), RuntimeError,
     "pool height 3 too large relative to input height 4"),
    (lambda lib: F(lib).fractional_max_pool2d(lib.zeros(2, 3, 8, 8), 2, output_size=4,
                                              _random_samples=lib.zeros(2, 3, 3)), RuntimeError,
     r"Expect _random_samples.size\(2\) equals to 2; got 3."),
    (lambda lib: F(lib).pad(lib.zeros(2, 3), (1,)), RuntimeError, "Padding length must be divisible by 2"),
    (lambda lib: F(lib).pad(lib.zeros(1, 2, 3), (1, 1), mode="foo"), NotImplementedError,
     "Unrecognised padding mode foo"),
    (lambda lib: F(lib).pad(lib.zeros(1, 2, 3), (3, 3), mode="reflect"), RuntimeError,
     r"Padding size should be less than the corresponding input dimension, but got: padding \(3, 3\) at "
     r"dimension 2 of input \[1, 2, 3\]"),
    (lambda lib: F(lib).pad(lib.zeros(3), (1, 1), mode="circular"), NotImplementedError,
     "Padding size 2 is not supported for 1D input tensor"),
    (lambda lib: F(lib).pad(lib.zeros(1, 2, 3), (4, 0), mode="circular"), RuntimeError,
     "Padding value causes wrapping around more than once"),
    (lambda lib: F(lib).pad(lib.zeros(1, 2, 3), (1, 1), mode="reflect", value=1.0), RuntimeError,
     "Padding mode \"reflect\" doesn't take in value argument"),
    (lambda lib: F(lib).interpolate(lib.zeros(1, 1, 4), size=2, scale_factor=2), ValueError,
     "only one of size or scale_factor should be defined"),
    (lambda lib: F(lib).interpolate(lib.zeros(1, 1, 4), size=(2, 2)), ValueError,
     "Input and output must have the same number of spatial dimensions"),
    (lambda lib: F(lib).interpolate(lib.zeros(1, 1, 4), size=2, align_corners=True), ValueError,
     "align_corners option can only be set with the interpolating modes"),
    (lambda lib: F(lib).interpolate(lib.zeros(1, 1, 4), size=2, recompute_scale_factor=True), ValueError,
     "recompute_scale_factor is not meaningful with an explicit size"),
    (lambda lib: F(lib).interpolate(lib.zeros(1, 1, 4), size=2, mode="bilinear"), NotImplementedError,
     "Got 3D input, but bilinear mode needs 4D input"),
    (lambda lib: F(lib).interpolate(lib.zeros(1, 1, 4, 4, 4), size=2, mode="bicubic"), NotImplementedError,
     r"Only 3D, 4D and 5D input Tensors supported \(got 5D\)"),
    (lambda lib: F(lib).interpolate(lib.zeros(1, 1, 4), size=(2.5,)), TypeError, "expected size to be one of int"),
    (lambda lib: F(lib).interpolate(lib.zeros(1, 1, 4), scale_factor=0.1), RuntimeError,
     r"Input and output sizes should be greater than 0, but got input \(W: 4\) and output \(W: 0\)"),
    (lambda lib: F(lib).interpolate(lib.zeros(1, 1, 4), size=2, mode="linear", antialias=True), ValueError,
     "Anti-alias option is restricted to bilinear, bicubic, and lanczos modes"),
    (lambda lib: F(lib).grid_sample(lib.zeros(1, 1, 4, 4), lib.zeros(1, 2, 2, 2), mode="foo", align_corners=False),
     ValueError, "expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: 'foo'"),
    (lambda lib: F(lib).grid_sample(lib.zeros(1, 1, 4, 4), lib.zeros(1, 2, 2, 3), align_corners=False),
     RuntimeError, "expected grid to have size 2 in last dimension"),
    (lambda lib: F(lib).grid_sample(lib.zeros(1, 1, 4, 4), lib.zeros(2, 2, 2, 2), align_corners=False),
     RuntimeError, "expected grid and input to have same batch size"),
    (lambda lib: F(lib).grid_sample(lib.zeros(1, 1, 4, 4, 4), lib.zeros(1, 2, 2, 2, 3), mode="bicubic",
                                    align_corners=False), RuntimeError, "bicubic interpolation only supports 4D input"),
    (lambda lib: F(lib).affine_grid(lib.zeros(1, 3, 3), (1, 1, 2, 2), align_corners=False), ValueError,
     "Expected a batch of 2D affine matrices of shape Nx2x3 for size"),
    (lambda lib: F(lib).affine_grid(lib.zeros(1, 2, 3), (1, 1, 2), align_corners=False), NotImplementedError,
     "affine_grid only supports 4D and 5D sizes"),
    (lambda lib: F(lib).affine_grid(lib.zeros(1, 2, 3), (1, 1, 0, 2), align_corners=False), ValueError,
     "Expected non-zero, positive output size"),
    (lambda lib: F(lib).pixel_shuffle(lib.zeros(1, 3, 2, 2), 2), RuntimeError,
     r"input.size\(-3\)=3 is not divisible by 4"),
    (lambda lib: F(lib).pixel_unshuffle(lib.zeros(1, 3, 2, 3), 2), RuntimeError,
     r"pixel_unshuffle expects width to be divisible by downscale_factor, but input.size\(-1\)=3"),
    (lambda lib: F(lib).channel_shuffle(lib.zeros(1, 3, 2, 2), 2), RuntimeError,
     "Number of channels must be divisible by groups. Got 3 channels and 2 groups."),
    (lambda lib: F(lib).fold(lib.zeros(1, 4, 5), (3, 3), 2), RuntimeError,
     r"expected size of input's dimension 2 to match the calculated number of sliding blocks 2 \* 2 = 4, but "
     r"got input.size\(2\)=5"),
    (lambda lib: F(lib).fold(lib.zeros(1, 5, 4), (3, 3), 2), RuntimeError,
     r"Expected size of input's dimension 1 to be divisible by the product of kernel_size"),
    (lambda lib: F(lib).unfold(lib.zeros(1, 1, 2, 2), 3), RuntimeError,
     r"calculated shape of the array of sliding blocks as \(0, 0\), but its components must be at least one"),
    (lambda lib: F(lib).feature_alpha_dropout(lib.zeros(4), 0.5, True), RuntimeError,
     "Feature dropout requires at least 2 dimensions in the input"),
    (lambda lib: F(lib).dropout1d(lib.zeros(4), 0.5), RuntimeError, "dropout1d: Expected 2D or 3D input"),
]


@pytest.mark.parametrize("case", range(len(ERRORS)))
def test_errors_match_torch(case):
    fn, error, match = ERRORS[case]
    with pytest.raises(error, match=match):
        fn(torch)
    backend = unigrad.backends.registry.get_backend(unigrad.get_default_device())
    if "invalid max index" in match and backend.deferred_index_checks:  # reported at the next read
        with pytest.raises(IndexError, match="out of range"):
            fn(unigrad).tolist()
        return
    with pytest.raises(error, match=match):
        fn(unigrad)


def test_invalid_input_leaves_module_state_intact():
    layer = ug_nn.ConvTranspose2d(2, 3, 3, stride=2)
    before = layer.weight.detach().numpy().copy()
    with pytest.raises(RuntimeError):
        layer(unigrad.zeros(1, 3, 4, 4))
    np.testing.assert_array_equal(layer.weight.detach().numpy(), before)
    assert layer.weight.grad is None


EMPTY_BATCH = {
    "conv3d": lambda lib, x: F(lib).conv3d(x, lib.ones(2, 3, 2, 2, 2, dtype=x.dtype)),
    "conv_transpose3d": lambda lib, x: F(lib).conv_transpose3d(x, lib.ones(3, 2, 2, 2, 2, dtype=x.dtype), stride=2),
    "max_pool3d": lambda lib, x: F(lib).max_pool3d(x, 2, return_indices=True)[0],
    "adaptive_max_pool3d": lambda lib, x: F(lib).adaptive_max_pool3d(x, (3, 2, 1), True)[0],
    "adaptive_avg_pool3d": lambda lib, x: F(lib).adaptive_avg_pool3d(x, (3, 2, 1)),
    "interpolate": lambda lib, x: F(lib).interpolate(x, scale_factor=1.5, mode="trilinear"),
    "pad": lambda lib, x: F(lib).pad(x, (1, 1, 1, 1, 1, 1), mode="reflect"),
    "grid_sample": lambda lib, x: F(lib).grid_sample(x, lib.zeros(0, 2, 2, 2, 3, dtype=x.dtype), align_corners=False),
    "fractional_max_pool3d": lambda lib, x: F(lib).fractional_max_pool3d(x, 2, output_size=2),
    "max_unpool3d": lambda lib, x: F(lib).max_unpool3d(*F(lib).max_pool3d(x, 2, return_indices=True), 2),
}


@pytest.mark.parametrize("name", sorted(EMPTY_BATCH))
def test_an_empty_batch_flows_through(name):
    check(EMPTY_BATCH[name], np.zeros((0, 3, 4, 4, 4)))
