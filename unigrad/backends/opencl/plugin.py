"""Registers the OpenCL backend (always registered; unavailable with a reason without PyOpenCL or
an OpenCL device)."""
from ...plugins.hookspecs import hookimpl
from .backend import OpenCLBackend


@hookimpl
def unigrad_register_backends():
    return [OpenCLBackend]
