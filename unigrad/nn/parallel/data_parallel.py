"""``DataParallel``: one process, several devices of one backend. Each forward scatters the
inputs along ``dim``, runs a replica of the module on every device and gathers the outputs on
``output_device``; backward sends every replica's gradients back (through the differentiable
cross-device copies) and sums them into the original parameters, as PyTorch's does.

Replicas are launched one after the other from this thread; on asynchronous devices (OpenCL,
CUDA) their kernels still run concurrently, since no replica waits for its device.
"""
from __future__ import annotations

from ...api.device import device as Device
from ...api.ops import shape as sh
from ...api.tensor import Tensor
from ...autograd.grad_mode import no_grad
from ..modules.module import Module


def _replicate(module: Module, device) -> Module:
    """A structural copy of ``module`` whose parameters are differentiable copies on ``device``
    (gradients flow back to the originals) and whose buffers are copies."""
    replica = module._replicate_for_data_parallel()  # lazy modules refuse, as in PyTorch
    replica.__dict__["_parameters"] = type(module._parameters)(
        (name, None if p is None else p.to(device)) for name, p in module._parameters.items())
    with no_grad():
        replica.__dict__["_buffers"] = type(module._buffers)(
            (name, None if b is None else b.to(device)) for name, b in module._buffers.items())
    replica.__dict__["_modules"] = type(module._modules)(
        (name, None if m is None else _replicate(m, device)) for name, m in module._modules.items())
    return replica


def _scatter(value, devices, dim):
    """``value`` split into one piece per device (tensors chunked along ``dim``, copied there)."""
    if isinstance(value, Tensor):
        pieces = value.chunk(len(devices), dim)
        if len(pieces) != len(devices):
            raise ValueError(f"DataParallel: a batch of {value.shape[dim]} along dim {dim} cannot be split "
                             f"over {len(devices)} devices")
        return [piece.to(d) for piece, d in zip(pieces, devices)]
    if isinstance(value, (list, tuple)) and value:
        columns = [_scatter(item, devices, dim) for item in value]
        return [type(value)(column[i] for column in columns) for i in range(len(devices))]
    if isinstance(value, dict) and value:
        columns = {key: _scatter(item, devices, dim) for key, item in value.items()}
        return [{key: column[i] for key, column in columns.items()} for i in range(len(devices))]
    return [value] * len(devices)


def _gather(outputs, device, dim):
    first = outputs[0]
    if isinstance(first, Tensor):
        return sh.cat([out.to(device) for out in outputs], dim) if first.ndim else \
            sh.stack([out.to(device) for out in outputs])
    if isinstance(first, (list, tuple)):
        return type(first)(_gather([out[i] for out in outputs], device, dim) for i in range(len(first)))
    if isinstance(first, dict):
        return {key: _gather([out[key] for out in outputs], device, dim) for key in first}
    return first


class DataParallel(Module):
    """Split each batch over ``device_ids`` (devices of one type, e.g. ``["opencl:0", "opencl:1"]``
    or ``[0, 1]`` for the module's device type); the module must live on ``device_ids[0]``."""

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0) -> None:
        super().__init__()
        self.module = module
        first = next(iter(module.parameters()), None)
        kind = first.device.type if first is not None else "cpu"
        if device_ids is None:
            from ...backends import registry
            count = registry.get_backend(Device(kind, 0) if kind != "cpu" else Device("cpu")).device_count()
            device_ids = list(range(count))
        devices = [Device(d) if not isinstance(d, int) else Device(kind, d) for d in device_ids]
        if len({d.type for d in devices}) > 1:
            raise ValueError(f"DataParallel: device_ids mix device types: {[str(d) for d in devices]}")
        if first is not None and first.device != devices[0]:
            raise RuntimeError(f"module must have its parameters and buffers on device {devices[0]} "
                               f"(device_ids[0]) but found one of them on device: {first.device}")
        self.device_ids = devices
        self.output_device = Device(output_device) if output_device is not None else devices[0]
        if isinstance(output_device, int):
            self.output_device = Device(devices[0].type, output_device)
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        if len(self.device_ids) == 1:
            return self.module(*_scatter(inputs, self.device_ids, self.dim)[0],
                               **_scatter(kwargs, self.device_ids, self.dim)[0])
        scattered = _scatter(inputs, self.device_ids, self.dim)
        scattered_kwargs = _scatter(kwargs, self.device_ids, self.dim) if kwargs else [{}] * len(self.device_ids)
        replicas = [self.module] + [_replicate(self.module, d) for d in self.device_ids[1:]]
        outputs = [replica(*args, **kw) for replica, args, kw in zip(replicas, scattered, scattered_kwargs)]
        return _gather(outputs, self.output_device, self.dim)
