"""Fetchers: turn one task (a batch of indices, or "the next batch" of a stream) into a batch.

The same fetchers run in the main process (``num_workers=0``) and in every worker process.
"""
from __future__ import annotations

from ...api.ops.indexing import take_rows


class MapFetcher:
    """A map-style dataset: ``collate_fn([dataset[i] for i in indices])`` (``__getitems__`` is
    used when the dataset defines it, as in PyTorch)."""

    def __init__(self, dataset, auto_collation: bool, collate_fn) -> None:
        from .collate import default_collate
        from .dataset import TensorDataset
        self.dataset, self.auto_collation, self.collate_fn = dataset, auto_collation, collate_fn
        self._whole_batches = (type(dataset) is TensorDataset and collate_fn is default_collate
                               and not any(t.requires_grad for t in dataset.tensors))

    def fetch(self, index):
        if not self.auto_collation:
            return self.collate_fn(self.dataset[index])
        if self._whole_batches and index.__class__ is list and index and \
                0 <= min(index) and max(index) < len(self.dataset):
            # default_collate([dataset[i] for i in index]) of a TensorDataset is every tensor's
            # rows at the batch's indices: one gather per tensor instead of a view per sample and
            # a stack (the same values, dtypes, devices and memory layout)
            return take_rows(self.dataset.tensors, index)
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
