"""Storages read from a checkpoint, and where they go (``map_location``).

A storage is read straight into the memory of its device: on a host device (one whose backend
shares host memory, the CPU) the file's bytes land in the tensor's own buffer, or the buffer *is*
the memory-mapped file (``mmap=True``); on another device they travel in pieces of
``CHUNK_BYTES``. Either way loading holds no second copy of the state.
"""
from __future__ import annotations

import numpy as np

from ..api.creation import placement, unsupported_dtype_message
from ..api.device import device as Device
from ..api.tensor import Tensor
from ..backends import registry
from .errors import CHUNK_BYTES, CheckpointError, ForwardedError


class LoadedStorage:
    """``numel`` elements of one dtype on one device, which the tensors rebuilt from a checkpoint
    view: PyTorch's ``TypedStorage`` as a ``map_location`` callable receives it (it may return
    ``storage.cpu()``, ``storage.cuda(1)``, ``storage.to(device)``, the storage itself, or None)."""

    __slots__ = ("_flat", "_host")

    def __init__(self, flat: Tensor, host: np.ndarray | None = None) -> None:
        self._flat = flat  # a 1-D tensor owning the memory
        self._host = host  # the host array that *is* that memory, on a host device

    @property
    def dtype(self):
        return self._flat._dtype

    @property
    def device(self):
        return self._flat._device

    def size(self) -> int:
        return self._flat._buf.shape[0]

    __len__ = size

    def element_size(self) -> int:
        return self._flat._dtype.itemsize

    def nbytes(self) -> int:
        return self.size() * self.element_size()

    def to(self, device) -> "LoadedStorage":
        """This storage on ``device`` (itself if already there)."""
        target, _ = placement(device)
        if target is self._flat._device:
            return self
        return LoadedStorage(self._flat.to(target))

    def cpu(self) -> "LoadedStorage":
        return self.to("cpu")

    def cuda(self, device=None, non_blocking: bool = False) -> "LoadedStorage":
        if device is None:
            device = "cuda"
        elif isinstance(device, int):
            device = f"cuda:{device}"
        return self.to(device)

    def tolist(self) -> list:
        return self._flat.tolist()

    def __repr__(self) -> str:
        return f"LoadedStorage(dtype={self.dtype}, device={self.device}, size={self.size()})"

    # ----- for the readers --------------------------------------------------------------------
    def view(self, offset: int, size: tuple, stride: tuple) -> Tensor:
        """A tensor aliasing this storage (bounds checked by the caller)."""
        flat = self._flat
        t = Tensor._make(flat._backend.as_strided(flat._buf, size, stride, offset), flat._dtype,
                         flat._device, flat._backend)
        t._version = flat._version
        return t

    def slice(self, offset: int, numel: int) -> "LoadedStorage":
        """Elements ``[offset, offset + numel)`` as a storage sharing this one's memory."""
        flat = self.view(offset, (numel,), (1,))
        host = None if self._host is None else self._host[offset:offset + numel]
        return LoadedStorage(flat, host)


def _place(device, dtype) -> tuple:
    try:
        dev, backend = placement(device)
    except (RuntimeError, ValueError, TypeError) as error:
        raise ForwardedError(error) from None
    if dtype not in backend.supported_dtypes:
        raise ForwardedError(TypeError(unsupported_dtype_message(backend, dev, dtype)))
    return dev, backend


def allocate(device, dtype, numel: int) -> LoadedStorage:
    """An uninitialised storage on ``device`` (in host memory the file is read into directly)."""
    dev, backend = _place(device, dtype)
    host = np.empty(numel, dtype.numpy)  # untouched pages cost nothing until written
    shared = backend.from_numpy_shared(host)
    if shared is not None:
        return LoadedStorage(Tensor._make(shared, dtype, dev, backend), host)
    return LoadedStorage(Tensor._make(backend.empty((numel,), dtype), dtype, dev, backend))


def share_host(device, dtype, array: np.ndarray) -> LoadedStorage | None:
    """A storage aliasing ``array`` (a slice of the mapped file) on a device whose memory is host
    memory; None elsewhere (the caller reads the file into the device's buffer instead)."""
    dev, backend = _place(device, dtype)
    shared = backend.from_numpy_shared(array)
    return None if shared is None else LoadedStorage(Tensor._make(shared, dtype, dev, backend), array)


def fill(storage: LoadedStorage, read_into, byteswap: bool = False) -> None:
    """Write the storage's bytes: ``read_into(start, target)`` fills the memoryview ``target`` with
    bytes ``[start, start + len(target))`` of the stored data (in file byte order)."""
    numel = storage.size()
    if numel == 0:
        return
    if storage._host is not None:
        read_into(0, memoryview(storage._host.view(np.uint8)))
        if byteswap:
            storage._host.byteswap(inplace=True)
        return
    flat = storage._flat
    backend, itemsize = flat._backend, flat._dtype.itemsize
    step = max(1, CHUNK_BYTES // itemsize)
    scratch = np.empty(min(step, numel), flat._dtype.numpy)
    for begin in range(0, numel, step):
        piece = scratch[:min(step, numel - begin)]
        read_into(begin * itemsize, memoryview(piece.view(np.uint8)))
        if byteswap:
            piece.byteswap(inplace=True)
        target = backend.as_strided(flat._buf, piece.shape, (1,), begin)
        backend.copy_(target, backend.from_numpy(piece))
        backend.synchronize()  # the transfer has read ``scratch`` before it is refilled


class Placement:
    """Where each storage goes, from ``map_location`` (PyTorch's semantics): None keeps the
    location saved with it; a device or string sends every storage there; a dict maps saved
    locations to new ones; a callable gets ``(storage_on_cpu, location)`` and returns a storage
    or None (then the saved location is used)."""

    def __init__(self, map_location) -> None:
        self.function = None
        self.mapping = None
        self.everything = None
        if map_location is None:
            return
        if isinstance(map_location, bytes):
            map_location = map_location.decode("ascii")
        if isinstance(map_location, (str, Device)) or hasattr(map_location, "type") and not callable(map_location):
            self.everything = str(map_location)
        elif isinstance(map_location, dict):
            self.mapping = {str(k): str(v) for k, v in map_location.items()}
        elif callable(map_location):
            self.function = map_location
        else:
            raise TypeError(f"map_location must be None, a device, a string, a dict or a callable, "
                            f"got {type(map_location).__name__}")

    def target(self, location: str, storage_type: str):
        """The device for a storage saved at ``location`` (ignoring a callable)."""
        if self.everything is not None:
            location = self.everything
        elif self.mapping is not None:
            location = self.mapping.get(location, location)
        return restore_device(location, storage_type)

    def storage(self, location: str, storage_type: str, dtype, numel: int, load) -> LoadedStorage:
        """The storage, with ``load(device, dtype, numel)`` reading it onto a device."""
        if self.function is None:
            return load(self.target(location, storage_type), dtype, numel)
        on_cpu = load(Device("cpu"), dtype, numel)
        try:  # the caller's function, and moves it asks for, fail as themselves
            result = self.function(on_cpu, location)
            if result is None:
                result = on_cpu.to(self.target(location, storage_type))
        except (ForwardedError, CheckpointError):
            raise
        except Exception as error:
            raise ForwardedError(error) from None
        if not isinstance(result, LoadedStorage):
            raise ForwardedError(TypeError(f"map_location returned a {type(result).__name__}; it must "
                                           "return the storage it was given (moved or not) or None"))
        return result


def restore_device(location: str, storage_type: str):
    """The unigrad device for a location tag (``"cpu"``, ``"cuda:1"``, ``"opencl:0"``)."""
    kind = location.split(":", 1)[0]
    if kind == "cuda" and "cuda" not in registry.available():
        raise ForwardedError(RuntimeError(
            "Attempting to deserialize object on a CUDA device but torch.cuda.is_available() is False. "
            "If you are running on a CPU-only machine, please use torch.load with "
            "map_location=torch.device('cpu') to map your storages to the CPU."))
    try:
        return registry.canonical_device(location)
    except (RuntimeError, ValueError, TypeError):  # no such device type here: PyTorch's words
        raise CheckpointError(f"don't know how to restore data location of torch.{storage_type} "
                              f"(tagged with {location})") from None

