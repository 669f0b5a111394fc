"""Entry point of the plugin: registers the ``arrayapi`` device type."""
import unigrad

from .backend import ArrayApiBackend


@unigrad.plugins.hookimpl
def unigrad_register_backends():
    return [ArrayApiBackend]
