"""Run by ``unigrad run -n 2``: DDP training of an MLP and a small CNN for 20 steps, each rank on
half of a global batch, checked against single-process training on the whole batch."""
import sys

import numpy as np

import unigrad
import unigrad.distributed as dist
from unigrad import nn
from unigrad.nn.parallel import DistributedDataParallel as DDP

STEPS = 20


def build(kind):
    unigrad.manual_seed(0 if dist.get_rank() == 0 else 1234)  # rank 0's weights must win the broadcast
    if kind.startswith("mlp"):
        return nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 4))
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 4))


def batches(kind):
    rng = np.random.default_rng(7)
    shape = (8, 10) if kind.startswith("mlp") else (8, 1, 8, 8)
    return [(rng.standard_normal(shape).astype(np.float32), rng.integers(0, 4, 8)) for _ in range(STEPS)]


def train(model, data, rank, world, make_optimizer, device, bucket_cap_mb):
    optimizer = make_optimizer(model.parameters())
    history = []
    for x, y in data:
        share = slice(rank * len(y) // world, (rank + 1) * len(y) // world)
        optimizer.zero_grad()
        loss = nn.functional.cross_entropy(model(unigrad.tensor(x[share], device=device)),
                                           unigrad.tensor(y[share], device=device))
        loss.backward()
        optimizer.step()
        history.append(np.concatenate([p.detach().cpu().numpy().ravel() for p in model.parameters()]))
    return history


def emulate_device_transport(group):
    """Make the MPI transport claim to reduce tensors "on the device" (as NCCL does), through
    host copies, so DDP's device-to-device path runs here too."""
    def all_reduce_tensor(tensor, op):
        array = tensor.detach().cpu().numpy().copy()
        group.all_reduce(array, op)
        tensor.copy_(unigrad.tensor(array, device=tensor.device))

    def broadcast_tensor(tensor, src):
        array = tensor.detach().cpu().numpy().copy()
        group.broadcast(array, src)
        tensor.copy_(unigrad.tensor(array, device=tensor.device))
    group.direct = lambda tensor: True
    group.all_reduce_tensor, group.broadcast_tensor = all_reduce_tensor, broadcast_tensor


def main():
    device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
    dist.init_process_group("mpi", timeout=60)
    rank, world = dist.get_rank(), dist.get_world_size()
    assert world == 2, world
    optimizers = {"SGD": lambda ps: unigrad.optim.SGD(ps, lr=0.1, momentum=0.9),
                  "Adam": lambda ps: unigrad.optim.Adam(ps, lr=0.01)}
    for kind in ("mlp", "cnn", "mlp-direct"):
        if kind == "mlp-direct":
            emulate_device_transport(dist.process_group.default_group())
        for name, make in optimizers.items():
            data = batches(kind)
            ddp = DDP(build(kind).to(device), bucket_cap_mb=0.001)  # several buckets
            history = train(ddp, data, rank, world, make, device, 0.001)
            # every rank holds identical parameters after every step
            for step, flat in enumerate(history):
                mine = unigrad.tensor(flat)
                gathered = [unigrad.zeros_like(mine) for _ in range(world)]
                dist.all_gather(gathered, mine)
                assert all(np.array_equal(g.numpy(), flat) for g in gathered), f"{kind} {name}: ranks differ at step {step}"
            # ...and equal to one process training on the whole batch
            unigrad.manual_seed(0)
            single = build_single(kind).to(device)
            reference = train(single, data, 0, 1, make, device, None)
            np.testing.assert_allclose(history[-1], reference[-1], rtol=1e-4, atol=1e-5,
                                       err_msg=f"{kind} {name}: DDP differs from single-process training")
            print(f"rank {rank}: {kind} {name} DDP == single process after {STEPS} steps "
                  f"(max diff {np.abs(history[-1] - reference[-1]).max():.2e})", flush=True)
    dist.destroy_process_group()


def build_single(kind):
    unigrad.manual_seed(0)
    if kind.startswith("mlp"):
        return nn.Sequential(nn.Linear(10, 32), nn.Tanh(), nn.Linear(32, 4))
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(4 * 4 * 4, 4))


if __name__ == "__main__":
    main()
