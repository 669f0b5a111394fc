"""Mixed precision against PyTorch: bfloat16 as a dtype, autocast's op lists and casts, and the
GradScaler's decisions on a gradient sequence with injected infs."""
import threading
import warnings

import numpy as np
import pytest
import torch

import unigrad
from test_plugins import installed_backend

LOW = ["bfloat16", "float16"]


def lib_dtype(lib, name):
    return getattr(lib, name)


def to64(t):
    return np.asarray(t.detach().float().numpy() if isinstance(t, torch.Tensor) else t.detach().float().numpy(),
                      dtype=np.float64)


def name_of(t):
    return str(t.dtype).replace("torch.", "").replace("unigrad.", "")


# ----- bfloat16 as a dtype ----------------------------------------------------------------------
ALL = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64"]


@pytest.mark.parametrize("a", ALL)
def test_promotion_with_16_bit_floats_matches_torch(a):
    for b in ALL:
        ours = unigrad.promote_types(getattr(unigrad, a), getattr(unigrad, b))
        theirs = torch.promote_types(getattr(torch, a), getattr(torch, b))
        assert ours.name == name_of(torch.empty(0, dtype=theirs)), (a, b)


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
def test_finfo_matches_torch(name):
    ours, theirs = unigrad.finfo(getattr(unigrad, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "resolution"):
        assert getattr(ours, field) == pytest.approx(getattr(theirs, field), rel=1e-12), field
    assert unigrad.iinfo(unigrad.int16).max == torch.iinfo(torch.int16).max


def _bf16_pair(rng, shape, scale=2.0):
    values = (rng.standard_normal(shape) * scale).astype(np.float32)
    return (unigrad.tensor(values).bfloat16(), torch.tensor(values).bfloat16())


@pytest.mark.parametrize("op", [
    lambda lib, a, b: a + b, lambda lib, a, b: a * b, lambda lib, a, b: a / b,
    lambda lib, a, b: a - 1.1, lambda lib, a, b: a * 3.3, lambda lib, a, b: lib.exp(a),
    lambda lib, a, b: lib.tanh(a), lambda lib, a, b: lib.maximum(a, b), lambda lib, a, b: a.sqrt(),
    lambda lib, a, b: a.sum(1), lambda lib, a, b: a.mean(0), lambda lib, a, b: a @ b.t(),
    lambda lib, a, b: a.softmax(1), lambda lib, a, b: a.log_softmax(0), lambda lib, a, b: a.sigmoid(),
    lambda lib, a, b: lib.where(a > 0, a, b), lambda lib, a, b: a.to(lib.float16),
    lambda lib, a, b: (a + b.float()), lambda lib, a, b: a.max(1).values,
])
def test_bfloat16_ops_match_torch(op):
    rng = np.random.default_rng(0)
    (a, ta), (b, tb) = _bf16_pair(rng, (6, 9)), _bf16_pair(rng, (6, 9))
    ours, theirs = op(unigrad, a, b), op(torch, ta, tb)
    assert name_of(ours) == name_of(theirs)
    # both compute in float32 and round once: equal, or one bfloat16 ULP apart where the float32
    # work itself differs in its last bits (summation order, library exp)
    np.testing.assert_allclose(to64(ours), to64(theirs), rtol=2 ** -7, atol=1e-6)


def test_bfloat16_gradients_and_random_numbers():
    x = unigrad.tensor([0.5, -1.25, 3.0], dtype=unigrad.bfloat16, requires_grad=True)
    tx = torch.tensor([0.5, -1.25, 3.0], dtype=torch.bfloat16, requires_grad=True)
    (x.exp() * x).sum().backward()
    (tx.exp() * tx).sum().backward()
    assert x.grad.dtype is unigrad.bfloat16
    np.testing.assert_allclose(to64(x.grad), to64(tx.grad), rtol=2 ** -7)
    unigrad.manual_seed(3)
    u = unigrad.rand(20000, dtype=unigrad.bfloat16).float().numpy()
    assert u.min() >= 0 and u.max() < 1 and abs(u.mean() - 0.5) < 0.01
    assert np.all(u * 256 == np.round(u * 256))  # 8 significant bits: multiples of 2**-8
    assert str(unigrad.ones(2, dtype=unigrad.bfloat16)) == "tensor([1., 1.], dtype=unigrad.bfloat16)"


@pytest.fixture
def opencl():
    if "opencl" not in unigrad.backends.available():
        pytest.skip("no OpenCL device")
    return unigrad.backends.registry.get_backend(unigrad.device("opencl"))


def test_opencl_holds_bfloat16_and_names_what_it_lacks(opencl):
    values = np.array([1.5, -2.7, 3.14159, np.nan, np.inf, -0.0, 1e-30, 3e38], dtype=np.float32)
    x = unigrad.tensor(values, device="opencl").bfloat16()
    # rounding to nearest even, NaN/inf/-0.0/subnormal kept, overflow to inf: as ml_dtypes does
    expected = values.astype(unigrad.bfloat16.numpy)
    np.testing.assert_array_equal(x.cpu().numpy().view(np.uint16), expected.view(np.uint16))
    y = unigrad.tensor(expected.astype(np.float32)[:3]).bfloat16()
    for op in (lambda t: t * 2.1 - 1.1, lambda t: t.exp(), lambda t: (t[None] @ t[:, None]), lambda t: t.softmax(0)):
        np.testing.assert_array_equal(op(y.to("opencl")).float().cpu().numpy(), op(y).float().numpy())
    if not opencl.fp16:
        with pytest.raises(TypeError, match="does not support dtype float16: OpenCL device .* lacks the cl_khr_fp16"):
            unigrad.zeros(2, dtype=unigrad.float16, device="opencl")
        with pytest.raises(TypeError, match="cannot move a float16 tensor to opencl:0: .*cl_khr_fp16"):
            unigrad.zeros(2, dtype=unigrad.float16).to("opencl")
        with pytest.warns(UserWarning, match="cl_khr_fp16.*Disabling autocast"):
            unigrad.autocast("opencl", dtype=unigrad.float16)


def test_autocast_on_opencl_follows_the_gpu_lists(opencl):
    expected_low = unigrad.float16 if opencl.fp16 else unigrad.bfloat16
    assert unigrad.get_autocast_dtype("opencl") is expected_low
    model = unigrad.nn.Sequential(unigrad.nn.Linear(8, 16), unigrad.nn.ReLU(), unigrad.nn.Linear(16, 3))
    x, t = unigrad.randn(5, 8), unigrad.tensor([0, 1, 2, 1, 0])
    with unigrad.autocast("cpu", dtype=expected_low):
        cpu_logits = model(x)
    model.to("opencl")
    with unigrad.autocast("opencl"):
        logits = model(x.to("opencl"))
        loss = unigrad.nn.functional.cross_entropy(logits, t.to("opencl"))
        assert logits.dtype is expected_low and logits.softmax(1).dtype is unigrad.float32
    assert loss.dtype is unigrad.float32
    np.testing.assert_array_equal(logits.detach().float().cpu().numpy(), cpu_logits.detach().float().numpy())
    loss.backward()
    assert all(p.grad.dtype is unigrad.float32 and p.grad.device.type == "opencl" for p in model.parameters())


# ----- autocast: dtypes of every op, as PyTorch's CPU autocast gives them ------------------------
def _inputs(lib, low_inputs):
    g = torch.Generator().manual_seed(0)
    values = {"x": torch.randn(4, 8, generator=g), "w": torch.randn(3, 8, generator=g),
              "b": torch.randn(3, generator=g), "img": torch.randn(2, 3, 8, 8, generator=g),
              "cw": torch.randn(4, 3, 3, 3, generator=g), "seq": torch.randn(5, 4, 8, generator=g)}
    out = {k: lib.tensor(v.numpy()) for k, v in values.items()}
    if low_inputs:
        out = {k: v.to(lib.bfloat16) for k, v in out.items()}
    out["t"] = lib.tensor([0, 2, 1, 0])
    return out


def _module(lib, build):
    lib.manual_seed(0)
    return build(lib)


OPS = {
    "matmul": lambda lib, F, v: v["x"] @ v["w"].t(),
    "mm": lambda lib, F, v: lib.mm(v["x"], v["w"].t()),
    "bmm": lambda lib, F, v: lib.bmm(v["x"][None], v["w"].t()[None]),
    "addmm": lambda lib, F, v: lib.addmm(v["b"], v["x"], v["w"].t()),
    "linear": lambda lib, F, v: F.linear(v["x"], v["w"], v["b"]),
    "conv2d": lambda lib, F, v: F.conv2d(v["img"], v["cw"], padding=1),
    "conv1d": lambda lib, F, v: F.conv1d(v["img"][:, :, 0], v["cw"][:, :, 0]),
    "conv_transpose2d": lambda lib, F, v: F.conv_transpose2d(v["img"], v["cw"].transpose(0, 1)),
    "mv": lambda lib, F, v: lib.mv(v["x"], v["x"][0]),
    "dot": lambda lib, F, v: lib.dot(v["x"][0], v["x"][1]),
    "softmax": lambda lib, F, v: F.softmax(v["x"], 1),
    "log_softmax": lambda lib, F, v: F.log_softmax(v["x"], 1),
    "exp": lambda lib, F, v: v["x"].exp(), "log": lambda lib, F, v: v["x"].abs().log(),
    "sum": lambda lib, F, v: v["x"].sum(), "mean": lambda lib, F, v: v["x"].mean(),
    "prod": lambda lib, F, v: v["x"].prod(), "cumsum": lambda lib, F, v: v["x"].cumsum(0),
    "norm": lambda lib, F, v: v["x"].norm(), "logsumexp": lambda lib, F, v: v["x"].logsumexp(1),
    "pow": lambda lib, F, v: v["x"] ** 2, "rsqrt": lambda lib, F, v: v["x"].abs().rsqrt(),
    "cross_entropy": lambda lib, F, v: F.cross_entropy(v["x"], v["t"]),
    "nll_loss": lambda lib, F, v: F.nll_loss(v["x"], v["t"]),
    "mse_loss": lambda lib, F, v: F.mse_loss(v["x"], v["x"] * 2),
    "l1_loss": lambda lib, F, v: F.l1_loss(v["x"], v["x"] * 2),
    "smooth_l1_loss": lambda lib, F, v: F.smooth_l1_loss(v["x"], v["x"] * 2),
    "huber_loss": lambda lib, F, v: F.huber_loss(v["x"], v["x"] * 2),
    "kl_div": lambda lib, F, v: F.kl_div(v["x"], v["x"].softmax(1), reduction="batchmean"),
    "bce_with_logits": lambda lib, F, v: F.binary_cross_entropy_with_logits(v["x"], v["x"].sigmoid()),
    "bce": lambda lib, F, v: F.binary_cross_entropy(v["x"].sigmoid(), v["x"].sigmoid()),
    "cosine_similarity": lambda lib, F, v: F.cosine_similarity(v["x"], v["x"] * 2),
    "layer_norm": lambda lib, F, v: F.layer_norm(v["x"], (8,)),
    "group_norm": lambda lib, F, v: F.group_norm(v["img"], 3),
    "batch_norm": lambda lib, F, v: F.batch_norm(v["img"], None, None, training=True),
    "relu": lambda lib, F, v: F.relu(v["x"]), "gelu": lambda lib, F, v: F.gelu(v["x"]),
    "tanh": lambda lib, F, v: v["x"].tanh(), "sigmoid": lambda lib, F, v: v["x"].sigmoid(),
    "softplus": lambda lib, F, v: F.softplus(v["x"]),
    "max_pool2d": lambda lib, F, v: F.max_pool2d(v["img"], 2),
    "avg_pool2d": lambda lib, F, v: F.avg_pool2d(v["img"], 2),
    "dropout": lambda lib, F, v: F.dropout(v["x"], 0.5, training=False),
    "embedding": lambda lib, F, v: F.embedding(v["t"], v["x"]),
    "cat_mixed": lambda lib, F, v: lib.cat([v["x"], v["x"].to(lib.bfloat16)]),
    "stack": lambda lib, F, v: lib.stack([v["x"], v["x"]]),
    "add_mixed": lambda lib, F, v: v["x"] + v["x"].to(lib.bfloat16),
    "addcmul": lambda lib, F, v: lib.addcmul(v["x"], v["x"], v["x"].to(lib.bfloat16)),
    "normalize": lambda lib, F, v: F.normalize(v["x"]),
    "sdpa": lambda lib, F, v: F.scaled_dot_product_attention(v["x"][None], v["x"][None], v["x"][None]),
    "LSTM": lambda lib, F, v: _module(lib, lambda m: m.nn.LSTM(8, 5))(v["seq"]),
    "GRU": lambda lib, F, v: _module(lib, lambda m: m.nn.GRU(8, 5))(v["seq"]),
    "RNN": lambda lib, F, v: _module(lib, lambda m: m.nn.RNN(8, 5))(v["seq"]),
    "LSTMCell": lambda lib, F, v: _module(lib, lambda m: m.nn.LSTMCell(8, 5))(v["x"]),
    "GRUCell": lambda lib, F, v: _module(lib, lambda m: m.nn.GRUCell(8, 5))(v["x"]),
    "RNNCell": lambda lib, F, v: _module(lib, lambda m: m.nn.RNNCell(8, 5))(v["x"]),
    "MultiheadAttention": lambda lib, F, v: _module(lib, lambda m: m.nn.MultiheadAttention(8, 2))(
        v["seq"], v["seq"], v["seq"]),
}


def _dtypes(value):
    if isinstance(value, (tuple, list)):
        return [d for item in value if item is not None for d in _dtypes(item)]
    return [name_of(value)]


#: messages of torch errors that come from its own build or CPU (oneDNN/MKL kernels that this
#: processor cannot run), not from PyTorch refusing the op
_ORACLE_BUILD_FAILURES = ("could not create a primitive", "onednn", "mkldnn", "mkl_")
#: output dtypes from PyTorch's documented CPU autocast op lists, for ops whose result torch
#: computes with a kernel that not every CPU runs: LSTM goes through ``mkldnn_rnn_layer``, which is
#: in the lower-precision list (oneDNN's bfloat16 LSTM raises on CPUs without AVX-512 BF16)
_DOCUMENTED_CPU_AUTOCAST = {"LSTM": ["bfloat16", "bfloat16", "bfloat16"]}


def _torch_autocast_dtypes(op, low_inputs):
    """torch's output dtypes, or the documented ones where torch's kernel cannot run here."""
    values = _inputs(torch, low_inputs)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        try:
            return _dtypes(OPS[op](torch, torch.nn.functional, values))
        except (RuntimeError, TypeError) as error:
            if not any(marker in str(error).lower() for marker in _ORACLE_BUILD_FAILURES):
                return type(error).__name__  # an op torch refuses must fail in unigrad too
            if op not in _DOCUMENTED_CPU_AUTOCAST:
                pytest.skip(f"torch cannot run {op} under CPU autocast on this CPU ({str(error)[:80]}); "
                            f"no documented expectation to compare with")
            return _DOCUMENTED_CPU_AUTOCAST[op]


@pytest.mark.parametrize("low_inputs", [False, True], ids=["float32_inputs", "bfloat16_inputs"])
@pytest.mark.parametrize("op", sorted(OPS))
def test_autocast_output_dtypes_match_torch_cpu(op, low_inputs):
    values = _inputs(unigrad, low_inputs)
    with unigrad.autocast("cpu", dtype=unigrad.bfloat16):
        try:
            ours = _dtypes(OPS[op](unigrad, unigrad.nn.functional, values))
        except (RuntimeError, TypeError) as error:
            ours = type(error).__name__
    assert ours == _torch_autocast_dtypes(op, low_inputs)


def test_documented_autocast_expectations_agree_with_torch_where_it_runs():
    """The table used where torch's own kernel fails is what torch gives where it runs."""
    for op, expected in _DOCUMENTED_CPU_AUTOCAST.items():
        values = _inputs(torch, False)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            try:
                got = _dtypes(OPS[op](torch, torch.nn.functional, values))
            except RuntimeError as error:
                if any(marker in str(error).lower() for marker in _ORACLE_BUILD_FAILURES):
                    continue
                raise
        if not torch.backends.mkldnn.is_available():
            continue  # without oneDNN torch runs LSTM in its float32 composite instead
        assert got == expected, op


def test_autocast_values_and_gradients_match_torch_cpu():
    """A small CNN classifier under bfloat16 autocast: outputs of conv/linear/matmul and the
    float32 gradients of the float32 parameters agree with torch's."""
    def build(lib):
        lib.manual_seed(0)
        return lib.nn.Sequential(lib.nn.Conv2d(3, 6, 3, padding=1), lib.nn.BatchNorm2d(6), lib.nn.ReLU(),
                                 lib.nn.MaxPool2d(2), lib.nn.Flatten(), lib.nn.Linear(6 * 16, 10))
    ours, theirs = build(unigrad), build(torch)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    rng = np.random.default_rng(1)
    images, labels = rng.standard_normal((8, 3, 8, 8)).astype(np.float32), rng.integers(0, 10, 8)
    outputs = []
    for lib, model in ((unigrad, ours), (torch, theirs)):
        x, t = lib.tensor(images), lib.tensor(labels)
        seen = []
        with lib.autocast("cpu"):
            h = x
            for layer in model:
                h = layer(h)
                seen.append(h)
            loss = lib.nn.functional.cross_entropy(h, t)
        loss.backward()
        outputs.append((seen, loss, [p.grad for p in model.parameters()]))
    (seen, loss, grads), (tseen, tloss, tgrads) = outputs
    assert [name_of(s) for s in seen] == [name_of(s) for s in tseen]
    assert name_of(loss) == name_of(tloss) == "float32"
    # conv output: bfloat16 inputs, float32 accumulation, one rounding -> equal up to one ULP
    np.testing.assert_allclose(to64(seen[0]), to64(tseen[0]), rtol=2 ** -7, atol=2e-2)
    np.testing.assert_allclose(to64(seen[-1]), to64(tseen[-1]), rtol=2 ** -6, atol=5e-2)
    assert abs(loss.item() - tloss.item()) < 2e-2 * abs(tloss.item())
    for g, tg in zip(grads, tgrads):
        assert g.dtype is unigrad.float32
        # bfloat16 activations tie often inside pooling windows, so one ULP of difference may
        # route a few elements' gradient elsewhere: compare whole gradients, not elements
        a, t = to64(g), to64(tg)
        assert np.linalg.norm(a - t) <= 0.1 * np.linalg.norm(t) + 2e-3  # (conv bias: ~0 before BN)


def _bfloat16_roundings(exact, band):
    """The bfloat16 values a float32-accumulated result may round to: every bfloat16 value between
    the roundings of ``exact - band`` and ``exact + band`` (rounding is monotone)."""
    low = torch.tensor(exact - band, dtype=torch.float64).bfloat16().double().numpy()
    high = torch.tensor(exact + band, dtype=torch.float64).bfloat16().double().numpy()
    return low, high


def test_autocast_linear_matmul_conv_match_torch():
    """matmul and conv under autocast round the same bfloat16 inputs, accumulate in float32 and
    round once. The order of float32 accumulation is the BLAS's (it depends on the CPU and on the
    library), so both results are checked against the exact product of the rounded inputs: each is
    a rounding to bfloat16 of a value within the float32 accumulation error of it, and the two agree
    almost everywhere. linear adds the bias after rounding the product (PyTorch fuses it), so it may
    differ by one rounding of the product."""
    rng = np.random.default_rng(2)
    x, w, b = (rng.standard_normal(s).astype(np.float32) for s in ((16, 64), (32, 64), (32,)))
    results = []
    for lib in (unigrad, torch):
        with lib.autocast("cpu", dtype=lib.bfloat16):
            results.append([lib.tensor(x) @ lib.tensor(w).t(), lib.matmul(lib.tensor(x)[None], lib.tensor(w).t()),
                            lib.nn.functional.conv2d(lib.tensor(x).reshape(1, 4, 16, 16), lib.tensor(w).reshape(8, 4, 8, 8)),
                            lib.nn.functional.linear(lib.tensor(x), lib.tensor(w), lib.tensor(b))])
    xb = torch.tensor(x).bfloat16().double().numpy()
    wb = torch.tensor(w).bfloat16().double().numpy()
    product, size = xb @ wb.T, np.abs(xb) @ np.abs(wb).T
    conv = torch.nn.functional.conv2d(torch.tensor(xb.reshape(1, 4, 16, 16)), torch.tensor(wb.reshape(8, 4, 8, 8)))
    conv_size = torch.nn.functional.conv2d(torch.tensor(np.abs(xb).reshape(1, 4, 16, 16)),
                                           torch.tensor(np.abs(wb).reshape(8, 4, 8, 8)))
    exact = [(product, size), (product[None], size[None]), (conv.numpy(), conv_size.numpy())]
    for (ours, theirs), (value, magnitude) in zip(zip(results[0][:3], results[1][:3]), exact):
        assert name_of(ours) == name_of(theirs) == "bfloat16"
        low, high = _bfloat16_roundings(value, 256 * np.finfo(np.float32).eps * magnitude)
        for result in (to64(ours), to64(theirs)):
            assert np.all((low <= result) & (result <= high))
        assert np.mean(to64(ours) == to64(theirs)) > 0.95
    a, t = to64(results[0][3]), to64(results[1][3])
    product = np.abs(x.astype(np.float64)) @ np.abs(w.astype(np.float64)).T + np.abs(b)
    assert np.all(np.abs(a - t) <= 2 ** -7 * product) and np.mean(a == t) > 0.5


# ----- autocast semantics -------------------------------------------------------------------------
def test_nesting_disable_decorator_and_threads():
    x, w = unigrad.randn(2, 4), unigrad.randn(3, 4)
    assert not unigrad.is_autocast_enabled("cpu")
    with unigrad.autocast("cpu"):
        assert unigrad.is_autocast_enabled("cpu") and unigrad.get_autocast_dtype("cpu") is unigrad.bfloat16
        with unigrad.autocast("cpu", enabled=False):
            assert (x @ w.t()).dtype is unigrad.float32
        with unigrad.autocast("cpu", dtype=unigrad.float16):
            assert (x @ w.t()).dtype is unigrad.float16
        assert (x @ w.t()).dtype is unigrad.bfloat16
        seen = {}
        worker = threading.Thread(target=lambda: seen.update(
            enabled=unigrad.is_autocast_enabled("cpu"), dtype=(x @ w.t()).dtype))
        worker.start()
        worker.join()
        assert seen == {"enabled": False, "dtype": unigrad.float32}  # state is per thread
        assert (x.double() @ w.double().t()).dtype is unigrad.float64  # float64 is never cast
    assert (x @ w.t()).dtype is unigrad.float32

    @unigrad.autocast("cpu")
    def project(a, b):
        return a @ b.t()
    assert project(x, w).dtype is unigrad.bfloat16 and (x @ w.t()).dtype is unigrad.float32


def test_unavailable_or_unsupported_targets_warn_and_disable():
    x = unigrad.randn(2, 2)
    with pytest.warns(UserWarning, match="Disabling autocast"):
        region = unigrad.autocast("cpu", dtype=unigrad.float64)
    with region:
        assert (x @ x).dtype is unigrad.float32
    if not unigrad.cuda.is_available():
        with pytest.warns(UserWarning, match="cuda.*unavailable"):
            with unigrad.autocast("cuda"):
                assert (x @ x).dtype is unigrad.float32  # a cuda region leaves cpu tensors alone
    with pytest.raises(RuntimeError, match="unknown device_type 'tpu'"):
        unigrad.autocast("tpu")
    with pytest.raises(ValueError, match="device_type"):
        unigrad.autocast(unigrad.device("cpu"))


def test_parameter_casts_are_cached_within_a_region():
    linear = unigrad.nn.Linear(4, 4)
    x = unigrad.randn(3, 4)
    with unigrad.autocast("cpu"):
        first = linear(x).grad_fn
        second = linear(x).grad_fn
        weights = [f for f in (first, second)]
        # the bfloat16 copy of the weight is the same node both times
        cast_nodes = [_find_cast(node, linear.weight) for node in weights]
        assert cast_nodes[0] is cast_nodes[1] and cast_nodes[0] is not None
        with unigrad.no_grad():
            linear.weight.add_(1.0)  # an in-place update invalidates the cached copy
        assert _find_cast(linear(x).grad_fn, linear.weight) is not cast_nodes[0]
    with unigrad.autocast("cpu"):
        assert _find_cast(linear(x).grad_fn, linear.weight) is not cast_nodes[0]  # cleared on exit


def _find_cast(node, leaf, depth=0):
    if node is None or depth > 8:
        return None
    for child, _ in getattr(node, "next_functions", ()):
        if child is None:
            continue
        if type(child).__name__ != "AccumulateGrad" and any(
                getattr(g, "variable", None) is leaf for g, _ in getattr(child, "next_functions", ()) if g is not None):
            return child
        found = _find_cast(child, leaf, depth + 1)
        if found is not None:
            return found
    return None


def test_backward_inside_a_region_keeps_forward_dtypes():
    lstm = unigrad.nn.LSTM(4, 3)
    x = unigrad.randn(5, 2, 4)
    with unigrad.autocast("cpu"):
        out, _ = lstm(x)
        out.float().sum().backward()
    assert all(p.grad is not None and p.grad.dtype is unigrad.float32 for p in lstm.parameters())


def test_custom_fwd_casts_inputs_and_runs_backward_under_the_forward_state():
    class Square(unigrad.autograd.Function):
        @staticmethod
        @unigrad.amp.custom_fwd(device_type="cpu", cast_inputs=unigrad.float32)
        def forward(ctx, x):
            ctx.save_for_backward(x)
            ctx.inside = (unigrad.is_autocast_enabled("cpu"), x.dtype)
            return x * x

        @staticmethod
        @unigrad.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            ctx.backward_state = unigrad.is_autocast_enabled("cpu")
            return 2 * x * g
    x = unigrad.randn(3, dtype=unigrad.bfloat16, requires_grad=True)
    with unigrad.autocast("cpu"):
        y = Square.apply(x)
    assert y.dtype is unigrad.float32
    y.sum().backward()
    assert x.grad.dtype is unigrad.bfloat16


# ----- a GPU-style device: PyTorch's CUDA lists -------------------------------------------------
GPU_LIKE = """
import unigrad
from unigrad.backends.numpy import NumpyBackend

class GpuLike(NumpyBackend):
    name = "gpulike"
    indexed = True
    autocast_lists = "cuda"
    autocast_dtype = None
"""
gpulike = installed_backend("gpulike", GPU_LIKE, "GpuLike")


def test_gpu_lists_run_reductions_softmax_norms_and_losses_in_float32(gpulike):
    F = unigrad.nn.functional
    x = unigrad.randn(4, 8, device=gpulike)
    w = unigrad.randn(3, 8, device=gpulike)
    t = unigrad.tensor([0, 1, 2, 0], device=gpulike)
    with unigrad.autocast(gpulike):
        assert unigrad.get_autocast_dtype(gpulike) is unigrad.float16  # CUDA's default
        h = F.linear(x, w)
        assert h.dtype is unigrad.float16
        for out in (h.softmax(1), h.log_softmax(1), h.exp(), h.sum(), h.cumsum(0), h ** 2, 1 / h,
                    F.layer_norm(h, (3,)), h.norm(), h.logsumexp(1), F.cross_entropy(h, t),
                    F.mse_loss(h, h)):
            assert out.dtype is unigrad.float32
        for out in (h.relu(), h.tanh(), h.sigmoid(), h.max(1).values, F.dropout(h, 0.1)):
            assert out.dtype is unigrad.float16
        cell = unigrad.nn.LSTMCell(8, 3).to(gpulike)
        assert [v.dtype for v in cell(x)] == [unigrad.float16] * 2
        gru = unigrad.nn.GRU(8, 3).to(gpulike)
        assert gru(x[None])[0].dtype is unigrad.float16
        assert unigrad.addcmul(x, h[:, :1].float(), x.half()).dtype is unigrad.float32  # promote
        with pytest.raises(RuntimeError, match="unsafe to autocast"):
            F.binary_cross_entropy(h.sigmoid(), h.sigmoid().detach())
        cpu = unigrad.randn(2, 2)
        assert (cpu @ cpu).dtype is unigrad.float32  # a region for one device type only


# ----- GradScaler ---------------------------------------------------------------------------------
def _scaler_run(lib, factors, **kwargs):
    """SGD on one parameter with gradients scale * factor; ``inf``/``nan`` factors overflow."""
    p = lib.nn.Parameter(lib.tensor([1.0, -2.0, 0.5]))
    opt = lib.optim.SGD([p], lr=0.1)
    scaler = lib.amp.GradScaler("cpu", **kwargs)
    scales, trackers, params = [], [], []
    for f in factors:
        opt.zero_grad()
        loss = (p * lib.tensor([f, 1.0, -3.0])).sum()
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        scales.append(scaler.get_scale())
        trackers.append(scaler._get_growth_tracker())
        params.append(p.detach().numpy().copy())
    return scales, trackers, params, scaler


@pytest.mark.parametrize("kwargs", [dict(init_scale=2.0 ** 10, growth_interval=3),
                                    dict(init_scale=3.0, growth_factor=1.7, backoff_factor=0.3,
                                         growth_interval=2)])
def test_grad_scaler_decisions_match_torch(kwargs):
    inf, nan = float("inf"), float("nan")
    factors = [1.0, 2.0, inf, 0.5, 1.0, 1.0, 1.0, nan, 1.0, 1.0, 1.0, 1.0, -inf, 3.0, 1.0, 1.0]
    ours = _scaler_run(unigrad, factors, **kwargs)
    theirs = _scaler_run(torch, factors, **kwargs)
    assert ours[0] == theirs[0]  # the scale sequence, bit for bit
    assert ours[1] == theirs[1]  # growth tracker
    for a, b in zip(ours[2], theirs[2]):  # skipped steps leave the parameter unchanged
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert ours[3].state_dict() == theirs[3].state_dict()


def test_grad_scaler_unscale_clip_state_dict_and_misuse():
    p = unigrad.nn.Parameter(unigrad.tensor([3.0, 4.0]))
    opt = unigrad.optim.SGD([p], lr=1.0)
    scaler = unigrad.amp.GradScaler(init_scale=8.0)
    scaler.scale((p * p).sum()).backward()
    assert p.grad.tolist() == [48.0, 64.0]
    scaler.unscale_(opt)
    assert p.grad.tolist() == [6.0, 8.0]
    unigrad.nn.utils.clip_grad_norm_([p], 5.0)
    with pytest.raises(RuntimeError, match="already been called on this optimizer"):
        scaler.unscale_(opt)
    scaler.step(opt)
    assert p.detach().numpy() == pytest.approx([0.0, 0.0], abs=1e-6)
    with pytest.raises(RuntimeError, match="step\\(\\) has already been called"):
        scaler.step(opt)
    scaler.update()
    state = scaler.state_dict()
    assert state == {"scale": 8.0, "growth_factor": 2.0, "backoff_factor": 0.5, "growth_interval": 2000,
                     "_growth_tracker": 1}
    fresh = unigrad.amp.GradScaler()
    with pytest.raises(KeyError, match="_growth_tracker"):
        fresh.load_state_dict({k: v for k, v in state.items() if k != "_growth_tracker"})
    assert fresh.get_scale() == 2.0 ** 16  # a refused load changes nothing
    fresh.load_state_dict(state)
    assert fresh.state_dict() == state
    torch_scaler = torch.amp.GradScaler("cpu")
    torch_scaler.load_state_dict(state)
    assert torch_scaler.state_dict() == state
    with pytest.raises(AssertionError, match="No inf checks"):
        scaler.scale(unigrad.ones(1))
        scaler.update()
    off = unigrad.amp.GradScaler(enabled=False)
    loss = unigrad.ones(())
    assert off.scale(loss) is loss and off.get_scale() == 1.0 and off.state_dict() == {}
    with pytest.raises(ValueError, match="FP16 gradients"):
        q = unigrad.nn.Parameter(unigrad.ones(2, dtype=unigrad.float16))
        q.grad = unigrad.ones(2, dtype=unigrad.float16)
        scaler2 = unigrad.amp.GradScaler()
        scaler2.scale(unigrad.ones(()))
        scaler2.unscale_(unigrad.optim.SGD([q], lr=0.1))


def test_conformance_autocast_cases_follow_each_family_of_lists(gpulike):
    from unigrad.conformance import run
    for device in ("cpu", gpulike):
        results = run(device, op="^autocast")
        assert len(results) == 10
        failed = [(r.name, r.dtype, r.message) for r in results if r.status != "passed"]
        assert not failed, failed


def test_torch_cuda_amp_spellings_exist():
    scaler = unigrad.cuda.amp.GradScaler(init_scale=4.0)
    assert isinstance(scaler, unigrad.amp.GradScaler) and scaler.get_scale() == 4.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cuda may be unavailable here: the region then disables
        region = unigrad.cuda.amp.autocast()
    assert region.device == "cuda" and region.fast_dtype is unigrad.float16
