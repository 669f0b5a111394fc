"""Samplers: which indices a DataLoader visits, and in what order."""
from __future__ import annotations

from ...api import creation


class Sampler:
    def __iter__(self):
        raise NotImplementedError


class SequentialSampler(Sampler):
    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation each epoch, drawn from unigrad's stream (or ``generator``)."""

    def __init__(self, data_source, replacement: bool = False, num_samples=None, generator=None) -> None:
        self.data_source, self.replacement, self.generator = data_source, replacement, generator
        self._num_samples = num_samples

    @property
    def num_samples(self) -> int:
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        # lazily, in chunks as PyTorch draws them: num_samples may be huge (minGPT asks for 1e10)
        n = len(self.data_source)
        if n == 0:
            return
        if self.replacement:
            for _ in range(self.num_samples // 32):
                yield from creation.randint(0, n, (32,), generator=self.generator).tolist()
            yield from creation.randint(0, n, (self.num_samples % 32,), generator=self.generator).tolist()
            return
        for _ in range(self.num_samples // n):
            yield from creation.randperm(n, generator=self.generator).tolist()
        yield from creation.randperm(n, generator=self.generator).tolist()[:self.num_samples % n]

    def __len__(self) -> int:
        return self.num_samples


class SubsetRandomSampler(Sampler):
    def __init__(self, indices, generator=None) -> None:
        self.indices, self.generator = list(indices), generator

    def __iter__(self):
        return (self.indices[i] for i in creation.randperm(len(self.indices), generator=self.generator).tolist())

    def __len__(self) -> int:
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    def __init__(self, weights, num_samples: int, replacement: bool = True, generator=None) -> None:
        self.weights = [float(w) for w in weights]
        self.num_samples, self.replacement, self.generator = num_samples, replacement, generator

    def __iter__(self):
        import numpy as np
        probs = np.asarray(self.weights, dtype=np.float64)
        probs = probs / probs.sum()
        uniforms = creation.rand(self.num_samples, dtype=None, generator=self.generator).numpy()
        cumulative = np.cumsum(probs)
        return iter(np.minimum(np.searchsorted(cumulative, uniforms, side="right"), len(probs) - 1).tolist())

    def __len__(self) -> int:
        return self.num_samples


class BatchSampler(Sampler):
    """Group a sampler's indices into lists of ``batch_size``."""

    def __init__(self, sampler, batch_size: int, drop_last: bool) -> None:
        if not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
