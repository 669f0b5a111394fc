"""nn.init against torch: gains, fans, bounds, the drawn distributions (two-sample
Kolmogorov-Smirnov against torch's draws, seeded), exact initialisers, orthogonal_'s QR and the
warnings and errors."""
import math
import warnings

import numpy as np
import pytest
import torch

import unigrad
from unigrad.nn import init

NONLINEARITIES = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                  "conv_transpose3d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]


@pytest.mark.parametrize("name", NONLINEARITIES)
def test_calculate_gain_is_torchs(name):
    for param in (None, 0.2, 3):
        ours, theirs = init.calculate_gain(name, param), torch.nn.init.calculate_gain(name, param)
        assert ours == theirs and type(ours) is type(theirs)


def test_calculate_gain_errors():
    for lib_init in (init, torch.nn.init):
        with pytest.raises(ValueError, match="Unsupported nonlinearity gelu"):
            lib_init.calculate_gain("gelu")
        with pytest.raises(ValueError, match="negative_slope True not a valid number"):
            lib_init.calculate_gain("leaky_relu", True)
        with pytest.raises(ValueError, match="negative_slope a not a valid number"):
            lib_init.calculate_gain("leaky_relu", "a")


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 7), (8, 2, 3, 3), (2, 4, 1, 2, 3)])
def test_fans_are_torchs(shape):
    assert init._calculate_fan_in_and_fan_out(unigrad.empty(shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    for mode in ("fan_in", "FAN_OUT"):
        assert init._calculate_correct_fan(unigrad.empty(shape), mode) == \
            torch.nn.init._calculate_correct_fan(torch.empty(shape), mode)
    for lib, lib_init in ((unigrad, init), (torch, torch.nn.init)):
        with pytest.raises(ValueError, match="fewer than 2 dimensions"):
            lib_init.xavier_uniform_(lib.empty(4))
        with pytest.raises(ValueError, match="Mode fan_avg not supported"):
            lib_init.kaiming_normal_(lib.empty(shape), mode="fan_avg")


def _ks_statistic(a, b):
    """The two-sample Kolmogorov-Smirnov distance between the samples ``a`` and ``b``."""
    a, b = np.sort(np.ravel(a)), np.sort(np.ravel(b))
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / len(a)
    cdf_b = np.searchsorted(b, grid, side="right") / len(b)
    return np.abs(cdf_a - cdf_b).max()


def _draws(fill, shape, seed=0, dtype="float32"):
    unigrad.manual_seed(seed)
    torch.manual_seed(seed)
    ours = unigrad.empty(shape, dtype=getattr(unigrad, dtype))
    theirs = torch.empty(shape, dtype=getattr(torch, dtype))
    fill(init, ours)
    fill(torch.nn.init, theirs)
    return ours.numpy(), theirs.numpy()


# a 1e-4 significance level for two samples of 12000 (both fixed by their seeds)
KS_LIMIT = 1.95 * math.sqrt(2 / 12000)

DISTRIBUTIONS = {
    "uniform": (lambda m, t: m.uniform_(t, -0.3, 0.7), (120, 100)),
    "normal": (lambda m, t: m.normal_(t, 0.5, 2.0), (120, 100)),
    "xavier_uniform": (lambda m, t: m.xavier_uniform_(t, gain=m.calculate_gain("tanh")), (60, 20, 2, 5)),
    "xavier_normal": (lambda m, t: m.xavier_normal_(t, gain=0.5), (120, 100)),
    "kaiming_uniform_fan_in": (lambda m, t: m.kaiming_uniform_(t, a=math.sqrt(5)), (60, 20, 2, 5)),
    "kaiming_uniform_fan_out_relu": (lambda m, t: m.kaiming_uniform_(t, mode="fan_out", nonlinearity="relu"),
                                     (120, 10, 10)),
    "kaiming_normal": (lambda m, t: m.kaiming_normal_(t, a=0.1, mode="fan_in", nonlinearity="leaky_relu"),
                       (60, 200)),
    "kaiming_normal_fan_out_selu": (lambda m, t: m.kaiming_normal_(t, mode="fan_out", nonlinearity="selu"),
                                    (40, 3, 10, 10)),
    "trunc_normal_wide": (lambda m, t: m.trunc_normal_(t, 0.5, 1.5, -1.0, 2.5), (120, 100)),
    "trunc_normal_narrow": (lambda m, t: m.trunc_normal_(t, 0.0, 1.0, 0.5, 0.9), (120, 100)),
    "trunc_normal_tail": (lambda m, t: m.trunc_normal_(t, 0.0, 1.0, 2.0, 4.0), (120, 100)),
    "trunc_normal_std": (lambda m, t: m.trunc_normal_(t, std=0.02), (120, 100)),
}


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_drawn_distribution_matches_torchs(name):
    fill, shape = DISTRIBUTIONS[name]
    ours, theirs = _draws(fill, shape)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert _ks_statistic(ours, theirs) < KS_LIMIT
    # bounded laws: the same support
    if "uniform" in name or "trunc" in name:
        span = theirs.max() - theirs.min()
        assert theirs.min() - 0.01 * span <= ours.min() and ours.max() <= theirs.max() + 0.01 * span


def test_trunc_normal_stays_inside_and_warns_like_torch():
    for lib, lib_init in ((unigrad, init), (torch, torch.nn.init)):
        x = lib.empty(5000, dtype=lib.float64)
        lib_init.trunc_normal_(x, mean=0.0, std=1.0, a=-0.1, b=0.1)
        assert float(x.min()) >= -0.1 and float(x.max()) <= 0.1
        with pytest.warns(UserWarning, match="mean is more than 2 std from \\[a, b\\]"):
            lib_init.trunc_normal_(lib.empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0)


def test_generator_makes_draws_reproducible():
    for fill in (lambda t, g: init.kaiming_uniform_(t, generator=g), lambda t, g: init.trunc_normal_(t, generator=g),
                 lambda t, g: init.orthogonal_(t, generator=g), lambda t, g: init.xavier_normal_(t, generator=g)):
        a, b = unigrad.empty(6, 4), unigrad.empty(6, 4)
        fill(a, unigrad.Generator().manual_seed(11))
        fill(b, unigrad.Generator().manual_seed(11))
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("shape, groups", [((4, 4, 3), 1), ((6, 2, 3, 3), 3), ((4, 6, 3, 2), 2),
                                           ((2, 3, 3, 3, 3), 1), ((6, 3, 5), 2)])
def test_dirac_is_torchs(shape, groups):
    ours = init.dirac_(unigrad.ones(shape), groups)
    theirs = torch.nn.init.dirac_(torch.ones(shape), groups)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("shape", [(3, 3), (2, 5), (5, 2)])
def test_eye_constant_ones_zeros_are_torchs(shape):
    for name, args in (("eye_", ()), ("constant_", (0.25,)), ("ones_", ()), ("zeros_", ())):
        ours = getattr(init, name)(unigrad.full(shape, 7.0, requires_grad=True), *args)
        theirs = getattr(torch.nn.init, name)(torch.full(shape, 7.0, requires_grad=True), *args)
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
        assert ours.requires_grad and ours.grad_fn is None


def test_exact_initialiser_errors_are_torchs():
    for lib, lib_init in ((unigrad, init), (torch, torch.nn.init)):
        with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
            lib_init.eye_(lib.empty(2, 2, 2))
        with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions are supported"):
            lib_init.dirac_(lib.empty(2, 2))
        with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
            lib_init.dirac_(lib.empty(3, 2, 3), groups=2)
        with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions are supported"):
            lib_init.orthogonal_(lib.empty(3))
        with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
            lib_init.sparse_(lib.empty(3, 3, 3), 0.5)
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            lib_init.kaiming_uniform_(lib.empty(0, 3))
        with pytest.warns(UserWarning, match="Initializing zero-element tensors is a no-op"):
            lib_init.kaiming_normal_(lib.empty(3, 0))
        assert lib_init.orthogonal_(lib.empty(0, 3)).shape == (0, 3)


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (6, 2, 2), (2, 3, 2)])
def test_orthogonal_is_semi_orthogonal_with_gain(shape):
    q = init.orthogonal_(unigrad.empty(shape, dtype=unigrad.float64), gain=1.5).numpy().reshape(shape[0], -1)
    rows, cols = q.shape
    gram = q @ q.T if rows <= cols else q.T @ q
    np.testing.assert_allclose(gram, 2.25 * np.eye(min(rows, cols)), atol=1e-12)


@pytest.mark.parametrize("shape", [(6, 4), (5, 5), (3, 7, 2)])
def test_orthonormal_q_is_torchs_qr_with_positive_r(shape):
    from unigrad.nn.utils._linalg import orthonormal_q
    a = np.random.default_rng(1).standard_normal(shape)
    q, r = torch.linalg.qr(torch.tensor(a))
    expected = q * r.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)
    np.testing.assert_allclose(orthonormal_q(unigrad.tensor(a)).numpy(), expected.numpy(), atol=1e-13)


def test_sparse_zeroes_a_fraction_of_every_column():
    unigrad.manual_seed(0)
    t = init.sparse_(unigrad.empty(40, 30), sparsity=0.3, std=0.5)
    zeros = (t.numpy() == 0).sum(0)
    assert (zeros == math.ceil(0.3 * 40)).all()
    nonzero = t.numpy()[t.numpy() != 0]
    assert abs(nonzero.std() - 0.5) < 0.05


@pytest.mark.parametrize("name", ["uniform", "normal", "constant", "eye", "dirac", "xavier_uniform",
                                  "xavier_normal", "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"])
def test_deprecated_names_warn_like_torch(name):
    args = {"constant": (0.5,), "sparse": (0.1,)}.get(name, ())
    shape = (3, 3, 3) if name == "dirac" else (3, 3)
    for lib, lib_init in ((unigrad, init), (torch, torch.nn.init)):
        with pytest.warns(FutureWarning, match=f"`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`"):
            getattr(lib_init, name)(lib.empty(shape), *args)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        getattr(init, name + "_")(unigrad.empty(shape), *args)
