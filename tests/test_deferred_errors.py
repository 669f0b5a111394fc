"""Deferred device errors (OpenCL): an out-of-range index or an integer division by zero found by a
kernel is raised by the next synchronising call of the thread that launched it, never in another
thread; in-place ops may have written their in-range elements (as PyTorch on CUDA), never outside
the destination. On the cpu the same calls raise at once and leave the destination unchanged."""
import threading

import pytest

import unigrad
from unigrad.backends.deferred_errors import DeferredIndexError

from parity import skip_unless_available

opencl = skip_unless_available("opencl")


def _outcome(fn):
    """What ``fn()`` returned, or the exception it raised."""
    try:
        return fn()
    except BaseException as error:  # handed back to the test's thread
        return error


def _in_thread(fn):
    """Run ``fn`` in a new thread and wait; returns its outcome."""
    box = []
    thread = threading.Thread(target=lambda: box.append(_outcome(fn)))
    thread.start()
    thread.join()
    return box[0]


@opencl
def test_a_deferred_index_error_reaches_the_launching_thread_only():
    x = unigrad.arange(6.0, device="opencl").reshape(2, 3)
    bad = unigrad.tensor([[0, 5, 1]], device="opencl")
    picked = x.gather(0, bad)  # launched here, no synchronisation yet
    other = _in_thread(lambda: (x * 2).tolist())  # another thread synchronises: not its error
    assert other == [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]
    with pytest.raises(DeferredIndexError, match="index out of range") as caught:
        picked.tolist()
    assert isinstance(caught.value, IndexError) and isinstance(caught.value, RuntimeError)
    assert x.gather(0, unigrad.tensor([[1, 0, 1]], device="opencl")).tolist() == [[3.0, 1.0, 5.0]]  # cleared


@opencl
def test_an_error_launched_in_a_worker_thread_is_raised_there():
    x = unigrad.arange(6.0, device="opencl")

    def faulty_then_sync():
        y = x.gather(0, unigrad.tensor([7], device="opencl"))
        done.set()
        resume.wait()
        return y.tolist()

    done, resume = threading.Event(), threading.Event()
    box = []
    thread = threading.Thread(target=lambda: box.append(_outcome(faulty_then_sync)))
    thread.start()
    done.wait()
    assert x.sum().item() == 15.0  # the main thread's synchronisation does not see the worker's error
    unigrad.backends.get_backend("opencl").synchronize()
    resume.set()
    thread.join()
    assert isinstance(box[0], DeferredIndexError)


@opencl
def test_integer_division_by_zero_is_a_deferred_runtime_error():
    a = unigrad.tensor([7, -7, 5], device="opencl")
    q = a // unigrad.tensor([2, 0, 1], device="opencl")
    assert _in_thread(lambda: a.tolist()) == [7, -7, 5]
    with pytest.raises(RuntimeError, match="^ZeroDivisionError"):
        q.tolist()
    r = unigrad.fmod(a, unigrad.tensor([0, 1, 1], device="opencl"))
    with pytest.raises(RuntimeError, match="^ZeroDivisionError"):
        unigrad.backends.get_backend("opencl").synchronize()
    assert (a % unigrad.tensor([2, 3, 4], device="opencl")).tolist() == [1, 2, 1]
    del r


@opencl
def test_scatter_add_out_of_range_writes_only_inside_its_destination():
    base = unigrad.zeros(4, 3, device="opencl")
    destination = base[1:3]  # rows 0 and 3 of base lie outside it
    index = unigrad.tensor([[0, 2, 1], [1, 1, -1]], device="opencl")
    destination.scatter_add_(0, index, unigrad.ones(2, 3, device="opencl"))
    with pytest.raises(DeferredIndexError):
        base.tolist()
    values = base.tolist()
    assert values[0] == [0.0] * 3 and values[3] == [0.0] * 3  # never out of bounds
    assert values[1:3] == [[1.0, 0.0, 0.0], [1.0, 1.0, 1.0]]  # the in-range elements were added (documented)


@pytest.mark.parametrize("call", [
    lambda d: d.scatter_add_(0, unigrad.tensor([[0, 2, 1]]), unigrad.ones(1, 3)),
    lambda d: d.scatter_(0, unigrad.tensor([[0, 2, 1]]), 5.0),
    lambda d: d.gather(0, unigrad.tensor([[0, 2, 1]])),
])
def test_cpu_raises_pytorchs_runtime_error_at_once_and_keeps_the_destination(call):
    destination = unigrad.arange(6.0).reshape(2, 3)
    with pytest.raises(RuntimeError, match="index 2 is out of bounds for dimension 0 with size 2"):
        call(destination)
    assert destination.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and destination._version[0] == 0
