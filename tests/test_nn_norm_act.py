"""Normalisation and activation layers against torch: BatchNorm3d, InstanceNorm1d/2d/3d, RMSNorm,
LocalResponseNorm, CrossMapLRN2d, PReLU, RReLU, Threshold, the shrinks, Softmax2d, in-place
activations, gumbel_softmax, lazy modules and SyncBatchNorm."""
import numpy as np
import pytest
import torch
from hypothesis import given, strategies as st

import unigrad
from nn_parity import compare_module
from parity import check

ug_nn, th_nn = unigrad.nn, torch.nn
R = np.random.default_rng(11)


def rand(*shape, dtype=torch.float32, scale=1.0):
    return torch.tensor(R.standard_normal(shape) * scale, dtype=dtype)


def both(name, *args, **kwargs):
    return (lambda: getattr(ug_nn, name)(*args, **kwargs), lambda: getattr(th_nn, name)(*args, **kwargs))


LAYERS = {
    "BatchNorm3d": (both("BatchNorm3d", 3), [(4, 3, 2, 3, 2)]),
    "BatchNorm3d_cumulative_no_bias": (both("BatchNorm3d", 2, momentum=None, bias=False), [(2, 2, 3, 2, 2)]),
    "InstanceNorm1d": (both("InstanceNorm1d", 3), [(2, 3, 5)]),
    "InstanceNorm1d_affine_stats": (both("InstanceNorm1d", 3, affine=True, track_running_stats=True), [(2, 3, 5)]),
    "InstanceNorm1d_unbatched": (both("InstanceNorm1d", 3, affine=True), [(3, 5)]),
    "InstanceNorm2d_stats": (both("InstanceNorm2d", 2, track_running_stats=True, momentum=0.4), [(3, 2, 3, 4)]),
    "InstanceNorm2d_unbatched_stats": (both("InstanceNorm2d", 2, affine=True, track_running_stats=True), [(2, 3, 3)]),
    "InstanceNorm3d": (both("InstanceNorm3d", 2, affine=True), [(2, 2, 3, 2, 2)]),
    "RMSNorm": (both("RMSNorm", 4), [(3, 4)]),
    "RMSNorm_2d_eps": (both("RMSNorm", [3, 4], eps=1e-3), [(2, 3, 4)]),
    "RMSNorm_no_affine": (both("RMSNorm", 5, elementwise_affine=False), [(2, 5)]),
    "LocalResponseNorm_3d": (both("LocalResponseNorm", 3, alpha=0.5, k=2.0), [(2, 6, 4)]),
    "LocalResponseNorm_4d": (both("LocalResponseNorm", 4, alpha=0.3, beta=0.6), [(2, 5, 3, 3)]),
    "LocalResponseNorm_5d": (both("LocalResponseNorm", 2), [(1, 4, 2, 2, 3)]),
    "CrossMapLRN2d": (both("CrossMapLRN2d", 5, alpha=0.5, beta=0.75, k=1.0), [(2, 7, 3, 3)]),
    "CrossMapLRN2d_even": (both("CrossMapLRN2d", 4, alpha=0.2), [(2, 6, 2, 3)]),
    "PReLU": (both("PReLU"), [(3, 4, 5)]),
    "PReLU_channels": (both("PReLU", 4, init=0.1), [(3, 4, 5)]),
    "PReLU_channels_2d": (both("PReLU", 4), [(3, 4)]),
    "Threshold": (both("Threshold", 0.1, 20.0), [(4, 5)]),
    "Hardshrink": (both("Hardshrink"), [(4, 5)]),
    "Softshrink": (both("Softshrink", 0.3), [(4, 5)]),
    "Tanhshrink": (both("Tanhshrink"), [(4, 5)]),
    "Softmax2d": (both("Softmax2d"), [(2, 3, 4, 2)]),
    "Softmax2d_unbatched": (both("Softmax2d"), [(3, 4, 2)]),
    "SyncBatchNorm": (both("SyncBatchNorm", 3), [(4, 3, 5)]),
    "Hardsigmoid": (both("Hardsigmoid"), [(4, 5)]),
    "Hardswish": (both("Hardswish"), [(4, 5)]),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("train", [True, False])
def test_layer_matches_torch(name, dtype, train):
    (ours, theirs), specs = LAYERS[name]
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == torch.float32 else dict(rtol=1e-8, atol=1e-10)
    compare_module(ours, theirs, [rand(*s, dtype=dtype) for s in specs], dtype=dtype, train=train, **tol)


@pytest.mark.parametrize("name", ["InstanceNorm1d", "InstanceNorm2d", "BatchNorm3d"])
def test_running_statistics_over_several_steps_then_eval(name):
    shape = {"InstanceNorm1d": (3, 2, 6), "InstanceNorm2d": (3, 2, 3, 3), "BatchNorm3d": (3, 2, 2, 2, 3)}[name]
    kwargs = {"track_running_stats": True} if name.startswith("Instance") else {}
    make_ours, make_theirs = both(name, 2, momentum=0.3, **kwargs)
    ours, theirs = compare_module(make_ours, make_theirs, [rand(*shape)], rtol=1e-5, atol=1e-6)
    for step in range(3):
        x = rand(*shape, scale=step + 1.0) + step
        ours(unigrad.tensor(x.numpy()))
        theirs(x)
    for key, buf in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), buf.numpy(), rtol=1e-5, err_msg=key)
    ours.eval()
    theirs.eval()
    x = rand(*shape)
    np.testing.assert_allclose(ours(unigrad.tensor(x.numpy())).detach().numpy(), theirs(x).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


REPRS = [
    ("BatchNorm3d", (3,), {"affine": False}), ("InstanceNorm1d", (3,), {}),
    ("InstanceNorm2d", (4,), {"affine": True, "track_running_stats": True}), ("InstanceNorm3d", (2,), {"bias": False}),
    ("RMSNorm", ([3, 4],), {"eps": 1e-3}), ("RMSNorm", (3,), {}), ("LocalResponseNorm", (2,), {}),
    ("CrossMapLRN2d", (3,), {}), ("PReLU", (), {}), ("PReLU", (5,), {"init": 0.5}), ("RReLU", (), {}),
    ("RReLU", (0.1, 0.3), {"inplace": True}), ("Threshold", (0.1, 20), {}), ("Threshold", (0.1, 2.0), {"inplace": True}),
    ("Hardshrink", (), {}), ("Softshrink", (0.3,), {}), ("Tanhshrink", (), {}), ("Softmax2d", (), {}),
    ("ReLU", (), {"inplace": True}), ("ELU", (), {"inplace": True}), ("CELU", (0.5,), {}), ("SELU", (), {"inplace": True}),
    ("LeakyReLU", (0.2,), {"inplace": True}), ("Hardtanh", (-2.0, 2.0), {}), ("ReLU6", (), {"inplace": True}),
    ("SiLU", (), {"inplace": True}), ("Mish", (), {}), ("Hardswish", (), {}), ("Hardsigmoid", (), {"inplace": True}),
    ("SyncBatchNorm", (3,), {"momentum": None}),
]


@pytest.mark.parametrize("name, args, kwargs", REPRS)
def test_repr_matches_torch(name, args, kwargs):
    assert repr(getattr(ug_nn, name)(*args, **kwargs)) == repr(getattr(th_nn, name)(*args, **kwargs))


def test_state_dict_keys_and_shapes_match_torch():
    for name, args, kwargs in [("InstanceNorm2d", (3,), {"affine": True, "track_running_stats": True}),
                               ("InstanceNorm1d", (3,), {}), ("RMSNorm", ([2, 3],), {}), ("PReLU", (4,), {}),
                               ("BatchNorm3d", (2,), {}), ("SyncBatchNorm", (2,), {})]:
        ours = getattr(ug_nn, name)(*args, **kwargs).state_dict()
        theirs = getattr(th_nn, name)(*args, **kwargs).state_dict()
        assert list(ours) == list(theirs), name
        for key in theirs:
            assert tuple(ours[key].shape) == tuple(theirs[key].shape), (name, key)
            np.testing.assert_array_equal(ours[key].numpy(), theirs[key].numpy())


FUNCTIONALS = {
    "prelu": lambda lib, x, w: lib.nn.functional.prelu(x, w),
    "threshold": lambda lib, x, w: lib.nn.functional.threshold(x * w.sum(), 0.2, -3.0),
    "hardshrink": lambda lib, x, w: lib.nn.functional.hardshrink(x * w.sum(), 0.4),
    "softshrink": lambda lib, x, w: lib.nn.functional.softshrink(x * w.sum(), 0.4),
    "tanhshrink": lambda lib, x, w: lib.nn.functional.tanhshrink(x * w.sum()),
    "rrelu_eval": lambda lib, x, w: lib.nn.functional.rrelu(x * w.sum(), 0.1, 0.4),
    "rms_norm": lambda lib, x, w: lib.nn.functional.rms_norm(x, (x.shape[-1],), w),
    "rms_norm_2d_no_weight": lambda lib, x, w: lib.nn.functional.rms_norm(x * w, tuple(x.shape), eps=1e-4),
    "local_response_norm": lambda lib, x, w: lib.nn.functional.local_response_norm(x.unsqueeze(0) * w.sum(), 3, 0.5),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONALS))
@given(rows=st.integers(1, 4), cols=st.integers(1, 5), scale=st.sampled_from([0.5, 1.0, 3.0]),
       seed=st.integers(0, 2 ** 16))
def test_functional_matches_torch(name, rows, cols, scale, seed):
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((rows, cols)) * scale).astype(np.float64)
    w = rng.uniform(0.05, 0.5, {"prelu": cols, "rms_norm": cols}.get(name, 1))
    check(FUNCTIONALS[name], x, w, rtol=1e-9, atol=1e-11)


def test_activation_boundaries_match_torch():
    x = np.array([-1.0, -0.5, -0.4, 0.0, 0.4, 0.5, 1.0])
    for fn in (lambda lib, t: lib.nn.functional.hardshrink(t, 0.5), lambda lib, t: lib.nn.functional.softshrink(t, 0.5),
               lambda lib, t: lib.nn.functional.threshold(t, 0.5, 3.0), lambda lib, t: lib.nn.functional.rrelu(t),
               lambda lib, t: lib.nn.functional.prelu(t, lib.tensor([0.3], dtype=t.dtype))):
        check(fn, x)


def test_prelu_weight_shapes_and_errors_match_torch():
    check(lambda lib, x, w: lib.nn.functional.prelu(x, w), R.standard_normal(3), np.array([0.2, 0.3, 0.4])[:1])
    check(lambda lib, x, w: lib.nn.functional.prelu(x, w), R.standard_normal(()), np.array([0.2]))
    check(lambda lib, x, w: lib.nn.functional.prelu(x, w), R.standard_normal((2, 3, 4)), np.array(0.2))
    x = unigrad.randn(2, 3, 4)
    with pytest.raises(RuntimeError, match=r"Found parameter numbers = 4 and channel size = 3\."):
        unigrad.nn.functional.prelu(x, unigrad.ones(4))
    with pytest.raises(RuntimeError, match=r"Found parameter numbers = 3 and channel size = 1\."):
        unigrad.nn.functional.prelu(unigrad.randn(3), unigrad.ones(3))
    with pytest.raises(RuntimeError, match="Expected `weight` to be a scalar or 1D tensor, but got: ndim = 2"):
        unigrad.nn.functional.prelu(x, unigrad.ones(1, 3))
    with pytest.raises(RuntimeError, match="Not allow zero-dim input tensor."):
        unigrad.nn.functional.prelu(unigrad.randn(()), unigrad.ones(2))


def test_bad_arguments_raise_like_torch():
    F = unigrad.nn.functional
    with pytest.raises(RuntimeError, match="Lower bound should be less than or equal to the upper bound"):
        F.rrelu(unigrad.randn(3), 0.5, 0.2)
    with pytest.raises(RuntimeError, match=r"lambda must be in range \[0, 3.40282e\+38\] for input dtype Float, but found -1"):
        F.softshrink(unigrad.randn(3), -1.0)
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D, got 2D instead"):
        ug_nn.Softmax2d()(unigrad.randn(2, 3))
    with pytest.raises(ValueError, match="Expected 3D or higher dimensionality"):
        F.local_response_norm(unigrad.randn(2, 3), 2)
    with pytest.raises(RuntimeError, match=r"Given normalized_shape=\[4\], expected input with shape \[\*4\], but got input of size\[2, 3\]"):
        F.rms_norm(unigrad.randn(2, 3), (4,))
    with pytest.raises(RuntimeError, match="Expected weight to be of same shape as normalized_shape"):
        F.rms_norm(unigrad.randn(2, 3), (3,), unigrad.ones(4))
    with pytest.raises(ValueError, match=r"Expected more than 1 spatial element when training, got input size"):
        F.instance_norm(unigrad.randn(2, 3, 1))
    with pytest.raises(RuntimeError, match="Expected running_mean and running_var to be defined when use_input_stats is false"):
        F.instance_norm(unigrad.randn(2, 3, 4), use_input_stats=False)
    with pytest.raises(ValueError, match=r"expected 2D or 3D input \(got 1D input\)"):
        ug_nn.InstanceNorm1d(3)(unigrad.randn(3))
    with pytest.raises(ValueError, match=r"expected input's size at dim=1 to match num_features \(3\), but got: 4\."):
        ug_nn.InstanceNorm1d(3, affine=True)(unigrad.randn(2, 4, 5))
    with pytest.warns(UserWarning, match="input's size at dim=0 does not match num_features"):
        ug_nn.InstanceNorm1d(3)(unigrad.randn(2, 3))  # unbatched (C=2, L=3), as in torch
    with pytest.raises(ValueError, match=r"expected 5D input \(got 4D input\)"):
        ug_nn.BatchNorm3d(3)(unigrad.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="CrossMapLRN2d: Expected input to be 4D, got 3D instead."):
        ug_nn.CrossMapLRN2d(3)(unigrad.randn(2, 3, 4))
    with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
        F.hardtanh(unigrad.randn(3), 2.0, 1.0)


INPLACE = {
    "relu_": lambda F, x: F.relu_(x), "elu_": lambda F, x: F.elu_(x, 0.7), "celu_": lambda F, x: F.celu_(x, 0.5),
    "selu_": lambda F, x: F.selu_(x), "leaky_relu_": lambda F, x: F.leaky_relu_(x, 0.2),
    "hardtanh_": lambda F, x: F.hardtanh_(x, -0.5, 0.5), "threshold_": lambda F, x: F.threshold_(x, 0.1, -2.0),
    "rrelu_eval": lambda F, x: F.rrelu_(x, 0.1, 0.3), "silu": lambda F, x: F.silu(x, inplace=True),
    "mish": lambda F, x: F.mish(x, inplace=True), "hardswish": lambda F, x: F.hardswish(x, inplace=True),
    "hardsigmoid": lambda F, x: F.hardsigmoid(x, inplace=True), "relu6": lambda F, x: F.relu6(x, inplace=True),
    "elu_module": lambda F, x: (unigrad if F is unigrad.nn.functional else torch).nn.ELU(inplace=True)(x),
    "threshold_module": lambda F, x: (unigrad if F is unigrad.nn.functional else torch).nn.Threshold(0.2, 0.0, True)(x),
}


@pytest.mark.parametrize("name", sorted(INPLACE))
def test_inplace_activation_writes_into_its_input_and_keeps_gradients(name):
    data = R.standard_normal((3, 4)) * 2
    seed = R.standard_normal((3, 4))
    results = []
    for lib in (unigrad, torch):
        leaf = lib.tensor(data, requires_grad=True)
        x = leaf * 1.5
        version = x._version_number if lib is unigrad else x._version
        out = INPLACE[name](lib.nn.functional, x)
        assert out is x and (x._version_number if lib is unigrad else x._version) > version
        (out * lib.tensor(seed)).sum().backward()
        results.append((out.detach().numpy(), leaf.grad.numpy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place operation"):
        INPLACE[name](unigrad.nn.functional, unigrad.tensor(data, requires_grad=True))


def test_rrelu_training_draws_slopes_from_the_random_stream():
    x = unigrad.tensor(-np.linspace(0.5, 3.0, 600).reshape(20, 30), requires_grad=True)
    unigrad.manual_seed(5)
    out = unigrad.nn.functional.rrelu(x, 0.1, 0.3, training=True)
    slopes = (out / x).detach().numpy()
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.04
    assert abs(slopes.mean() - 0.2) < 0.01  # uniform on [0.1, 0.3]
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slopes, rtol=1e-12)  # the gradient is the slope drawn
    unigrad.manual_seed(5)
    again = unigrad.nn.functional.rrelu(x.detach(), 0.1, 0.3, training=True)
    np.testing.assert_array_equal(again.numpy(), out.detach().numpy())
    positive = unigrad.tensor(np.linspace(0.0, 1.0, 7))
    np.testing.assert_array_equal(ug_nn.RReLU()(positive).numpy(), positive.numpy())
    module = ug_nn.RReLU(0.1, 0.3).eval()
    np.testing.assert_allclose(module(x.detach()).numpy(), x.detach().numpy() * 0.2, rtol=1e-12)


@pytest.mark.parametrize("hard", [False, True])
def test_gumbel_softmax_samples_and_gradients(hard):
    logits = unigrad.tensor(np.log([[0.7, 0.2, 0.1]] * 4000), requires_grad=True)
    unigrad.manual_seed(3)
    y = unigrad.nn.functional.gumbel_softmax(logits, tau=0.5, hard=hard)
    values = y.detach().numpy()
    np.testing.assert_allclose(values.sum(1), 1.0, rtol=1e-12)
    if hard:
        assert set(np.unique(values)) == {0.0, 1.0}
    winners = np.bincount(values.argmax(1), minlength=3) / 4000
    np.testing.assert_allclose(winners, [0.7, 0.2, 0.1], atol=0.03)  # argmax of Gumbel-perturbed logits
    seed = unigrad.tensor(np.random.default_rng(0).standard_normal((4000, 3)))
    (y * seed).sum().backward()
    # the soft sample is softmax((logits + g) / tau) with the same noise g; straight-through: the
    # hard sample's gradient is the soft sample's
    leaf = logits.detach().requires_grad_()
    unigrad.manual_seed(3)
    soft = unigrad.nn.functional.gumbel_softmax(leaf, tau=0.5)
    (soft * seed).sum().backward()
    np.testing.assert_allclose(logits.grad.numpy(), leaf.grad.numpy(), rtol=1e-12, atol=1e-14)
    if hard:
        np.testing.assert_array_equal(values.argmax(1), soft.detach().numpy().argmax(1))
    else:
        np.testing.assert_array_equal(values, soft.detach().numpy())


# ----- lazy modules ----------------------------------------------------------------------------------
LAZY = {  # lazy module, its inputs, the ordinary module it becomes (with the inferred size)
    "LazyLinear": (lambda nn: nn.LazyLinear(3), (2, 4, 5), lambda nn: nn.Linear(5, 3)),
    "LazyLinear_nobias": (lambda nn: nn.LazyLinear(3, bias=False), (4, 5), lambda nn: nn.Linear(5, 3, bias=False)),
    "LazyConv1d": (lambda nn: nn.LazyConv1d(4, 3, padding=1), (2, 3, 7), lambda nn: nn.Conv1d(3, 4, 3, padding=1)),
    "LazyConv2d_unbatched": (lambda nn: nn.LazyConv2d(4, 2, groups=2), (2, 5, 5), lambda nn: nn.Conv2d(2, 4, 2, groups=2)),
    "LazyConvTranspose2d": (lambda nn: nn.LazyConvTranspose2d(4, 3, stride=2), (1, 3, 4, 4),
                            lambda nn: nn.ConvTranspose2d(3, 4, 3, stride=2)),
    "LazyConv3d": (lambda nn: nn.LazyConv3d(2, 2, stride=(1, 2, 1)), (1, 3, 3, 4, 3),
                   lambda nn: nn.Conv3d(3, 2, 2, stride=(1, 2, 1))),
    "LazyConvTranspose1d": (lambda nn: nn.LazyConvTranspose1d(2, 3, output_padding=1, stride=2), (2, 3, 5),
                            lambda nn: nn.ConvTranspose1d(3, 2, 3, output_padding=1, stride=2)),
    "LazyConvTranspose3d": (lambda nn: nn.LazyConvTranspose3d(2, 2, bias=False), (1, 3, 2, 3, 2),
                            lambda nn: nn.ConvTranspose3d(3, 2, 2, bias=False)),
    "LazyBatchNorm1d": (lambda nn: nn.LazyBatchNorm1d(), (4, 3), lambda nn: nn.BatchNorm1d(3)),
    "LazyBatchNorm2d": (lambda nn: nn.LazyBatchNorm2d(momentum=0.2, affine=False), (2, 3, 2, 2),
                        lambda nn: nn.BatchNorm2d(3, momentum=0.2, affine=False)),
    "LazyBatchNorm3d": (lambda nn: nn.LazyBatchNorm3d(), (2, 2, 2, 2, 2), lambda nn: nn.BatchNorm3d(2)),
    "LazyInstanceNorm1d": (lambda nn: nn.LazyInstanceNorm1d(), (2, 3, 4), lambda nn: nn.InstanceNorm1d(3, affine=True, track_running_stats=True)),
    "LazyInstanceNorm2d": (lambda nn: nn.LazyInstanceNorm2d(affine=False), (2, 3, 2, 2),
                           lambda nn: nn.InstanceNorm2d(3, track_running_stats=True)),
    "LazyInstanceNorm3d": (lambda nn: nn.LazyInstanceNorm3d(track_running_stats=False), (2, 2, 2, 2, 2),
                           lambda nn: nn.InstanceNorm3d(2, affine=True)),
}


@pytest.mark.parametrize("name", sorted(LAZY))
def test_lazy_module_materialises_on_first_forward_as_torch(name):
    make, shape, make_regular = LAZY[name]
    ours, theirs = make(ug_nn), make(th_nn)
    assert repr(ours) == repr(theirs)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert all(isinstance(p, ug_nn.UninitializedParameter) and isinstance(p, ug_nn.Parameter)
               for p in ours.parameters())
    assert ours.has_uninitialized_params()
    x = rand(*shape)
    theirs(x)
    unigrad.manual_seed(4)
    out = ours(unigrad.tensor(x.numpy()))
    assert type(ours) is type(make_regular(ug_nn)) and type(theirs) is type(make_regular(th_nn))
    assert repr(ours) == repr(theirs)
    assert not any(isinstance(p, ug_nn.UninitializedParameter) for p in ours.parameters())
    for key, value in theirs.state_dict().items():
        assert tuple(ours.state_dict()[key].shape) == tuple(value.shape), key
    # initialised exactly as the ordinary module is from the same point of the random stream
    unigrad.manual_seed(4)
    regular = make_regular(ug_nn)
    for key, value in regular.state_dict().items():
        if value.dtype.is_floating_point and not key.startswith("running"):
            np.testing.assert_array_equal(ours.state_dict()[key].numpy(), value.numpy(), err_msg=key)
    # and with torch's weights it computes what torch does
    compare_module(lambda: ours, lambda: theirs, [x], rtol=1e-5, atol=1e-5)  # float32 sums of ~50 terms
    assert out.shape == theirs(x).shape


def test_lazy_module_loads_a_state_dict_before_its_first_forward():
    torch.manual_seed(0)
    theirs = th_nn.Linear(4, 3)
    ours = ug_nn.LazyLinear(3)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    assert not ours.has_uninitialized_params() and type(ours) is ug_nn.LazyLinear  # as torch: until forward
    x = rand(2, 4)
    np.testing.assert_allclose(ours(unigrad.tensor(x.numpy())).detach().numpy(), theirs(x).detach().numpy(),
                               rtol=1e-6)
    assert type(ours) is ug_nn.Linear


def test_uninitialized_parameter_refuses_shape_and_copies():
    import copy
    lazy = ug_nn.LazyLinear(3)
    with pytest.raises(RuntimeError, match="Can't access the shape of an uninitialized parameter"):
        lazy.weight.shape
    assert repr(lazy.weight) == "<UninitializedParameter>"
    twin = copy.deepcopy(lazy)
    assert isinstance(twin.weight, ug_nn.UninitializedParameter) and twin.weight is not lazy.weight
    lazy.double()
    lazy(unigrad.randn(2, 5, dtype=unigrad.float64))
    assert lazy.weight.dtype is unigrad.float64 and tuple(lazy.weight.shape) == (3, 5)
    buffer = ug_nn.UninitializedBuffer()
    assert not buffer.requires_grad and not isinstance(buffer, ug_nn.Parameter)
    with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d"):
        ug_nn.LazyConv2d(2, 3)(unigrad.randn(2, 3))


# ----- SyncBatchNorm -------------------------------------------------------------------------------
def test_convert_sync_batchnorm_shares_parameters_and_statistics():
    model = ug_nn.Sequential(ug_nn.Conv2d(3, 4, 1), ug_nn.BatchNorm2d(4, bias=False),
                             ug_nn.Sequential(ug_nn.BatchNorm1d(2, affine=False)))
    model.eval()
    converted = ug_nn.SyncBatchNorm.convert_sync_batchnorm(model)
    theirs = th_nn.SyncBatchNorm.convert_sync_batchnorm(
        th_nn.Sequential(th_nn.Conv2d(3, 4, 1), th_nn.BatchNorm2d(4, bias=False),
                         th_nn.Sequential(th_nn.BatchNorm1d(2, affine=False))))
    assert repr(converted) == repr(theirs)
    assert converted[1].weight is model[1].weight and converted[1].running_mean is model[1].running_mean
    assert not converted[1].training and converted[0] is model[0]
    assert list(converted.state_dict()) == list(theirs.state_dict())


def test_sync_batchnorm_on_two_ranks_equals_batchnorm_on_the_whole_batch():
    from test_distributed import run_on
    device = unigrad.device(unigrad.get_default_device()).type
    result = run_on(device, "sync_batchnorm_worker.py")
    assert result.stdout.count(f"SyncBatchNorm on {device} == BatchNorm on the whole batch") == 2
