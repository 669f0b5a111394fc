"""Tensor utility methods and legacy API against torch: memory queries, apply_/map_, resize_,
legacy types and constructors, flags, random fills, and the small top-level helpers."""
from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import unigrad
from parity import assert_close, check, skip_unless_supported

ON_CPU = unigrad.get_default_device().type == "cpu"
DTYPE_NAMES = ["float32", "float64", "int64", "int32", "int16", "int8", "uint8", "bool"]


def _pair(data, dtype=None):
    return (unigrad.tensor(data, dtype=getattr(unigrad, dtype) if dtype else None),
            torch.tensor(data, dtype=getattr(torch, dtype) if dtype else None))


# ----- memory queries ------------------------------------------------------------------------
VIEWS = [
    lambda x: x, lambda x: x[2:], lambda x: x.reshape(4, 6)[1], lambda x: x.reshape(4, 6).t()[2],
    lambda x: x.reshape(4, 6)[:, 3], lambda x: x.reshape(2, 3, 4)[1, 1:, 2:],
    lambda x: x.reshape(4, 6).narrow(1, 2, 3), lambda x: x.reshape(6, 4).select(0, 5),
]


@pytest.mark.parametrize("view", VIEWS)
def test_storage_offset_and_data_ptr_match_torch(view):
    ours, theirs = unigrad.arange(24.0), torch.arange(24.0)
    v_ours, v_theirs = view(ours), view(theirs)
    assert v_ours.storage_offset() == v_theirs.storage_offset()
    assert v_ours.data_ptr() - ours.data_ptr() == v_theirs.data_ptr() - theirs.data_ptr()
    assert v_ours.const_data_ptr() == v_ours.data_ptr()
    assert v_ours.is_set_to(view(ours)) and not v_ours.is_set_to(ours.clone()) or v_ours.numel() == 24


@pytest.mark.parametrize("dtype", DTYPE_NAMES + ["float16"])
def test_sizes_in_bytes_match_torch(dtype):
    skip_unless_supported(dtype)
    ours, theirs = unigrad.ones(3, 4, dtype=getattr(unigrad, dtype)), torch.ones(3, 4, dtype=getattr(torch, dtype))
    for a, b in ((ours, theirs), (ours[:, 1], theirs[:, 1])):
        assert (a.nbytes, a.itemsize, a.element_size(), a.ndimension()) == \
            (b.nbytes, b.itemsize, b.element_size(), b.ndimension())


@pytest.mark.skipif(not ON_CPU or not hasattr(os, "fork"), reason="shared host memory and fork")
def test_share_memory_is_seen_by_a_forked_process():
    x = unigrad.zeros(3)
    view = x[1:]
    assert not x.is_shared() and torch.zeros(3).is_shared() is False
    assert x.share_memory_() is x and x.is_shared()
    assert view.share_memory_() is view  # its base is shared already
    pid = os.fork()
    if pid == 0:
        x.add_(5)
        os._exit(0)
    os.waitpid(pid, 0)
    assert x.tolist() == [5.0, 5.0, 5.0]
    model = unigrad.nn.Linear(2, 2)
    model.share_memory()
    assert all(p.is_shared() for p in model.parameters())


def test_pin_memory_as_torch_without_accelerator(monkeypatch):
    x = unigrad.ones(2)
    assert x.is_pinned() is torch.ones(2).is_pinned() is False
    monkeypatch.setattr(unigrad.accelerator, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
        x.pin_memory()
    with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is available"):
        torch.ones(2).pin_memory()
    monkeypatch.setattr(unigrad.accelerator, "is_available", lambda: True)
    pinned = x.pin_memory()
    assert pinned is not x and pinned.tolist() == [1.0, 1.0]


# ----- element-wise Python callables ---------------------------------------------------------
def test_apply_map_map2_match_torch():
    for lib in (unigrad, torch):
        x = lib.arange(6.0)
        assert x.apply_(lambda v: v * 2) is x
    assert unigrad.arange(6.0).apply_(lambda v: v * 2).tolist() == torch.arange(6.0).apply_(lambda v: v * 2).tolist()
    assert unigrad.ones(3, dtype=unigrad.int64).apply_(lambda v: v * 2.7).tolist() == \
        torch.ones(3, dtype=torch.int64).apply_(lambda v: v * 2.7).tolist()
    ours = unigrad.ones(2, 3).map_(unigrad.tensor([1.0, 2.0, 3.0]), lambda a, b: a * b)
    theirs = torch.ones(2, 3).map_(torch.tensor([1.0, 2.0, 3.0]), lambda a, b: a * b)
    assert ours.tolist() == theirs.tolist()
    ours = unigrad.ones(2).map2_(unigrad.ones(2), unigrad.tensor([1.0, 2.0]), lambda a, b, c: a + b + c)
    theirs = torch.ones(2).map2_(torch.ones(2), torch.tensor([1.0, 2.0]), lambda a, b, c: a + b + c)
    assert ours.tolist() == theirs.tolist()
    with pytest.raises(RuntimeError, match="must match the existing size"):
        unigrad.ones(2, 3).map_(unigrad.ones(2), lambda a, b: a)
    for lib in (unigrad, torch):
        with pytest.raises(RuntimeError, match=r"Can't call apply_\(\) on Variable that requires grad"):
            lib.ones(2, requires_grad=True).apply_(lambda v: v)


def test_apply_bumps_the_version():
    x = unigrad.ones(2)
    before = x._version_number
    x.apply_(lambda v: v + 1)
    assert x._version_number > before


# ----- resize_ -------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 3), (2, 2), (3, 3), (2, 1), (6,), (0,), (4, 4)])
def test_resize_owned_tensor_matches_torch(shape):
    ours, theirs = unigrad.arange(6.0), torch.arange(6.0)
    assert ours.resize_(*shape) is ours
    theirs.resize_(*shape)
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours.is_contiguous()
    kept = min(6, math.prod(shape))
    np.testing.assert_array_equal(ours.reshape(-1)[:kept].numpy(), theirs.reshape(-1)[:kept].numpy())


def test_resize_as_shrinking_view_and_errors():
    ours, theirs = unigrad.arange(6.0), torch.arange(6.0)
    assert ours.clone().resize_as_(unigrad.ones(2, 2)).tolist() == theirs.clone().resize_as_(torch.ones(2, 2)).tolist()
    view_o, view_t = ours[1:], theirs[1:]
    assert view_o.resize_(2).tolist() == view_t.resize_(2).tolist()
    assert ours.tolist() == theirs.tolist()  # the base is untouched
    for lib in (unigrad, torch):
        with pytest.raises(RuntimeError, match="cannot resize variables that require grad"):
            lib.ones(2, requires_grad=True).resize_(3)
    with pytest.raises(RuntimeError, match="cannot grow a view"):
        unigrad.arange(6.0)[4:].resize_(5)


def test_shrink_then_grow_keeps_the_prefix():
    x = unigrad.arange(6.0)
    x.resize_(2)
    x.resize_(4)
    assert x[:2].tolist() == [0.0, 1.0]


# ----- legacy types and constructors ----------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPE_NAMES + ["float16", "bfloat16"])
def test_type_names_match_torch(dtype):
    ours = unigrad.zeros(2, dtype=getattr(unigrad, dtype), device="cpu")
    theirs = torch.zeros(2, dtype=getattr(torch, dtype))
    assert ours.type() == theirs.type()
    assert unigrad.typename(ours) == torch.typename(theirs)
    name = theirs.type().split(".")[-1]
    assert isinstance(ours, getattr(unigrad, name)) and isinstance(theirs, getattr(torch, name))
    assert getattr(unigrad, name).dtype is ours.dtype
    assert repr(getattr(unigrad, name)) == repr(getattr(torch, name))
    if dtype in {d.name for d in unigrad.backends.get_backend(unigrad.get_default_device()).supported_dtypes}:
        on_default = unigrad.zeros(2, dtype=ours.dtype)
        kind = on_default.device.type
        assert on_default.type() == (f"torch.{name}" if kind == "cpu" else f"torch.{kind}.{name}")


def test_legacy_constructors_match_torch():
    for args in ((2, 3), ((2, 3),), ([1, 2],), ([[1.5, 2], [3, 4]],), (np.array([1, 2]),), ()):
        for name in ("FloatTensor", "LongTensor", "DoubleTensor", "IntTensor", "ByteTensor", "BoolTensor"):
            if args and isinstance(args[0], list) and name == "BoolTensor":
                continue
            ours, theirs = getattr(unigrad, name)(*args), getattr(torch, name)(*args)
            assert ours.dtype.name == str(theirs.dtype).split(".")[1]
            assert tuple(ours.shape) == tuple(theirs.shape)
            if args and not isinstance(args[0], int):
                assert ours.tolist() == theirs.tolist()
    assert unigrad.FloatTensor(unigrad.Size([2, 2])).shape == (2, 2)
    x = unigrad.tensor([1.0, 2.0], device="cpu")
    alias = unigrad.FloatTensor(x)
    alias[0] = 5.0
    assert x[0].item() == 5.0  # shares storage, as torch's does
    for lib in (unigrad, torch):
        with pytest.raises(TypeError, match="data must be a sequence"):
            lib.FloatTensor(2.5)
        with pytest.raises(TypeError):
            lib.FloatTensor(lib.tensor([1, 2], device="cpu"))
        with pytest.raises(RuntimeError, match="negative dimension"):
            lib.FloatTensor(-1)
    assert not isinstance(unigrad.ones(2, device="cpu"), unigrad.cuda.FloatTensor)
    assert isinstance(unigrad.nn.Parameter(unigrad.ones(1, device="cpu")), unigrad.FloatTensor)
    assert not issubclass(unigrad.FloatTensor, unigrad.Tensor)


def test_type_conversions_match_torch():
    ours, theirs = unigrad.ones(2, device="cpu"), torch.ones(2)
    for target in ("LongTensor", "IntTensor", "DoubleTensor"):
        assert ours.type(getattr(unigrad, target)).type() == theirs.type(getattr(torch, target)).type()
        assert ours.type(f"torch.{target}").type() == theirs.type(f"torch.{target}").type()
    assert ours.type(unigrad.FloatTensor) is ours
    assert ours.type(unigrad.float64).dtype is unigrad.float64
    for lib in (unigrad, torch):
        for bad in ("torch.float64", "float64", "torch.BogusTensor"):
            with pytest.raises(ValueError, match="invalid type"):
                lib.ones(2).type(bad)
    assert unigrad.ones(2, dtype=unigrad.int64).type_as(ours).type() == "torch.FloatTensor"
    long_o = unigrad.ones(2, dtype=unigrad.int64, device="cpu")
    assert long_o.new(3).dtype is unigrad.int64 and long_o.new(3).shape == (3,)
    assert long_o.new([1.5, 2]).tolist() == torch.ones(2, dtype=torch.int64).new([1.5, 2]).tolist()
    assert long_o.new().shape == (0,) and long_o.new(unigrad.Size([2, 2])).shape == (2, 2)


def test_set_default_tensor_type():
    try:
        for lib in (unigrad, torch):
            with pytest.warns(UserWarning, match="set_default_tensor_type\\(\\) is deprecated"):
                lib.set_default_tensor_type(lib.DoubleTensor)
            assert lib.get_default_dtype() is lib.float64 and lib.ones(1).dtype is lib.float64
            with pytest.raises(TypeError, match="only floating-point types are supported"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    lib.set_default_tensor_type(lib.LongTensor)
    finally:
        torch.set_default_dtype(torch.float32)
        unigrad.set_default_dtype(unigrad.float32)
        unigrad.set_default_device(None)


# ----- flags and small top-level helpers -------------------------------------------------------
def test_flags_match_torch():
    ours, theirs = unigrad.ones(2, device="cpu"), torch.ones(2)
    for flag in ("is_cpu", "is_cuda", "is_xpu", "is_mps", "is_meta", "is_sparse", "is_sparse_csr",
                 "is_quantized", "is_mkldnn", "is_nested", "is_ipu", "is_xla", "is_vulkan", "is_maia",
                 "is_mtia", "output_nr"):
        assert getattr(ours, flag) == getattr(theirs, flag), flag
    for method in ("is_complex", "is_conj", "is_neg", "is_distributed", "is_signed", "is_inference"):
        assert getattr(ours, method)() == getattr(theirs, method)(), method
    assert repr(ours.layout) == repr(theirs.layout) == "torch.strided"
    assert ours.layout is unigrad.strided
    for info in unigrad.backends.registered():  # every registered device type keeps its flag
        assert getattr(ours, f"is_{info.name}") == (info.name == "cpu")
    assert ours.real is ours and ours.conj() is ours and unigrad.real(ours) is ours
    for lib, x in ((unigrad, ours), (torch, theirs)):
        with pytest.raises(RuntimeError, match="imag is not implemented for tensors with non-complex dtypes"):
            x.imag
        with pytest.raises(RuntimeError, match="imag is not implemented"):
            lib.imag(x)


@pytest.mark.parametrize("dtype", DTYPE_NAMES)
def test_is_signed_and_dim_order(dtype):
    ours, theirs = unigrad.zeros(2, 3, dtype=getattr(unigrad, dtype)), torch.zeros(2, 3, dtype=getattr(torch, dtype))
    assert unigrad.is_signed(ours) == torch.is_signed(theirs) == ours.is_signed()
    assert ours.t().dim_order() == theirs.t().dim_order()


def test_predicates_match_torch():
    for lib in (unigrad, torch):
        assert lib.is_nonzero(lib.tensor([1.0])) and not lib.is_nonzero(lib.tensor(0.0))
        with pytest.raises(RuntimeError, match="more than one value is ambiguous"):
            lib.is_nonzero(lib.tensor([1.0, 2.0]))
        with pytest.raises(RuntimeError, match="no values is ambiguous"):
            lib.is_nonzero(lib.tensor([]))
        assert lib.is_same_size(lib.ones(2), lib.ones(2)) and not lib.ones(2).is_same_size(lib.ones(3))
        assert lib.is_storage(lib.ones(2)) is False
        assert lib.typename(3) == "int" and lib.typename(np.ones(2)) == "numpy.ndarray"
        assert (lib.e, lib.pi, lib.inf, lib.newaxis) == (math.e, math.pi, math.inf, None)
        assert math.isnan(lib.nan)
        assert 2 in lib.tensor([1, 2]) and lib.tensor([1, 2]) in lib.tensor([[1, 2]])
        with pytest.raises(RuntimeError, match="only supports Tensor or scalar"):
            "a" in lib.tensor([1])
    assert unigrad.typename(unigrad.nn.Linear(1, 1)) == "unigrad.nn.modules.linear.Linear"
    assert [t.item() for t in reversed(unigrad.tensor([1, 2, 3]))] == [3, 2, 1]
    assert reversed(unigrad.tensor([[1, 2], [3, 4]])).tolist() == reversed(torch.tensor([[1, 2], [3, 4]])).tolist()
    assert reversed(unigrad.tensor(1)).item() == 1


BROADCAST_CASES = [((2, 1), (3,)), (2, (3, 1)), (), ((2, 3), (4, 1, 1)), ((2, 0), (1,)),
                   ((1,), (5, 1, 3)), ((2, 3), (3, 2)), ((2, 1), (4, 3)), ((1,), (2, 3), (4, 3)),
                   ((5, 2, 3), (4,)), ((2, -1),)]


@pytest.mark.parametrize("shapes", BROADCAST_CASES)
def test_broadcast_shapes_matches_torch(shapes):
    try:
        expected = torch.broadcast_shapes(*shapes)
    except (RuntimeError, ValueError) as error:
        with pytest.raises(type(error)) as ours:
            unigrad.broadcast_shapes(*shapes)
        assert str(ours.value) == str(error)
        return
    result = unigrad.broadcast_shapes(*shapes)
    assert isinstance(result, unigrad.Size) and tuple(result) == tuple(expected)


@given(st.lists(st.lists(st.integers(1, 3), max_size=4), min_size=1, max_size=4))
def test_broadcast_shapes_agrees_with_torch(shapes):
    shapes = [tuple(s) for s in shapes]
    try:
        expected = tuple(torch.broadcast_shapes(*shapes))
    except RuntimeError as error:
        with pytest.raises(RuntimeError) as ours:
            unigrad.broadcast_shapes(*shapes)
        assert str(ours.value) == str(error)
        return
    assert tuple(unigrad.broadcast_shapes(*shapes)) == expected


def test_creation_extras_match_torch():
    for value, dtype in ((3, None), (2.5, None), (True, None), (3, "int64")):
        ours = unigrad.scalar_tensor(value, dtype=getattr(unigrad, dtype) if dtype else None)
        theirs = torch.scalar_tensor(value, dtype=getattr(torch, dtype) if dtype else None)
        assert_close(ours, theirs)
    for size, stride in (((2, 3), (1, 2)), ((2, 3), (3, 1)), ((4,), (2,)), ((2, 0), (1, 1))):
        ours, theirs = unigrad.empty_strided(size, stride), torch.empty_strided(size, stride)
        assert (ours.shape, ours.stride(), ours.is_contiguous()) == (theirs.shape, theirs.stride(), theirs.is_contiguous())
    for lib in (unigrad, torch):
        with pytest.raises(RuntimeError, match="must match dimensionality of strides"):
            lib.empty_strided((2, 3), (1,))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for args, kwargs in (((0, 3), {}), ((0, 1, 0.3), {}), ((0, 5, 2), {"dtype": "int64"}),
                             ((3, 0, -1), {})):
            if "dtype" in kwargs:
                ours = unigrad.range(*args, dtype=unigrad.int64)
                theirs = torch.range(*args, dtype=torch.int64)
            else:
                ours, theirs = unigrad.range(*args), torch.range(*args)
            assert_close(ours, theirs)
        for lib in (unigrad, torch):
            with pytest.raises(RuntimeError, match="step must be nonzero"):
                lib.range(0, 3, 0)
            with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent"):
                lib.range(3, 0)
            with pytest.raises(TypeError):
                lib.range(4)
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        unigrad.range(0, 1)


def test_frombuffer_matches_torch():
    raw = bytearray(np.arange(4, dtype=np.float32).tobytes())
    ours = unigrad.frombuffer(raw, dtype=unigrad.float32, count=2, offset=4)
    theirs = torch.frombuffer(bytearray(raw), dtype=torch.float32, count=2, offset=4)
    assert_close(ours, theirs)
    ours[0] = 9.0  # shares the buffer's memory
    assert np.frombuffer(raw, dtype=np.float32)[1] == 9.0
    with pytest.warns(UserWarning, match="not writable"):
        assert unigrad.frombuffer(b"\x01\x00\x02\x00", dtype=unigrad.int16).tolist() == [1, 2]
    for kwargs in (dict(offset=8), dict(count=0), dict(count=3), dict(offset=-1)):
        with pytest.raises(ValueError) as theirs_error:
            torch.frombuffer(bytearray(8), dtype=torch.float32, **kwargs)
        with pytest.raises(ValueError) as ours_error:
            unigrad.frombuffer(bytearray(8), dtype=unigrad.float32, **kwargs)
        assert str(ours_error.value) == str(theirs_error.value)
    with pytest.raises(ValueError, match="must be a multiple of element size"):
        unigrad.frombuffer(bytearray(7), dtype=unigrad.float32)


def test_rsub_values_and_gradients():
    a = np.array([[1.0, -2.0], [3.0, 0.5]], dtype=np.float32)
    b = np.array([0.25, 4.0], dtype=np.float32)
    check(lambda lib, x, y: lib.rsub(x, y), a, b)
    check(lambda lib, x, y: lib.rsub(x, y, alpha=2), a, b)
    check(lambda lib, x: lib.rsub(x, 1.5), a)


def test_sum_to_size_matches_torch():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    for size in ((1, 3), (2, 1), (1,), (1, 1), ((2, 3),)):
        check(lambda lib, x: x.sum_to_size(*size), a)
    for lib in (unigrad, torch):
        with pytest.raises(RuntimeError, match="is not expandable to size"):
            lib.ones(2, 3).sum_to_size(2)


def test_array_wrap_returns_tensors_like_torch():
    for fn in (np.exp, lambda t: np.add(t, 1), lambda t: np.maximum(t, 0.5)):
        ours, theirs = fn(unigrad.tensor([0.25, 1.0])), fn(torch.tensor([0.25, 1.0]))
        assert isinstance(ours, unigrad.Tensor)
        assert_close(ours, theirs)


# ----- random in-place fills -----------------------------------------------------------------
N = 20000  # samples; every bound below is six standard errors of the statistic


def _sample(fill, dtype="float32", seed=0):
    unigrad.manual_seed(seed)
    return fill(unigrad.empty(N, dtype=getattr(unigrad, dtype))).numpy().astype(np.float64)


def test_exponential_moments():
    values = _sample(lambda x: x.exponential_(2.0))
    assert values.min() >= 0.0
    assert abs(values.mean() - 0.5) < 6 * 0.5 / math.sqrt(N)


@pytest.mark.parametrize("dtype", ["float32", "int64"])
def test_geometric_moments(dtype):
    p = 0.3
    values = _sample(lambda x: x.geometric_(p), dtype)
    assert values.min() >= 1.0 and np.all(values == np.round(values))
    assert abs(values.mean() - 1 / p) < 6 * math.sqrt(1 - p) / p / math.sqrt(N)


def test_log_normal_moments():
    logs = np.log(_sample(lambda x: x.log_normal_(0.5, 0.25)))
    assert abs(logs.mean() - 0.5) < 6 * 0.25 / math.sqrt(N)
    assert abs(logs.std() - 0.25) < 6 * 0.25 / math.sqrt(2 * N)


def test_cauchy_quantiles():
    median, sigma = 1.0, 2.0
    values = _sample(lambda x: x.cauchy_(median, sigma))
    density_at_median = 1 / (math.pi * sigma)
    assert abs(np.median(values) - median) < 6 * 0.5 / (density_at_median * math.sqrt(N))
    density_at_quartile = 1 / (2 * math.pi * sigma)
    spread = math.sqrt(0.25 * 0.75) / (density_at_quartile * math.sqrt(N))
    low, high = np.quantile(values, [0.25, 0.75])
    assert abs(low - (median - sigma)) < 6 * spread and abs(high - (median + sigma)) < 6 * spread


def test_bernoulli_forms():
    values = _sample(lambda x: x.bernoulli_(0.3))
    assert set(np.unique(values)) <= {0.0, 1.0}
    assert abs(values.mean() - 0.3) < 6 * math.sqrt(0.21 / N)
    unigrad.manual_seed(1)
    scalar_p = unigrad.ones(N).bernoulli(0.3)
    assert scalar_p.dtype is unigrad.float32 and abs(scalar_p.mean().item() - 0.3) < 6 * math.sqrt(0.21 / N)
    assert unigrad.tensor([0.0, 1.0, 1.0, 0.0]).bernoulli().tolist() == [0.0, 1.0, 1.0, 0.0]
    assert unigrad.ones(4).bernoulli_(unigrad.tensor([0.0, 1.0, 1.0, 0.0])).tolist() == [0.0, 1.0, 1.0, 0.0]
    assert unigrad.zeros(3, dtype=unigrad.int64).bernoulli(0.5).dtype is unigrad.int64


def test_fills_are_reproducible_and_bump_versions():
    for fill in (lambda x: x.exponential_(), lambda x: x.geometric_(0.5), lambda x: x.log_normal_(),
                 lambda x: x.cauchy_(), lambda x: x.bernoulli_(0.5)):
        first, second = _sample(fill, seed=7), _sample(fill, seed=7)
        np.testing.assert_array_equal(first, second)
        x = unigrad.empty(3)
        version = x._version_number
        fill(x)
        assert x._version_number > version


@pytest.mark.skipif("opencl" not in unigrad.backends.available(), reason="needs a second backend")
def test_fills_agree_across_backends():
    for fill in (lambda x: x.exponential_(3.0), lambda x: x.cauchy_(), lambda x: x.geometric_(0.2)):
        results = []
        for device in ("cpu", "opencl"):
            unigrad.manual_seed(3)
            results.append(fill(unigrad.empty(1000, device=device)).cpu().numpy())
        np.testing.assert_allclose(results[0], results[1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype, args, low, high", [
    ("float32", (), 0, 2 ** 24), ("float64", (), 0, 2 ** 53), ("int64", (10,), 0, 9),
    ("int32", (-5, 5), -5, 4), ("bool", (), 0, 1), ("uint8", (), 0, 255), ("int8", (), 0, 127),
])
def test_random_ranges(dtype, args, low, high):
    values = _sample(lambda x: x.random_(*args), dtype)
    assert values.min() >= low and values.max() <= high and np.all(values == np.round(values))
    assert values.max() - values.min() > (high - low) / 2  # spread over the range


FILL_ERRORS = [
    ("float32", lambda x: x.exponential_(-1)), ("int64", lambda x: x.exponential_()),
    ("float32", lambda x: x.geometric_(0)), ("float32", lambda x: x.geometric_(1.5)),
    ("float32", lambda x: x.log_normal_(0, -1)), ("int64", lambda x: x.log_normal_()),
    ("float32", lambda x: x.cauchy_(0, -1)), ("int64", lambda x: x.cauchy_()),
    ("float32", lambda x: x.normal_(0, -1)), ("int64", lambda x: x.normal_()),
    ("float32", lambda x: x.uniform_(1, 0)), ("int64", lambda x: x.uniform_()),
    ("float32", lambda x: x.random_(5, 2)), ("uint8", lambda x: x.random_(0, 300)),
    ("float32", lambda x: x.bernoulli_(1.5)), ("float32", lambda x: x.bernoulli(1.5)),
    ("float32", lambda x: x.fill_(x.new_ones(2))),
]


@pytest.mark.parametrize("dtype, fill", FILL_ERRORS)
def test_fill_errors_match_torch(dtype, fill):
    with pytest.raises(Exception) as theirs:
        fill(torch.empty(3, dtype=getattr(torch, dtype)))
    x = unigrad.zeros(3, dtype=getattr(unigrad, dtype))
    with pytest.raises(type(theirs.value)) as ours:
        fill(x)
    message = str(theirs.value)
    if not isinstance(theirs.value, NotImplementedError) and "Could this error message" not in message:
        assert str(ours.value).split(".")[0] == str(theirs.value).split(".")[0]
    assert x.tolist() == [0, 0, 0]  # left intact


def test_fill_and_zero_match_torch():
    for lib in (unigrad, torch):
        assert lib.ones(2, dtype=lib.int64).fill_(2.7).tolist() == [2, 2]
        assert lib.ones(2, dtype=lib.bool).zero_().tolist() == [False, False]
        assert lib.ones(2).fill_(lib.tensor(3.0)).tolist() == [3.0, 3.0]
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            lib.ones(2, requires_grad=True).zero_()
        with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
            lib.ones(2, requires_grad=True).exponential_()


def test_new_factories_match_torch():
    summaries = []
    for lib in (unigrad, torch):
        x = lib.ones(2, 3, device="cpu")
        made = [
            x.new_zeros(2, 3, dtype=lib.int64, layout=lib.strided, device="cpu", pin_memory=False),
            x.new_zeros((2, 3)), x.new_zeros(size=(4,)), x.new_ones(lib.Size([2])),
            x.new_full((2,), 3), x.new_full(size=(2,), fill_value=1.5, dtype=lib.float64),
            x.new_tensor([1, 2]), x.new_tensor([1, 2], dtype=lib.int64), x.new_ones(2, requires_grad=True),
        ]
        empty = x.new_empty(0, 2)
        summaries.append([(str(t.dtype).split(".")[-1], tuple(t.shape), t.requires_grad, t.tolist())
                          for t in made] + [(str(empty.dtype).split(".")[-1], tuple(empty.shape))])
        with pytest.warns(UserWarning, match="To copy construct from a tensor"):
            x.new_tensor(x)
    assert summaries[0] == summaries[1]
