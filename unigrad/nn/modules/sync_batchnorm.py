"""``SyncBatchNorm``: batch normalisation whose training statistics span every rank of the
``unigrad.distributed`` process group (plain batch norm outside one)."""
from __future__ import annotations

from ...api import creation, dtypes
from ...api.ops import pointwise as pw, shape as shape_ops
from ...autograd.function import Function
from .. import functional as F
from .normalization import _BatchNorm


def _distributed():
    from ... import distributed
    return distributed


class _SyncBatchNormFunction(Function):
    """Forward: every rank's per-channel (count, mean, M2) gathered and combined (Chan et al.'s
    parallel variance, free of the cancellation of sum-of-squares); backward: the per-channel sums
    of the gradient all-reduced, so each rank's input gradient is that of the whole batch. The
    weight and bias gradients stay per rank (DistributedDataParallel averages them)."""

    @staticmethod
    def forward(ctx, x, weight, bias, running_mean, running_var, eps: float, momentum: float):
        dist = _distributed()
        dims = (0,) + tuple(range(2, x.ndim))
        channels = x.shape[1]
        count = x.numel() // channels
        local_mean = x.mean(dims)
        centered = x - local_mean.reshape(F.normalization._channel_shape(x))
        local = shape_ops.stack([creation.full((channels,), float(count), dtype=x.dtype, device=x.device),
                                 local_mean, (centered * centered).sum(dims)])
        gathered = [creation.empty_like(local) for _ in range(dist.get_world_size())]
        dist.all_gather(gathered, local)
        stats = shape_ops.stack(gathered)  # (world, 3, C)
        counts, means, m2 = stats[:, 0], stats[:, 1], stats[:, 2]
        total = counts.sum(0)
        mean = (counts * means).sum(0) / total
        spread = means - mean
        var = (m2 + counts * spread * spread).sum(0) / total
        total_count = int(round(float(total[0].item()))) if channels else 0
        if total_count <= 1:
            raise ValueError(f"Expected more than 1 value per channel when training, got input size "
                             f"{list(x.shape)}")
        if running_mean is not None:
            running_mean.mul_(1 - momentum).add_(mean.to(running_mean.dtype) * momentum)
        if running_var is not None:
            unbiased = var * (total_count / (total_count - 1))
            running_var.mul_(1 - momentum).add_(unbiased.to(running_var.dtype) * momentum)
        shape = F.normalization._channel_shape(x)
        invstd = pw.rsqrt(var + eps)
        normalized = (x - mean.reshape(shape)) * invstd.reshape(shape)
        ctx.save_for_backward(normalized, invstd, weight)
        ctx.total_count, ctx.dims, ctx.shape = total_count, dims, shape
        return F.normalization._affine(normalized, weight, bias, shape)

    @staticmethod
    def backward(ctx, grad):
        normalized, invstd, weight = ctx.saved_tensors
        dims, shape = ctx.dims, ctx.shape
        sum_dy = grad.sum(dims)
        sum_dy_xhat = (grad * normalized).sum(dims)
        grad_weight = sum_dy_xhat if weight is not None and ctx.needs_input_grad[1] else None
        grad_bias = sum_dy if ctx.needs_input_grad[2] else None
        grad_x = None
        if ctx.needs_input_grad[0]:
            sums = shape_ops.stack([sum_dy, sum_dy_xhat])
            _distributed().all_reduce(sums)
            mean_dy = (sums[0] / ctx.total_count).reshape(shape)
            mean_dy_xhat = (sums[1] / ctx.total_count).reshape(shape)
            scale = invstd.reshape(shape) if weight is None else (invstd * weight).reshape(shape)
            grad_x = (grad - mean_dy - normalized * mean_dy_xhat) * scale
        return grad_x, grad_weight, grad_bias, None, None, None, None


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation over (N, C, ...) whose statistics in training are those of the whole
    batch across the ranks of the default process group (``unigrad.distributed``)."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum=0.1, affine: bool = True,
                 track_running_stats: bool = True, process_group=None, device=None, dtype=None, *,
                 bias: bool = True) -> None:
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype, bias=bias)
        self.process_group = process_group

    def _check_input_dim(self, x) -> None:
        if x.ndim < 2:
            raise ValueError(f"expected at least 2D input (got {x.ndim}D input)")

    def forward(self, x):
        self._check_input_dim(x)
        if x.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")
        running_mean, running_var, weight, bias, use_batch_stats, factor, eps = self._batch_norm_arguments()
        dist = _distributed()
        if not (use_batch_stats and self.training and dist.is_initialized() and dist.get_world_size() > 1):
            return F.batch_norm(x, running_mean, running_var, weight, bias, use_batch_stats, factor, eps)
        if x.dtype in dtypes.LOW_PRECISION:  # statistics in float32, as batch_norm computes them
            return _SyncBatchNormFunction.apply(x.float(), weight, bias, running_mean, running_var, eps,
                                                factor).to(x.dtype)
        return _SyncBatchNormFunction.apply(x, weight, bias, running_mean, running_var, eps, factor)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm layer (recursively) replaced by a SyncBatchNorm sharing
        its parameters and running statistics."""
        converted = module
        if isinstance(module, _BatchNorm):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group, bias=module.bias is not None)
            if module.affine:
                converted.weight = module.weight
                converted.bias = module.bias
            converted.running_mean = module.running_mean
            converted.running_var = module.running_var
            converted.num_batches_tracked = module.num_batches_tracked
            converted.training = module.training
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted
