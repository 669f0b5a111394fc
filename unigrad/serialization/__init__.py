"""``unigrad.save`` / ``unigrad.load``: PyTorch's checkpoints, without PyTorch.

``save`` writes PyTorch's zip format (``torch.load`` reads it); ``load`` reads that format, PyTorch's
legacy format, safetensors files and unigrad's former safetensors-based checkpoints. Loading is
``weights_only`` by default: a restricted unpickler that executes nothing from the file, extended
with ``add_safe_globals`` / ``safe_globals``; ``weights_only=False`` is the explicit opt-in to full
pickle (which runs code from the file). Every malformed file raises ``CheckpointError``.

Modules: ``checkpoint`` (save/load), ``pickler`` and ``storage_plan`` (writing), ``unpickler``,
``torch_names`` and ``rebuild`` (the restricted reading), ``torch_format``, ``zip_archive``,
``safetensors_format`` (the containers), ``storage`` (devices, ``map_location``), ``atomic``
(temporary files), ``sources`` (the bytes being read), ``errors`` (errors and limits).
"""
from __future__ import annotations

from .checkpoint import DEFAULT_PROTOCOL, get_unsafe_globals_in_checkpoint, load, save
from .errors import CheckpointError, WeightsOnlyUnpicklingError
from .safe_globals import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals
from .safetensors_format import save_safetensors
from .storage import LoadedStorage

__all__ = ["save", "load", "CheckpointError", "WeightsOnlyUnpicklingError", "add_safe_globals",
           "clear_safe_globals", "get_safe_globals", "safe_globals", "get_unsafe_globals_in_checkpoint",
           "save_safetensors", "LoadedStorage", "DEFAULT_PROTOCOL"]
