"""``DistributedSampler``: each rank iterates its own 1/world share of a dataset's indices."""
from __future__ import annotations

import math

from ...api import creation
from ...api.ops.random import Generator
from .sampler import Sampler


class DistributedSampler(Sampler):
    """Indices ``rank, rank + world, rank + 2 world, ...`` of the (shuffled) index list, as
    PyTorch's: with ``shuffle`` the order is a permutation seeded by ``seed + epoch`` (call
    ``set_epoch`` every epoch), the same on every rank; without ``drop_last`` the list is padded
    by repeating its start so every rank gets ``ceil(n / world)`` indices, with it the tail is
    dropped so every rank gets ``floor(n / world)``. Together the ranks cover each index once per
    epoch (plus the padding)."""

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from ... import distributed as dist
            if not dist.is_initialized():
                raise RuntimeError("DistributedSampler needs num_replicas and rank, or an initialized "
                                   "process group (unigrad.distributed.init_process_group)")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        n = len(self.dataset)
        if self.shuffle:
            generator = Generator()
            generator.manual_seed(self.seed + self.epoch)
            indices = creation.randperm(n, generator=generator).tolist()
        else:
            indices = list(range(n))
        if not self.drop_last:
            padding = self.total_size - len(indices)
            if padding <= len(indices):
                indices += indices[:padding]
            else:
                indices += (indices * math.ceil(padding / len(indices)))[:padding]
        else:
            indices = indices[:self.total_size]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use a new shuffle order this epoch (the same on every rank)."""
        self.epoch = epoch
