"""Peak memory of ``unigrad.save`` and ``unigrad.load`` on a large state (default 500 MB).

Each measurement runs in a fresh process: peak resident memory (``VmHWM``, reset through
``/proc/self/clear_refs`` before the call) and Python's traced allocations (``tracemalloc``, which
NumPy's buffers report to), both as the increase over what the process held before the call,
relative to the state or file size. Targets: save <= 0.1x the state, load <= 1.1x the file.

    python benchmarks/bench_checkpoint_memory.py [--mb 500] [--device cpu] [--dir /tmp]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, os, sys, tracemalloc
import numpy as np
import unigrad

def rss_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])

def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")

mode, path, mb, device, mmap = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5] == "1"
if mode == "save":
    count = 50
    per = mb * (1 << 20) // 4 // count
    rng = np.random.default_rng(0)
    state = {f"layer{i}.weight": unigrad.tensor(rng.standard_normal(per, dtype=np.float32), device=device)
             for i in range(count)}
    state["tied"] = state["layer0.weight"]
    size = sum(t.numel() * 4 for k, t in state.items() if k != "tied")
    call = lambda: unigrad.save({"model": state, "epoch": 3}, path)
else:
    size = os.path.getsize(path)
    unigrad.zeros(1, device=device)  # backend discovery (an OpenCL driver: ~100 MB) is not the load's
    call = lambda: unigrad.load(path, map_location=device, mmap=mmap)
tracemalloc.start()
before = rss_kb("VmRSS")
reset_peak()
tracemalloc.reset_peak()
traced_before = tracemalloc.get_traced_memory()[0]
result = call()
peak_rss = (rss_kb("VmHWM") - before) * 1024
peak_traced = tracemalloc.get_traced_memory()[1] - traced_before
print(json.dumps({"bytes": size, "peak_rss": peak_rss, "peak_traced": peak_traced}))
"""


def measure(mode: str, path: str, mb: int, device: str, mmap: bool = False) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, mode, path, str(mb), device, "1" if mmap else "0"],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=500)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--dir", default=None, help="where the checkpoint is written")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as directory:
        path = os.path.join(directory, "state.pt")
        rows = [("save", measure("save", path, args.mb, args.device)),
                ("load", measure("load", path, args.mb, args.device)),
                ("load mmap=True", measure("load", path, args.mb, args.device, mmap=True))]
    print(f"{'':16} {'size MB':>9} {'peak RSS':>10} {'ratio':>7} {'traced':>10} {'ratio':>7}")
    for name, r in rows:
        mb = r["bytes"] / 2**20
        print(f"{name:16} {mb:9.1f} {r['peak_rss'] / 2**20:8.1f}MB {r['peak_rss'] / r['bytes']:7.3f} "
              f"{r['peak_traced'] / 2**20:8.1f}MB {r['peak_traced'] / r['bytes']:7.3f}")


if __name__ == "__main__":
    main()
