"""The DataLoader's worker process: its loop, its ``get_worker_info()``, and how it reports
exceptions to the main process (PyTorch's ``torch.utils.data._utils.worker``).

A worker reads tasks ``(task_id, index)`` from its own index pipe, fetches the batch, and puts
``(task_id, batch)`` on the result queue it shares with the other workers. An exception is sent
as an ``ExceptionWrapper`` carrying its type and formatted traceback; the main process re-raises
it. ``None`` on the index pipe ends the worker; so does the death of the main process.
"""
from __future__ import annotations

import os
import random
import sys
import traceback
from dataclasses import dataclass

#: how often (seconds) an idle worker checks that the main process is still alive
PARENT_CHECK_INTERVAL = 1.0


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` returns inside a worker: its ``id`` (0 .. ``num_workers``-1),
    ``num_workers``, its ``seed``, and its copy of the ``dataset``."""

    id: int
    num_workers: int
    seed: int
    dataset: object


_worker_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker process: a ``WorkerInfo`` (use it to shard an IterableDataset);
    in the main process: None."""
    return _worker_info


class KeyErrorMessage(str):
    """A KeyError's message shown as written (KeyError would otherwise show its repr)."""

    def __repr__(self) -> str:
        return self


class ExceptionWrapper:
    """An exception and its traceback text, picklable, to re-raise in another process.
    ``fatal``: the worker cannot go on (its ``worker_init_fn`` failed), so the loader stops."""

    def __init__(self, exc_info=None, where: str = "in background", fatal: bool = False) -> None:
        exc_info = exc_info or sys.exc_info()
        self.exc_type = exc_info[0]
        self.exc_msg = "".join(traceback.format_exception(*exc_info))
        self.where = where
        self.fatal = fatal

    def message(self) -> str:
        return f"Caught {self.exc_type.__name__} {self.where}.\nOriginal {self.exc_msg}"

    def reraise(self):
        """Raise the wrapped exception here: its own type where it can be built from the message
        (as PyTorch does), else a RuntimeError with the same text."""
        raise self._rebuilt()  # built elsewhere: no frame of ours holds it (no reference cycle)

    def _rebuilt(self) -> BaseException:
        msg = self.message()
        if self.exc_type is KeyError:
            return KeyError(KeyErrorMessage(msg))
        if getattr(self.exc_type, "message", None):
            return self.exc_type(message=msg)
        try:
            return self.exc_type(msg)
        except Exception:
            return RuntimeError(msg)


class IterableDatasetStopIteration:
    """A worker's reply when its copy of an IterableDataset is exhausted."""

    def __init__(self, worker_id: int) -> None:
        self.worker_id = worker_id


class ResumeIteration:
    """Sent to persistent workers at a new epoch: restart the fetcher, then acknowledge."""


def seed_worker(base_seed: int, worker_id: int) -> int:
    """Seed Python's, NumPy's and unigrad's generators as PyTorch seeds a worker's."""
    from ...api.ops import random as unigrad_random
    seed = base_seed + worker_id
    random.seed(seed)
    unigrad_random.manual_seed(seed)
    try:
        import numpy as np
    except ImportError:  # pragma: no cover - NumPy is a dependency; keep PyTorch's guard anyway
        return seed
    np.random.seed(_numpy_seed_state(base_seed, worker_id))
    return seed


def _numpy_seed_state(base_seed: int, worker_id: int) -> list:
    """PyTorch's ``_generate_state``: NumPy's SeedSequence hashing of (worker_id, base_seed),
    so that NumPy streams of different workers and epochs differ."""
    mask = 0xFFFFFFFF
    hash_multiplier = [0x43B0D7E5]

    def hash32(value: int) -> int:
        value = (value ^ hash_multiplier[0]) & mask
        hash_multiplier[0] = (hash_multiplier[0] * 0x931E8875) & mask
        value = (value * hash_multiplier[0]) & mask
        return (value ^ (value >> 16)) & mask

    def mix(x: int, y: int) -> int:
        result = ((0xCA01F9DD * x) & mask) - ((0x4973F715 * y) & mask)
        result &= mask
        return (result ^ (result >> 16)) & mask

    entropy = [worker_id, base_seed & mask, base_seed >> 32, 0]
    pool = [hash32(value) for value in entropy]
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                pool[i_dst] = mix(pool[i_dst], hash32(pool[i_src]))
    hash_multiplier[0] = 0x8B51F9DD
    state = []
    for i_dst in range(4):
        data_val = pool[i_dst]
        data_val = (data_val ^ hash_multiplier[0]) & mask
        hash_multiplier[0] = (hash_multiplier[0] * 0x58F38DED) & mask
        data_val = (data_val * hash_multiplier[0]) & mask
        state.append((data_val ^ (data_val >> 16)) & mask)
    return state


def _make_fetcher(config):
    from .fetch import IterableFetcher, MapFetcher
    if config["iterable"]:
        return IterableFetcher(config["dataset"], config["batch_size"], config["drop_last"],
                               config["collate_fn"])
    return MapFetcher(config["dataset"], config["auto_collation"], config["collate_fn"])


def _put(result_queue, task_id, data, where: str) -> None:
    """Send ``(task_id, data)``; what cannot be pickled arrives as a RuntimeError that says so."""
    try:
        result_queue.put((task_id, data))
        return
    except Exception as error:
        if isinstance(data, ExceptionWrapper):
            reason = (f"{data.message()}\n(the exception of type {data.exc_type.__qualname__} could not "
                      f"be sent to the main process: {type(error).__name__}: {error})")
        else:
            reason = (f"the batch made {where} could not be sent to the main process (it must be "
                      f"picklable): {type(error).__name__}: {error}")
    result_queue.put((task_id, ExceptionWrapper((RuntimeError, RuntimeError(reason), None), where)))


def worker_loop(config: dict, worker_id: int, index_reader, result_queue) -> None:
    """The body of worker ``worker_id`` (the target of its ``multiprocessing.Process``)."""
    global _worker_info
    parent_pid = os.getppid()  # the main process, or the fork server that started this worker
    where = f"in DataLoader worker process {worker_id}"
    try:
        seed = seed_worker(config["base_seed"], worker_id)
        _worker_info = WorkerInfo(worker_id, config["num_workers"], seed, config["dataset"])
        init_error, fetcher = None, None
        try:
            if config["worker_init_fn"] is not None:
                config["worker_init_fn"](worker_id)
            fetcher = _make_fetcher(config)
        except Exception:
            init_error = ExceptionWrapper(where=where, fatal=True)
        iteration_ended = False
        while True:
            if not index_reader.poll(PARENT_CHECK_INTERVAL):
                if os.getppid() != parent_pid:
                    return  # the main process died: do not linger as an orphan
                continue
            task = index_reader.recv()
            if task is None:
                return
            if isinstance(task, ResumeIteration):
                iteration_ended = False
                if init_error is None:
                    try:
                        fetcher = _make_fetcher(config)
                    except Exception:
                        init_error = ExceptionWrapper(where=where, fatal=True)
                result_queue.put((task, None))
                continue
            if iteration_ended:
                continue
            task_id, index = task
            if init_error is not None:
                data = init_error
            else:
                try:
                    data = fetcher.fetch(index)
                except StopIteration:
                    if not config["iterable"]:
                        data = ExceptionWrapper(where=where)
                    else:
                        data = IterableDatasetStopIteration(worker_id)
                        iteration_ended = True
                except Exception:
                    data = ExceptionWrapper(where=where)
            _put(result_queue, task_id, data, where)
            del data, task, index
    except KeyboardInterrupt:
        pass  # Ctrl-C reaches every process of the group; the main process reports it

