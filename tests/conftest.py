import os

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True)
def _restore_global_state():
    import unigrad
    dtype = unigrad.get_default_dtype()
    yield
    unigrad.set_default_dtype(dtype)
    unigrad.set_grad_enabled(True)


@pytest.fixture
def rng():
    return np.random.default_rng(1234)
