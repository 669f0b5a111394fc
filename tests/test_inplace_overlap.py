"""In-place ops into a tensor whose elements share memory (an expanded view) raise PyTorch's
error and leave the memory untouched; filling it with one value stays allowed, as in PyTorch."""
import numpy as np
import pytest
import torch

import unigrad

WRITES = {
    "add_": lambda lib, t: t.add_(1),
    "add_ tensor": lambda lib, t: t.add_(lib.ones(2, 3)),
    "sub_ alpha": lambda lib, t: t.sub_(lib.ones(2, 3), alpha=2),
    "mul_": lambda lib, t: t.mul_(2),
    "clamp_": lambda lib, t: t.clamp_(0, 1),
    "abs_": lambda lib, t: t.abs_(),
    "exp_": lambda lib, t: t.exp_(),
    "copy_": lambda lib, t: t.copy_(lib.ones(2, 3)),
    "relu_": lambda lib, t: t.relu_(),
    "leaky_relu_": lambda lib, t: lib.nn.functional.leaky_relu_(t, 0.1),
    "sigmoid_": lambda lib, t: t.sigmoid_(),
    "tanh_": lambda lib, t: t.tanh_(),
    "uniform_": lambda lib, t: t.uniform_(),
    "normal_": lambda lib, t: t.normal_(),
    "random_": lambda lib, t: t.random_(0, 5),
    "bernoulli_": lambda lib, t: t.bernoulli_(0.5),
    "exponential_": lambda lib, t: t.exponential_(),
    "cauchy_": lambda lib, t: t.cauchy_(),
}
FILLS = {
    "fill_": lambda lib, t: t.fill_(3.0),
    "zero_": lambda lib, t: t.zero_(),
    "setitem": lambda lib, t: t.__setitem__(0, 5.0),
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_writes_into_expanded_views_raise_as_in_pytorch(name):
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor"):
        WRITES[name](torch, torch.full((3,), 0.25).expand(2, 3))
    base = unigrad.full((3,), 0.25)
    with pytest.raises(RuntimeError, match="more than one element of the written-to tensor refers to a "
                                           "single memory location. Please clone"):
        WRITES[name](unigrad, base.expand(2, 3))
    np.testing.assert_array_equal(base.numpy(), np.full(3, 0.25, np.float32))
    # the same op on a copy works
    WRITES[name](unigrad, base.expand(2, 3).clone())


@pytest.mark.parametrize("name", sorted(FILLS))
def test_one_value_fills_of_expanded_views_are_allowed_as_in_pytorch(name):
    ours, theirs = unigrad.zeros(3), torch.zeros(3)
    FILLS[name](unigrad, ours.expand(2, 3))
    FILLS[name](torch, theirs.expand(2, 3))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_random_fill_refused_before_drawing():
    unigrad.manual_seed(3)
    with pytest.raises(RuntimeError):
        unigrad.zeros(3).expand(2, 3).uniform_()
    drawn = unigrad.rand(4)
    unigrad.manual_seed(3)
    np.testing.assert_array_equal(drawn.numpy(), unigrad.rand(4).numpy())
