"""The MPI transport: collectives on host (NumPy) buffers through mpi4py, with deadlines.

Every collective is started non-blocking and driven to completion by a background progress
thread (MPI advances non-blocking collectives only inside MPI calls, so without it a reduction
started during backward would wait for the next MPI call); the caller waits until it completes or
the group's timeout passes, so a peer that died or stopped calling collectives surfaces as
``DistributedError`` instead of a hang. 16-bit floats have no MPI reduction type: they are
reduced in float32 (copies and gathers move their bits as uint16).
"""
from __future__ import annotations

import threading
import time

import numpy as np

from ..api import dtypes

_BFLOAT16 = dtypes.bfloat16.numpy
_SIXTEEN_BIT = (np.dtype(np.float16), _BFLOAT16)


class DistributedError(RuntimeError):
    """A collective failed or timed out (a peer rank died, raised, or diverged)."""


class _Pending:
    """Requests of one collective and the event the progress thread sets when they are done."""

    __slots__ = ("requests", "done")

    def __init__(self, requests) -> None:
        self.requests = requests
        self.done = threading.Event()


class _ProgressThread:
    """Tests outstanding requests every few microseconds while there are any; sleeps otherwise."""

    def __init__(self, Request) -> None:
        self._Request = Request
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._pending: list = []
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="unigrad-mpi-progress", daemon=True)
        self._thread.start()

    def submit(self, pending: _Pending) -> None:
        with self._lock:
            self._pending.append(pending)
        self._wake.set()

    def close(self) -> None:
        self._stop = True
        self._wake.set()
        self._thread.join(timeout=1.0)

    def _run(self) -> None:
        Testall = self._Request.Testall
        while not self._stop:
            with self._lock:
                batch = list(self._pending)
            if not batch:
                self._wake.wait(0.1)
                self._wake.clear()
                continue
            finished = [item for item in batch if Testall(item.requests)]
            if finished:
                with self._lock:
                    self._pending = [item for item in self._pending if item not in finished]
                for item in finished:
                    item.done.set()
            else:
                time.sleep(2e-5)


def _mpi():
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise RuntimeError("the mpi process group needs mpi4py and an MPI library: "
                           "pip install 'unigrad[distributed]'") from error
    return MPI


class MPITransport:
    """Collectives over ``MPI.COMM_WORLD`` on contiguous NumPy arrays."""

    name = "mpi"

    def __init__(self, timeout: float) -> None:
        self.MPI = _mpi()
        self.comm = self.MPI.COMM_WORLD
        self.rank = self.comm.Get_rank()
        self.world_size = self.comm.Get_size()
        self.timeout = timeout
        self._ops = {"sum": self.MPI.SUM, "max": self.MPI.MAX, "min": self.MPI.MIN}
        self._logical = {"sum": self.MPI.LOR, "max": self.MPI.LOR, "min": self.MPI.LAND}
        # a progress thread needs an MPI that allows calls from several threads at once
        threaded = self.MPI.Query_thread() >= self.MPI.THREAD_MULTIPLE
        self._progress = _ProgressThread(self.MPI.Request) if threaded else None

    def _issue(self, requests) -> _Pending:
        pending = _Pending(requests)
        if self._progress is not None:
            self._progress.submit(pending)
        return pending

    def direct(self, tensor) -> bool:
        """Whether ``tensor`` is reduced on its device (never: MPI stages through the host)."""
        return False

    # ----- completion with a deadline ----------------------------------------------------------
    def wait(self, pendings, what: str) -> None:
        """Wait for started collectives until the group's timeout."""
        deadline = time.monotonic() + self.timeout
        for pending in pendings:
            if self._progress is not None:
                finished = pending.done.wait(max(0.0, deadline - time.monotonic()))
            else:
                finished = self._poll(pending.requests, deadline)
            if not finished:
                raise DistributedError(
                    f"rank {self.rank}/{self.world_size}: {what} did not complete within {self.timeout:g} s; "
                    f"a peer rank may have died, raised, or stopped calling the same collectives "
                    f"(set the limit with init_process_group(timeout=...))")

    def _poll(self, requests, deadline: float) -> bool:
        pause = 0.0
        while not self.MPI.Request.Testall(requests):
            if time.monotonic() > deadline:
                return False
            if pause:
                time.sleep(pause)
            pause = min(max(pause * 2, 1e-6), 1e-4)  # MPI progresses only inside Testall: poll often
        return True

    # ----- collectives on host arrays -----------------------------------------------------------
    def start_all_reduce(self, array: np.ndarray, op: str):
        """Start reducing ``array`` (contiguous, written in place); returns ``(requests, finish)``
        where ``finish()`` completes the result after the requests are done."""
        if array.dtype in _SIXTEEN_BIT:
            work = array.astype(np.float32)
            requests, finish_work = self.start_all_reduce(work, op)

            def finish():
                finish_work()
                array[...] = work.astype(array.dtype)
            return requests, finish
        mpi_op = (self._logical if array.dtype == np.bool_ else self._ops)[op]
        return [self._issue([self.comm.Iallreduce(self.MPI.IN_PLACE, array, op=mpi_op)])], (lambda: None)

    def all_reduce(self, array: np.ndarray, op: str) -> None:
        requests, finish = self.start_all_reduce(array, op)
        self.wait(requests, f"all_reduce({op}) of {array.size} {array.dtype} elements")
        finish()

    def broadcast(self, array: np.ndarray, src: int) -> None:
        bits = array.view(np.uint16) if array.dtype in _SIXTEEN_BIT else array
        self.wait([self._issue([self.comm.Ibcast(bits, root=src)])], f"broadcast from rank {src}")

    def all_gather(self, array: np.ndarray) -> np.ndarray:
        """``(world_size, *array.shape)``: every rank's array."""
        bits = array.view(np.uint16) if array.dtype in _SIXTEEN_BIT else array
        out = np.empty((self.world_size,) + bits.shape, bits.dtype)
        self.wait([self._issue([self.comm.Iallgather(bits, out)])], f"all_gather of {array.size} elements")
        return out.view(array.dtype) if bits is not array else out

    def barrier(self) -> None:
        self.wait([self._issue([self.comm.Ibarrier()])], "barrier")

    def all_gather_strings(self, text: str) -> list:
        """Every rank's string (lengths first, then the UTF-8 bytes; nothing is unpickled)."""
        data = np.frombuffer(text.encode("utf-8"), np.uint8)
        lengths = self.all_gather(np.array([data.size], np.int64))[:, 0]
        padded = np.zeros(int(lengths.max()) if lengths.size else 0, np.uint8)
        padded[:data.size] = data
        gathered = self.all_gather(padded)
        return [bytes(row[:n]).decode("utf-8") for row, n in zip(gathered, lengths)]

    def abort(self, code: int = 1) -> None:
        self.comm.Abort(code)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.close()
            self._progress = None
