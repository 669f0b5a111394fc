"""The CUDA backend on a real GPU: certification by the conformance and parity suites, the same
random stream as the CPU backend, deferred index errors, deterministic scatter, and no host
synchronisation inside a training step. Skipped, with the reason, where no GPU is usable (CI);
the kernel sources are still compiled there by test_cuda_sources.py."""
import numpy as np
import pytest

import unigrad
from unigrad.backends import registry

from parity import run_parity_modules, skip_unless_available

pytestmark = skip_unless_available("cuda")


def test_conformance_suite_passes_on_cuda():
    from unigrad.conformance import run
    results = run("cuda")
    failed = [(r.name, r.dtype, r.shape_class, r.message) for r in results if r.status in ("failed", "error")]
    assert not failed, failed[:5]
    assert sum(r.status == "passed" for r in results) > 1400  # every dtype, fast paths included


@pytest.mark.slow
def test_parity_suites_pass_on_cuda():
    """Every torch-parity module, re-run with cuda as the default device."""
    run_parity_modules("cuda")


def test_random_stream_and_initial_weights_match_cpu_bitwise():
    def draw(device):
        unigrad.manual_seed(7)
        unigrad.set_default_device(device)
        try:
            layer = unigrad.nn.Linear(33, 17)
            mask = unigrad.nn.functional.dropout(unigrad.ones(5, 9), 0.5)
            return [t.detach().numpy() for t in (unigrad.rand(1001), unigrad.rand(64, dtype=unigrad.float64),
                                                   unigrad.randint(0, 1000, (99,)), layer.weight, layer.bias, mask)]
        finally:
            unigrad.set_default_device(None)
    for ours, theirs in zip(draw("cuda"), draw("cpu")):
        np.testing.assert_array_equal(ours, theirs)


def test_out_of_range_index_raises_at_the_next_synchronisation_and_state_recovers():
    x = unigrad.randn(3, 4, device="cuda")
    y = x.gather(0, unigrad.tensor([[0, 5, 1, 2]], device="cuda"))
    with pytest.raises(IndexError, match="out of range"):
        y.numpy()
    good = x.gather(0, unigrad.tensor([[2, 1, 0, 2]], device="cuda")).numpy()
    host = x.numpy()
    np.testing.assert_array_equal(good, host[[2, 1, 0, 2], [0, 1, 2, 3]][None])


def test_duplicate_index_writes_keep_the_last_like_the_cpu():
    rng = np.random.default_rng(0)
    index = rng.integers(0, 6, (4, 5))
    src = rng.standard_normal((4, 5)).astype(np.float32)
    results = []
    for device in ("cuda", "cpu"):
        target = unigrad.zeros(6, 5, device=device)
        results.append(target.scatter(0, unigrad.tensor(index, device=device), unigrad.tensor(src, device=device))
                       .numpy())
    np.testing.assert_array_equal(*results)


def test_training_step_does_not_copy_to_the_host(monkeypatch):
    """cross_entropy's target check and the optimizer stay on the GPU: no device-to-host copy."""
    from unigrad.backends.cupy.backend import CupyBackend
    copies = []
    original = CupyBackend.to_numpy
    monkeypatch.setattr(CupyBackend, "to_numpy", lambda self, x: copies.append(x.shape) or original(self, x))
    model = unigrad.nn.Sequential(unigrad.nn.Linear(20, 16), unigrad.nn.ReLU(), unigrad.nn.Linear(16, 4)).cuda()
    optimizer = unigrad.optim.Adam(model.parameters())
    x, y = unigrad.randn(8, 20, device="cuda"), unigrad.randint(0, 4, (8,), device="cuda")
    for _ in range(2):
        optimizer.zero_grad()
        unigrad.nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
    assert copies == []
    assert np.isfinite(model[0].weight.detach().numpy()).all()
