"""Run by ``unigrad run -n 2``: a DistributedDataParallel training step compiled with
unigrad.compile breaks the graph cleanly (DDP's gradient hooks all-reduce on the host) and trains
exactly as the eager DDP step does."""
import sys
import warnings

import numpy as np

import unigrad
import unigrad.distributed as dist
from unigrad import nn
from unigrad.nn.parallel import DistributedDataParallel as DDP


def train(compiled, device):
    unigrad.manual_seed(0)
    model = DDP(nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 4)).to(device))
    opt = unigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(dist.get_rank())
    x = unigrad.tensor(rng.standard_normal((4, 10)).astype(np.float32), device=device)
    y = unigrad.tensor(rng.integers(0, 4, 4), device=device)

    def step():
        opt.zero_grad()
        loss = nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    fn = unigrad.compile(step) if compiled else step
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        losses = [fn().item() for _ in range(5)]
    return losses, [p.detach().cpu().numpy() for p in model.parameters()], fn, caught


def main(device):
    dist.init_process_group("mpi")
    rank = dist.get_rank()
    eager, eager_params, _, _ = train(False, device)
    compiled, params, fn, caught = train(True, device)
    breaks = [str(w.message) for w in caught if "graph break" in str(w.message)]
    assert len(breaks) == 1 and "hook" in breaks[0], breaks
    assert eager == compiled and all(np.array_equal(a, b) for a, b in zip(eager_params, params))
    print(f"rank {rank}: compiled DDP == eager DDP, graph break: {breaks[0].splitlines()[0]}")
    dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "cpu")
