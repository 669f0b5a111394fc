"""The DataLoader's iterator over worker processes (PyTorch's ``_MultiProcessingDataLoaderIter``).

One process per worker, each with its own index pipe; one result queue they all write to. The
main process hands out at most ``prefetch_factor * num_workers`` tasks, round robin, and delivers
batches in the sampler's order. While it waits it watches the result queue *and* every worker's
sentinel (``multiprocessing.connection.wait``), so a worker that dies (killed by a signal, the
out-of-memory killer, ``os._exit``) is reported at once as a RuntimeError naming it, and the
other workers are shut down; ``timeout`` bounds each wait.
"""
from __future__ import annotations

import itertools
import signal
import time
from multiprocessing import connection

from .worker import ExceptionWrapper, IterableDatasetStopIteration, ResumeIteration, worker_loop

#: longest wait between liveness checks (a dead worker's sentinel wakes the wait sooner)
LIVENESS_INTERVAL = 5.0
#: how long idle workers get to exit after being told to, before they are terminated
SHUTDOWN_GRACE = 2.0


def _death_message(worker_id: int, num_workers: int, pid: int, exitcode: int | None) -> str:
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.strsignal(-exitcode) or signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        cause = f"is killed by signal: {name}."
        if -exitcode == signal.SIGKILL:
            cause += " (SIGKILL is what the out-of-memory killer sends)"
    else:
        cause = (f"exited unexpectedly with exit code {exitcode}. Details are lost due to "
                 f"multiprocessing. Rerunning with num_workers=0 may give better error trace.")
    return (f"DataLoader worker (pid {pid}) {cause} It was worker {worker_id} of {num_workers}; "
            f"the other workers have been shut down.")


class MultiProcessingDataLoaderIter:
    """Iterates ``loader`` with ``loader.num_workers`` worker processes."""

    def __init__(self, loader, base_seed: int) -> None:
        self._num_workers = loader.num_workers
        self._timeout = loader.timeout
        self._in_order = loader.in_order
        self._persistent = loader.persistent_workers
        self._iterable = loader._iterable
        self._prefetch = max(1, loader.prefetch_factor) * self._num_workers
        self._index_batches = loader._index_batches
        context = loader._resolved_context()
        config = {
            "dataset": loader.dataset, "iterable": self._iterable,
            "auto_collation": loader.batch_sampler is not None,
            "batch_size": loader.batch_size, "drop_last": loader.drop_last,
            "collate_fn": loader.collate_fn, "worker_init_fn": loader.worker_init_fn,
            "base_seed": base_seed, "num_workers": self._num_workers,
        }
        self._closed = False
        self._result_queue = context.SimpleQueue()
        self._workers, self._index_writers = [], []
        try:
            for worker_id in range(self._num_workers):
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(target=worker_loop, daemon=True,
                                          args=(config, worker_id, reader, self._result_queue))
                process.start()
                reader.close()  # the worker holds it now; a dead worker's pipe then reports EPIPE
                self._workers.append(process)
                self._index_writers.append(writer)
        except BaseException:
            self._shutdown(kill=True)
            raise
        self._sentinels = [process.sentinel for process in self._workers]
        self._start_epoch()

    # ----- epochs ---------------------------------------------------------------------------
    def _start_epoch(self) -> None:
        self._sampler_iter = self._index_batches()
        self._send_idx = self._rcvd_idx = 0
        self._task_info: dict[int, tuple] = {}
        self._active = [True] * self._num_workers
        self._worker_cycle = itertools.cycle(range(self._num_workers))
        for _ in range(self._prefetch):
            self._try_put_index()

    def _reset(self) -> None:
        """A new epoch on the same (persistent) workers."""
        for worker_id in range(self._num_workers):
            self._send(worker_id, ResumeIteration())
        # each worker answers in order, so the results of an interrupted epoch arrive (and are
        # dropped here) before its acknowledgement
        pending = self._num_workers
        while pending:
            task_id, _ = self._get_data()
            if isinstance(task_id, ResumeIteration):
                pending -= 1
        self._start_epoch()

    @property
    def closed(self) -> bool:
        return self._closed

    # ----- iteration --------------------------------------------------------------------------
    def __iter__(self):
        return self

    def __next__(self):
        while True:
            if self._closed:
                raise StopIteration
            while self._rcvd_idx < self._send_idx:
                info = self._task_info.get(self._rcvd_idx)
                if info is not None and (len(info) == 2 or self._active[info[0]]):
                    break
                # consumed out of order, or lost with a worker whose stream has ended
                self._task_info.pop(self._rcvd_idx, None)
                self._rcvd_idx += 1
            else:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            info = self._task_info[self._rcvd_idx]
            if len(info) == 2:
                del self._task_info[self._rcvd_idx]
                self._rcvd_idx += 1
                return self._process(info[1])
            task_id, data = self._get_data()
            if isinstance(data, IterableDatasetStopIteration):
                self._active[data.worker_id] = False
                self._try_put_index()
                continue
            if task_id != self._rcvd_idx:
                if self._in_order:
                    self._task_info[task_id] += (data,)
                    continue
                del self._task_info[task_id]
                return self._process(data)
            del self._task_info[task_id]
            self._rcvd_idx += 1
            return self._process(data)

    def _process(self, data):
        self._try_put_index()
        if isinstance(data, ExceptionWrapper):
            if data.fatal:
                self._shutdown(kill=True)
            data.reraise()
        return data

    def _try_put_index(self) -> None:
        if self._closed:
            return
        try:
            index = next(self._sampler_iter)
        except StopIteration:
            return
        for _ in range(self._num_workers):
            worker_id = next(self._worker_cycle)
            if self._active[worker_id]:
                break
        else:
            return
        self._send(worker_id, (self._send_idx, index))
        self._task_info[self._send_idx] = (worker_id,)
        self._send_idx += 1

    def _send(self, worker_id: int, message) -> None:
        try:
            self._index_writers[worker_id].send(message)
        except OSError:
            self._check_workers()  # a dead worker closed its pipe: report it
            raise

    # ----- waiting, with the watchdog ---------------------------------------------------------
    def _get_data(self):
        """The next ``(task_id, data)`` from any worker; raises if a worker died or the timeout
        passed."""
        timeout = self._timeout
        deadline = time.monotonic() + timeout if timeout > 0 else None
        reader = self._result_queue._reader
        while True:
            wait = LIVENESS_INTERVAL if deadline is None else min(LIVENESS_INTERVAL, deadline - time.monotonic())
            ready = connection.wait([reader] + self._sentinels, max(wait, 0.0))
            if len(ready) > (reader in ready) or not ready:
                self._check_workers()  # a death outranks data: it may have left a torn message
            if reader in ready:
                return self._receive()
            if deadline is not None and time.monotonic() >= deadline:
                self._shutdown(kill=True)
                raise RuntimeError(f"DataLoader timed out after {timeout} seconds")

    def _receive(self):
        try:
            return self._result_queue.get()
        except Exception as error:
            self._shutdown(kill=True)
            raise RuntimeError(f"DataLoader could not read a batch sent by a worker process: "
                               f"{type(error).__name__}: {error}") from error

    def _check_workers(self) -> None:
        for worker_id, process in enumerate(self._workers):
            if not process.is_alive():
                pid, exitcode = process.pid, process.exitcode
                self._shutdown(kill=True)
                raise RuntimeError(_death_message(worker_id, self._num_workers, pid, exitcode))

    # ----- shutdown ---------------------------------------------------------------------------
    def _shutdown(self, kill: bool = False) -> None:
        """Stop every worker and release the queues. ``kill``: after a failure, terminate them
        at once instead of letting them finish their current batch."""
        if self._closed:
            return
        self._closed = True
        for writer in self._index_writers:
            try:
                writer.send(None)
            except OSError:
                pass
        if not kill:
            self._let_workers_exit()
        for process in self._workers:
            if process.is_alive():
                process.terminate()
        for process in self._workers:
            process.join(timeout=SHUTDOWN_GRACE)
            if process.is_alive():
                process.kill()
                process.join()
        for writer in self._index_writers:
            writer.close()
        self._result_queue.close()

    def _let_workers_exit(self) -> None:
        """Wait a little for workers to exit, reading (and dropping) results nobody will use:
        a worker blocked writing one would never see its stop message."""
        reader = self._result_queue._reader
        deadline = time.monotonic() + SHUTDOWN_GRACE
        while any(process.is_alive() for process in self._workers):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            alive = {p.sentinel: p for p in self._workers if p.is_alive()}
            ready = connection.wait([reader, *alive], remaining)
            if reader in ready:
                reader.recv_bytes()
            for sentinel in ready:
                if sentinel in alive:
                    # the worker is exiting (its sentinel closes before it can be reaped): wait for
                    # it rather than poll its sentinel again and again
                    alive[sentinel].join(max(0.0, deadline - time.monotonic()))

    def __del__(self) -> None:
        try:
            self._shutdown()
        except Exception:  # interpreter shutdown: the daemonic workers are reaped by multiprocessing
            pass
