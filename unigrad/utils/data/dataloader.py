"""``DataLoader``: batches from a dataset, optionally shuffled, optionally in worker processes
(batches still arrive in the sampler's order; see ``worker_pool`` for the worker processes)."""
from __future__ import annotations

import itertools
import math
import multiprocessing
from multiprocessing import context as mp_context

from .collate import default_collate, default_convert
from .dataset import IterableDataset
from .fetch import IterableFetcher, MapFetcher
from .sampler import BatchSampler, RandomSampler, SequentialSampler
from .worker import WorkerInfo, get_worker_info  # noqa: F401  (re-exported, as torch.utils.data)
from .worker_pool import MultiProcessingDataLoaderIter

_FROZEN_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class DataLoader:
    """Iterate over ``dataset`` in batches (``torch.utils.data.DataLoader``).

    With ``num_workers > 0`` batches are loaded by worker processes (``multiprocessing_context``:
    'fork', 'spawn', 'forkserver' or a context object). A worker that raises re-raises its
    exception here ("Caught ValueError in DataLoader worker process 1", with its traceback); a
    worker that dies raises a RuntimeError naming its pid and signal; ``timeout`` (seconds, 0 for
    none) bounds the wait for each batch. ``pin_memory`` is accepted and has no effect.
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("prefetch_factor option could only be specified in multiprocessing."
                             "let num_workers > 0 to enable multiprocessing, otherwise set "
                             "prefetch_factor to None.")
        if num_workers > 0 and prefetch_factor is None:
            prefetch_factor = 2
        elif prefetch_factor is not None and prefetch_factor < 0:
            raise ValueError("prefetch_factor option should be non-negative")
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        self.dataset, self.num_workers, self.pin_memory = dataset, num_workers, pin_memory
        self.pin_memory_device, self.prefetch_factor, self.in_order = pin_memory_device, prefetch_factor, in_order
        self.timeout, self.worker_init_fn, self.generator = timeout, worker_init_fn, generator
        self.multiprocessing_context = multiprocessing_context
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle option, "
                                 f"but got shuffle={shuffle}")
            if sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler option, "
                                 f"but got sampler={sampler}")
            if batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified batch_sampler "
                                 f"option, but got batch_sampler={batch_sampler}")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.persistent_workers = persistent_workers
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_size is not None or batch_sampler is not None else default_convert)
        self._iterator = None
        self._initialized = True

    def __setattr__(self, name, value) -> None:
        if name in _FROZEN_AFTER_INIT and self.__dict__.get("_initialized"):
            raise ValueError(f"{name} attribute should not be set after {type(self).__name__} is initialized")
        super().__setattr__(name, value)

    @property
    def multiprocessing_context(self):
        return self._multiprocessing_context

    @multiprocessing_context.setter
    def multiprocessing_context(self, value) -> None:
        if value is not None:
            if self.num_workers == 0:
                raise ValueError("multiprocessing_context can only be used with multi-process loading "
                                 f"(num_workers > 0), but got num_workers={self.num_workers}")
            if isinstance(value, str):
                methods = multiprocessing.get_all_start_methods()
                if value not in methods:
                    raise ValueError(f"multiprocessing_context option should specify a valid start method "
                                     f"in {methods!r}, but got multiprocessing_context={value!r}")
                value = multiprocessing.get_context(value)
            if not isinstance(value, mp_context.BaseContext):
                raise TypeError("multiprocessing_context option should be a valid context object or a "
                                f"string specifying the start method, but got multiprocessing_context={value}")
        self._multiprocessing_context = value

    def _resolved_context(self):
        """The context workers start in: the one given, else fork where the platform has it."""
        if self._multiprocessing_context is not None:
            return self._multiprocessing_context
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        return multiprocessing.get_context(method)

    def __len__(self) -> int:
        if self._iterable:
            length = len(self.dataset)
            if self.batch_size is not None:
                length = length // self.batch_size if self.drop_last else math.ceil(length / self.batch_size)
            return length
        return len(self.batch_sampler) if self.batch_sampler is not None else len(self.sampler)

    def _index_batches(self):
        """What each task loads: a list of indices (batched), one index, or for an iterable
        dataset a placeholder (each worker reads its own stream)."""
        if self._iterable:
            return itertools.repeat(None)
        return iter(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def _base_seed(self) -> int:
        """Like PyTorch, every epoch draws one number from the stream (the workers' base seed)
        before the sampler draws, whether or not there are workers."""
        from ...api import creation
        return int(creation.randint(0, 2 ** 62, (1,), generator=self.generator, device="cpu").item())

    def __iter__(self):
        if self.num_workers == 0:
            if self.timeout > 0:
                raise AssertionError("DataLoader with num_workers=0 requires timeout=0 (the timeout "
                                     "bounds the wait for worker processes)")
            self._base_seed()
            return self._iterate_here()
        if self.persistent_workers:
            if self._iterator is None or self._iterator.closed:
                self._iterator = MultiProcessingDataLoaderIter(self, self._base_seed())
            else:
                self._iterator._reset()
            return self._iterator
        return MultiProcessingDataLoaderIter(self, self._base_seed())

    def _iterate_here(self):
        if self._iterable:
            fetcher = IterableFetcher(self.dataset, self.batch_size, self.drop_last, self.collate_fn)
        else:
            fetcher = MapFetcher(self.dataset, self.batch_sampler is not None, self.collate_fn)
        for index in self._index_batches():
            try:
                batch = fetcher.fetch(index)
            except StopIteration:  # an exhausted stream; from a map-style dataset, as in PyTorch
                return
            yield batch
