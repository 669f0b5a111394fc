"""The float32-work adapter that gives the CUDA backend bfloat16, checked here on a NumPy stand-in:
the conformance suite's bfloat16 cases pass through it, and values equal the NumPy backend's."""
import numpy as np
import pytest

import unigrad
from test_plugins import installed_backend

STAND_IN = """
import unigrad
from unigrad.backends.bfloat16_work import compute_bfloat16_in_float32
from unigrad.backends.interface import OPTIONAL_FAST_PATHS, OPTIONAL_PRIMITIVES, REQUIRED_PRIMITIVES
from unigrad.backends.numpy import NumpyBackend

BF16 = unigrad.bfloat16.numpy
HOLDING = ("empty", "from_numpy", "to_numpy", "as_strided", "strides", "uniform_from_bits")


def refuse_bfloat16(method):
    def run(self, *args, **kwargs):
        for a in list(args) + list(kwargs.values()):
            if getattr(a, "dtype", None) == BF16 or a is unigrad.bfloat16:
                raise TypeError(f"{method.__name__} has no bfloat16 kernel")
        return method(self, *args, **kwargs)
    return run


class HoldsOnly(NumpyBackend):
    \"\"\"Like a GPU library that stores bfloat16 but has no kernels for it.\"\"\"


for name in REQUIRED_PRIMITIVES + OPTIONAL_FAST_PATHS + OPTIONAL_PRIMITIVES:
    if name not in HOLDING and callable(getattr(NumpyBackend, name, None)):
        setattr(HoldsOnly, name, refuse_bfloat16(getattr(NumpyBackend, name)))


@compute_bfloat16_in_float32
class Float32Work(HoldsOnly):
    name = "f32work"
    indexed = True
"""
stand_in = installed_backend("f32work", STAND_IN, "Float32Work")


def test_the_stand_in_has_no_bfloat16_kernels_of_its_own(stand_in):
    holder = type(unigrad.backends.registry.get_backend(unigrad.device(stand_in))).__mro__[1]
    with pytest.raises(TypeError, match="no bfloat16 kernel"):
        holder.exp(holder(), np.zeros(2, dtype=unigrad.bfloat16.numpy))


def test_bfloat16_through_float32_work_is_certified(stand_in):
    from unigrad.conformance import run
    results = run(stand_in, dtypes=["bfloat16"])
    failed = [(r.name, r.shape_class, r.message[:200]) for r in results if r.status != "passed"]
    assert len(results) > 300 and not failed, failed[:5]


def test_float32_work_matches_the_numpy_backend_bit_for_bit(stand_in):
    rng = np.random.default_rng(0)
    a = unigrad.tensor(rng.standard_normal((5, 6)), dtype=unigrad.bfloat16)
    b = unigrad.tensor(rng.standard_normal((6, 4)), dtype=unigrad.bfloat16)
    ops = [lambda x, y: (x * 1.1 - 0.3).exp(), lambda x, y: x @ y, lambda x, y: x.softmax(1),
           lambda x, y: unigrad.where(x > 0, x, 2.5), lambda x, y: x.max(0).values,
           lambda x, y: x.to(unigrad.uint8), lambda x, y: x.t().contiguous()[1:3],
           lambda x, y: x.gather(1, unigrad.tensor([[0, 2]] * 5, device=x.device)),
           lambda x, y: x.scatter_add(1, unigrad.tensor([[0, 0]] * 5, device=x.device), x[:, :2])]
    for op in ops:
        ours = op(a.to(stand_in), b.to(stand_in)).cpu()
        reference = op(a, b)
        assert ours.dtype is reference.dtype
        np.testing.assert_array_equal(ours.numpy().view(np.uint8), reference.numpy().view(np.uint8))
    x = unigrad.zeros(3, dtype=unigrad.bfloat16, device=stand_in)
    x.add_(1.5)
    x[1] = 7.0
    assert x.tolist() == [1.5, 7.0, 1.5] and unigrad.arange(3, dtype=unigrad.bfloat16, device=stand_in).tolist() == [0, 1, 2]
