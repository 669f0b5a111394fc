"""The example scripts run a few steps and their loss goes down."""
import importlib.util
import pathlib

import pytest

EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"


def _load(name):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name,steps,factor", [("mlp", 40, 0.2), ("cnn", 8, 0.5),
                                               ("lstm", 25, 0.7), ("autoencoder", 40, 0.5)])
def test_example_trains(name, steps, factor, capsys):
    losses = _load(name).main(steps=steps)
    assert len(losses) == steps
    assert losses[-1] < losses[0] * factor, losses
