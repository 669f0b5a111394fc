"""Fetchers: turn one task (a batch of indices, or "the next batch" of a stream) into a batch.

The same fetchers run in the main process (``num_workers=0``) and in every worker process.
"""
from __future__ import annotations


class MapFetcher:
    """A map-style dataset: ``collate_fn([dataset[i] for i in indices])`` (``__getitems__`` is
    used when the dataset defines it, as in PyTorch)."""

    def __init__(self, dataset, auto_collation: bool, collate_fn) -> None:
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(index) if getitems else [self.dataset[i] for i in index]
        return self.collate_fn(samples)


class IterableFetcher:
    """An iterable dataset: the next ``batch_size`` samples of ``iter(dataset)`` (one sample
    when ``batch_size`` is None). Raises StopIteration when the stream is exhausted (or holds
    only a partial batch and ``drop_last`` is set)."""

    def __init__(self, dataset, batch_size: int | None, drop_last: bool, collate_fn) -> None:
        self.iterator = iter(dataset)
        self.batch_size, self.drop_last, self.collate_fn = batch_size, drop_last, collate_fn
        self.ended = False

    def fetch(self, _task=None):
        if self.ended:
            raise StopIteration
        if self.batch_size is None:
            return self.collate_fn(next(self.iterator))
        batch = []
        for sample in self.iterator:
            batch.append(sample)
            if len(batch) == self.batch_size:
                break
        else:
            self.ended = True
            if not batch or self.drop_last:
                raise StopIteration
        return self.collate_fn(batch)
