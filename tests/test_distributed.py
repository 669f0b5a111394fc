"""Data parallelism, for real: scripts under ``tests/distributed/`` run as 2 MPI ranks through
``unigrad run -n 2`` (DDP vs single-process training, collectives on every dtype, failures), and
DataParallel on two PoCL devices; DistributedSampler's partitions in-process."""
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import unigrad
from unigrad.utils.data import DistributedSampler

SCRIPTS = Path(__file__).parent / "distributed"


def _launcher_or_skip():
    pytest.importorskip("mpi4py", reason="pip install 'unigrad[distributed]'")
    from unigrad.distributed.launch import find_mpiexec
    try:
        find_mpiexec()
    except RuntimeError as error:
        pytest.skip(str(error))


def run_ranks(script: str, *args, n: int = 2, timeout: float = 240, env=None):
    _launcher_or_skip()
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "unigrad", "run", "-n", str(n), str(SCRIPTS / script), *args],
                            capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})
    return result, time.monotonic() - started


def _needs_opencl():
    if "opencl" not in unigrad.backends.available():
        pytest.skip("no OpenCL device")


def run_on(device: str, script: str):
    """``script`` on 2 ranks with ``device`` as its argument; must succeed."""
    if device == "opencl":
        _needs_opencl()
    result, _ = run_ranks(script, device)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.mark.parametrize("device", ["cpu", "opencl"])
def test_ddp_on_two_ranks_equals_single_process_training(device):
    result = run_on(device, "ddp_worker.py")
    for rank in (0, 1):
        for case in ("mlp SGD", "mlp Adam", "cnn SGD", "cnn Adam", "mlp-direct SGD", "mlp-direct Adam"):
            assert f"rank {rank}: {case} DDP == single process after 20 steps" in result.stdout


@pytest.mark.parametrize("device", ["cpu", "opencl"])
def test_collectives_every_dtype_noncontiguous_and_ddp_rules(device):
    result = run_on(device, "collectives_worker.py")
    assert result.stdout.count(f"collectives on {device} ok") == 2


@pytest.mark.parametrize("mode, message", [
    ("kill", "Killed (signal 9)"),
    ("raise", "unigrad run: rank 1 of 2 raised; stopping every rank"),
    ("leave", "did not complete within 3 s; a peer rank may have died"),
])
def test_a_failing_rank_stops_the_others_with_a_message(mode, message):
    # a hang would exceed run_ranks's timeout (TimeoutExpired); no wall-clock bound is asserted,
    # since a loaded machine may take long to start the ranks
    result, _ = run_ranks("failure_worker.py", mode, "3", timeout=240)
    output = result.stdout + result.stderr
    assert result.returncode != 0 and message in output, output
    assert "finished all steps" not in output


def test_data_parallel_on_two_opencl_devices():
    _needs_opencl()
    result = subprocess.run([sys.executable, str(SCRIPTS / "data_parallel_worker.py")], capture_output=True,
                            text=True, timeout=240, env={**os.environ, "POCL_DEVICES": "pthread pthread"})
    if result.returncode != 0 and "device_count() >= 2" in result.stderr:
        pytest.skip("the OpenCL platform ignores POCL_DEVICES")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DataParallel over ['opencl:0', 'opencl:1'] == one device" in result.stdout


def test_launcher_reports_bad_requests(capsys):
    from unigrad import cli
    _launcher_or_skip()
    assert cli.main(["run", "-n", "2", "no_such_script.py"]) == 2
    assert "no such script" in capsys.readouterr().err
    assert cli.main(["run", "-n", "0", str(SCRIPTS / "ddp_worker.py")]) == 2
    assert "-n must be at least 1" in capsys.readouterr().err


def test_collectives_need_an_initialized_group():
    assert not unigrad.distributed.is_initialized()
    with pytest.raises(RuntimeError, match="Default process group has not been initialized"):
        unigrad.distributed.all_reduce(unigrad.ones(2))
    with pytest.raises(RuntimeError, match="Default process group has not been initialized"):
        unigrad.nn.parallel.DistributedDataParallel(unigrad.nn.Linear(2, 2))
    with pytest.raises(ValueError, match=r"unknown distributed backend 'gloo'.*'nccl' \(cuda\)"):
        unigrad.distributed.init_process_group("gloo")


@pytest.mark.parametrize("n", [1, 7, 10, 11, 12])
@pytest.mark.parametrize("world", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_distributed_sampler_partitions_like_torch(n, world, drop_last):
    from torch.utils.data import DistributedSampler as TorchSampler
    data = list(range(n))
    shards = [list(DistributedSampler(data, world, r, shuffle=False, drop_last=drop_last)) for r in range(world)]
    expected = [list(TorchSampler(data, world, r, shuffle=False, drop_last=drop_last)) for r in range(world)]
    assert shards == expected
    for epoch in (0, 1):
        samplers = [DistributedSampler(data, world, r, shuffle=True, seed=5, drop_last=drop_last) for r in range(world)]
        for s in samplers:
            s.set_epoch(epoch)
        shards = [list(s) for s in samplers]
        assert all(len(s) == len(samplers[0]) == samplers[0].num_samples for s in shards)
        covered = [i for shard in shards for i in shard]
        if drop_last:  # each index at most once, all but the n % world dropped ones
            assert len(set(covered)) == len(covered) == n - n % world
        else:  # each index at least once, the padding repeats the first ones
            assert set(covered) == set(data) and len(covered) == world * -(-n // world)
    a = [list(DistributedSampler(data, world, 0, seed=5)) for _ in range(2)]
    assert a[0] == a[1]  # the same order on every rank and run for one epoch


def test_distributed_sampler_reshuffles_per_epoch():
    sampler = DistributedSampler(list(range(100)), 2, 1, seed=0)
    first = list(sampler)
    sampler.set_epoch(1)
    second = list(sampler)
    assert second != first and len(second) == len(first) == 50
    with pytest.raises(ValueError, match="Invalid rank 2"):
        DistributedSampler(list(range(4)), 2, 2)
    with pytest.raises(RuntimeError, match="needs num_replicas and rank, or an initialized process group"):
        DistributedSampler(list(range(4)))
