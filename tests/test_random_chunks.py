"""Large uniform_/normal_ fills are written into the tensor a chunk at a time: the values must be
the whole-tensor sample's, bit for bit, and the generator must end where it would."""
import numpy as np
import pytest

import unigrad
from unigrad.api.ops import random_chunks

FILLS = {
    "uniform": lambda t: t.uniform_(),
    "uniform_ab": lambda t: t.uniform_(-0.3, 0.7),
    "normal": lambda t: t.normal_(),
    "normal_mean_std": lambda t: t.normal_(0.5, 0.02),
    "kaiming_uniform": lambda t: unigrad.nn.init.kaiming_uniform_(t.view(64, -1)),
}


def _filled(fill, n, dtype, device, threshold, monkeypatch):
    monkeypatch.setattr(random_chunks, "THRESHOLD", threshold)
    x = unigrad.empty(n, dtype=dtype, device=device)
    unigrad.manual_seed(7)
    unigrad.rand(3, device=device)  # the fill starts inside a Philox block
    version = x._version[0]
    FILLS[fill](x)
    assert x._version[0] == version + 1
    return x.cpu().numpy(), unigrad.rand(2, device=device).cpu().numpy()


@pytest.mark.parametrize("fill", sorted(FILLS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("extra", [0, 1, 3, 64 * 5 + 7])
def test_chunked_fill_is_the_whole_tensor_sample(fill, dtype, extra, monkeypatch):
    chunk = 64
    monkeypatch.setattr(random_chunks, "CHUNK", chunk)
    n = 4 * chunk * 64 + extra * 64 if fill == "kaiming_uniform" else 4 * chunk + extra
    device = unigrad.get_default_device() if hasattr(unigrad, "get_default_device") else "cpu"
    chunked, after_chunked = _filled(fill, n, getattr(unigrad, dtype), device, 4 * chunk, monkeypatch)
    whole, after_whole = _filled(fill, n, getattr(unigrad, dtype), device, 1 << 62, monkeypatch)
    np.testing.assert_array_equal(chunked, whole)
    np.testing.assert_array_equal(after_chunked, after_whole)


def test_chunks_apply_only_to_large_contiguous_unrecorded_float_fills(monkeypatch):
    monkeypatch.setattr(random_chunks, "THRESHOLD", 16)
    assert random_chunks.applies(unigrad.empty(4, 8), recording=False)
    assert not random_chunks.applies(unigrad.empty(4, 8), recording=True)
    assert not random_chunks.applies(unigrad.empty(8, 4).t(), recording=False)  # not contiguous
    assert not random_chunks.applies(unigrad.empty(3, 5), recording=False)  # small
    assert not random_chunks.applies(unigrad.empty(4, 8, dtype=unigrad.bfloat16), recording=False)
    # a contiguous view is filled in place: its base sees the values
    base = unigrad.zeros(6, 8)
    base[1:5].uniform_(2.0, 3.0)
    values = base.numpy()
    assert (values[0] == 0).all() and (values[5] == 0).all() and ((values[1:5] >= 2) & (values[1:5] < 3)).all()
