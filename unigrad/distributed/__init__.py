"""Data-parallel training across processes (``torch.distributed``): a process group over MPI
(every backend, host staging) or NCCL (CUDA), collectives on tensors, and ``unigrad run -n N``.

See ``unigrad.nn.parallel.DistributedDataParallel`` and ``unigrad.utils.data.DistributedSampler``.
"""
from .process_group import (
    DistributedError, ReduceOp, all_gather, all_reduce, barrier, broadcast, destroy_process_group,
    get_backend, get_rank, get_world_size, init_process_group, is_available, is_initialized,
    reduce_scatter,
)

__all__ = ["DistributedError", "ReduceOp", "all_gather", "all_reduce", "barrier", "broadcast",
           "destroy_process_group", "get_backend", "get_rank", "get_world_size", "init_process_group",
           "is_available", "is_initialized", "reduce_scatter"]
