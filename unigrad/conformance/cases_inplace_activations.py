"""Conformance cases of the in-place activations written into their tensor (relu_, leaky_relu_,
hardtanh_/relu6, elu_/selu_/celu_, sigmoid_, tanh_): values and gradients through their
result-based nodes, on a tensor and on a view of one (the base's CopySlices)."""
from __future__ import annotations

from .cases import FLOATS, Case, fixed


def _inplace_activations(lib, x):
    F = lib.nn.functional
    return (F.relu(x * 1.0, inplace=True), F.leaky_relu(x * 1.0, 0.2, inplace=True),
            F.leaky_relu_(x * 1.0, 3.0), F.hardtanh(x * 1.0, -0.5, 0.7, inplace=True),
            F.relu6(x * 4.0, inplace=True), F.elu(x * 1.0, 1.5, inplace=True), F.selu(x * 1.0, inplace=True),
            F.celu(x * 1.0, 2.0, inplace=True), (x * 1.0).sigmoid_(), (x * 1.0).tanh_())


def _on_views(lib, x):
    # one op per base: the version counter is the storage's, so a second in-place op on any of
    # its views invalidates the result the first saved (PyTorch's rule)
    F = lib.nn.functional
    ops = (lambda v: F.relu(v, inplace=True), lambda v: F.leaky_relu(v, 0.1, inplace=True),
           lambda v: v.sigmoid_(), lambda v: F.elu(v, inplace=True), lambda v: F.hardtanh(v, inplace=True))
    bases = []
    for op, view in zip(ops, (lambda b: b[0], lambda b: b[1, ::2], lambda b: b[:, 1], lambda b: b[1:, 2:],
                              lambda b: b.t()[1])):
        base = x * 1.0
        op(view(base))
        bases.append(base)
    return tuple(bases)


CASES = [
    Case("nn.inplace_activations", "nn", _inplace_activations, fixed(((3, 4), "real")), ("matrix",), FLOATS,
         True, "transcendental", ("maximum", "minimum", "mul", "where", "exp", "tanh")),
    Case("nn.inplace_activations_on_views", "nn", _on_views, fixed(((3, 4), "real")), ("matrix",),
         ("float32", "float64"), True, "transcendental", ("maximum", "mul", "where", "exp", "copy_")),
]
