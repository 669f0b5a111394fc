"""``unigrad.distributed``'s process group and collectives on tensors (``torch.distributed``).

One default group per process. Every collective works on tensors of any backend: the MPI
transport stages device tensors through host memory (one copy each way); the NCCL transport
(CUDA) reduces device buffers directly. Results are written into the given tensors in place,
non-contiguous ones included.
"""
from __future__ import annotations

import datetime
import importlib
import os

import numpy as np

from ..api import creation
from ..api.tensor import Tensor
from ..autograd.grad_mode import no_grad
from ..backends import registry
from .mpi import DistributedError, MPITransport

__all__ = ["ReduceOp", "DistributedError", "init_process_group", "is_initialized", "is_available",
           "get_rank", "get_world_size", "get_backend", "barrier", "all_reduce", "broadcast",
           "all_gather", "reduce_scatter", "destroy_process_group", "default_group"]

DEFAULT_TIMEOUT = 300.0


class ReduceOp:
    """Reductions for ``all_reduce`` and ``reduce_scatter``."""

    SUM = "sum"
    AVG = "avg"
    MAX = "max"
    MIN = "min"


_group = None


def is_available() -> bool:
    """True: the package is importable (transports check their libraries at init)."""
    return True


def _seconds(timeout) -> float:
    if timeout is None:
        return float(os.environ.get("UNIGRAD_DIST_TIMEOUT", DEFAULT_TIMEOUT))
    if isinstance(timeout, datetime.timedelta):
        return timeout.total_seconds()
    return float(timeout)


def init_process_group(backend: str | None = None, init_method=None, timeout=None, world_size: int = -1,
                       rank: int = -1, **_ignored) -> None:
    """Join the default process group. ``backend``: ``"mpi"`` (default; every device, host
    staging) or a transport a backend offers, such as ``"nccl"`` (the CUDA backend's: CUDA tensors
    device to device; ranks still start under the MPI launcher, which also exchanges NCCL's id). Rank and world size come from the launcher
    (``unigrad run -n N``); ``timeout`` (seconds or a timedelta) bounds every collective."""
    global _group
    if _group is not None:
        raise RuntimeError("trying to initialize the default process group twice!")
    name = (backend or "mpi").lower()
    seconds = _seconds(timeout)
    offered = _offered_transports()
    if name == "mpi":
        group = MPITransport(seconds)
    elif name in offered:
        module, _, attribute = offered[name].partition(":")
        group = getattr(importlib.import_module(module), attribute)(seconds)
    else:
        others = "".join(f", {n!r} ({device})" for n, device in
                         ((n, _offering_device(n)) for n in offered))
        raise ValueError(f"unknown distributed backend {backend!r}: unigrad has 'mpi' (every device){others}")
    for given, actual, what in ((world_size, group.world_size, "world_size"), (rank, group.rank, "rank")):
        if given not in (-1, None) and given != actual:
            raise ValueError(f"init_process_group({what}={given}) but the launcher started this process "
                             f"with {what} {actual}")
    _group = group


def _offered_transports() -> dict:
    """Transports the registered backends offer (``Backend.process_group_transports``)."""
    found: dict = {}
    for info in registry.registered():
        for name, path in info.backend_class.process_group_transports.items():
            found.setdefault(name.lower(), path)
    return found


def _offering_device(name: str) -> str:
    return next(info.name for info in registry.registered()
                if name in {n.lower() for n in info.backend_class.process_group_transports})


def default_group():
    """The default group's transport (raises when not initialized)."""
    if _group is None:
        raise RuntimeError("Default process group has not been initialized, please make sure to call "
                           "init_process_group.")
    return _group


def is_initialized() -> bool:
    return _group is not None


def get_rank(group=None) -> int:
    return default_group().rank


def get_world_size(group=None) -> int:
    return default_group().world_size


def get_backend(group=None) -> str:
    return default_group().name


def destroy_process_group(group=None) -> None:
    """Leave the default group (a later ``init_process_group`` may join again)."""
    global _group
    if _group is not None:
        _group.close()
    _group = None


class _Work:
    """A finished collective (``async_op=True`` returns one; collectives complete eagerly)."""

    def wait(self, timeout=None) -> bool:
        return True

    def is_completed(self) -> bool:
        return True


def _done(async_op: bool):
    return _Work() if async_op else None


# ----- staging tensors through host memory ---------------------------------------------------------
def _host_copy(tensor: Tensor) -> np.ndarray:
    return np.ascontiguousarray(tensor.detach()._host()).copy()


def _write_back(tensor: Tensor, array: np.ndarray) -> None:
    with no_grad():
        tensor.copy_(creation.tensor(array, dtype=tensor.dtype, device=tensor.device))


def _check(tensor, what: str) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what} expects a Tensor, got {type(tensor).__name__}")


# ----- collectives -------------------------------------------------------------------------------
def all_reduce(tensor: Tensor, op: str = ReduceOp.SUM, group=None, async_op: bool = False):
    """Reduce ``tensor`` across ranks in place (``SUM``, ``AVG``, ``MAX``, ``MIN``)."""
    _check(tensor, "all_reduce")
    transport = default_group()
    if op not in (ReduceOp.SUM, ReduceOp.AVG, ReduceOp.MAX, ReduceOp.MIN):
        raise ValueError(f"unknown ReduceOp {op!r}")
    if op == ReduceOp.AVG and not tensor.dtype.is_floating_point:
        raise TypeError(f"ReduceOp.AVG needs a floating tensor, got {tensor.dtype}")
    if transport.direct(tensor):
        transport.all_reduce_tensor(tensor, op)
        return _done(async_op)
    array = _host_copy(tensor)
    transport.all_reduce(array, ReduceOp.SUM if op == ReduceOp.AVG else op)
    if op == ReduceOp.AVG:
        array = (array.astype(np.float64) / transport.world_size).astype(array.dtype)
    _write_back(tensor, array)
    return _done(async_op)


def broadcast(tensor: Tensor, src: int, group=None, async_op: bool = False):
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor``."""
    _check(tensor, "broadcast")
    transport = default_group()
    if not 0 <= src < transport.world_size:
        raise ValueError(f"broadcast src={src} is not a rank of a world of {transport.world_size}")
    if transport.direct(tensor):
        transport.broadcast_tensor(tensor, src)
        return _done(async_op)
    array = _host_copy(tensor)
    transport.broadcast(array, src)
    if transport.rank != src:
        _write_back(tensor, array)
    return _done(async_op)


def _check_per_rank(tensors: list, like: Tensor, what: str, transport) -> None:
    """One tensor per rank, each of ``like``'s shape and dtype."""
    if len(tensors) != transport.world_size:
        raise ValueError(f"{what} needs a list of {transport.world_size} tensors, got {len(tensors)}")
    for i, item in enumerate(tensors):
        if tuple(item.shape) != tuple(like.shape) or item.dtype is not like.dtype:
            raise ValueError(f"{what}: list item {i} is {item.dtype.name}{list(item.shape)}, expected "
                             f"{like.dtype.name}{list(like.shape)}")


def all_gather(tensor_list: list, tensor: Tensor, group=None, async_op: bool = False):
    """Fill ``tensor_list[r]`` with rank ``r``'s ``tensor`` (all of one shape and dtype)."""
    _check(tensor, "all_gather")
    transport = default_group()
    _check_per_rank(tensor_list, tensor, "all_gather", transport)
    gathered = transport.all_gather(_host_copy(tensor))
    for out, array in zip(tensor_list, gathered):
        _write_back(out, array)
    return _done(async_op)


def reduce_scatter(output: Tensor, input_list: list, op: str = ReduceOp.SUM, group=None,
                   async_op: bool = False):
    """``output`` = the reduction over ranks of each rank's ``input_list[rank]``."""
    _check(output, "reduce_scatter")
    transport = default_group()
    _check_per_rank(input_list, output, "reduce_scatter", transport)
    stacked = np.stack([_host_copy(t) for t in input_list])
    transport.all_reduce(stacked, ReduceOp.SUM if op == ReduceOp.AVG else op)
    mine = stacked[transport.rank]
    if op == ReduceOp.AVG:
        mine = (mine.astype(np.float64) / transport.world_size).astype(mine.dtype)
    _write_back(output, mine)
    return _done(async_op)


def barrier(group=None, async_op: bool = False):
    """Wait until every rank reaches this call (bounded by the group's timeout)."""
    default_group().barrier()
    return _done(async_op)
