"""``unigrad run -n N script.py [args]``: start N ranks through the MPI launcher.

``launch(n, script, args)`` execs ``mpiexec -n N python -m unigrad.distributed.launch script args``
(the ``mpiexec`` installed beside this Python by the ``mpich`` wheel, else the one on PATH). Each
rank then runs ``script`` as ``__main__`` with ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK`` and
``LOCAL_WORLD_SIZE`` set. A rank whose script raises prints the traceback and a line naming the
rank, then aborts the whole job, so the other ranks stop at once instead of waiting in a
collective; a rank that is killed makes the launcher stop the others.
"""
from __future__ import annotations

import os
import runpy
import shutil
import sys
import time
import traceback


def find_mpiexec() -> str:
    """The MPI launcher: next to this Python first (``pip install mpich``), then on PATH."""
    here = os.path.dirname(sys.executable)
    found = shutil.which("mpiexec", path=here + os.pathsep + os.environ.get("PATH", ""))
    if found is None:
        raise RuntimeError("no MPI launcher (mpiexec) found: pip install 'unigrad[distributed]' "
                           "(mpi4py and the mpich wheel)")
    return found


def command(n: int, script: str, args: list) -> list:
    """The launcher command line for ``n`` ranks."""
    if n < 1:
        raise ValueError(f"unigrad run: -n must be at least 1, got {n}")
    return [find_mpiexec(), "-n", str(n), sys.executable, "-m", "unigrad.distributed.launch", script, *args]


def launch(n: int, script: str, args: list) -> None:
    """Replace this process by the MPI launcher running ``script`` on ``n`` ranks."""
    if not os.path.exists(script):
        raise FileNotFoundError(f"unigrad run: no such script: {script}")
    argv = command(n, script, args)
    os.execv(argv[0], argv)


def _rank_environment(comm, MPI) -> dict:
    local = comm.Split_type(MPI.COMM_TYPE_SHARED)
    environment = {"RANK": comm.Get_rank(), "WORLD_SIZE": comm.Get_size(),
                   "LOCAL_RANK": local.Get_rank(), "LOCAL_WORLD_SIZE": local.Get_size()}
    local.Free()
    return {key: str(value) for key, value in environment.items()}


def main(argv: list) -> None:
    """One rank: set the rank environment, run the script, abort the job if it raises."""
    from mpi4py import MPI
    comm = MPI.COMM_WORLD
    os.environ.update(_rank_environment(comm, MPI))
    script, *args = argv
    sys.argv = [script, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
    try:
        runpy.run_path(script, run_name="__main__")
    except SystemExit as exit_:
        if exit_.code not in (None, 0):
            _abort(comm, f"exited with status {exit_.code}", exit_.code if isinstance(exit_.code, int) else 1)
    except BaseException:  # noqa: BLE001 - any failure must stop every rank
        _abort(comm, "raised", 1, traceback.format_exc())


def _abort(comm, what: str, code: int, details: str = "") -> None:
    sys.stdout.flush()
    sys.stderr.write(f"{details}unigrad run: rank {comm.Get_rank()} of {comm.Get_size()} {what}; "
                     f"stopping every rank\n")
    sys.stderr.flush()
    time.sleep(0.2)  # let the launcher forward this output before the job is torn down
    comm.Abort(code)


if __name__ == "__main__":
    main(sys.argv[1:])
