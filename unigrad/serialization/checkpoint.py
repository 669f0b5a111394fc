"""``save`` and ``load`` with PyTorch's semantics and file format."""
from __future__ import annotations

import os
import pickle
import secrets
import sys

from .atomic import atomic_output
from .errors import CheckpointError, ForwardedError, naming
from .pickler import pickle_checkpoint
from .safetensors_format import load_safetensors
from .sources import Source, is_path
from .storage import Placement
from .torch_format import load_legacy, load_zip
from .zip_archive import ZipWriter

DEFAULT_PROTOCOL = 2


def save(obj, f, pickle_module=pickle, pickle_protocol: int = DEFAULT_PROTOCOL,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False) -> None:
    """Save ``obj`` to ``f`` (a path or a writable binary file object) in PyTorch's checkpoint
    format, so ``torch.load`` reads it too.

    ``obj`` may be a tensor, a state dict, a training checkpoint (nested dicts/lists/tuples of
    tensors and Python values), a whole ``nn.Module``, or any picklable object. Tensors keep their
    dtype, shape, strides, device, ``requires_grad`` and Parameter-ness; tensors viewing one
    storage are saved as views of one storage and come back sharing memory (tied weights stay
    tied). Tensors are streamed to the file, never copied whole.

    Loading anything but tensors, containers and plain values (a whole module, your own classes)
    needs ``load(..., weights_only=False)`` or ``safe_globals([...])``, as in PyTorch.

    A path is written atomically: to ``.<name>.<host>-<pid>-<random>.unigrad-tmp`` next to it,
    flushed to disk, then renamed over it, so a crash leaves any previous file intact. A writer
    killed mid-save leaves its temporary behind; the next save to the same path deletes the
    temporaries of writers on this host whose process is gone. The file keeps the mode of the file
    it replaces (a new one gets the umask's default, as ``open`` gives); saving onto a symbolic link
    replaces the link's target and keeps the link.
    """
    if not is_path(f) and not hasattr(f, "write"):
        raise AttributeError("expected 'f' to be string, path, or a file-like object with a 'write' attribute")
    if pickle_module is not pickle:
        raise NotImplementedError("unigrad.save pickles with the standard pickle module only")
    if not _use_new_zipfile_serialization:
        raise NotImplementedError("unigrad.save writes the zip format only; the legacy format is read, not written")
    if not 2 <= pickle_protocol <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(f"pickle_protocol must be between 2 and {pickle.HIGHEST_PROTOCOL}, got {pickle_protocol}")
    data, plan = pickle_checkpoint(obj, pickle_protocol)
    if is_path(f):
        path = os.fspath(f)
        stem = os.path.splitext(os.path.basename(path))[0] or "archive"
        with atomic_output(path) as out:
            _write_archive(out, stem, data, plan, _disable_byteorder_record)
    else:
        _write_archive(f, "archive", data, plan, _disable_byteorder_record)
        if hasattr(f, "flush"):
            f.flush()


def _write_archive(out, stem: str, data: bytes, plan, without_byteorder: bool) -> None:
    archive = ZipWriter(out)
    prefix = stem + "/"
    archive.write_record(prefix + "data.pkl", data)
    archive.write_record(prefix + ".format_version", b"1")
    archive.write_record(prefix + ".storage_alignment", b"64")
    if not without_byteorder:
        archive.write_record(prefix + "byteorder", sys.byteorder.encode("ascii"))
    for storage in plan.storages:
        archive.write_stream(f"{prefix}data/{storage.key}", storage.chunks(), storage.nbytes)
    archive.write_record(prefix + "version", b"3\n")
    archive.write_record(prefix + ".data/serialization_id", str(secrets.randbits(128)).zfill(40).encode("ascii"))
    archive.close()


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = True,
         mmap: bool | None = None, **pickle_load_args):
    """Load an object saved with ``save`` or ``torch.save`` (zip or legacy format), or a
    safetensors file (a dict of its tensors), from a path or a readable, seekable file object.

    ``weights_only=True`` (the default, also for None): the file is unpickled by a restricted
    unpickler that runs nothing from the file. It rebuilds tensors, Parameters, containers, Python
    values, ``torch.Size``/``torch.device``/dtypes, and instances of classes allowlisted with
    ``add_safe_globals`` / ``safe_globals`` (built without executing code from the file); anything
    else raises ``WeightsOnlyUnpicklingError`` (a ``pickle.UnpicklingError`` and a
    ``CheckpointError``) naming the global to allowlist.

    **``weights_only=False`` runs arbitrary code from the file**: it uses Python's pickle, which
    imports and calls whatever the file names (``os.system`` included). Use it only for files you
    trust completely, e.g. a whole ``nn.Module`` you saved yourself.

    ``map_location``: None (tensors go back to the device they were saved from), a device or string
    (everything there), a dict mapping saved locations to new ones (``{"cuda:1": "cuda:0"}``), or a
    callable ``(storage, location) -> storage or None`` given each storage on the CPU.
    ``mmap=True`` maps the file: CPU tensors alias its pages (copy-on-write) instead of reading it.
    Loading reads each storage straight into its tensor's memory.

    A malformed file (truncated, corrupted, of another format, or hostile) raises ``CheckpointError``
    with the file and the reason.
    """
    if weights_only is None:
        weights_only = True
    if weights_only and pickle_module is not None:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    pickle_module = pickle_module or pickle
    pickle_load_args.setdefault("encoding", "utf-8")
    placement = Placement(map_location)
    try:
        with Source(f) as source:
            try:
                return _load(source, placement, weights_only, bool(mmap), pickle_module, pickle_load_args)
            except CheckpointError as error:
                raise naming(source.name, error) from None
    except ForwardedError as forwarded:
        raise forwarded.error from None


def _load(source, placement, weights_only: bool, mmap: bool, pickle_module, load_args: dict):
    """Dispatch on the file's first bytes: zip archive, pickle stream (legacy), else safetensors."""
    head = source.read_at(0, min(source.size, 512), "the file's start")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return load_zip(source, placement, weights_only=weights_only, mmap=mmap, pickle_module=pickle_module,
                        load_args=load_args)
    if head[257:262] == b"ustar":
        raise source.error("a checkpoint in PyTorch's legacy .tar format, which unigrad does not read")
    if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5:
        # a pickle stream: PyTorch's legacy format (its magic number is checked first, by the
        # restricted unpickler whatever weights_only says)
        if mmap:
            raise RuntimeError(f"mmap can only be used with files saved with `torch.save({source.name}, "
                               "_use_new_zipfile_serialization=True), please torch.save your checkpoint with "
                               "this option in order to use mmap.")
        return load_legacy(source, placement, weights_only=weights_only, pickle_module=pickle_module,
                           load_args=load_args)
    return load_safetensors(source, placement, mmap=mmap)


def get_unsafe_globals_in_checkpoint(f) -> list[str]:
    """The globals a checkpoint names that ``weights_only=True`` would refuse (nothing is loaded)."""
    import pickletools

    from .safe_globals import user_allowed
    from .unpickler import defaults, map_python2_name
    from .zip_archive import ZipReader
    with Source(f) as source:
        data = ZipReader(source).read("data.pkl")
    allowed = {**defaults(), **user_allowed()}
    names, strings = set(), []
    try:
        for opcode, argument, _ in pickletools.genops(data):
            if opcode.name == "GLOBAL":
                module, name = argument.split(" ", 1)
                names.add("%s.%s" % map_python2_name(module, name))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                names.add("%s.%s" % map_python2_name(strings[-2], strings[-1]))
            elif isinstance(argument, str):
                strings.append(argument)
    except Exception as error:  # pickletools reports bad data with assorted errors
        raise CheckpointError(f"{source.name}: malformed pickle ({type(error).__name__}: {error})") from None
    return sorted(name for name in names if name not in allowed)
