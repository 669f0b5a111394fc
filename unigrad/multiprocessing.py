"""``torch.multiprocessing``: Python's multiprocessing under PyTorch's module name. Tensors moved
with ``share_memory_()`` (or ``Module.share_memory()``) before a fork are shared with the forked
children (Hogwild training); with the ``spawn`` start method tensors travel by value."""
from __future__ import annotations

import multiprocessing as _mp
from multiprocessing import *  # noqa: F401,F403

__all__ = list(getattr(_mp, "__all__", [])) + ["spawn"]


def spawn(fn, args=(), nprocs: int = 1, join: bool = True, daemon: bool = False, start_method: str = "spawn"):
    """Run ``fn(i, *args)`` in ``nprocs`` processes; wait for them when ``join`` (raising if one
    failed), else return the processes."""
    context = _mp.get_context(start_method)
    processes = [context.Process(target=fn, args=(i, *args), daemon=daemon) for i in range(nprocs)]
    for process in processes:
        process.start()
    if not join:
        return processes
    for process in processes:
        process.join()
    failed = [(i, p.exitcode) for i, p in enumerate(processes) if p.exitcode != 0]
    if failed:
        raise RuntimeError(f"process {failed[0][0]} terminated with exit code {failed[0][1]}")
    return None
