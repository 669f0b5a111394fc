"""Bad input raises a clear error naming what was wrong, and leaves every tensor unchanged."""
import numpy as np
import pytest

import unigrad


def test_shape_mismatch_names_the_op_and_both_shapes():
    a, b = unigrad.ones(2, 3), unigrad.ones(4)
    with pytest.raises(RuntimeError, match=r"add: shapes \[2, 3\] and \[4\] are not broadcastable"):
        a + b
    with pytest.raises(RuntimeError, match=r"cannot be multiplied \(2x3 and 4x1\)"):
        a @ unigrad.ones(4, 1)
    assert a.tolist() == [[1.0] * 3] * 2 and b.tolist() == [1.0] * 4


def test_bad_dims_raise_index_error():
    x = unigrad.zeros(2, 3)
    with pytest.raises(IndexError, match=r"Dimension out of range \(expected to be in range of \[-2, 1\], but got 2\)"):
        x.sum(2)
    with pytest.raises(IndexError):
        x.transpose(0, 5)
    with pytest.raises(IndexError):
        x.softmax(-3)


def test_unknown_device_lists_registered_backends_and_reasons():
    with pytest.raises(RuntimeError, match=r"unknown device type 'tpu'.*cpu.*available.*cuda.*unavailable"):
        unigrad.zeros(2, device="tpu")
    with pytest.raises(RuntimeError, match="invalid device string"):  # PyTorch's type
        unigrad.device("cuda:x")


def test_unavailable_device_gives_the_reason():
    if unigrad.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(RuntimeError, match="'cuda' is unavailable: "):
        unigrad.ones(2).cuda()
    assert unigrad.cuda.unavailable_reason()


def test_mixed_devices_name_both(monkeypatch):
    from unigrad.backends import registry
    x = unigrad.ones(2)
    fake = unigrad.Tensor._make(x._buf, x.dtype, unigrad.device("fake", 0), x._backend)
    with pytest.raises(RuntimeError, match=r"same device.*cpu and fake:0"):
        x + fake
    with pytest.raises(RuntimeError, match=r"cpu and fake:0"):
        x @ fake


def test_item_of_many_elements_and_bool_ambiguity():
    with pytest.raises(RuntimeError, match="a Tensor with 3 elements cannot be converted to Scalar"):
        unigrad.ones(3).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(unigrad.ones(2))


def test_dtype_errors():
    with pytest.raises(RuntimeError, match="floating point"):
        unigrad.ones(2, dtype=unigrad.int64).requires_grad_()
    with pytest.raises(RuntimeError, match="same dtype"):
        unigrad.ones(2, 2) @ unigrad.ones(2, 2, dtype=unigrad.float64)
    with pytest.raises(TypeError, match="must be unigrad.dtype, not str"):  # as PyTorch: no dtype names
        unigrad.zeros(2, dtype="float128")
    x = unigrad.ones(2, dtype=unigrad.int64)
    with pytest.raises(RuntimeError, match="can't be cast"):
        x.add_(0.5)
    assert x.tolist() == [1, 1]


def test_invalid_views_and_reshapes():
    x = unigrad.arange(6)
    with pytest.raises(RuntimeError, match="invalid for input of size 6"):
        x.reshape(4, -1)
    with pytest.raises(RuntimeError, match="only one dimension can be inferred"):
        x.view(-1, -1)
    with pytest.raises(RuntimeError, match="expanded size"):
        x.expand(2, 5)
    assert x.tolist() == list(range(6))


def test_failed_setitem_leaves_tensor_intact():
    x = unigrad.zeros(2, 3)
    with pytest.raises(RuntimeError, match="shape mismatch"):
        x[0] = unigrad.ones(4)
    with pytest.raises(IndexError):
        x[unigrad.tensor([0, 5])] = 1.0
    assert x.tolist() == [[0.0] * 3] * 2 and x._version[0] == 0


def test_integer_division_by_zero():
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):  # PyTorch's type, not Python's
        unigrad.tensor([1, 2]) // 0
    assert (unigrad.tensor([1.0]) / 0).item() == float("inf")
