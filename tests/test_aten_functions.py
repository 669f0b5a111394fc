"""The top-level ATen spellings of nn operations (``torch.dropout(x, p, train)``,
``torch.embedding(weight, indices)``, integer reduction codes...) against torch."""
import numpy as np
import pytest

import unigrad
from parity import check

rng = np.random.default_rng(0)
X = rng.standard_normal((3, 4, 5))
W4 = rng.standard_normal(4)
B4 = rng.standard_normal(4)
MEAN, VAR = rng.standard_normal(4), rng.uniform(0.5, 2, 4)
PROB = rng.uniform(0.05, 0.95, (3, 4))
TARGET01 = (rng.uniform(size=(3, 4)) > 0.5).astype(np.float64)
SIGN = np.sign(rng.standard_normal(3))
A, P, N = (rng.standard_normal((3, 6)) for _ in range(3))

def _batch_norm(lib, x, w, b, training):
    mean, var = lib.tensor(MEAN), lib.tensor(VAR)
    out = lib.batch_norm(x, w, b, mean, var, training, 0.1, 1e-5, True)
    return out, mean, var  # the running statistics are updated in place when training


CASES = {
    "batch_norm_train": (lambda lib, x, w, b: _batch_norm(lib, x, w, b, True), X, W4, B4),
    "batch_norm_eval": (lambda lib, x, w, b: _batch_norm(lib, x, w, b, False), X, W4, B4),
    "instance_norm": (lambda lib, x, w, b: lib.instance_norm(x, w, b, None, None, True, 0.1, 1e-5, True), X, W4, B4),
    "layer_norm": (lambda lib, x: lib.layer_norm(x, (5,), None, None, 1e-5, True), X),
    "group_norm": (lambda lib, x, w, b: lib.group_norm(x, 2, w, b, 1e-5, True), X, W4, B4),
    "rms_norm": (lambda lib, x: lib.rms_norm(x, [5], None, 1e-6), X),
    "celu": (lambda lib, x: lib.celu(x, 0.7), X),
    "selu": (lambda lib, x: lib.selu(x), X),
    "threshold": (lambda lib, x: lib.threshold(x, 0.1, -2.0), X),
    "rrelu_eval": (lambda lib, x: lib.rrelu(x, 0.1, 0.3, False), X),
    "hardshrink": (lambda lib, x: lib.hardshrink(x, 0.4), X),
    "prelu": (lambda lib, x, w: lib.prelu(x, w), X, W4),
    "embedding": (lambda lib, w: lib.embedding(w, lib.tensor([[0, 2], [3, 1]]), 2), rng.standard_normal((4, 3))),
    "embedding_no_padding": (lambda lib, w: lib.embedding(w, lib.tensor([0, 3, 3]), -1), rng.standard_normal((4, 3))),
    "bilinear": (lambda lib, a, b, w: lib.bilinear(a, b, w), rng.standard_normal((2, 3)), rng.standard_normal((2, 4)),
                 rng.standard_normal((5, 3, 4))),
    "cosine_similarity": (lambda lib, a, b: lib.cosine_similarity(a, b, 1, 1e-8), A, P),
    "pairwise_distance": (lambda lib, a, b: lib.pairwise_distance(a, b, 3.0, 1e-6, True), A, P),
    "max_pool1d_with_indices": (lambda lib, x: lib.max_pool1d_with_indices(x, [2], [], [0], [1], True), X),
    "adaptive_max_pool1d": (lambda lib, x: lib.adaptive_max_pool1d(x, [3]), X),
    "kl_div_sum": (lambda lib, x, t: lib.kl_div(x.log_softmax(1), t, 2, log_target=False), PROB, PROB),
    "bce_logits_none": (lambda lib, x, t: lib.binary_cross_entropy_with_logits(x, t, None, lib.tensor(W4), 0),
                        PROB, TARGET01),
    "cosine_embedding": (lambda lib, a, b, y: lib.cosine_embedding_loss(a, b, y, 0.1, 1), A, P, SIGN),
    "margin_ranking": (lambda lib, a, b, y: lib.margin_ranking_loss(a[:, 0], b[:, 0], y, 0.2, 2), A, P, SIGN),
    "hinge_embedding": (lambda lib, a, y: lib.hinge_embedding_loss(a[:, 0], y, 0.5, 0), A, SIGN),
    "triplet_margin": (lambda lib, a, p, n: lib.triplet_margin_loss(a, p, n, 1.0, 2.0, 1e-6, True, 1), A, P, N),
    "poisson_nll": (lambda lib, x, t: lib.poisson_nll_loss(x, t, True, True, 1e-8, 1), X, np.abs(X) * 3),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_aten_spelling_matches_torch(name):
    fn, *arrays = CASES[name]
    check(fn, *arrays, atol=1e-6)


def test_ctc_loss_with_integer_reduction():
    log_probs = rng.standard_normal((6, 2, 4))
    targets = np.array([[1, 2], [3, 1]])
    check(lambda lib, lp: lib.ctc_loss(lp.log_softmax(2), lib.tensor(targets), [6, 5], [2, 2], 0, 2, False),
          log_probs, atol=1e-6)


@pytest.mark.parametrize("name", ["dropout", "alpha_dropout", "feature_dropout", "feature_alpha_dropout"])
def test_dropout_spellings_scale_keep_shape_and_respect_train(name):
    x = unigrad.ones(4, 6, 5, 5)
    out = getattr(unigrad, name)(x, 0.5, True)
    assert out.shape == x.shape
    assert getattr(unigrad, name)(x, 0.5, False).equal(x)
    if name in ("dropout", "feature_dropout"):
        assert set(np.unique(out.numpy())) <= {0.0, 2.0}
    if name == "feature_dropout":  # whole channels at once
        flat = out.numpy().reshape(4, 6, -1)
        assert np.all(flat.min(-1) == flat.max(-1))
    inplace = unigrad.ones(4, 6, 5, 5)
    assert getattr(unigrad, name + "_")(inplace, 0.5, True) is inplace


def test_invalid_reduction_code():
    with pytest.raises(RuntimeError, match="not a valid value for reduction"):
        unigrad.kl_div(unigrad.zeros(2), unigrad.zeros(2), 5)
