"""Run by ``unigrad run -n 2``: every collective on every dtype, contiguous or not, on the
device given as argv[1]; DDP's model check, no_sync and unused parameters; DistributedSampler."""
import sys

import numpy as np

import unigrad
import unigrad.distributed as dist
from unigrad import nn
from unigrad.nn.parallel import DistributedDataParallel as DDP
from unigrad.utils.data import DistributedSampler

device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
dist.init_process_group(timeout=60)
rank, world = dist.get_rank(), dist.get_world_size()
assert dist.is_initialized() and dist.get_backend() == "mpi"
held = unigrad.backends.registry.get_backend(unigrad.device(device)).supported_dtypes
DTYPES = [d for d in ("float32", "float64", "float16", "bfloat16", "int32", "int64", "int8", "uint8", "bool")
          if getattr(unigrad, d) in held]


def values(r, dtype, shape=(3, 4)):
    base = np.arange(12).reshape(shape) % 5 + 1 + r
    if dtype == "bool":
        return (base % 2 == r % 2)
    return base.astype(getattr(unigrad, dtype).numpy)


def make(r, dtype, noncontiguous):
    array = values(r, dtype)
    if noncontiguous:  # a transposed view of a (4, 3) tensor
        return unigrad.tensor(np.ascontiguousarray(array.T), device=device).t()
    return unigrad.tensor(array, device=device)


for dtype in DTYPES:
    for noncontiguous in (False, True):
        where = f"{dtype}{' (non-contiguous)' if noncontiguous else ''}"
        everyone = [values(r, dtype).astype(np.float64) for r in range(world)]
        ops = {"sum": np.sum(everyone, 0), "max": np.max(everyone, 0), "min": np.min(everyone, 0)}
        if dtype == "bool":
            ops["sum"] = np.any(everyone, 0)
        if getattr(unigrad, dtype).is_floating_point:
            ops["avg"] = np.mean(everyone, 0)
        for op, expected in ops.items():
            t = make(rank, dtype, noncontiguous)
            dist.all_reduce(t, op)
            got = t.cpu().numpy().astype(np.float64)
            assert np.array_equal(got, expected.astype(values(0, dtype).dtype).astype(np.float64)), (where, op, got, expected)
            assert t.dtype is getattr(unigrad, dtype)
        t = make(rank, dtype, noncontiguous)
        dist.broadcast(t, 1)
        assert np.array_equal(t.cpu().numpy(), values(1, dtype)), (where, "broadcast")
        gathered = [unigrad.zeros(3, 4, dtype=getattr(unigrad, dtype), device=device) for _ in range(world)]
        dist.all_gather(gathered, make(rank, dtype, noncontiguous))
        assert all(np.array_equal(g.cpu().numpy(), values(r, dtype)) for r, g in enumerate(gathered)), (where, "all_gather")
        if dtype != "bool":
            inputs = [make(rank + 10 * r, dtype, noncontiguous) for r in range(world)]
            out = unigrad.zeros(3, 4, dtype=getattr(unigrad, dtype), device=device)
            dist.reduce_scatter(out, inputs)
            expected = sum(values(r + 10 * rank, dtype).astype(np.float64) for r in range(world))
            assert np.array_equal(out.cpu().numpy().astype(np.float64), expected), (where, "reduce_scatter")
dist.barrier()

# a model with a parameter of another shape on rank 1 is refused, naming the parameter
try:
    DDP(nn.Linear(4, 3 if rank == 0 else 5))
    raise AssertionError("mismatched models were accepted")
except RuntimeError as error:
    assert "weight of shape" in str(error) and "every rank must build the same model" in str(error), error

# no_sync accumulates locally; the next synchronised backward reduces the sums
unigrad.manual_seed(0)
model = DDP(nn.Linear(3, 2, bias=False).to(device))
x = unigrad.full((1, 3), float(rank + 1), device=device)
with model.no_sync():
    model(x).sum().backward()
local = model.module.weight.grad.cpu().numpy().copy()
assert np.allclose(local, rank + 1), local  # not reduced
model(x).sum().backward()
assert np.allclose(model.module.weight.grad.cpu().numpy(), (2 * 1 + 2 * 2) / 2), model.module.weight.grad

# an unused parameter: refused at the next forward unless find_unused_parameters=True


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.used, self.unused = nn.Linear(3, 2), nn.Linear(3, 2)

    def forward(self, x):
        return self.used(x)


strict = DDP(TwoHeads().to(device))
strict(x).sum().backward()
try:
    strict(x)
    raise AssertionError("an unfinished reduction was not reported")
except RuntimeError as error:
    assert "unused.weight" in str(error) and "find_unused_parameters=True" in str(error), error
relaxed = DDP(TwoHeads().to(device), find_unused_parameters=True)
for _ in range(2):
    relaxed.zero_grad()
    relaxed(x).sum().backward()
    assert np.allclose(relaxed.module.used.bias.grad.cpu().numpy(), 1.0)

# DistributedSampler takes rank and world from the group; shards cover the data once
sampler = DistributedSampler(list(range(11)), seed=3)
sampler.set_epoch(2)
mine = unigrad.tensor(list(sampler))
shards = [unigrad.zeros_like(mine) for _ in range(world)]
dist.all_gather(shards, mine)
covered = sorted(sum((s.tolist() for s in shards), []))
assert len(covered) == 12 and set(covered) == set(range(11)), covered  # 11 indices + 1 of padding
print(f"rank {rank}: collectives on {device} ok for {', '.join(DTYPES)}", flush=True)
dist.destroy_process_group()
