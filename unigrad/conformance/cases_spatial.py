"""Conformance cases of the spatial family: 3-d and transposed convolutions, pooling in 3-d,
adaptive, LP, fractional and unpooling forms, padding modes, interpolation, fold/unfold, grid
sampling, pixel/channel shuffles and feature dropout. All are composites of the primitive set,
so every backend runs them; their inputs are chosen so that every dtype sees the same
discontinuities (grid positions and fractional-pooling samples are exact binary fractions)."""
from __future__ import annotations

import numpy as np

from .cases import FLOATS, Case, _module_case, fixed

F = lambda lib: lib.nn.functional  # noqa: E731


def _eighths(shape, low, high):
    """Multiples of 1/8 in [low, high]: exact in every float dtype, and so are the pixel
    coordinates grid sampling makes of them."""
    return lambda rng: (rng.integers(int(low * 8), int(high * 8) + 1, shape) / 8.0)


def _product_terms(k):
    """A convolution-like reduction: ``k`` terms of input times weight magnitudes."""
    return lambda inputs: (k, float(np.abs(inputs[0]).max() * np.abs(inputs[1]).max()))


def _terms(k, factor=1.0):
    """``k`` terms of the first input's magnitude (times ``factor``)."""
    return lambda inputs: (k, float(np.abs(inputs[0]).max()) * factor)


_GRID_PRIMITIVES = ("gather", "where", "floor", "mul", "add")
# Selections and copies are exact, but their gradients add the output gradients (standard normal
# weights, so magnitudes up to about 4) of every output that read an element: a short sum.
_GRADIENT_SUMS = lambda inputs: (8, 4.0)  # noqa: E731
_SAMPLES = np.array([[[0.125, 0.625], [0.75, 0.0], [0.375, 0.875]],
                     [[0.5, 0.25], [0.875, 0.5], [0.0, 0.375]]])  # (N=2, C=3, 2), exact in every dtype


def _samples(lib, x, n):
    return lib.tensor(_SAMPLES[..., :n] if n <= 2 else np.concatenate([_SAMPLES, _SAMPLES[..., :1]], -1),
                      dtype=x.dtype, device=x.device)


CASES = [
    Case("spatial.conv3d", "nn", lambda lib, x, w, b: (F(lib).conv3d(x, w, b, (2, 1, 1), (1, 0, 1), (1, 2, 1)),
                                               F(lib).conv3d(x, w[:, :2], None, 1, "same", 1, 2)),
         fixed(((2, 4, 4, 5, 4), "real"), ((4, 4, 2, 2, 3), "real"), ((4,), "real")), ("matrix",), FLOATS,
         True, "reduction", ("matmul", "as_strided", "copy_", "add"), _product_terms(48)),
    Case("spatial.conv_transpose", "nn", lambda lib, x, w, b: (F(lib).conv_transpose3d(x, w, b, 2, 1, (1, 0, 1)),
                                                       F(lib).conv_transpose1d(x[0, :, 0, 0], w[:, :, 0, 0], b, 3,
                                                                               1, 2, 1, 2)),
         fixed(((2, 4, 2, 3, 2), "real"), ((4, 3, 2, 3, 3), "real"), ((3,), "real")), ("matrix",), FLOATS,
         True, "reduction", ("matmul", "as_strided", "add"), _product_terms(72)),
    Case("spatial.max_pool3d", "nn", lambda lib, x: (F(lib).max_pool3d(x, (2, 3, 2), (1, 2, 1), 1, (2, 1, 1), True, True),
                                             F(lib).adaptive_max_pool3d(x, (2, 3, 3), True),
                                             F(lib).max_pool1d_with_indices(x[0, 0, 0], 3, 2, 1, 1, True)),
         fixed(((2, 2, 5, 6, 5), "real")), ("matrix",), FLOATS, True, "reduction", ("maximum", "eq", "gather"),
         _GRADIENT_SUMS),
    Case("spatial.avg_pool3d", "nn", lambda lib, x: (F(lib).avg_pool3d(x, (2, 3, 2), 2, (1, 1, 0), True, False),
                                             F(lib).avg_pool3d(x, 2, 1, divisor_override=3),
                                             F(lib).adaptive_avg_pool3d(x, (2, 4, 3)),
                                             F(lib).lp_pool3d(x, 2, 2)),
         fixed(((2, 2, 5, 6, 5), "real")), ("matrix",), FLOATS, True, "reduction",
         ("sum", "div", "gather", "where", "pow"), _terms(12, 2.0)),
    Case("spatial.max_unpool", "nn", lambda lib, x: (F(lib).max_unpool3d(*F(lib).max_pool3d(x, 2, return_indices=True), 2),
                                             F(lib).max_unpool2d(*F(lib).max_pool2d(x[0], 2, 1, 1, return_indices=True),
                                                                 2, 1, 1, (2, 4, 4, 6))),
         fixed(((2, 2, 4, 4, 6), "real")), ("matrix",), FLOATS, True, "reduction", ("scatter", "gather"),
         _GRADIENT_SUMS),
    Case("spatial.fractional_max_pool", "nn",
         lambda lib, x, y: (F(lib).fractional_max_pool2d(x, 2, (7, 5), return_indices=True,
                                                         _random_samples=_samples(lib, x, 2)),
                            F(lib).fractional_max_pool3d(y, (2, 1, 2), (7, 3, 3), _random_samples=_samples(lib, y, 3))),
         fixed(((2, 3, 11, 8), "real"), ((2, 3, 11, 4, 5), "real")), ("matrix",), FLOATS, True, "reduction",
         ("gather", "maximum", "floor"), _GRADIENT_SUMS),
    Case("spatial.pad_modes", "nn", lambda lib, x: (F(lib).pad(x, (1, 2, 2, 1, 0, 1), mode="reflect"),
                                            F(lib).pad(x[0], (-1, 2, 3, -1), mode="replicate"),
                                            F(lib).pad(x, (2, -1, 1, 3, 1, 1), mode="circular"),
                                            F(lib).pad(x, (1, -1, 0, 2, 1, 1, 0, 1), value=0.5)),
         fixed(((2, 3, 3, 4, 5), "real")), ("matrix",), FLOATS, True, "reduction", ("as_strided", "copy_"),
         _GRADIENT_SUMS),
    Case("spatial.interpolate_nearest", "nn", lambda lib, x: (F(lib).interpolate(x, scale_factor=(1.5, 0.6, 2.0)),
                                                      F(lib).interpolate(x, size=(2, 7, 3), mode="nearest-exact"),
                                                      F(lib).interpolate(x[0], scale_factor=2.5)),
         fixed(((2, 2, 3, 5, 4), "real")), ("matrix",), FLOATS, True, "reduction", ("gather",), _GRADIENT_SUMS),
    Case("spatial.interpolate_linear", "nn",
         lambda lib, x: (F(lib).interpolate(x, scale_factor=(1.5, 0.6, 2.0), mode="trilinear"),
                         F(lib).interpolate(x[0], size=(7, 3), mode="bilinear", align_corners=True),
                         F(lib).interpolate(x[0, 0], scale_factor=1.75, mode="linear"),
                         F(lib).interpolate(x[0], size=(4, 7), mode="area")),
         fixed(((2, 2, 3, 5, 4), "real")), ("matrix",), FLOATS, True, "reduction", ("gather", "mul", "add"),
         _terms(8)),
    Case("spatial.interpolate_bicubic", "nn",
         lambda lib, x: (F(lib).interpolate(x, scale_factor=(1.5, 0.75), mode="bicubic"),
                         F(lib).interpolate(x, size=(7, 4), mode="bicubic", align_corners=True)),
         fixed(((2, 2, 4, 5), "real")), ("matrix",), FLOATS, True, "reduction", ("gather", "mul", "add"),
         _terms(16, 1.5)),
    Case("spatial.fold_unfold", "nn", lambda lib, x: (F(lib).unfold(x, (2, 3), (2, 1), 1, (1, 2)),
                                              F(lib).fold(x.reshape(2, 12, 10), (3, 10), 2, 1, 0, (1, 2))),
         fixed(((2, 3, 5, 8), "real")), ("matrix",), FLOATS, True, "reduction", ("as_strided", "add"), _terms(6)),
    Case("spatial.grid_sample", "nn",
         lambda lib, x, g, g3, x3: tuple(
             F(lib).grid_sample(x, g, mode, padding, corners)
             for mode, padding, corners in (("bilinear", "zeros", False), ("nearest", "border", True),
                                            ("bilinear", "reflection", True))
         ) + (F(lib).grid_sample(x3, g3, "bilinear", "border", False),
              F(lib).grid_sample(x3, g3, "nearest", "reflection", True)),
         fixed(((2, 3, 4, 5), "real"), _eighths((2, 3, 4, 2), -1.25, 1.25), _eighths((2, 2, 3, 2, 3), -1.25, 1.25),
               ((2, 2, 3, 4, 3), "real")), ("matrix",), FLOATS, True, "reduction", _GRID_PRIMITIVES, _terms(8)),
    Case("spatial.grid_sample_bicubic", "nn",
         lambda lib, x, g: tuple(F(lib).grid_sample(x, g, "bicubic", padding, corners)
                                 for padding, corners in (("zeros", False), ("reflection", True))),
         fixed(((2, 3, 4, 5), "real"), _eighths((2, 3, 4, 2), -1.25, 1.25)), ("matrix",), FLOATS, True,
         "reduction", _GRID_PRIMITIVES, _terms(16, 1.5)),
    Case("spatial.affine_grid", "nn", lambda lib, t, t3: (F(lib).affine_grid(t, (2, 1, 4, 5), align_corners=False),
                                                  F(lib).affine_grid(t3, (2, 1, 2, 3, 4), align_corners=True)),
         fixed(((2, 2, 3), "real"), ((2, 3, 4), "real")), ("matrix",), FLOATS, True, "reduction", ("matmul",),
         _terms(4)),
    Case("spatial.shuffles", "nn", lambda lib, x: (F(lib).pixel_shuffle(x, 2), F(lib).pixel_unshuffle(x, 2),
                                           F(lib).channel_shuffle(x, 2)),
         fixed(((2, 4, 2, 4), "real")), ("matrix",), FLOATS, True, "exact", ("copy_", "as_strided")),
    Case("spatial.feature_dropout", "nn", lambda lib, x: (F(lib).dropout3d(x, 0.4), F(lib).feature_alpha_dropout(x, 0.3, True)),
         fixed(((4, 8, 2, 2, 3), "real")), ("matrix",), FLOATS, True, "reduction", ("random_bits", "lt", "mul"),
         _terms(3, 2.0)),
]


class _FractionalMaxPool:  # builds the layer with fixed, exact samples
    def __call__(self, lib):
        return lib.nn.FractionalMaxPool2d(2, output_size=(7, 5), _random_samples=lib.tensor(_SAMPLES))


MODULE_CASES = [
    _module_case("Conv3d_circular", lambda lib: lib.nn.Conv3d(4, 6, (2, 3, 2), stride=(1, 2, 1), padding=1, groups=2,
                                                              padding_mode="circular"),
                 [((2, 4, 4, 5, 3), "real")]),
    _module_case("ConvTranspose3d", lambda lib: lib.nn.ConvTranspose3d(3, 2, 2, stride=2, output_padding=1),
                 [((2, 3, 2, 3, 2), "real")]),
    _module_case("ConvTranspose1d", lambda lib: lib.nn.ConvTranspose1d(2, 4, 3, stride=2, groups=2, dilation=2),
                 [((2, 2, 5), "real")]),
    _module_case("MaxPool3d", lambda lib: lib.nn.MaxPool3d(2, 1, 1), [((2, 2, 3, 4, 3), "real")], "reduction",
                 ("maximum", "eq")),
    _module_case("AvgPool3d", lambda lib: lib.nn.AvgPool3d(3, 2, 1, count_include_pad=False),
                 [((2, 2, 5, 4, 5), "real")], "reduction", ("sum", "div")),
    _module_case("AdaptiveAvgPool3d", lambda lib: lib.nn.AdaptiveAvgPool3d((2, 3, None)),
                 [((2, 2, 5, 4, 3), "real")], "reduction", ("gather", "sum", "where")),
    _module_case("LPPool2d", lambda lib: lib.nn.LPPool2d(2, 2), [((2, 2, 4, 6), "positive")], "reduction",
                 ("pow", "sum")),
    _module_case("FractionalMaxPool2d", _FractionalMaxPool(), [((2, 3, 11, 8), "real")], "reduction", ("gather",)),
    _module_case("ReflectionPad3d", lambda lib: lib.nn.ReflectionPad3d((1, 2, 0, 1, 2, 1)),
                 [((2, 2, 3, 2, 4), "real")], "reduction", ("copy_", "as_strided")),
    _module_case("ReplicationPad2d", lambda lib: lib.nn.ReplicationPad2d((2, 0, 1, 3)), [((2, 3, 4), "real")],
                 "reduction", ("copy_", "as_strided")),
    _module_case("CircularPad1d", lambda lib: lib.nn.CircularPad1d((2, 3)), [((2, 3, 4), "real")], "reduction",
                 ("copy_", "as_strided")),
    _module_case("Upsample_bilinear", lambda lib: lib.nn.Upsample(scale_factor=1.5, mode="bilinear"),
                 [((2, 2, 3, 4), "real")], "reduction", ("gather", "mul", "add")),
    _module_case("PixelShuffle", lambda lib: lib.nn.PixelShuffle(2), [((2, 8, 2, 3), "real")], "exact", ("copy_",)),
    _module_case("Fold", lambda lib: lib.nn.Fold((4, 5), 2), [((2, 8, 12), "real")], "reduction", ("add",)),
    _module_case("Dropout3d", lambda lib: lib.nn.Dropout3d(0.5), [((4, 8, 2, 2, 2), "real")], "rounded",
                 ("random_bits", "lt")),
]
