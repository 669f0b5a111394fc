"""Run by ``unigrad run -n 2``: DDP training in which rank 1 fails at step 5 in the way argv[1]
names -- ``kill`` (SIGKILL), ``raise`` (an exception) or ``leave`` (exits 0 and stops calling
collectives). Rank 0 must not hang: the job must end non-zero with a message."""
import os
import signal
import sys

import unigrad
import unigrad.distributed as dist
from unigrad import nn
from unigrad.nn.parallel import DistributedDataParallel as DDP

mode = sys.argv[1]
dist.init_process_group(timeout=float(sys.argv[2]) if len(sys.argv) > 2 else 30)
rank = dist.get_rank()
model = DDP(nn.Linear(8, 2))
optimizer = unigrad.optim.SGD(model.parameters(), lr=0.1)
for step in range(1000):
    if rank == 1 and step == 5:
        print(f"rank 1 fails now ({mode})", flush=True)
        if mode == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        elif mode == "raise":
            raise ValueError("rank 1 hit a bad batch")
        else:
            sys.exit(0)
    optimizer.zero_grad()
    model(unigrad.randn(4, 8)).sum().backward()
    optimizer.step()
print(f"rank {rank} finished all steps", flush=True)
