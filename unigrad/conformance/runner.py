"""Run the conformance table on a device and compare every result with the reference (the NumPy
backend in float64, or exactly in the same dtype for exact cases)."""
from __future__ import annotations

import contextlib
import re
import time
import traceback
from functools import partial

import numpy as np

import unigrad

from ..api.ops import reduction
from ..backends import registry
from ..backends.interface import OPTIONAL_FAST_PATHS, OPTIONAL_PRIMITIVES
from . import cases as table
from . import formatting as fmt
from . import usage
from .checkpoints import run_checkpoint
from .diagnosis import diagnose
from .primitives import PRIMITIVE_CASES, Host
from .tolerances import EPS, tolerance

REFERENCE_DEVICE = "cpu"
_BFLOAT16 = unigrad.bfloat16.numpy


def _floating(d: np.dtype) -> bool:
    """Whether a NumPy dtype holds floats (bfloat16's NumPy kind is "V")."""
    return d.kind == "f" or d == _BFLOAT16


def _to_numpy(value):
    if isinstance(value, unigrad.Tensor):
        return np.asarray(value.detach()._host())
    return np.asarray(value)


def _flatten(value):
    if isinstance(value, (tuple, list)):
        out = []
        for item in value:
            out += _flatten(item)
        return out
    return [value]


def compare(actual, expected, kind, dtype_name, terms=(1, 1.0), gradient=False):
    """``(ok, max_abs, max_rel, worst_ratio, message)`` for one output."""
    with np.errstate(all="ignore"):
        return _compare(actual, expected, kind, dtype_name, terms, gradient)


def _compare(actual, expected, kind, dtype_name, terms, gradient):
    a, e = np.asarray(actual), np.asarray(expected)
    if a.shape != e.shape:
        return False, np.inf, np.inf, np.inf, f"shape {list(a.shape)} != expected {list(e.shape)}"
    if a.size == 0:
        return True, 0.0, 0.0, 0.0, ""
    if a.dtype.kind in "biu" or e.dtype.kind in "biu" or kind == "exact" and not gradient:
        if _floating(a.dtype) or _floating(e.dtype):
            same = (a.astype(np.float64) == e.astype(np.float64)) | (np.isnan(a.astype(np.float64)) & np.isnan(e.astype(np.float64)))
        else:
            same = a == e
        if same.all():
            return True, 0.0, 0.0, 0.0, ""
        where = np.unravel_index(np.argmin(same), a.shape)
        return False, np.inf, np.inf, np.inf, (f"{int((~same).sum())} of {a.size} elements differ "
                                               f"(exact); first at {fmt.position(where)}: "
                                               f"{fmt.value(a[where])} != {fmt.value(e[where])}")
    # the reference is exact in float64; round it to the result's dtype (overflow included)
    a64 = a.astype(np.float64)
    with np.errstate(over="ignore"):
        e64 = e.astype(a.dtype).astype(np.float64) if _floating(a.dtype) else e.astype(np.float64)
    nan_a, nan_e = np.isnan(a64), np.isnan(e64)
    if (nan_a != nan_e).any():
        where = np.unravel_index(np.argmax(nan_a != nan_e), a.shape)
        return False, np.inf, np.inf, np.inf, (f"NaN mismatch at {fmt.position(where)}: {fmt.value(a64[where])} "
                                               f"vs reference {fmt.value(e64[where])}")
    finite = ~nan_e & np.isfinite(e64)
    inf_mismatch = ~finite & ~nan_e & (a64 != e64)
    if inf_mismatch.any():
        where = np.unravel_index(np.argmax(inf_mismatch), a.shape)
        return False, np.inf, np.inf, np.inf, (f"infinity mismatch at {fmt.position(where)}: "
                                               f"{fmt.value(a64[where])} vs reference {fmt.value(e64[where])}")
    rtol, atol = tolerance(kind if not (kind == "exact" and gradient) else "rounded", dtype_name,
                           terms=terms[0], scale=terms[1], gradient=gradient)
    err = np.where(finite, np.abs(a64 - e64), 0.0)
    allowed = atol + rtol * np.abs(np.where(finite, e64, 0.0))
    ratio = np.where(allowed > 0, err / np.where(allowed > 0, allowed, 1), np.where(err > 0, np.inf, 0))
    worst = float(ratio.max())
    rel = _relative_error(err, np.where(finite, e64, 0.0), rtol, atol, dtype_name)
    if worst <= 1.0:
        return True, float(err.max()), rel, worst, ""
    where = np.unravel_index(np.argmax(ratio), a.shape)
    return False, float(err.max()), rel, worst, (
        f"max error {fmt.error(float(err.max()))} exceeds tolerance (rtol={rtol:.2g}, atol={atol:.2g}); worst "
        f"at {fmt.position(where)}: {fmt.value(a64[where])} vs reference {fmt.value(e64[where])}")


def _relative_error(err, reference, rtol, atol, dtype_name) -> float:
    """Largest ``err / |reference|`` over the elements whose reference is not near zero: above
    the point where the tolerance's absolute term dominates (``atol / rtol``) and above round-off
    of the largest reference value. Near zero a relative error says nothing (it grows without
    bound as the reference approaches 0), and the absolute error already covers it."""
    magnitude = np.abs(reference)
    eps = EPS.get(dtype_name, EPS["float64"])
    floor = max(atol / rtol if rtol > 0 else 0.0, eps * float(magnitude.max()), np.finfo(np.float64).tiny)
    meaningful = magnitude > floor
    if not meaningful.any():
        return 0.0
    return float((err[meaningful] / magnitude[meaningful]).max())


# ----- tensors in the layouts of the shape classes ---------------------------------------------
def _place(array, device, dtype_name, layout, requires_grad):
    """``(leaf, view)``: ``view`` holds ``array`` in the given layout; ``leaf`` gets the grad."""
    dtype = getattr(unigrad, dtype_name)
    grad = requires_grad and dtype.is_floating_point
    if layout == "transposed" and array.ndim == 2:
        leaf = unigrad.tensor(np.ascontiguousarray(array.T), dtype=dtype, device=device, requires_grad=grad)
        return leaf, (lambda t: t.t())
    if layout == "negative_step" and array.ndim >= 1:
        big = np.zeros(tuple(2 * s for s in array.shape), dtype=array.dtype)
        key = tuple(slice(None, None, -2) for _ in array.shape)
        big[key] = array
        leaf = unigrad.tensor(big, dtype=dtype, device=device, requires_grad=grad)
        return leaf, (lambda t: t[key])
    leaf = unigrad.tensor(array, dtype=dtype, device=device, requires_grad=grad)
    return leaf, (lambda t: t)


def _reproducer(case, dtype, shape_class, seed, device):
    return reproducer(device, f"^{re.escape(case.name)}$", dtype, seed, f"shape class {shape_class}")


def run_case(case, device, dtype, shape_class, seed):
    result = table.Result(case.name, case.group, dtype, shape_class, seed, "passed",
                          primitives=case.primitives,
                          reproducer=_reproducer(case, dtype, shape_class, seed, device))
    rng = np.random.default_rng(seed)
    arrays = case.make(rng, shape_class, dtype)
    result.shapes = [list(np.shape(a)) for a in arrays]
    layout = table.LAYOUTS.get(shape_class)
    is_float = dtype in table.FLOATS
    reference_dtype = "float64" if is_float and case.kind != "exact" else dtype
    weights_rng = np.random.default_rng(seed + 1)

    def evaluate(on, as_dtype, want_grad, model=None):
        leaves, inputs = [], []
        for array in arrays:
            if isinstance(array, np.ndarray):
                target = as_dtype if _floating(array.dtype) else array.dtype.name
                leaf, view = _place(array, on, target, layout, want_grad)
                leaves.append(leaf)
                inputs.append(view(leaf))
            else:
                leaves.append(None)
                inputs.append(array)
        unigrad.manual_seed(seed)
        if model is not None:
            outputs = _flatten(case.fn(unigrad, model, *inputs))
        else:
            outputs = _flatten(case.fn(unigrad, *inputs))
        return leaves, inputs, outputs

    reference_model = candidate_model = expected_model = None
    if case.module is not None:
        unigrad.manual_seed(seed)
        with usage.reference_side():
            reference_model = case.module(unigrad).to(getattr(unigrad, reference_dtype))
            state = reference_model.state_dict()
            expected_model = case.module(unigrad).to(getattr(unigrad, dtype))
            expected_model.load_state_dict(state)
        candidate_model = case.module(unigrad).to(device).to(getattr(unigrad, dtype))
        candidate_model.load_state_dict(state)

    # gradients of extreme values overflow differently in each dtype (as in PyTorch): only the
    # ordinary shape classes check them
    want_grad = case.grad and is_float and shape_class not in ("special", "large", "tiny")
    with usage.reference_side():
        _, _, expected = evaluate(REFERENCE_DEVICE, dtype, False, expected_model)
        ref_leaves, _, reference = evaluate(REFERENCE_DEVICE, reference_dtype, want_grad, reference_model)
    cand_leaves, _, actual = evaluate(device, dtype, want_grad, candidate_model)
    terms = case.terms([np.asarray(a) for a in arrays]) if case.terms else (1, 1.0)
    if len(actual) != len(reference):
        return _fail(result, f"{len(actual)} outputs, expected {len(reference)}")
    for i, (a, r, e) in enumerate(zip(actual, reference, expected)):
        if isinstance(e, unigrad.Tensor):
            if not isinstance(a, unigrad.Tensor):
                return _fail(result, f"output {i} is {type(a).__name__}, expected a Tensor")
            if a.dtype is not e.dtype:
                return _fail(result, f"output {i} has dtype {a.dtype.name}, expected {e.dtype.name}")
            if tuple(a.shape) != tuple(e.shape):
                return _fail(result, f"output {i} has shape {list(a.shape)}, expected {list(e.shape)}")
            if str(a.device) != str(unigrad.device(device)) and a.device.type != unigrad.device(device).type:
                return _fail(result, f"output {i} is on {a.device}, expected {device}")
        ok, max_abs, max_rel, worst, message = compare(_to_numpy(a), _to_numpy(r), case.kind, dtype, terms)
        _track(result, max_abs, max_rel, worst)
        if not ok:
            return _fail(result, f"output {i}: {message}")
    if want_grad:
        float_outputs = [(a, r) for a, r in zip(actual, reference)
                         if isinstance(a, unigrad.Tensor) and a.requires_grad]
        if float_outputs:
            loss_a, loss_r = 0, 0
            for a, r in float_outputs:
                w = weights_rng.standard_normal(tuple(a.shape))
                loss_a = loss_a + (a * unigrad.tensor(w, dtype=a.dtype, device=a.device)).sum()
                with usage.reference_side():
                    loss_r = loss_r + (r * unigrad.tensor(w, dtype=r.dtype, device=r.device)).sum()
            loss_a.backward()
            with usage.reference_side():
                loss_r.backward()
            grad_targets = [(a, r) for a, r in zip(cand_leaves, ref_leaves) if a is not None and a.requires_grad]
            if case.module is not None:
                grad_targets += list(zip(candidate_model.parameters(), reference_model.parameters()))
            for i, (a, r) in enumerate(grad_targets):
                if r.grad is None:
                    continue
                if a.grad is None:
                    return _fail(result, f"input {i} got no gradient on {device}")
                ok, max_abs, max_rel, worst, message = compare(_to_numpy(a.grad), _to_numpy(r.grad), case.kind,
                                                               dtype, terms, gradient=True)
                _track(result, max_abs, max_rel, worst)
                if not ok:
                    return _fail(result, f"gradient of input {i}: {message}")
    return result


def _side(reference: bool):
    """The reference computation's calls are not the device's use (see ``usage``)."""
    return usage.reference_side() if reference else contextlib.nullcontext()


def _track(result, max_abs, max_rel, worst):
    result.max_abs = max(result.max_abs, max_abs if np.isfinite(max_abs) else 0.0)
    result.max_rel = max(result.max_rel, max_rel if np.isfinite(max_rel) else 0.0)
    result.worst_ratio = max(result.worst_ratio, worst if np.isfinite(worst) else 0.0)


def _fail(result, message):
    result.status, result.message = "failed", message
    return result


def subject_of(entry) -> tuple:
    """The primitives a ``PRIMITIVE_CASES`` entry is about (its name, or a comma list after a colon)."""
    return tuple(entry[0].split(":")[-1].split(","))


def run_primitive_case(entry, device, dtype, seed):
    """Call one primitive directly on device buffers: every output must have the reference's
    dtype and shape exactly and its values within the case's tolerance (while it runs, a
    ``usage.ContractMonitor`` also checks that inputs stay intact and results alias none)."""
    name, fn, kind, _ = entry
    result = table.Result(f"primitive:{name}", "primitive", dtype, "-", seed, "passed",
                          primitives=subject_of(entry), subject=subject_of(entry),
                          reproducer=reproducer(device, f"^primitive:{re.escape(name)}$", dtype, seed))
    backend = registry.get_backend(unigrad.device(device))
    rng = np.random.default_rng(seed)
    outputs, inputs, reference_fn = fn(backend, rng, dtype)
    is_float = dtype in table.FLOATS
    with usage.reference_side(), np.errstate(all="ignore"):
        ref_inputs = [np.asarray(v, dtype=np.float64) if is_float and isinstance(v, np.ndarray)
                      and _floating(v.dtype) and kind != "exact" else v for v in inputs]
        expected = reference_fn(*ref_inputs)
        # the reference backend on the case's own dtype gives the dtype each output must have
        same_dtype = reference_fn(*inputs) if is_float and kind != "exact" else expected
    if len(outputs) != len(expected):
        return _fail(result, f"{len(outputs)} outputs, expected {len(expected)}")
    for i, (out, exp, want) in enumerate(zip(outputs, expected, same_dtype)):
        got = out.value if isinstance(out, Host) else np.asarray(backend.to_numpy(out))
        exp, want = np.asarray(exp), np.asarray(want)
        if got.shape != exp.shape:
            return _fail(result, f"output {i} has shape {list(got.shape)}, expected {list(exp.shape)}")
        if want.dtype.kind not in "US" and got.dtype != want.dtype:
            return _fail(result, f"output {i} has dtype {_dtype_name(got.dtype)}, expected {_dtype_name(want.dtype)}")
        ok, max_abs, max_rel, worst, message = compare(got, exp, kind, dtype, (30, 4.0))
        _track(result, max_abs, max_rel, worst)
        if not ok:
            return _fail(result, f"output {i}: {message}")
    return result


def _dtype_name(d: np.dtype) -> str:
    return "bfloat16" if d == _BFLOAT16 else str(d)


# ----- optimizers, training, random streams, semantics, fast paths ---------------------------------
def _optimizer_problem(device, dtype, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((8, 4)), rng.standard_normal((8, 3))
    w, b = rng.standard_normal((4, 3)) * 0.5, rng.standard_normal(3) * 0.1
    t = lambda v, grad=False: unigrad.tensor(v, dtype=getattr(unigrad, dtype), device=device, requires_grad=grad)  # noqa: E731
    return t(x), t(y), [t(w, True), t(b, True)]


def run_optimizer(name, make, device, dtype, seed, steps=20):
    result = table.Result(f"optim.{name}", "optimizer", dtype, "20 steps", seed, "passed",
                          primitives=("mul", "add", "sqrt", "div"),
                          reproducer=reproducer(device, f"^optim.{name}$", dtype, seed))
    trajectories = []
    for side, (on, as_dtype) in enumerate(((REFERENCE_DEVICE, "float64"), (device, dtype))):
        with _side(side == 0):
            x, y, params = _optimizer_problem(on, as_dtype, seed)
            optimizer = make(unigrad, params)
            history = []
            for _ in range(steps):
                optimizer.zero_grad()
                loss = (((x @ params[0] + params[1]).tanh() - y) ** 2).mean()
                loss.backward()
                optimizer.step()
                history.append([np.array(_to_numpy(p), copy=True) for p in params])
        trajectories.append(history)
    for step, (ref, cand) in enumerate(zip(*trajectories)):
        for r, c in zip(ref, cand):
            ok, max_abs, max_rel, worst, message = compare(c, r, "training", dtype)
            _track(result, max_abs, max_rel, worst)
            if not ok:
                return _fail(result, f"step {step + 1}: {message}")
    return result


def run_training(device, dtype, seed, steps=30):
    """A same-seed MLP with dropout: initial weights and masks must be bitwise the same stream."""
    result = table.Result("training.mlp_loss_curve", "training", dtype, f"{steps} steps", seed, "passed",
                          primitives=("random_bits", "matmul", "exp", "log"),
                          reproducer=reproducer(device, "^training", dtype, seed))
    curves = []
    for side, (on, as_dtype) in enumerate(((REFERENCE_DEVICE, "float64"), (device, dtype))):
        with _side(side == 0):
            unigrad.manual_seed(seed)
            model = unigrad.nn.Sequential(unigrad.nn.Linear(6, 16), unigrad.nn.Tanh(), unigrad.nn.Dropout(0.2),
                                          unigrad.nn.Linear(16, 3))
            model = model.to(getattr(unigrad, as_dtype)).to(on)
            rng = np.random.default_rng(seed)
            x = unigrad.tensor(rng.standard_normal((32, 6)), dtype=getattr(unigrad, as_dtype), device=on)
            y = unigrad.tensor(rng.integers(0, 3, 32), device=on)
            optimizer = unigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
            curve = []
            for _ in range(steps):
                optimizer.zero_grad()
                loss = unigrad.nn.functional.cross_entropy(model(x), y)
                loss.backward()
                optimizer.step()
                curve.append(loss.item())
        curves.append(np.array(curve))
    ok, max_abs, max_rel, worst, message = compare(curves[1], curves[0], "training", dtype)
    _track(result, max_abs, max_rel, worst)
    return result if ok else _fail(result, f"loss curve: {message}")


def run_random(device, dtype, seed):
    result = table.Result("random.streams", "random", dtype, "-", seed, "passed",
                          primitives=("random_bits", "uniform_from_bits", "cast", "remainder"),
                          reproducer=reproducer(device, "^random", dtype, seed))
    draws = []
    for side, on in enumerate((REFERENCE_DEVICE, device)):
        with _side(side == 0):
            unigrad.manual_seed(seed)
            d = getattr(unigrad, dtype)
            draws.append([unigrad.rand(5, 7, dtype=d, device=on), unigrad.randint(-3, 1000, (50,), device=on),
                          unigrad.randperm(20, device=on),
                          unigrad.nn.functional.dropout(unigrad.ones(64, dtype=d, device=on), 0.3),
                          unigrad.randn(40, dtype=d, device=on)])
    for i, (r, c) in enumerate(zip(*draws)):
        kind = "transcendental" if i == 4 else "exact"
        ok, max_abs, max_rel, worst, message = compare(_to_numpy(c), _to_numpy(r), kind, dtype)
        _track(result, max_abs, max_rel, worst)
        if not ok:
            return _fail(result, f"draw {i}: {message}")
    return result


def run_semantics(device, dtype, seed):
    """Views alias their base, in-place ops keep storage and bump versions, errors are raised."""
    result = table.Result("semantics.views_inplace", "semantics", dtype, "-", seed, "passed",
                          primitives=("as_strided", "copy_", "add"),
                          reproducer=reproducer(device, "^semantics", dtype, seed))
    d = getattr(unigrad, dtype)
    base = unigrad.zeros(3, 4, dtype=d, device=device)
    row, column, transposed = base[1], base[:, 2], base.t()
    row.fill_(1.0)
    column.add_(10.0)
    transposed[0, 0] = 5.0
    base.view(2, 6)[1, 5] = -1.0
    expected = np.zeros((3, 4))
    expected[1] = 1.0
    expected[:, 2] += 10.0
    expected[0, 0] = 5.0
    expected[2, 3] = -1.0
    ok, *_, message = compare(_to_numpy(base), expected.astype(dtype), "exact", dtype)
    if not ok:
        return _fail(result, f"writes through views: {message}")
    if base._version[0] != 4:
        return _fail(result, f"version counter is {base._version[0]} after 4 in-place writes")
    x = unigrad.arange(6, dtype=d, device=device)
    x[1:] = x[:-1].clone()
    ok, *_, message = compare(_to_numpy(x), np.array([0, 0, 1, 2, 3, 4], dtype=dtype), "exact", dtype)
    if not ok:
        return _fail(result, f"overlapping assignment: {message}")
    leaf = unigrad.ones(3, dtype=d, device=device, requires_grad=True)
    saved = leaf * 2
    product = saved * saved
    saved.add_(1)
    try:
        product.sum().backward()
        return _fail(result, "backward did not detect an in-place change to a saved tensor")
    except RuntimeError:
        pass
    return result


def run_autocast(case, device, dtype, seed):
    """A module on float32 inputs under ``autocast(device type, dtype)``: output dtypes follow the
    backend's autocast lists; values and the float32 parameters' gradients match the float64
    reference (no autocast) within the tolerances of the low-precision dtype."""
    result = table.Result(f"autocast.{case.name}", "autocast", dtype, "float32 inputs", seed, "passed",
                          primitives=("cast", "matmul"),
                          reproducer=reproducer(device, f"^autocast.{re.escape(case.name)}$", dtype, seed))
    backend = registry.get_backend(unigrad.device(device))
    expected_dtypes = [dtype if d == "low" else d for d in case.expect[backend.autocast_lists]]
    rng = np.random.default_rng(seed)
    x = rng.uniform(-2.0, 2.0, case.input_shape)
    target = rng.integers(0, 4, case.input_shape[0])
    unigrad.manual_seed(seed)
    with usage.reference_side():
        reference_model = case.build(unigrad).to(unigrad.float64)
    candidate_model = case.build(unigrad).to(device)
    candidate_model.load_state_dict(reference_model.state_dict())
    weights = np.random.default_rng(seed + 1)
    runs = []
    for on, model, as_dtype, region in ((REFERENCE_DEVICE, reference_model, unigrad.float64, False),
                                        (device, candidate_model, unigrad.float32, True)):
        with _side(not region):
            inputs = unigrad.tensor(x, dtype=as_dtype, device=on)
            labels = unigrad.tensor(target, device=on)
            with unigrad.autocast(unigrad.device(on).type, dtype=getattr(unigrad, dtype), enabled=region):
                outputs = _flatten(case.fn(unigrad, model, inputs, labels))
        runs.append(outputs)
    reference, actual = runs
    got = [o.dtype.name for o in actual]
    if got != expected_dtypes:
        return _fail(result, f"output dtypes {got}, expected {expected_dtypes} "
                             f"({backend.autocast_lists!r} autocast lists)")
    scale = float(np.abs(x).max())
    for i, (a, r) in enumerate(zip(actual, reference)):
        ok, max_abs, max_rel, worst, message = compare(_to_numpy(a), _to_numpy(r), case.kind, dtype,
                                                       (case.terms, scale))
        _track(result, max_abs, max_rel, worst)
        if not ok:
            return _fail(result, f"output {i}: {message}")
    for outputs in (actual, reference):
        with _side(outputs is reference):
            loss = 0
            for o in outputs:
                w = unigrad.tensor(weights.standard_normal(tuple(o.shape)), dtype=o.dtype, device=o.device)
                loss = loss + (o * w).sum()
            loss.backward()
        weights = np.random.default_rng(seed + 1)
    for (name, a), r in zip(candidate_model.named_parameters(), reference_model.parameters()):
        if a.grad is None or a.grad.dtype is not unigrad.float32:
            return _fail(result, f"parameter {name} got {'no gradient' if a.grad is None else a.grad.dtype}, "
                                 f"expected a float32 gradient")
        ok, max_abs, max_rel, worst, message = compare(_to_numpy(a.grad), _to_numpy(r.grad), case.kind, dtype,
                                                       (case.terms, scale), gradient=True)
        _track(result, max_abs, max_rel, worst)
        if not ok:
            return _fail(result, f"gradient of {name}: {message}")
    return result


_NOT_SET = object()


def _fast_path_cases(x, rng):
    """name -> function of a tensor like ``x`` giving the outputs to compare (values, gradients)."""
    from ..nn import functional as F

    def with_grad(op, shape):
        def run(t):
            t = t.reshape(shape).detach().requires_grad_()
            out = op(t)
            values = out[0] if isinstance(out, tuple) else out
            seed_grad = unigrad.tensor(rng_grad.standard_normal(values.shape), dtype=t.dtype, device=t.device)
            values.backward(seed_grad)
            extra = list(out[1:]) if isinstance(out, tuple) else []
            return [values, *extra, t.grad]
        return run

    rng_grad = np.random.default_rng(int(rng.integers(1 << 31)))
    index = rng.integers(0, x.shape[1], x.shape)  # duplicates and untouched slots on purpose
    return {
        "log_softmax": lambda t: [t.log_softmax(1)], "softmax": lambda t: [t.softmax(0)],
        "sigmoid": lambda t: [t.sigmoid()],
        "max_pool": with_grad(lambda t: F.max_pool2d(t, 3, 2, padding=1, return_indices=True), (1, 2, 3, 4)),
        "fold": with_grad(lambda t: F.conv2d(t, unigrad.ones(3, 2, 2, 2, dtype=t.dtype, device=t.device),
                                             stride=1, padding=1), (1, 2, 3, 4)),
        "scatter_reduce": lambda t: [t.scatter_reduce(1, unigrad.tensor(index, device=t.device), t.flip(1) * 0.5,
                                                      reduce, include_self=include_self)
                                     for reduce in ("prod", "amax", "amin") for include_self in (True, False)],
    }


def run_fast_paths(device, dtype, seed, names=None):
    """Optional fast paths agree with the frontend's composite built from primitives, values and
    gradients (each fast path is switched off in turn to get the composite); ``names``: only
    these fast paths (one case each in the suite)."""
    names = tuple(names or OPTIONAL_FAST_PATHS)
    result = table.Result("fast_paths.vs_composite", "fast_path", dtype, names[0] if len(names) == 1 else "-",
                          seed, "passed", primitives=names,
                          reproducer=reproducer(device, "^fast_paths", dtype, seed))
    backend = registry.get_backend(unigrad.device(device))
    rng = np.random.default_rng(seed)
    x = unigrad.tensor(rng.standard_normal((4, 6)) * 5, dtype=getattr(unigrad, dtype), device=device)
    for name in names:
        if getattr(backend, name, None) is None:
            continue
        fn = _fast_path_cases(x, np.random.default_rng(seed))[name]
        fast = [_to_numpy(t) for t in fn(x)]
        own = vars(backend).get(name, _NOT_SET)  # a fast path may be set on the instance
        setattr(backend, name, None)
        reduction._FORCE_COMPOSITE[0] = True
        try:
            composite = [_to_numpy(t) for t in _fast_path_cases(x, np.random.default_rng(seed))[name](x)]
        finally:
            reduction._FORCE_COMPOSITE[0] = False
            if own is _NOT_SET:
                delattr(backend, name)
            else:
                setattr(backend, name, own)
        for i, (ours, theirs) in enumerate(zip(fast, composite)):
            kind = "exact" if ours.dtype.kind in "iub" else "transcendental"
            ok, max_abs, max_rel, worst, message = compare(ours, theirs, kind, dtype)
            _track(result, max_abs, max_rel, worst)
            if not ok:
                return _fail(result, f"{name} fast path vs composite, output {i}: {message}")
    return result


def _optional_primitive_checks(x):
    """name -> function of a tensor like ``x`` giving outputs that rest on that optional primitive."""
    def sorting(t):
        tied = unigrad.where(t.abs() > 6, float("nan"), t.round())
        outs = []
        for dim, descending in ((1, False), (1, True), (0, True)):
            outs += list(tied.sort(dim, descending))
        return outs + [*tied.topk(2, 1), tied.median(1).indices, *unigrad.unique(tied, return_counts=True)]
    return {"sort": sorting}


def run_optional_primitives(device, dtype, seed, names=None):
    """Optional primitives agree exactly with the frontend's composite of required primitives
    (each switched off in turn to get the composite); ``names``: only these."""
    names = tuple(names or OPTIONAL_PRIMITIVES)
    result = table.Result("optional_primitives.vs_composite", "fast_path", dtype,
                          names[0] if len(names) == 1 else "-", seed, "passed", primitives=names,
                          reproducer=reproducer(device, "^optional_primitives", dtype, seed))
    backend = registry.get_backend(unigrad.device(device))
    rng = np.random.default_rng(seed)
    x = unigrad.tensor(rng.standard_normal((5, 9)) * 5, dtype=getattr(unigrad, dtype), device=device)
    checks = _optional_primitive_checks(x)  # the element-wise ones have primitive cases of their own
    for name in names:
        if getattr(backend, name, None) is None or name not in checks:
            continue
        check = checks[name]
        ours = [_to_numpy(t) for t in check(x)]
        own = vars(backend).get(name, _NOT_SET)
        setattr(backend, name, None)
        try:
            composite = [_to_numpy(t) for t in check(x)]
        finally:
            if own is _NOT_SET:
                delattr(backend, name)
            else:
                setattr(backend, name, own)
        for i, (a, b) in enumerate(zip(ours, composite)):
            ok, max_abs, max_rel, worst, message = compare(a, b, "exact", dtype)
            _track(result, max_abs, max_rel, worst)
            if not ok:
                return _fail(result, f"{name} primitive vs composite, output {i}: {message}")
    return result


# ----- the whole suite -------------------------------------------------------------------------
def reproducer(device, pattern, dtype, seed, note="") -> str:
    """The command line that reruns one case."""
    return (f"unigrad conformance --device {device} --op '{pattern}' --dtype {dtype}"
            + (f" --seed {seed}" if seed else "") + (f"   # {note}" if note else ""))


def plan(device, dtypes=None, op=None, seed=0):
    """Every concrete case as ``(label, job)`` plus the declared skips. A job returns the case's
    Result, with the primitives it called on the device recorded (see ``usage``)."""
    backend = registry.get_backend(unigrad.device(device))
    supported = {d.name for d in backend.supported_dtypes}
    pattern = re.compile(op) if op else None
    wanted = set(dtypes) if dtypes else None
    jobs, skips = [], []

    def add(name, dtype, label, job, group="", primitives=(), subject=()):
        if pattern and not pattern.search(name):
            return
        if wanted and dtype not in wanted:
            return
        if dtype not in supported:
            skips.append(table.Result(name, group or "skip", dtype, label, seed, "skipped",
                                      f"device {device} declares no {dtype} support",
                                      primitives=tuple(primitives), subject=tuple(subject)))
            return
        jobs.append((f"{name}[{dtype},{label}]",
                     _Job(job, device, (name, group, dtype, label, tuple(primitives), seed), tuple(subject))))

    for entry in PRIMITIVE_CASES:
        subject = subject_of(entry)
        if any(p in OPTIONAL_FAST_PATHS and getattr(backend, p, None) is None for p in subject):
            continue  # a fast path this backend leaves to the frontend: nothing of its own to check
        for dtype in entry[3]:
            add(f"primitive:{entry[0]}", dtype, "-", partial(run_primitive_case, entry, device, dtype, seed),
                "primitive", subject, subject)
    for case in table.CASES + table.MODULE_CASES:
        for dtype in case.dtypes:
            for shape_class in case.shape_classes:
                add(case.name, dtype, shape_class, partial(run_case, case, device, dtype, shape_class, seed),
                    case.group, case.primitives)
    for case in table.AUTOCAST_CASES:
        for dtype in ("float16", "bfloat16"):
            add(f"autocast.{case.name}", dtype, "float32 inputs", partial(run_autocast, case, device, dtype, seed),
                "autocast", ("cast", "matmul"))
    for name, make in table.OPTIMIZERS.items():
        for dtype in ("float32", "float64"):
            add(f"optim.{name}", dtype, "20 steps", partial(run_optimizer, name, make, device, dtype, seed),
                "optimizer", ("mul", "add", "sqrt", "div"))
    for dtype in ("float32", "float64"):
        add("training.mlp_loss_curve", dtype, "30 steps", partial(run_training, device, dtype, seed),
            "training", ("random_bits", "matmul", "exp", "log"))
        add("random.streams", dtype, "-", partial(run_random, device, dtype, seed), "random",
            ("random_bits", "uniform_from_bits", "cast", "remainder"))
        add("semantics.views_inplace", dtype, "-", partial(run_semantics, device, dtype, seed), "semantics",
            ("as_strided", "copy_", "add"))
        for name in OPTIONAL_FAST_PATHS:
            if getattr(backend, name, None) is not None:
                add("fast_paths.vs_composite", dtype, name, partial(run_fast_paths, device, dtype, seed, (name,)),
                    "fast_path", (name,))
        for name in OPTIONAL_PRIMITIVES:
            if getattr(backend, name, None) is not None and name in _optional_primitive_checks(None):
                add("optional_primitives.vs_composite", dtype, name,
                    partial(run_optional_primitives, device, dtype, seed, (name,)), "fast_path", (name,))
        add("checkpoint.round_trip", dtype, "-", partial(run_checkpoint, device, dtype, seed), "semantics",
            ("as_strided", "to_numpy", "from_numpy"))
    for case in table.COMPILED_CASES:
        for dtype in case.dtypes:
            add(case.name, dtype, case.label, partial(run_compiled, case, device, dtype, seed), "compiled",
                case.primitives)
    return jobs, skips


class _Job:
    """One concrete case: runs it while recording the primitives it calls on the device; a crash
    becomes an "error" Result with its trace; contract violations of the primitive under test
    fail a primitive case."""

    def __init__(self, fn, device, meta, subject) -> None:
        self.fn, self.device, self.meta, self.subject = fn, device, meta, subject
        self.touched: frozenset = frozenset()  # every primitive the last run called on the device

    def __call__(self):
        name, group, dtype, label, declared, seed = self.meta
        if group == "compiled":  # the compiler captures the backend's calls itself: not recorded
            return self.fn()
        # every case runs with each primitive's result checked against the interface's promise
        # (shapes, dtypes), so a wrong shape is reported at the primitive that made it
        previous = registry.set_backend_checks(True)
        try:
            backend = registry.get_backend(unigrad.device(self.device))
            with usage.recording(backend, self.subject) as recorder:
                try:
                    result = self.fn()
                except Exception as error:  # a crash is a failure of that case, reported with its trace
                    result = table.Result(name, group, dtype, label, seed, "error",
                                          f"{type(error).__name__}: {error}\n{traceback.format_exc(limit=4)}",
                                          primitives=declared, subject=self.subject,
                                          reproducer=reproducer(self.device, f"^{re.escape(name)}$", dtype, seed))
        finally:
            registry.set_backend_checks(previous)
        self.touched = frozenset(recorder.touched)
        if recorder.used:
            result.primitives = tuple(sorted(recorder.used))
        violations = recorder.monitor.violations if recorder.monitor is not None else []
        if violations:
            detail = "; ".join(dict.fromkeys(violations))
            if result.status == "passed":
                _fail(result, f"contract: {detail}")
            else:
                result.message += f" (and contract: {detail})"
        return result


def run_compiled(case, device, dtype, seed):
    """A compiled-vs-eager case (``cases_compiled.py``): equal within the training tolerance,
    and the compiled function must have replayed."""
    result = table.Result(case.name, "compiled", dtype, case.label, seed, "passed", primitives=case.primitives,
                          reproducer=reproducer(device, f"^{re.escape(case.name)}$", dtype, seed))
    pairs, fn = case.run(device, dtype, case.steps)
    if fn is None or fn.broken is not None or fn.given_up is not None or not any(p.replays for p in fn.programs):
        why = fn.broken or fn.given_up if fn is not None else "not compiled"
        return _fail(result, f"the compiled function did not replay: {why}")
    for label, eager, compiled in pairs:
        ok, max_abs, max_rel, worst, message = compare(compiled, eager, "training", dtype)
        _track(result, max_abs, max_rel, worst)
        if not ok:
            return _fail(result, f"{label}: {message}")
    return result


def run(device, dtypes=None, op=None, fail_fast=False, progress=None, seed=0):
    """Run the suite; returns the list of Results (passed, failed, error, skipped)."""
    jobs, skips = plan(device, dtypes, op, seed)
    results = list(skips)
    started = time.perf_counter()
    for i, (label, job) in enumerate(jobs):
        result = job()
        results.append(result)
        if progress is not None:
            progress(i + 1, len(jobs), result)
        if fail_fast and result.status in ("failed", "error"):
            break
    run.elapsed = time.perf_counter() - started
    return results


def suspects(results) -> list:
    """Primitives ranked from most to least suspect: those whose own primitive case failed
    (confirmed) first, then the rest by the evidence of the failing cases (see ``diagnosis``)."""
    return diagnose(results).ranked
