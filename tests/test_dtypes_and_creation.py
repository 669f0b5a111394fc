"""dtypes, PyTorch's type promotion, default dtype, and the factory functions."""
import itertools

import numpy as np
import pytest
import torch

import unigrad
from parity import assert_close

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


def _pair(lib, name, zero_dim):
    dtype = getattr(lib, name)
    return lib.ones((), dtype=dtype) if zero_dim else lib.ones(2, dtype=dtype)


@pytest.mark.parametrize("a,b", list(itertools.product(NAMES, NAMES)))
def test_promotion_of_tensor_pairs_matches_torch(a, b):
    for a_zero, b_zero in [(False, False), (True, False), (False, True), (True, True)]:
        ours = unigrad.result_type(_pair(unigrad, a, a_zero), _pair(unigrad, b, b_zero))
        theirs = torch.result_type(_pair(torch, a, a_zero), _pair(torch, b, b_zero))
        assert ours.name == str(theirs).replace("torch.", ""), (a, b, a_zero, b_zero)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scalar", [True, 3, 2.5])
def test_promotion_with_python_scalars_matches_torch(name, scalar):
    ours = unigrad.result_type(unigrad.ones(2, dtype=getattr(unigrad, name)), scalar)
    theirs = torch.result_type(torch.ones(2, dtype=getattr(torch, name)), scalar)
    assert ours.name == str(theirs).replace("torch.", "")


def test_default_dtype_governs_float_creation():
    assert unigrad.tensor([1.0]).dtype == unigrad.float32
    assert unigrad.tensor([1, 2]).dtype == unigrad.int64
    assert unigrad.tensor([True]).dtype == unigrad.bool
    assert unigrad.tensor(np.zeros(2)).dtype == unigrad.float64
    unigrad.set_default_dtype(unigrad.float64)
    assert unigrad.tensor([1.0]).dtype == unigrad.float64
    assert unigrad.zeros(2).dtype == unigrad.float64
    assert (unigrad.tensor([1]) * 0.5).dtype == unigrad.float64
    with pytest.raises(TypeError, match="floating"):
        unigrad.set_default_dtype(unigrad.int32)


def test_factories_match_torch():
    cases = [
        lambda lib: lib.zeros(2, 3),
        lambda lib: lib.ones((2,), dtype=lib.int32),
        lambda lib: lib.full((2, 2), 7),
        lambda lib: lib.full((2,), 1.5),
        lambda lib: lib.arange(5),
        lambda lib: lib.arange(1, 4, 0.5),
        lambda lib: lib.arange(10, 0, -3),
        lambda lib: lib.linspace(-1, 1, 7),
        lambda lib: lib.linspace(0, 1, 1),
        lambda lib: lib.eye(3),
        lambda lib: lib.eye(2, 4, dtype=lib.int64),
        lambda lib: lib.zeros_like(lib.ones(2, dtype=lib.float64)),
        lambda lib: lib.ones_like(lib.ones(3), dtype=lib.bool),
        lambda lib: lib.full_like(lib.ones(2), 3.0),
        lambda lib: lib.tensor([[1, 2], [3, 4]], dtype=lib.float16),
        lambda lib: lib.tensor(3.5),
        lambda lib: lib.tensor([]),
        lambda lib: lib.tensor([lib.tensor(1.0), lib.tensor(2.0)]),
        lambda lib: lib.ones(2).new_zeros(3),
        lambda lib: lib.ones(2, dtype=lib.int32).new_full((2,), 4),
        lambda lib: lib.ones(2).new_tensor([1, 2]),
    ]
    for case in cases:
        assert_close(case(unigrad), case(torch))


def test_empty_and_like_shapes():
    assert unigrad.empty(2, 3).shape == (2, 3)
    assert unigrad.empty_like(unigrad.ones(4)).shape == (4,)
    with pytest.raises(RuntimeError, match="negative dimension"):
        unigrad.zeros(-1)


def test_conversions_and_type_methods():
    x = unigrad.tensor([1.7, -2.2])
    assert x.long().tolist() == [1, -2]
    assert x.int().dtype == unigrad.int32
    assert x.double().dtype == unigrad.float64 and x.half().dtype == unigrad.float16
    assert x.bool().tolist() == [True, True]
    assert x.to(unigrad.float64).dtype == unigrad.float64
    assert x.to("cpu", unigrad.int64).tolist() == [1, -2]
    assert x.type(unigrad.int16).dtype == unigrad.int16
    assert x.type_as(unigrad.zeros(1, dtype=unigrad.uint8)).dtype == unigrad.uint8
    assert x.to(x) is x


def test_tensor_metadata():
    x = unigrad.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == unigrad.Size([2, 3, 4]) and x.size(-1) == 4
    assert x.ndim == x.dim() == 3 and x.numel() == 24 and x.element_size() == 4
    assert x.device == unigrad.device("cpu") and x.is_cpu and not x.is_cuda
    assert str(x.device) == "cpu" and x.get_device() == -1
    assert isinstance(x.shape, tuple) and x.shape.numel() == 24
    assert repr(unigrad.device("cuda", 1)) == "device(type='cuda', index=1)"
    assert unigrad.device("cuda:1") is unigrad.device("cuda", 1)


def test_item_tolist_numpy():
    x = unigrad.tensor([[1.5, 2.0]])
    assert x.tolist() == [[1.5, 2.0]] and x[0, 1].item() == 2.0
    assert isinstance(unigrad.tensor(3).item(), int)
    with pytest.raises(RuntimeError, match="cannot be converted to Scalar"):
        x.item()
    array = x.numpy()
    array[0, 0] = 9.0  # .numpy() shares memory on the CPU, as in torch
    assert x[0, 0].item() == 9.0
    with pytest.raises(RuntimeError, match="requires grad"):
        x.requires_grad_().numpy()


def test_repr_like_torch():
    assert repr(unigrad.tensor([1.0, 2.5])) == repr(torch.tensor([1.0, 2.5]))
    assert repr(unigrad.tensor([1, 2])) == repr(torch.tensor([1, 2]))
    assert repr(unigrad.tensor([1.0, 2.0])) == repr(torch.tensor([1.0, 2.0]))
    assert repr(unigrad.tensor([True, False])) == repr(torch.tensor([True, False]))
    assert repr(unigrad.tensor(2.0, dtype=unigrad.float64)) == "tensor(2., dtype=unigrad.float64)"
    assert repr(unigrad.ones(2, requires_grad=True)) == "tensor([1., 1.], requires_grad=True)"


def test_numpy_and_dlpack_interop():
    array = np.arange(6, dtype=np.float32).reshape(2, 3)
    shared = unigrad.from_numpy(array)
    array[0, 0] = 42
    assert shared[0, 0].item() == 42  # from_numpy shares memory
    copied = unigrad.tensor(array)
    array[0, 1] = -1
    assert copied[0, 1].item() == 1.0  # tensor() copies
    assert np.asarray(shared).shape == (2, 3)
    t = torch.from_dlpack(unigrad.arange(4.0))
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0]
    back = unigrad.from_dlpack(torch.arange(3.0))
    assert back.tolist() == [0.0, 1.0, 2.0]
    np.testing.assert_array_equal(np.from_dlpack(unigrad.arange(3)), np.arange(3))
    assert (np.ones(2) + unigrad.ones(2)).__class__ is unigrad.Tensor


def test_as_tensor_avoids_copies():
    x = unigrad.ones(3)
    assert unigrad.as_tensor(x) is x
    array = np.zeros(3, dtype=np.float32)
    view = unigrad.as_tensor(array)
    array[1] = 5
    assert view[1].item() == 5.0


def test_deepcopy_and_pickle_roundtrip():
    import copy
    import pickle
    x = unigrad.tensor([1.0, 2.0], requires_grad=True)
    y = copy.deepcopy(x)
    assert y.tolist() == [1.0, 2.0] and y.requires_grad and y is not x
    z = pickle.loads(pickle.dumps(unigrad.tensor([3, 4])))
    assert z.tolist() == [3, 4] and z.dtype == unigrad.int64


@pytest.mark.parametrize("device", ["cpu", "opencl"])
def test_deepcopy_of_a_module_keeps_parameters_values_devices_and_gradients(device):
    import copy
    if device not in unigrad.backends.available():
        pytest.skip(f"{device} unavailable")
    layer = unigrad.nn.Linear(3, 2).to(device)
    layer(unigrad.ones(4, 3, device=device)).sum().backward()
    twin = copy.deepcopy(layer)
    for ours, theirs in zip(twin.parameters(), layer.parameters()):
        assert isinstance(ours, unigrad.nn.Parameter) and ours.requires_grad and ours.device == theirs.device
        assert ours.tolist() == theirs.tolist() and ours.grad.tolist() == theirs.grad.tolist()
    with unigrad.no_grad():
        twin.weight.add_(1.0)  # the copy owns its storage
    assert twin.weight.tolist() != layer.weight.tolist()
    pair = [layer.weight, layer.weight]
    copied = copy.deepcopy(pair)
    assert copied[0] is copied[1]  # the memo keeps one copy per tensor


def test_device_type_predicates_cover_every_registered_device_type():
    x = unigrad.ones(2, device="cpu")
    assert x.is_cpu is True and x.is_cuda is False
    assert all(getattr(x, f"is_{info.name}") is (info.name == "cpu") for info in unigrad.backends.registered())
    with pytest.raises(AttributeError, match="is_nonsense"):
        x.is_nonsense
    with pytest.raises(AttributeError, match="no_such_attribute"):
        x.no_such_attribute
