"""``DistributedDataParallel``: each rank trains a replica on its shard of the batch; gradients
are averaged across ranks during backward, so every rank takes the same optimizer step.

Gradients are reduced in **buckets** (about ``bucket_cap_mb`` each, the first one at most 1 MB so
that communication starts early, as PyTorch's; parameters in reverse registration order, which is
roughly the order backward produces them). A post-accumulate-grad
hook on every parameter counts a bucket's ready gradients; a full bucket is flattened (one
device-to-host copy per bucket on device backends) and its all-reduce is *started* at once, while
backward goes on (the transport's progress thread drives it). When the last bucket has
started, backward waits for all of them and writes the averages back into ``.grad``.
"""
from __future__ import annotations

import contextlib
import json
import time

import numpy as np

from ... import distributed as dist
from ...api import creation
from ...api.ops import shape as sh
from ...autograd.grad_mode import is_grad_enabled, no_grad
from ...autograd.node import AccumulateGrad
from ..modules.module import Module


class _Bucket:
    __slots__ = ("params", "ready", "requests", "finish", "array", "on_device")

    def __init__(self, params) -> None:
        self.params = params
        self.ready = 0
        self.requests = None
        self.finish = None
        # the host buffer the bucket is reduced in, allocated once (fresh pages cost page faults)
        self.array = np.empty(sum(p.numel() for p in params), params[0].dtype.numpy)
        self.on_device = None  # the flat gradients when the transport reduces them on the device


def _model_signature(module: Module) -> list:
    return ([[name, list(p.shape), p.dtype.name] for name, p in module.named_parameters()]
            + [[f"buffer:{name}", list(b.shape), b.dtype.name] for name, b in module.named_buffers()])


class DistributedDataParallel(Module):
    """Wrap ``module`` (already on this rank's device) for multi-process data parallelism.

    At construction every rank's parameter and buffer names, shapes and dtypes are compared (a
    mismatch names the parameter) and rank 0's values are broadcast. ``no_sync()`` skips the
    reduction (gradient accumulation); ``find_unused_parameters=True`` allows parameters that a
    forward does not use. Works with every optimizer unchanged.
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None, bucket_cap_mb: float = 25,
                 find_unused_parameters: bool = False, gradient_as_bucket_view: bool = False) -> None:
        super().__init__()
        self.module = module
        self._group = group = dist.process_group.default_group()
        self.broadcast_buffers = broadcast_buffers
        self.find_unused_parameters = find_unused_parameters
        self.require_backward_grad_sync = True
        self._check_same_model(group)
        with no_grad():
            for tensor in list(module.parameters()) + list(module.buffers()):
                dist.broadcast(tensor, 0)
        params = [p for p in module.parameters() if p.requires_grad]
        self._names = {id(p): name for name, p in module.named_parameters()}
        self._buckets = self._make_buckets(params[::-1], bucket_cap_mb * 2 ** 20,
                                           min(bucket_cap_mb, 1) * 2 ** 20)
        self._bucket_of = {id(p): b for b in self._buckets for p in b.params}
        self._next_to_start, self._pending = 0, False
        self._handles = [p.register_post_accumulate_grad_hook(self._grad_ready) for p in params]
        #: seconds spent copying buckets and blocked waiting for reductions at the end of backward,
        #: summed over synchronised backward passes (``benchmarks/bench_ddp.py`` reads them)
        self.timings = {"copy": 0.0, "wait": 0.0, "backwards": 0}

    # ----- construction -----------------------------------------------------------------------
    def _check_same_model(self, group) -> None:
        mine = _model_signature(self.module)
        signatures = group.all_gather_strings(json.dumps(mine))
        for rank, text in enumerate(signatures):
            theirs = json.loads(text)
            if theirs == mine:
                continue
            for ours_entry, their_entry in zip(mine, theirs):
                if ours_entry != their_entry:
                    raise RuntimeError(
                        f"DistributedDataParallel: rank {group.rank} has {ours_entry[0]} of shape "
                        f"{ours_entry[1]} ({ours_entry[2]}) but rank {rank} has {their_entry[0]} of shape "
                        f"{their_entry[1]} ({their_entry[2]}); every rank must build the same model")
            raise RuntimeError(f"DistributedDataParallel: rank {group.rank} has {len(mine)} parameters and "
                               f"buffers, rank {rank} has {len(theirs)}; every rank must build the same model")

    @staticmethod
    def _make_buckets(params, cap_bytes: float, first_cap_bytes: float) -> list:
        buckets, current, size = [], [], 0
        for p in params:
            key = (p.dtype, p.device)
            cap = first_cap_bytes if not buckets else cap_bytes
            if current and (size >= cap or (current[0].dtype, current[0].device) != key):
                buckets.append(_Bucket(current))
                current, size = [], 0
            current.append(p)
            size += p.numel() * p.dtype.itemsize
        if current:
            buckets.append(_Bucket(current))
        return buckets

    # ----- forward ----------------------------------------------------------------------------
    def forward(self, *inputs, **kwargs):
        if self._pending:
            missing = [self._names[id(p)] for b in self._buckets for p in b.params
                       if b.requests is None and p.grad is None]
            self._reset()
            raise RuntimeError(
                "Expected to have finished reduction in the prior iteration before starting a new one: "
                f"parameters that did not receive a gradient: {', '.join(missing) or '(unknown)'}. "
                "Pass find_unused_parameters=True to DistributedDataParallel if some parameters are "
                "unused in a forward, and make sure every forward output takes part in the loss.")
        if self.broadcast_buffers and is_grad_enabled():
            with no_grad():
                for buffer in self.module.buffers():
                    dist.broadcast(buffer, 0)
        outputs = self.module(*inputs, **kwargs)
        if is_grad_enabled() and self.require_backward_grad_sync:
            self._reset()
            self._pending = True
            if self.find_unused_parameters:
                self._mark_unused(outputs)
        return outputs

    def _reset(self) -> None:
        for bucket in self._buckets:
            bucket.ready, bucket.requests, bucket.finish, bucket.on_device = 0, None, None, None
        self._next_to_start, self._pending = 0, False

    def _mark_unused(self, outputs) -> None:
        """Parameters the autograd graph of ``outputs`` does not reach count as ready now."""
        reached, stack, seen = set(), [], set()
        for out in _tensors(outputs):
            if out.grad_fn is not None:
                stack.append(out.grad_fn)
            elif out.requires_grad:
                reached.add(id(out))
        while stack:
            node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            if node.__class__ is AccumulateGrad:
                reached.add(id(node.variable))
                continue
            stack.extend(child for child in node._next if child is not None)
        unused = {id(p) for b in self._buckets for p in b.params if id(p) not in reached}
        for bucket in self._buckets:
            bucket.ready = sum(1 for p in bucket.params if id(p) in unused)
        self._start_ready_buckets()

    # ----- backward: the gradient hooks -------------------------------------------------------------
    def _grad_ready(self, param) -> None:
        if not (self._pending and self.require_backward_grad_sync):
            return
        bucket = self._bucket_of[id(param)]
        bucket.ready += 1
        self._start_ready_buckets()
        if self._next_to_start == len(self._buckets):
            self._finish_all()

    def _start_ready_buckets(self) -> None:
        # buckets start strictly in order, so every rank issues the same collective sequence
        while self._next_to_start < len(self._buckets):
            bucket = self._buckets[self._next_to_start]
            if bucket.ready < len(bucket.params):
                return
            self._start(bucket)
            self._next_to_start = self._next_to_start + 1

    def _start(self, bucket: _Bucket) -> None:
        started = time.perf_counter()
        with no_grad():
            flat = sh.cat([(p.grad if p.grad is not None else creation.zeros_like(p)).reshape(-1)
                           for p in bucket.params]) if self._group.direct(bucket.params[0]) else None
        if flat is not None and self._group.direct(flat):  # NCCL: reduced device to device, in stream order
            self._group.all_reduce_tensor(flat, "sum")
            bucket.on_device, bucket.requests, bucket.finish = flat, [], (lambda: None)
            self.timings["copy"] += time.perf_counter() - started
            return
        offset = 0
        for p in bucket.params:  # one device-to-host copy per gradient, into the bucket
            n = p.numel()
            if p.grad is None:
                bucket.array[offset:offset + n] = 0
            else:
                bucket.array[offset:offset + n] = np.asarray(p.grad._host()).reshape(-1)
            offset += n
        bucket.requests, bucket.finish = self._group.start_all_reduce(bucket.array, "sum")
        self.timings["copy"] += time.perf_counter() - started

    def _finish_all(self) -> None:
        world = self._group.world_size
        started = time.perf_counter()
        self._group.wait([r for b in self._buckets for r in b.requests],
                         f"DistributedDataParallel gradient all_reduce ({len(self._buckets)} buckets)")
        waited = time.perf_counter()
        self.timings["wait"] += waited - started
        self.timings["backwards"] += 1
        with no_grad():
            for bucket in self._buckets:
                bucket.finish()
                first = bucket.params[0]
                if bucket.on_device is not None:
                    average = bucket.on_device / world
                elif bucket.array.dtype.kind == "f":
                    np.multiply(bucket.array, 1.0 / world, out=bucket.array, casting="unsafe")
                    average = creation.as_tensor(bucket.array).to(first.device)  # shared on the host
                else:  # 16-bit floats: divide on the device, in their own dtype
                    average = creation.tensor(bucket.array, dtype=first.dtype, device=first.device) / world
                offset = 0
                for p in bucket.params:
                    n = p.numel()
                    value = average[offset:offset + n].reshape(p.shape)
                    if p.grad is None:
                        p.grad = value.clone()
                    else:
                        p.grad.copy_(value)
                    offset += n
        self.timings["copy"] += time.perf_counter() - waited
        self._reset()

    # ----- gradient accumulation ------------------------------------------------------------------
    @contextlib.contextmanager
    def no_sync(self):
        """Inside, backward accumulates local gradients without reducing them; the first backward
        after it reduces the accumulated sums."""
        previous = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous


def _tensors(value):
    from ...api.tensor import Tensor
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _tensors(item)]
    if isinstance(value, dict):
        return [t for item in value.values() for t in _tensors(item)]
    return []
