"""Registers the CUDA backend (always registered; unavailable with a reason without CuPy/GPU)."""
from ...plugins.hookspecs import hookimpl
from .backend import CupyBackend


@hookimpl
def unigrad_register_backends():
    return [CupyBackend]
