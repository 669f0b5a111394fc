"""Run by ``unigrad run -n 2``: SyncBatchNorm on each rank's half of a batch equals BatchNorm on
the whole batch (outputs, input gradients, all-reduced parameter gradients, running statistics),
on the device given as argv[1]; outside training it is plain batch norm."""
import sys

import numpy as np

import unigrad
import unigrad.distributed as dist
from unigrad import nn

device = sys.argv[1] if len(sys.argv) > 1 else "cpu"
dist.init_process_group(timeout=60)
rank, world = dist.get_rank(), dist.get_world_size()
rng = np.random.default_rng(0)
full = rng.standard_normal((6, 3, 4, 2)) * 3 + 5  # a large mean: the statistics must not cancel
seed = rng.standard_normal(full.shape)
share = full.shape[0] // world
mine = slice(rank * share, (rank + 1) * share)


def model(sync: bool):
    unigrad.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(3, 3, 1), nn.BatchNorm2d(3, momentum=0.3))
    with unigrad.no_grad():
        net[1].weight.copy_(unigrad.tensor([0.5, 1.5, 2.0]))
        net[1].bias.copy_(unigrad.tensor([0.1, -0.2, 0.3]))
    net = net.double().to(device)
    return nn.SyncBatchNorm.convert_sync_batchnorm(net) if sync else net


reference, synced = model(False), model(True)
assert isinstance(synced[1], nn.SyncBatchNorm) and not isinstance(reference[1], nn.SyncBatchNorm)
for step in range(2):
    x_all = unigrad.tensor(full + step, device=device, requires_grad=True)
    out_all = reference(x_all)
    (out_all * unigrad.tensor(seed, device=device)).sum().backward()
    x = unigrad.tensor((full + step)[mine], device=device, requires_grad=True)
    out = synced(x)
    (out * unigrad.tensor(seed[mine], device=device)).sum().backward()
    np.testing.assert_allclose(out.detach().cpu().numpy(), out_all.detach().cpu().numpy()[mine], rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(x.grad.cpu().numpy(), x_all.grad.cpu().numpy()[mine], rtol=1e-9, atol=1e-10)
for (name, p_sync), p_ref in zip(synced.named_parameters(), reference.parameters()):
    grad = p_sync.grad.clone()
    dist.all_reduce(grad)  # what DistributedDataParallel does (summed here, not averaged)
    np.testing.assert_allclose(grad.cpu().numpy(), p_ref.grad.cpu().numpy(), rtol=1e-9, atol=1e-10, err_msg=name)
for (name, b_sync), b_ref in zip(synced.named_buffers(), reference.buffers()):
    np.testing.assert_allclose(b_sync.cpu().numpy(), b_ref.cpu().numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
synced.eval()
reference.eval()
x = unigrad.tensor(full[mine], device=device)
np.testing.assert_allclose(synced(x).detach().cpu().numpy(), reference(x).detach().cpu().numpy(), rtol=1e-12)
print(f"rank {rank}: SyncBatchNorm on {device} == BatchNorm on the whole batch")
