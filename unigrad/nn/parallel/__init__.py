"""Data parallelism: ``DataParallel`` (several devices, one process) and
``DistributedDataParallel`` (several processes, ``unigrad.distributed``)."""
from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
