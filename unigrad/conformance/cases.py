"""The declarative case table: one entry per primitive, composite op, fast path, module, loss,
optimizer and semantic rule. The runner turns each entry into concrete cases (shape classes x
dtypes x seeds); nothing here is a hand-written test.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np

FLOATS = ("float32", "float64", "float16", "bfloat16")
INTS = ("int32", "int64")
ALL_NUMERIC = FLOATS + INTS + ("uint8",)

# Shape classes: the shapes each operand takes, and how the tensor is laid out on the device.
ELEMENTWISE_CLASSES = ("scalar", "vector", "matrix", "broadcast", "zero_size", "size_one",
                       "noncontiguous", "negative_step", "special")
SHAPES = {
    "scalar": [(), ()],
    "vector": [(7,), (7,)],
    "matrix": [(3, 5), (3, 5)],
    "broadcast": [(3, 1, 4), (2, 1), (1, 4)],
    "zero_size": [(0, 3), (0, 3)],
    "size_one": [(1, 4, 1), (1, 4, 1)],
    "noncontiguous": [(4, 3), (4, 3)],
    "negative_step": [(3, 4), (3, 4)],
    "special": [(9,), (9,)],
    "large": [(6,), (6,)],
    "tiny": [(6,), (6,)],
}
LAYOUTS = {"noncontiguous": "transposed", "negative_step": "negative_step"}
SPECIAL_VALUES = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 1e-30, 65000.0]


@dataclass
class Case:
    """One op family of the table."""

    name: str
    group: str
    fn: Callable  # fn(lib, *inputs) -> tensor(s); lib is the unigrad module
    make: Callable  # make(rng, shape_class, dtype_name) -> list of numpy arrays / python values
    shape_classes: tuple = ("matrix",)
    dtypes: tuple = ("float32", "float64")
    grad: bool = True
    kind: str = "rounded"  # tolerance class
    primitives: tuple = ()
    terms: Callable | None = None  # terms(inputs) -> (K, scale) for reduction tolerances
    module: Callable | None = None  # for module cases: build(lib) -> Module

    def ids(self):
        return [(self.name, dtype, shape_class) for dtype in self.dtypes for shape_class in self.shape_classes]


# ----- input makers --------------------------------------------------------------------------------
def _values(rng, shape, dtype, domain):
    if dtype == "bool":
        return rng.integers(0, 2, shape).astype(bool)
    if dtype in INTS or dtype == "uint8":
        low = 0 if dtype == "uint8" or domain == "positive" else -5
        array = rng.integers(low, 6, shape)
        if domain == "nonzero":
            array[array == 0] = 1
        return array.astype(dtype)
    if domain == "positive":
        array = rng.uniform(0.1, 3.0, shape)
    elif domain == "unit":
        array = rng.uniform(-0.9, 0.9, shape)
    elif domain == "nonzero":
        array = rng.uniform(0.3, 2.0, shape) * rng.choice([-1.0, 1.0], shape)
    else:
        array = rng.uniform(-2.0, 2.0, shape)
    return array.astype(dtype)


def operands(count: int, domain="real", domains=None):
    """Maker for element-wise ops with ``count`` operands."""
    def make(rng, shape_class, dtype):
        shapes = SHAPES[shape_class]
        out = []
        for i in range(count):
            shape = shapes[min(i, len(shapes) - 1)] if shape_class == "broadcast" else shapes[0]
            d = (domains[i] if domains else domain)
            array = _values(rng, shape, dtype, d)
            if shape_class == "special" and dtype in FLOATS:
                array = np.array(SPECIAL_VALUES, dtype=np.float64)[rng.permutation(9)].astype(dtype)
            elif shape_class == "large" and dtype in FLOATS:
                array = (array * (60.0 if dtype == "float16" else 1e4)).astype(dtype)
            elif shape_class == "tiny" and dtype in FLOATS:
                array = (array * 1e-3).astype(dtype)
            out.append(array)
        return out
    return make


def fixed(*specs):
    """Maker for fixed shapes: each spec is (shape, domain) or a callable(rng) -> value."""
    def make(rng, shape_class, dtype):
        out = []
        for spec in specs:
            if callable(spec):
                out.append(spec(rng))
            else:
                shape, domain = spec
                out.append(_values(rng, shape, dtype if domain not in ("index", "bool") else "int64", domain))
        return out
    return make


def index(shape, high):
    return lambda rng: rng.integers(0, high, shape).astype(np.int64)


def boolean(shape):
    return lambda rng: rng.integers(0, 2, shape).astype(bool)


# ----- the table ---------------------------------------------------------------------------------
def _unary(name, fn, domain="real", kind="transcendental", primitives=None, grad=True, dtypes=FLOATS,
           classes=ELEMENTWISE_CLASSES):
    return Case(name, "elementwise", fn, operands(1, domain), classes, dtypes, grad, kind,
                primitives or (name,))


def _binary(name, fn, domains=("real", "real"), kind="rounded", primitives=None, grad=True,
            dtypes=FLOATS, classes=ELEMENTWISE_CLASSES + ("large", "tiny")):
    return Case(name, "elementwise", fn, operands(2, domains=domains), classes, dtypes, grad, kind,
                primitives or (name,))


def _reduction_terms(axis_sizes):
    def terms(inputs):
        x = np.asarray(inputs[0], dtype=np.float64)
        k = int(np.prod(axis_sizes(x.shape))) if x.size else 1
        scale = float(np.nanmax(np.abs(x))) if x.size else 1.0
        return k, scale
    return terms


def _all(shape):
    return shape


def _matmul_terms(inputs):
    a, b = (np.asarray(v, dtype=np.float64) for v in inputs[:2])
    k = a.shape[-1]
    return k, float(np.abs(a).max() * np.abs(b).max()) if a.size and b.size else 1.0


CASES = [
    # element-wise unary (primitives and composites)
    _unary("neg", lambda lib, x: -x, kind="exact", dtypes=FLOATS + INTS),
    _unary("abs", lambda lib, x: lib.abs(x), kind="exact", dtypes=FLOATS + INTS),
    _unary("exp", lambda lib, x: lib.exp(x)),
    _unary("log", lambda lib, x: lib.log(x), "positive"),
    _unary("log1p", lambda lib, x: lib.log1p(x), "positive"),
    _unary("expm1", lambda lib, x: lib.expm1(x)),
    _unary("sqrt", lambda lib, x: lib.sqrt(x), "positive", kind="rounded"),
    _unary("sin", lambda lib, x: lib.sin(x)),
    _unary("cos", lambda lib, x: lib.cos(x)),
    _unary("tanh", lambda lib, x: lib.tanh(x)),
    _unary("erf", lambda lib, x: lib.erf(x)),
    _unary("floor", lambda lib, x: lib.floor(x * 3), kind="exact", primitives=("floor", "mul")),
    _unary("round", lambda lib, x: lib.round(x * 3), kind="exact", primitives=("round", "mul")),
    _unary("ceil", lambda lib, x: lib.ceil(x * 3), kind="exact", primitives=("floor", "neg", "mul")),
    _unary("sigmoid", lambda lib, x: lib.sigmoid(x * 4), primitives=("exp", "div", "where", "abs")),
    _unary("relu", lambda lib, x: lib.relu(x), kind="exact", primitives=("maximum",)),
    _unary("rsqrt", lambda lib, x: lib.rsqrt(x), "positive", primitives=("sqrt", "div")),
    _unary("sign", lambda lib, x: lib.sign(x), kind="exact", primitives=("lt", "sub", "cast")),
    _unary("gelu", lambda lib, x: lib.nn.functional.gelu(x), primitives=("erf", "mul", "add")),
    _unary("softplus", lambda lib, x: lib.nn.functional.softplus(x * 10), primitives=("exp", "log1p", "where")),
    # element-wise binary
    _binary("add", lambda lib, a, b: a + b, dtypes=FLOATS + INTS),
    _binary("sub", lambda lib, a, b: a - b, dtypes=FLOATS + INTS),
    _binary("mul", lambda lib, a, b: a * b, dtypes=FLOATS + INTS),
    _binary("div", lambda lib, a, b: a / b, ("real", "nonzero")),
    _binary("pow", lambda lib, a, b: a ** b, ("positive", "real"), kind="transcendental"),
    _binary("maximum", lambda lib, a, b: lib.maximum(a, b), kind="exact", dtypes=FLOATS + INTS),
    _binary("minimum", lambda lib, a, b: lib.minimum(a, b), kind="exact", dtypes=FLOATS + INTS),
    _binary("remainder", lambda lib, a, b: a % b, ("real", "nonzero"), grad=False,
            dtypes=("float64",) + INTS, classes=("vector", "matrix", "broadcast", "negative_step")),
    _binary("eq", lambda lib, a, b: a == lib.round(b), kind="exact", grad=False, primitives=("eq", "round")),
    _binary("lt", lambda lib, a, b: a < b, kind="exact", grad=False, dtypes=FLOATS + INTS),
    _binary("le", lambda lib, a, b: a <= b, kind="exact", grad=False, dtypes=FLOATS + INTS, primitives=("lt", "eq")),
    _binary("ne", lambda lib, a, b: a != b, kind="exact", grad=False, dtypes=INTS, primitives=("eq",)),
    Case("bitwise", "elementwise", lambda lib, a, b: ((a & b), (a | b), (a ^ b), ~a),
         operands(2, "positive"), ("vector", "matrix", "broadcast"), INTS + ("uint8",), False,
         "exact", ("bitwise_and", "add", "sub")),
    Case("logical", "elementwise", lambda lib, a, b: ((a > 0) & (b > 0), (a > 0) | (b > 0), ~(a > 0)),
         operands(2), ("vector", "broadcast"), ("float32",), False, "exact", ("bitwise_and", "add", "eq")),
    Case("where", "elementwise", lambda lib, a, b: lib.where(a > b, a, b * 2),
         operands(2), ELEMENTWISE_CLASSES, FLOATS, True, "rounded", ("where", "lt")),
    Case("clamp", "elementwise", lambda lib, a: lib.clamp(a, -0.5, 0.7), operands(1),
         ELEMENTWISE_CLASSES, FLOATS + INTS, True, "exact", ("maximum", "minimum")),
    Case("cast", "elementwise", lambda lib, a: (a.to(lib.float64), a.to(lib.float32), a.to(lib.int64),
                                                 a.to(lib.bool), a.to(lib.uint8).to(lib.int32)),
         operands(1), ("vector", "matrix", "negative_step"), ("float32", "float64", "int32", "int64"),
         False, "exact", ("cast",)),
    # reductions
    Case("sum", "reduction", lambda lib, x: (x.sum(), x.sum(0), x.sum((0, -1), keepdim=True)),
         fixed(((4, 3, 5), "real")), ("matrix",), FLOATS + INTS, True, "reduction", ("sum",),
         _reduction_terms(_all)),
    Case("mean_var_std", "reduction", lambda lib, x: (x.mean(1), x.var(0), x.std(-1, keepdim=True)),
         fixed(((6, 5), "real")), ("matrix",), FLOATS, True, "reduction", ("sum", "div", "mul"),
         _reduction_terms(_all)),
    Case("prod", "reduction", lambda lib, x: (x.prod(1), x.prod()), fixed(((3, 4), "nonzero")),
         ("matrix",), FLOATS, True, "reduction", ("prod",), _reduction_terms(_all)),
    Case("amax_amin", "reduction", lambda lib, x: (x.amax(1), x.amin(0, keepdim=True), x.max()),
         fixed(((5, 6), "real")), ("matrix",), FLOATS + INTS, True, "exact", ("max", "min", "eq", "sum")),
    Case("argmax_argmin", "reduction", lambda lib, x: (x.argmax(1), x.argmin(0), x.argmax(),
                                                        x.max(1).indices), fixed(((5, 6), "real")),
         ("matrix",), FLOATS + INTS, False, "exact", ("argmax", "gather")),
    Case("logsumexp_softmax", "reduction",
         lambda lib, x: (lib.logsumexp(x, 1), x.softmax(0), x.log_softmax(-1)),
         fixed(((4, 7), "real")), ("matrix",), FLOATS, True, "transcendental",
         ("max", "sub", "exp", "sum", "log"), _reduction_terms(_all)),
    Case("norm_cumsum", "reduction", lambda lib, x: (x.norm(), x.norm(1, dim=0), x.cumsum(1)),
         fixed(((4, 6), "real")), ("matrix",), FLOATS, True, "reduction", ("sum", "sqrt", "matmul"),
         _reduction_terms(_all)),
    Case("all_any", "reduction", lambda lib, x: ((x > 0).all(1), (x > 1).any(), x.count_nonzero(0)),
         fixed(((4, 6), "real")), ("matrix",), ("float32",), False, "exact", ("sum", "lt", "eq")),
    # linear algebra
    Case("matmul", "linalg", lambda lib, a, b: a @ b, fixed(((4, 6), "real"), ((6, 3), "real")),
         ("matrix",), FLOATS, True, "reduction", ("matmul",), _matmul_terms),
    Case("matmul_batched_broadcast", "linalg", lambda lib, a, b: a @ b,
         fixed(((2, 1, 4, 6), "real"), ((3, 6, 5), "real")), ("matrix",), FLOATS, True, "reduction",
         ("matmul",), _matmul_terms),
    Case("matmul_vectors", "linalg", lambda lib, a, b: (a[0] @ b, a @ b[:, 0], a[0] @ b[:, 0]),
         fixed(((3, 5), "real"), ((5, 4), "real")), ("matrix",), FLOATS, True, "reduction",
         ("matmul",), _matmul_terms),
    Case("matmul_transposed", "linalg", lambda lib, a, b: a.t() @ b.flip(0),
         fixed(((6, 4), "real"), ((6, 3), "real")), ("matrix",), FLOATS, True, "reduction",
         ("matmul", "as_strided"), _matmul_terms),
    # movement and views
    Case("reshape_permute", "movement",
         lambda lib, x: (x.reshape(6, 4), x.permute(2, 0, 1), x.transpose(0, 1).reshape(-1),
                         x.flatten(1), x.unsqueeze(1).squeeze(1)),
         fixed(((2, 3, 4), "real")), ("matrix",), FLOATS + INTS, True, "exact", ("as_strided", "copy_")),
    Case("expand_flip_narrow", "movement",
         lambda lib, x: (x[:, :1].expand(2, 3, 4), x.flip(0, 2), x.narrow(1, 1, 2), x.diagonal(0, 1, 2),
                         x.repeat(2, 1, 1)),
         fixed(((2, 3, 4), "real")), ("matrix",), FLOATS + INTS, True, "exact", ("as_strided", "copy_")),
    Case("slicing", "movement",
         lambda lib, x: (x[1], x[:, ::2], x[..., -1], x[None, 1:, ::-1], x[::-2, 1::2]),
         fixed(((4, 5, 3), "real")), ("matrix",), FLOATS + INTS, True, "exact", ("as_strided",)),
    Case("cat_stack_split", "movement",
         lambda lib, a, b: (lib.cat([a, b], 1), lib.stack([a[:, :2], b]), *a.split(2, 1), *b.chunk(2, 0)),
         fixed(((3, 4), "real"), ((3, 2), "real")), ("matrix",), FLOATS + INTS, True, "exact",
         ("copy_", "empty", "as_strided")),
    Case("contiguous_clone", "movement", lambda lib, x: (x.t().contiguous(), x.clone()),
         fixed(((3, 5), "real")), ("matrix",), FLOATS + INTS + ("bool",), False, "exact", ("copy_", "empty")),
    # indexing
    Case("advanced_getitem", "indexing",
         lambda lib, x, i, m: (x[i], x[:, i[:2]], x[m], x[i[:2], i[1:3]]),
         fixed(((5, 4), "real"), index((4,), 4), boolean((5, 4))), ("matrix",), FLOATS + INTS, True,
         "exact", ("gather", "nonzero")),
    Case("gather_scatter", "indexing",
         lambda lib, x, i, s: (x.gather(1, i), x.scatter(1, i, s), x.scatter_add(1, i, s)),
         fixed(((3, 5), "real"), index((3, 4), 5), ((3, 4), "real")), ("matrix",), FLOATS, True,
         "rounded", ("gather", "scatter", "scatter_add")),
    Case("index_select_masked", "indexing",
         lambda lib, x, i, m: (x.index_select(0, i), x.masked_fill(m, 7.0), lib.nonzero(m)),
         fixed(((4, 3), "real"), index((5,), 4), boolean((4, 3))), ("matrix",), FLOATS, True, "exact",
         ("gather", "where", "nonzero")),
    Case("setitem", "indexing", lambda lib, x, i: _setitems(lib, x, i),
         fixed(((5, 4), "real"), index((3,), 5)), ("matrix",), FLOATS, True, "exact",
         ("copy_", "scatter", "as_strided")),
    # nn functional and modules
    Case("conv2d", "nn", lambda lib, x, w, b: lib.nn.functional.conv2d(x, w, b, stride=2, padding=1),
         fixed(((2, 3, 7, 6), "real"), ((4, 3, 3, 3), "real"), ((4,), "real")), ("matrix",), FLOATS,
         True, "reduction", ("matmul", "as_strided", "copy_", "add"),
         lambda inputs: (27, float(np.abs(inputs[0]).max() * np.abs(inputs[1]).max()))),
    Case("pooling", "nn", lambda lib, x: (lib.nn.functional.max_pool2d(x, 2),
                                          lib.nn.functional.avg_pool2d(x, 3, 1, 1),
                                          lib.nn.functional.adaptive_avg_pool2d(x, (2, 3))),
         fixed(((2, 3, 6, 6), "real")), ("matrix",), FLOATS, True, "reduction",
         ("maximum", "eq", "sum", "as_strided"), lambda inputs: (9, 2.0)),
    Case("losses", "nn", lambda lib, x, t, y: (lib.nn.functional.cross_entropy(x, t, label_smoothing=0.1),
                                               lib.nn.functional.mse_loss(x, y),
                                               lib.nn.functional.binary_cross_entropy_with_logits(x, (y > 0).to(x.dtype))),
         fixed(((6, 4), "real"), index((6,), 4), ((6, 4), "real")), ("matrix",), FLOATS, True,
         "transcendental", ("gather", "exp", "log", "log1p", "sum")),
    Case("normalization", "nn", lambda lib, x: (lib.nn.functional.layer_norm(x, (5,)),
                                                lib.nn.functional.group_norm(x, 2)),
         fixed(((3, 4, 5), "real")), ("matrix",), FLOATS, True, "transcendental",
         ("sum", "sqrt", "div")),
]


def _setitems(lib, x, i):
    y = x * 1.0
    y[1] = 2.0
    y[:, 1:3] = x[:, :2] * 3
    y[i] = x[:3] + 1
    return y


def _module_case(name, build, inputs, kind="reduction", primitives=("matmul",), dtypes=FLOATS,
                 train=True):
    def fn(lib, model, *xs):
        model.train(train)
        return model(*xs)
    return Case(f"nn.{name}", "module", fn, fixed(*inputs), ("matrix",), dtypes, True, kind,
                primitives, None, build)


MODULE_CASES = [
    _module_case("Linear", lambda lib: lib.nn.Linear(6, 4), [((3, 6), "real")]),
    _module_case("Conv2d", lambda lib: lib.nn.Conv2d(3, 4, 3, padding=1, stride=(2, 1)), [((2, 3, 6, 5), "real")]),
    _module_case("ConvTranspose2d", lambda lib: lib.nn.ConvTranspose2d(3, 2, 3, stride=2), [((2, 3, 3, 3), "real")]),
    _module_case("MaxPool2d", lambda lib: lib.nn.MaxPool2d(3, 2, 1), [((2, 3, 7, 7), "real")], "exact", ("maximum", "eq")),
    _module_case("BatchNorm2d_train", lambda lib: lib.nn.BatchNorm2d(3), [((4, 3, 3, 3), "real")], "transcendental", ("sum", "sqrt")),
    _module_case("BatchNorm2d_eval", lambda lib: lib.nn.BatchNorm2d(3), [((4, 3, 3, 3), "real")], "transcendental", ("sqrt",), train=False),
    _module_case("LayerNorm", lambda lib: lib.nn.LayerNorm(5), [((3, 5), "real")], "transcendental", ("sum", "sqrt")),
    _module_case("Embedding", lambda lib: lib.nn.Embedding(7, 3), [index((2, 4), 7)], "exact", ("gather",)),
    _module_case("LSTM", lambda lib: lib.nn.LSTM(4, 5, num_layers=2, batch_first=True), [((2, 6, 4), "real")],
                 "transcendental", ("matmul", "exp", "tanh")),
    _module_case("GRU", lambda lib: lib.nn.GRU(4, 5, bidirectional=True), [((6, 2, 4), "real")],
                 "transcendental", ("matmul", "exp", "tanh")),
    _module_case("MultiheadAttention", lambda lib: _SelfAttention(lib), [((5, 2, 8), "real")],
                 "transcendental", ("matmul", "exp")),
]


def _SelfAttention(lib):  # noqa: N802 - builds a module
    class SelfAttention(lib.nn.Module):
        def __init__(self):
            super().__init__()
            self.attention = lib.nn.MultiheadAttention(8, 2)

        def forward(self, x):
            return self.attention(x, x, x)[0]
    return SelfAttention()


@dataclass
class AutocastCase:
    """A module run on float32 inputs inside ``autocast(device_type, dtype)``. ``expect`` maps a
    backend's ``autocast_lists`` to the dtype of each output ("low": the region's dtype)."""

    name: str
    build: Callable  # build(lib) -> Module
    fn: Callable  # fn(lib, model, x, target) -> outputs
    input_shape: tuple
    expect: dict
    kind: str = "reduction"
    terms: int = 16  # K of the widest product, for the reduction tolerance


AUTOCAST_CASES = [
    AutocastCase("linear", lambda lib: lib.nn.Linear(16, 8), lambda lib, m, x, t: m(x), (4, 16),
                 {"cpu": ("low",), "cuda": ("low",)}, terms=16),
    AutocastCase("conv2d", lambda lib: lib.nn.Conv2d(3, 4, 3, padding=1), lambda lib, m, x, t: m(x),
                 (2, 3, 6, 6), {"cpu": ("low",), "cuda": ("low",)}, terms=27),
    AutocastCase("mlp_cross_entropy",
                 lambda lib: lib.nn.Sequential(lib.nn.Linear(8, 16), lib.nn.ReLU(), lib.nn.Linear(16, 4)),
                 lambda lib, m, x, t: (lambda y: (y, lib.nn.functional.cross_entropy(y, t)))(m(x)), (6, 8),
                 {"cpu": ("low", "float32"), "cuda": ("low", "float32")}, "transcendental"),
    AutocastCase("softmax_layer_norm_sum", lambda lib: lib.nn.Linear(8, 8),
                 lambda lib, m, x, t: (lambda y: (y.softmax(1), lib.nn.functional.layer_norm(y, (8,)), y.sum(0)))(m(x)),
                 (6, 8), {"cpu": ("low", "low", "low"), "cuda": ("float32", "float32", "float32")},
                 "transcendental"),
    AutocastCase("lstm", lambda lib: lib.nn.LSTM(4, 5), lambda lib, m, x, t: (lambda o: (o[0], *o[1]))(m(x)),
                 (6, 2, 4), {"cpu": ("low", "low", "low"), "cuda": ("low", "low", "low")}, "transcendental"),
]


OPTIMIZERS = {
    "SGD": lambda lib, params: lib.optim.SGD(params, lr=0.1, momentum=0.9, nesterov=True),
    "Adam": lambda lib, params: lib.optim.Adam(params, lr=0.05, amsgrad=True),
    "AdamW": lambda lib, params: lib.optim.AdamW(params, lr=0.05),
    "RMSprop": lambda lib, params: lib.optim.RMSprop(params, lr=0.01, centered=True, momentum=0.5),
    "Adagrad": lambda lib, params: lib.optim.Adagrad(params, lr=0.1),
    "Rprop": lambda lib, params: lib.optim.Rprop(params, lr=0.01),
    "ASGD": lambda lib, params: lib.optim.ASGD(params, lr=0.05, t0=5, weight_decay=0.01),
    "Adafactor": lambda lib, params: lib.optim.Adafactor(params, lr=0.05),
    "Muon": lambda lib, params: lib.optim.Muon([p for p in params if p.ndim == 2], lr=0.02),
}


@dataclass
class Result:
    """The outcome of one concrete case."""

    name: str
    group: str
    dtype: str
    shape_class: str
    seed: int
    status: str  # passed | failed | skipped | error
    message: str = ""
    max_abs: float = 0.0
    max_rel: float = 0.0
    worst_ratio: float = 0.0  # max(|err| / tolerance): <= 1 passes
    shapes: list = field(default_factory=list)
    primitives: tuple = ()
    reproducer: str = ""
    subject: tuple = ()  # for a primitive case: the primitives it calls directly and checks

from .cases_sorting import CASES as _sorting  # noqa: E402
CASES += _sorting
from .cases_spatial import CASES as _spatial; CASES += _spatial  # noqa: E402,E702
from .cases_spatial import MODULE_CASES as _spatial_modules; MODULE_CASES += _spatial_modules  # noqa: E402,E702
from .cases_layers import CASES as _layers, MODULE_CASES as _layer_modules  # noqa: E402
CASES += _layers
MODULE_CASES += _layer_modules
from .cases_tensor_utils import CASES as _tensor_utils; CASES += _tensor_utils  # noqa: E402,E702
from .cases_shape_linalg import CASES as _shape_linalg  # noqa: E402
CASES += _shape_linalg
from .cases_nn_utils import CASES as _nn_utils, MODULE_CASES as _nn_utils_modules  # noqa: E402
CASES += _nn_utils
MODULE_CASES += _nn_utils_modules
from .cases_pointwise_math import CASES as _pointwise_math; CASES += _pointwise_math  # noqa: E402,E702
from .cases_signal import CASES as _signal; CASES += _signal  # noqa: E402,E702
from .cases_distributions import CASES as _distributions; CASES += _distributions  # noqa: E402,E702
from .cases_compiled import COMPILED_CASES  # noqa: E402,F401
from .cases_inplace_activations import CASES as _inplace_activations; CASES += _inplace_activations  # noqa: E402,E702
