"""Run with POCL_DEVICES="pthread pthread" (two OpenCL CPU devices): DataParallel over opencl:0
and opencl:1 trains step for step like the plain module on one device; cross-device copies."""
import numpy as np

import unigrad
from unigrad import nn

devices = ["opencl:0", "opencl:1"]
assert unigrad.backends.registry.get_backend(unigrad.device("opencl")).device_count() >= 2

# cross-device .to(): values and gradients move between the devices
x = unigrad.randn(4, 3, device="opencl:1", requires_grad=True)
y = (x.to("opencl:0") * 2).sum()
y.backward()
assert x.grad.device == unigrad.device("opencl:1") and np.allclose(x.grad.cpu().numpy(), 2.0)


def build():
    unigrad.manual_seed(0)
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))


rng = np.random.default_rng(0)
data = [(rng.standard_normal((8, 1, 6, 6)).astype(np.float32), rng.integers(0, 3, 8)) for _ in range(5)]
runs = []
for parallel in (False, True):
    model = build().to(devices[0])
    net = nn.DataParallel(model, device_ids=devices) if parallel else model
    optimizer = unigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for images, labels in data:
        optimizer.zero_grad()
        out = net(unigrad.tensor(images, device=devices[0]))
        assert out.device == unigrad.device(devices[0]) and tuple(out.shape) == (8, 3)
        loss = nn.functional.cross_entropy(out, unigrad.tensor(labels, device=devices[0]))
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    runs.append((losses, [p.detach().cpu().numpy() for p in model.parameters()]))
(single_losses, single_params), (dp_losses, dp_params) = runs
np.testing.assert_allclose(dp_losses, single_losses, rtol=1e-5)
for a, b in zip(dp_params, single_params):
    np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
print(f"DataParallel over {devices} == one device: losses {['%.4f' % v for v in dp_losses]}", flush=True)
