"""The example Array-API plugin's own primitives, where the standard leaves work to the plugin."""
import numpy as np
import pytest

import unigrad

pytest.importorskip("unigrad_arrayapi", reason="pip install -e examples/unigrad-arrayapi")


def test_argmax_of_a_bool_tensor():
    x = unigrad.tensor([[False, True, True], [False, False, False]], device="arrayapi")
    assert x.argmax().item() == 1
    assert x.argmax(1).tolist() == [1, 0]
    assert x.amax().item() is True and x.amin(1).tolist() == [False, False]


def test_scatter_add_keeps_float32_precision_with_large_running_sums():
    """Duplicates are summed as differences of running sums; in float32 those would cancel away
    small contributions next to large ones."""
    index = unigrad.tensor([0, 0, 1, 2, 2, 2, 1], device="arrayapi")
    source = np.array([1e4, 1e-3, 1e4, 2e-3, 3e4, -3e4, 5e-4], dtype=np.float32)
    out = unigrad.zeros(3, device="arrayapi").scatter_add(0, index, unigrad.tensor(source, device="arrayapi"))
    expected = np.zeros(3)
    np.add.at(expected, index.cpu().numpy(), source.astype(np.float64))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)
