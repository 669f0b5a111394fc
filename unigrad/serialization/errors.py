"""The errors a checkpoint can raise, and the limits that bound what reading one may cost."""
from __future__ import annotations

import pickle

#: containers inside containers in a loaded object (pickle results, a checkpoint's JSON); deeper
#: structures are refused rather than handed to code that recurses over them
MAX_NESTING = 1000
#: nesting of the JSON structure of unigrad's former safetensors-based checkpoints
MAX_JSON_NESTING = 200
#: the largest safetensors header (the safetensors library's own limit)
MAX_HEADER_BYTES = 100_000_000
#: tensors in a safetensors header, records in a zip archive
MAX_ENTRIES = 1 << 22
#: entries in a pickle's memo
MAX_MEMO = 1 << 24
#: bytes of one pickled integer (LONG4); Python's pickler writes far smaller ones
MAX_LONG_BYTES = 1 << 16
#: storages move between the file and a device in pieces of this size (bounds extra memory)
CHUNK_BYTES = 16 << 20

UNSAFE_MESSAGE = (
    "In PyTorch 2.6, we changed the default value of the `weights_only` argument in `torch.load` "
    "from `False` to `True`. Re-running `torch.load` with `weights_only` set to `False` will likely "
    "succeed, but it can result in arbitrary code execution. Do it only if you got the file from a "
    "trusted source.")
_DOCS_MESSAGE = ("\n\nCheck the documentation of torch.load to learn more about types accepted by default "
                 "with weights_only https://pytorch.org/docs/stable/generated/torch.load.html.")


class CheckpointError(RuntimeError):
    """A file that is not a valid checkpoint (corrupted, truncated, hostile or of another format);
    the message names the file and what is wrong with it."""


class WeightsOnlyUnpicklingError(CheckpointError, pickle.UnpicklingError):
    """``load(..., weights_only=True)`` met something outside its allowlist (PyTorch raises
    ``pickle.UnpicklingError`` with the same message); nothing from the file was executed."""


def weights_only_error(source: str, message: str, kind: str = "other") -> WeightsOnlyUnpicklingError:
    """PyTorch's wording for a ``weights_only`` refusal (``torch.load``'s ``_get_wo_message``);
    ``kind`` is ``"global"`` (a global outside the allowlist), ``"blocked"`` (a global of a module
    that is never allowed) or ``"other"``."""
    if kind == "global":
        text = ("Weights only load failed. This file can still be loaded, to do so you have two options, "
                "do those steps only if you trust the source of the checkpoint. "
                f"\n\t(1) {UNSAFE_MESSAGE}\n\t(2) Alternatively, to load with `weights_only=True` please "
                "check the recommended steps in the following error message.\n\tWeightsUnpickler error: "
                + message)
    else:
        text = f"Weights only load failed. {UNSAFE_MESSAGE}\n"
        if kind != "blocked":
            text += ("Please file an issue with the following so that we can make `weights_only=True` "
                     "compatible with your use case: WeightsUnpickler error: ")
        text += "\n\n" + message
    return WeightsOnlyUnpicklingError(f"{source}: {text}{_DOCS_MESSAGE}")


def naming(source: str, error: CheckpointError) -> CheckpointError:
    """``error`` with the file named first (checks deep in a reader do not know the file)."""
    if str(error).startswith(f"{source}: "):
        return error
    renamed = type(error)(f"{source}: {error}")
    renamed.__cause__ = error.__cause__
    return renamed


class ForwardedError(Exception):
    """Carries an error that is not the file's fault (a device that is missing, a dtype it cannot
    hold) through the readers, which turn every other failure into a CheckpointError."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error
