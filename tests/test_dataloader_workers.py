"""DataLoader worker processes: failure modes (a killed worker, a failing worker_init_fn, timeouts,
exceptions of every kind), clean shutdown, and the options (persistent workers, prefetching,
ordering, start methods, seeding, IterableDataset sharding), compared with PyTorch where it helps."""
import contextlib
import functools
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import torch

import unigrad
from unigrad.utils.data import DataLoader, Dataset, IterableDataset, get_worker_info

HANG_GUARD = 60  # seconds: a hang becomes a test failure instead of a stuck suite


@contextlib.contextmanager
def no_hang(seconds=HANG_GUARD):
    def fail(*_):
        raise AssertionError(f"the DataLoader hung for {seconds} s")
    previous = signal.signal(signal.SIGALRM, fail)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def gone(pid: int) -> bool:
    """No such process, or only a zombie waiting for a parent that is not us."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


class Numbers(Dataset):
    """``i`` -> ``i``; ``action`` runs for one index inside the worker."""

    def __init__(self, n=8, bad=None, action=None):
        self.n, self.bad, self.action = n, bad, action

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.bad:
            self.action(i)
        return i


def _sigkill(i):
    os.kill(os.getpid(), signal.SIGKILL)


def _exit_3(i):
    os._exit(3)


def _sleep_long(i):
    time.sleep(30)


def _value_error(i):
    raise ValueError(f"bad sample {i}")


def _key_error(i):
    raise KeyError("missing key 'label'")


class TwoArgumentError(Exception):
    def __init__(self, code, detail):
        super().__init__(code, detail)


def _two_argument_error(i):
    raise TwoArgumentError(7, "needs two arguments")


def _local_class_error(i):
    class LocalError(Exception):
        pass
    raise LocalError("defined inside a function")


def _worker_pids(iterator):
    return [process.pid for process in iterator._workers]


def test_killed_worker_raises_promptly_naming_pid_and_signal_and_stops_the_others():
    loader = DataLoader(Numbers(bad=3, action=_sigkill), batch_size=1, num_workers=2)
    with no_hang():
        iterator = iter(loader)
        pids = _worker_pids(iterator)
        with pytest.raises(RuntimeError, match=r"DataLoader worker \(pid (\d+)\) is killed by signal: Killed") as caught:
            for _ in iterator:
                pass
    killed = int(caught.value.args[0].split("pid ")[1].split(")")[0])
    assert killed in pids and "worker 1 of 2" in str(caught.value)
    assert all(gone(pid) for pid in pids)
    assert next(iterator, "ended") == "ended"


def test_worker_exiting_with_a_code_is_reported():
    loader = DataLoader(Numbers(bad=0, action=_exit_3), batch_size=2, num_workers=2)
    with no_hang(), pytest.raises(RuntimeError, match=r"DataLoader worker \(pid \d+\) exited unexpectedly with exit code 3"):
        list(loader)


def _failing_init(counter, worker_id):
    with counter.get_lock():
        counter.value += 1
    if worker_id == 0:
        raise RuntimeError("cannot open the shard")


def test_failing_worker_init_fn_raises_in_main_without_respawning():
    counter = multiprocessing.get_context("fork").Value("i", 0)
    loader = DataLoader(Numbers(), batch_size=2, num_workers=2,
                        worker_init_fn=functools.partial(_failing_init, counter))
    with no_hang():
        iterator = iter(loader)
        pids = _worker_pids(iterator)
        with pytest.raises(RuntimeError) as caught:
            list(iterator)
    message = str(caught.value)
    assert message.startswith("Caught RuntimeError in DataLoader worker process 0.\nOriginal Traceback")
    assert "cannot open the shard" in message and "_failing_init" in message
    assert counter.value in (1, 2)  # at most one call per worker: no pool respawning failed workers
    assert all(gone(pid) for pid in pids)


def test_timeout_bounds_the_wait_and_is_validated():
    loader = DataLoader(Numbers(bad=0, action=_sleep_long), batch_size=1, num_workers=1, timeout=1)
    with no_hang():
        iterator = iter(loader)
        pids = _worker_pids(iterator)
        with pytest.raises(RuntimeError, match=r"^DataLoader timed out after 1 seconds$"):
            next(iterator)
    assert all(gone(pid) for pid in pids)
    with pytest.raises(ValueError, match="timeout option should be non-negative"):
        DataLoader(Numbers(), timeout=-1)
    with pytest.raises(AssertionError, match="timeout"):
        iter(DataLoader(Numbers(), timeout=2))  # PyTorch: a timeout needs workers


@pytest.mark.parametrize("action, kind, text", [
    (_value_error, ValueError, "bad sample 5"),
    (_key_error, KeyError, "missing key 'label'"),
    (_two_argument_error, RuntimeError, "Caught TwoArgumentError"),
    (_local_class_error, RuntimeError, "LocalError"),
])
def test_worker_exception_keeps_its_type_and_traceback(action, kind, text):
    loader = DataLoader(Numbers(bad=5, action=action), batch_size=2, num_workers=2)
    with no_hang(), pytest.raises(kind) as caught:
        list(loader)
    message = caught.value.args[0]
    assert text in message and "in DataLoader worker process 0" in message
    assert "Original Traceback (most recent call last)" in message and "__getitem__" in message


def test_batches_after_a_worker_exception_still_arrive_in_order():
    loader = DataLoader(Numbers(bad=1, action=_value_error), batch_size=1, num_workers=2)
    with no_hang():
        iterator = iter(loader)
        assert next(iterator).tolist() == [0]
        with pytest.raises(ValueError):
            next(iterator)
        assert [b.item() for b in iterator] == [2, 3, 4, 5, 6, 7]  # as PyTorch: iteration may go on


def _unpicklable_collate(batch):
    return lambda: batch


def test_unpicklable_batch_arrives_as_a_clear_error():
    loader = DataLoader(Numbers(), batch_size=2, num_workers=1, collate_fn=_unpicklable_collate)
    with no_hang(), pytest.raises(RuntimeError, match="could not be sent to the main process"):
        list(loader)


class Slow(Dataset):
    """Early indices take longest, so workers finish out of order."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        time.sleep(0.02 * (6 - i))
        return i


def test_in_order_delivery_and_in_order_false():
    with no_hang():
        ordered = [b.tolist() for b in DataLoader(Slow(), batch_size=1, num_workers=3)]
        assert ordered == [[i] for i in range(6)]
        anyhow = [b.item() for b in DataLoader(Slow(), batch_size=1, num_workers=3, in_order=False)]
    assert sorted(anyhow) == list(range(6))


class Pids(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        return (i, os.getpid())


def test_persistent_workers_survive_epochs_and_drop_stale_batches():
    loader = DataLoader(Pids(), batch_size=2, num_workers=2, persistent_workers=True)
    with no_hang():
        first = list(loader)
        pids = {pid for batch in first for pid in batch[1].tolist()}
        partial = iter(loader)
        next(partial)  # an interrupted epoch leaves prefetched batches behind
        second = list(loader)
    assert [b[0].tolist() for b in second] == [[0, 1], [2, 3], [4, 5]]
    assert {pid for batch in second for pid in batch[1].tolist()} == pids
    assert loader._iterator is partial and not partial.closed
    partial._shutdown()
    assert all(gone(pid) for pid in pids)
    with pytest.raises(ValueError, match="persistent_workers option needs num_workers > 0"):
        DataLoader(Pids(), persistent_workers=True)


def test_prefetch_factor_pin_memory_and_frozen_attributes():
    assert DataLoader(Numbers()).prefetch_factor is None
    assert DataLoader(Numbers(), num_workers=2).prefetch_factor == 2
    with pytest.raises(ValueError, match="prefetch_factor option could only be specified in multiprocessing"):
        DataLoader(Numbers(), prefetch_factor=2)
    with pytest.raises(ValueError, match="prefetch_factor option should be non-negative"):
        DataLoader(Numbers(), num_workers=1, prefetch_factor=-1)
    with no_hang():
        out = list(DataLoader(Numbers(), batch_size=3, num_workers=2, prefetch_factor=1, pin_memory=True))
    assert [b.tolist() for b in out] == [[0, 1, 2], [3, 4, 5], [6, 7]]
    loader = DataLoader(Numbers(), batch_size=3)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after DataLoader is initialized"):
        loader.batch_size = 4


def test_multiprocessing_context_values():
    with no_hang():
        spawned = list(DataLoader(Numbers(4), batch_size=2, num_workers=1, multiprocessing_context="spawn"))
        forked = list(DataLoader(Numbers(4), batch_size=2, num_workers=1,
                                 multiprocessing_context=multiprocessing.get_context("fork")))
    assert [b.tolist() for b in spawned] == [b.tolist() for b in forked] == [[0, 1], [2, 3]]
    with pytest.raises(ValueError, match="should specify a valid start method"):
        DataLoader(Numbers(), num_workers=1, multiprocessing_context="bogus")
    with pytest.raises(TypeError, match="should be a valid context object"):
        DataLoader(Numbers(), num_workers=1, multiprocessing_context=3)
    with pytest.raises(ValueError, match=r"multi-process loading \(num_workers > 0\)"):
        DataLoader(Numbers(), multiprocessing_context="spawn")


class Seeds(Dataset):
    """What a worker sees: its info, its unigrad seed, and a draw from Python's and NumPy's
    generators."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        info = get_worker_info()
        import random
        return {"id": info.id, "num_workers": info.num_workers, "seed": info.seed,
                "unigrad_seed": unigrad.initial_seed(), "same_dataset": info.dataset is self,
                "python": random.random(), "numpy": float(np.random.random())}


def _record_init(worker_id):
    assert get_worker_info().id == worker_id


def test_worker_info_and_seeds_follow_pytorch():
    from torch.utils.data._utils.worker import _generate_state
    from unigrad.utils.data.worker import _numpy_seed_state
    for base, worker in [(0, 0), (12345678901234, 3), (2 ** 62 - 1, 7)]:
        assert _numpy_seed_state(base, worker) == _generate_state(base, worker)
    assert get_worker_info() is None
    generator = unigrad.Generator().manual_seed(3)
    with no_hang():
        rows = [row for batch in DataLoader(Seeds(), batch_size=None, num_workers=2, generator=generator,
                                            worker_init_fn=_record_init) for row in [batch]]
    by_worker = {row["id"]: row for row in rows}
    assert set(by_worker) == {0, 1} and all(row["num_workers"] == 2 and row["same_dataset"] for row in rows)
    assert by_worker[1]["seed"] == by_worker[0]["seed"] + 1  # base seed + worker id
    assert all(row["unigrad_seed"] == row["seed"] for row in rows)
    assert by_worker[0]["numpy"] != by_worker[1]["numpy"] and by_worker[0]["python"] != by_worker[1]["python"]
    generator.manual_seed(3)
    again = list(DataLoader(Seeds(), batch_size=None, num_workers=2, generator=generator))
    assert [row["seed"] for row in again] == [row["seed"] for row in rows]


class ShardedStream(IterableDataset):
    def __init__(self, start, end, shard=True):
        self.start, self.end, self.shard = start, end, shard

    def __iter__(self):
        info = get_worker_info()
        if not self.shard or info is None:
            return iter(range(self.start, self.end))
        return iter(range(self.start + info.id, self.end, info.num_workers))


class TorchShardedStream(torch.utils.data.IterableDataset):
    def __init__(self, start, end, shard=True):
        self.start, self.end, self.shard = start, end, shard

    def __iter__(self):
        info = torch.utils.data.get_worker_info()
        if not self.shard or info is None:
            return iter(range(self.start, self.end))
        return iter(range(self.start + info.id, self.end, info.num_workers))


@pytest.mark.parametrize("shard, batch_size, drop_last", [(True, 2, False), (True, None, False), (False, 3, True)])
def test_iterable_dataset_with_workers_matches_pytorch(shard, batch_size, drop_last):
    kwargs = dict(batch_size=batch_size, drop_last=drop_last, num_workers=2)
    with no_hang():
        ours = [getattr(b, "tolist", lambda: b)() for b in DataLoader(ShardedStream(3, 10, shard), **kwargs)]
    theirs = [getattr(b, "tolist", lambda: b)()
              for b in torch.utils.data.DataLoader(TorchShardedStream(3, 10, shard), **kwargs)]
    assert ours == theirs


def test_iterable_dataset_with_persistent_workers_restarts_each_epoch():
    loader = DataLoader(ShardedStream(0, 5), batch_size=2, num_workers=2, persistent_workers=True)
    with no_hang():
        epochs = [[b.tolist() for b in loader] for _ in range(2)]
    assert epochs[0] == epochs[1] and sorted(sum(epochs[0], [])) == list(range(5))
    loader._iterator._shutdown()


class OpenCLData(Dataset):
    def __init__(self):
        self.data = unigrad.arange(4.0, device="opencl")

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return self.data[i] * 2


@pytest.mark.skipif("opencl" not in unigrad.backends.available(), reason="opencl unavailable")
def test_opencl_tensors_are_refused_in_forked_workers():
    loader = DataLoader(OpenCLData(), batch_size=2, num_workers=1, multiprocessing_context="fork")
    with no_hang(), pytest.raises(RuntimeError, match="cannot be used in a forked subprocess"):
        list(loader)


ORPHAN_SCRIPT = textwrap.dedent("""
    import os, signal, sys, time
    sys.path[:0] = {path!r}
    from unigrad.utils.data import DataLoader, Dataset

    class Sleepy(Dataset):
        def __len__(self):
            return 100
        def __getitem__(self, i):
            time.sleep(0.05)
            return i

    iterator = iter(DataLoader(Sleepy(), num_workers=2))
    next(iterator)
    print(" ".join(str(p.pid) for p in iterator._workers), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_workers_exit_when_the_main_process_is_killed():
    script = ORPHAN_SCRIPT.format(path=sys.path)
    with no_hang():
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
        pids = [int(p) for p in done.stdout.split()]
        assert len(pids) == 2, done.stderr
        while not all(gone(pid) for pid in pids):  # orphans notice within about a second
            time.sleep(0.1)


def test_shutdown_waits_for_exiting_workers_instead_of_polling_their_sentinels(monkeypatch):
    """A worker's sentinel closes a moment before the worker can be reaped: shutdown joins it
    then. Polling the ready sentinel again instead spun until the grace period ran out (2 s at
    the end of every epoch on a loaded machine); the number of waits shows which happened."""
    from unigrad.utils.data import worker_pool
    waits = []
    original = worker_pool.connection.wait

    def counted(objects, timeout=None):
        waits.append(len(objects))
        return original(objects, timeout)

    monkeypatch.setattr(worker_pool.connection, "wait", counted)
    real = worker_pool.MultiProcessingDataLoaderIter._let_workers_exit
    per_shutdown = []

    def measured(self):
        before = len(waits)
        real(self)
        per_shutdown.append(len(waits) - before)

    monkeypatch.setattr(worker_pool.MultiProcessingDataLoaderIter, "_let_workers_exit", measured)
    with no_hang():
        for _ in range(6):
            assert [b.tolist() for b in DataLoader(Numbers(16), batch_size=2, num_workers=4)] == [[i, i + 1] for i in range(0, 16, 2)]
    assert len(per_shutdown) == 6
    # a wait returns when a result arrives or a worker exits, and an exiting worker is reaped
    # right then: a few waits per worker at most (polling made hundreds)
    assert max(per_shutdown) <= 2 * 4 + 2, per_shutdown
