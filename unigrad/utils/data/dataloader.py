"""``DataLoader``: batches from a dataset, optionally shuffled, optionally in worker processes
(batches still arrive in the same deterministic order)."""
from __future__ import annotations

import multiprocessing

from ...api.ops import random as rnd
from .collate import default_collate
from .dataset import IterableDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


def _fetch(dataset, indices, collate_fn):
    return collate_fn([dataset[i] for i in indices])


_worker_state: dict = {}


def _worker_init(dataset, collate_fn, base_seed, worker_init_fn, counter) -> None:
    with counter.get_lock():
        worker_id = counter.value
        counter.value += 1
    rnd.manual_seed(base_seed + worker_id)
    _worker_state.update(dataset=dataset, collate_fn=collate_fn, id=worker_id)
    if worker_init_fn is not None:
        worker_init_fn(worker_id)


def _worker_fetch(indices):
    return _fetch(_worker_state["dataset"], indices, _worker_state["collate_fn"])


class DataLoader:
    """Iterate over ``dataset`` in batches (``torch.utils.data.DataLoader``)."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers: int = 0, collate_fn=None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, worker_init_fn=None,
                 multiprocessing_context=None, generator=None, *, prefetch_factor=None,
                 persistent_workers: bool = False, pin_memory_device: str = "", in_order: bool = True) -> None:
        if num_workers < 0:
            raise ValueError("num_workers option should be non-negative; use num_workers=0 to "
                             "disable multiprocessing.")
        self.dataset, self.num_workers, self.pin_memory = dataset, num_workers, pin_memory
        self.timeout, self.worker_init_fn, self.generator = timeout, worker_init_fn, generator
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor or 2
        self._iterable = isinstance(dataset, IterableDataset)
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("batch_sampler option is mutually exclusive with batch_size, "
                                 "shuffle, sampler, and drop_last")
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually "
                             "exclusive with drop_last")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if self._iterable and (shuffle or sampler is not None or batch_sampler is not None):
            raise ValueError("DataLoader with IterableDataset: expected unspecified shuffle, "
                             "sampler and batch_sampler options")
        if sampler is None and not self._iterable:
            sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None and not self._iterable:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.collate_fn = collate_fn if collate_fn is not None else (
            default_collate if batch_size is not None or batch_sampler is not None else (lambda x: x))

    def __len__(self) -> int:
        if self._iterable:
            return len(self.dataset)
        return len(self.batch_sampler) if self.batch_sampler is not None else len(self.sampler)

    def _index_batches(self):
        if self.batch_sampler is not None:
            return iter(self.batch_sampler)
        return ([i] for i in self.sampler)

    def __iter__(self):
        if self._iterable:
            return self._iterate_stream()
        if self.num_workers == 0:
            return self._iterate_here()
        return self._iterate_workers()

    def _iterate_here(self):
        unbatched = self.batch_sampler is None
        for indices in self._index_batches():
            if unbatched:
                yield self.collate_fn(self.dataset[indices[0]])
            else:
                yield _fetch(self.dataset, indices, self.collate_fn)

    def _iterate_stream(self):
        if self.batch_size is None:
            yield from (self.collate_fn(sample) for sample in self.dataset)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)

    def _iterate_workers(self):
        if self.batch_sampler is None:
            raise ValueError("num_workers > 0 requires automatic batching (a batch_size)")
        context = self.multiprocessing_context
        if context is None or isinstance(context, str):
            method = context or ("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
            context = multiprocessing.get_context(method)
        from ...api import creation
        # like PyTorch: each epoch draws a base seed from the stream; worker i uses base + i
        base_seed = int(creation.randint(0, 2 ** 62, (1,), generator=self.generator).item())
        counter = context.Value("i", 0)
        with context.Pool(self.num_workers, initializer=_worker_init,
                          initargs=(self.dataset, self.collate_fn, base_seed, self.worker_init_fn,
                                    counter)) as pool:
            # imap keeps the sampler's order whatever worker finishes first
            yield from pool.imap(_worker_fetch, self._index_batches(), chunksize=1)


def get_worker_info():
    """In a worker process: a simple object with ``id``; in the main process: None."""
    if not _worker_state:
        return None

    class _Info:
        id = _worker_state["id"]
        dataset = _worker_state["dataset"]
    return _Info()
