"""Lazy modules: parameters whose shapes come from the first input (``LazyLinear``,
``LazyConvNd``, ``LazyConvTransposeNd``, ``LazyBatchNormNd``, ``LazyInstanceNormNd``).

Until the first forward (or a ``load_state_dict``, of the module or of a parent) their parameters
are ``UninitializedParameter``s; then they are materialised, initialised as the ordinary module
would, and at the first forward the module becomes that ordinary module (``cls_to_become``), as
in PyTorch.
"""
from __future__ import annotations

import itertools

from ...api import creation, dtypes
from ...autograd.grad_mode import no_grad
from ..parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from . import conv as _conv
from .linear import Linear
from .normalization import (
    BatchNorm1d, BatchNorm2d, BatchNorm3d, InstanceNorm1d, InstanceNorm2d, InstanceNorm3d, _BatchNorm,
    _InstanceNorm, _NormBase,
)


class LazyModuleMixin:
    """Mixin for modules that infer their parameters' shapes from the first input: define
    ``initialize_parameters(*inputs)``, which materialises every uninitialized parameter."""

    cls_to_become = None

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._register_lazy_hooks()

    def _register_lazy_hooks(self) -> None:
        """The load_state_dict pre-hook that materialises from a checkpoint's shapes (also when
        loading through a parent module) and the forward pre-hook that infers the shapes."""
        self._load_hook = self._register_load_state_dict_pre_hook(self._lazy_load_hook)
        self._initialize_hook = self.register_forward_pre_hook(self._infer_parameters, with_kwargs=True)

    def _save_to_state_dict(self, destination, prefix: str, keep_vars: bool) -> None:
        # uninitialized tensors are saved as they are (detaching one would lose what it is)
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if is_lazy(param) or keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if is_lazy(buf) or keep_vars else buf.detach()

    def _lazy_load_hook(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                        error_msgs) -> None:
        """Materialise each uninitialized parameter and buffer with the shape of its entry in
        ``state_dict`` (which ``_load_from_state_dict`` then copies in); the next forward
        completes the initialization."""
        for name, param in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and param is not None:
                input_param = state_dict[key]
                if is_lazy(param) and not is_lazy(input_param):
                    with no_grad():
                        param.materialize(tuple(input_param.shape))

    def has_uninitialized_params(self) -> bool:
        """Whether a parameter or buffer of this module still waits for its shape."""
        return any(is_lazy(t) for t in itertools.chain(self._parameters.values(), self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs) -> None:
        raise NotImplementedError(f"initialize_parameters is not implemented for {type(self).__name__}")

    def _infer_parameters(self, module, args, kwargs=None) -> None:
        module.initialize_parameters(*args, **(kwargs or {}))
        if module.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        module._initialize_hook.remove()
        module._load_hook.remove()
        delattr(module, "_initialize_hook")
        delattr(module, "_load_hook")
        if module.cls_to_become is not None:
            module.__class__ = module.cls_to_become

    def _replicate_for_data_parallel(self):
        raise RuntimeError("Modules with uninitialized parameters can't be used with `DataParallel`. "
                           "Run a dummy forward pass to correctly initialize the modules")


class LazyLinear(LazyModuleMixin, Linear):
    """A Linear layer whose ``in_features`` is inferred from the first input's last dim."""

    cls_to_become = Linear

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None) -> None:
        super().__init__(0, 0, False)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, x, *args) -> None:
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = x.shape[-1]
                self.weight.materialize((self.out_features, self.in_features))
                if self.bias is not None:
                    self.bias.materialize((self.out_features,))
                self.reset_parameters()


# ----- convolutions --------------------------------------------------------------------------------
class _LazyConvMixin(LazyModuleMixin):
    """``in_channels`` from the first input: dim 1 of a batched input, dim 0 of an unbatched one."""

    _spatial_dims = 2
    _transposed_weight = False

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def initialize_parameters(self, x, *args, **kwargs) -> None:
        if not self.has_uninitialized_params():
            return
        self.in_channels = self._in_channels_of(x)
        if self.in_channels % self.groups:
            raise ValueError("in_channels must be divisible by groups")
        with no_grad():
            if self._transposed_weight:
                self.weight.materialize((self.in_channels, self.out_channels // self.groups, *self.kernel_size))
            else:
                self.weight.materialize((self.out_channels, self.in_channels // self.groups, *self.kernel_size))
            if self.bias is not None:
                self.bias.materialize((self.out_channels,))
            self.reset_parameters()

    def _in_channels_of(self, x) -> int:
        unbatched = self._spatial_dims + 1
        if x.ndim not in (unbatched, unbatched + 1):
            raise RuntimeError(f"Expected {unbatched}D (unbatched) or {unbatched + 1}D (batched) input "
                               f"to {type(self).__name__}, but got input of size: {list(x.shape)}")
        return x.shape[1] if x.ndim == unbatched + 1 else x.shape[0]


def _lazy_conv(name: str, base_name: str, spatial_dims: int, transposed: bool):
    """``LazyConv{n}d`` / ``LazyConvTranspose{n}d`` over the ``nn`` convolution named ``base_name``."""
    base = getattr(_conv, base_name)

    if transposed:
        def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, output_padding=0,
                     groups: int = 1, bias: bool = True, dilation=1, padding_mode: str = "zeros",
                     device=None, dtype=None) -> None:
            base.__init__(self, 0, 0, kernel_size, stride, padding, output_padding, groups, False,
                          dilation, padding_mode, device=device, dtype=dtype)
            _lazy_parameters(self, out_channels, bias, device, dtype)
    else:
        def __init__(self, out_channels: int, kernel_size, stride=1, padding=0, dilation=1,
                     groups: int = 1, bias: bool = True, padding_mode: str = "zeros", device=None,
                     dtype=None) -> None:
            base.__init__(self, 0, 0, kernel_size, stride, padding, dilation, groups, False,
                          padding_mode, device=device, dtype=dtype)
            _lazy_parameters(self, out_channels, bias, device, dtype)

    def lazy_init(self, *args, **kwargs) -> None:
        __init__(self, *args, **kwargs)
        self._register_lazy_hooks()

    lazy_init.__doc__ = f"A {base_name} whose ``in_channels`` is inferred from the first input."
    return type(name, (_LazyConvMixin, base), {
        "__init__": lazy_init, "cls_to_become": base, "_spatial_dims": spatial_dims,
        "_transposed_weight": transposed, "__doc__": lazy_init.__doc__, "__module__": __name__})


def _lazy_parameters(module, out_channels: int, bias: bool, device, dtype) -> None:
    module.weight = UninitializedParameter(device=device, dtype=dtype)
    module.out_channels = out_channels
    if bias:
        module.bias = UninitializedParameter(device=device, dtype=dtype)


LazyConv1d = _lazy_conv("LazyConv1d", "Conv1d", 1, False)
LazyConv2d = _lazy_conv("LazyConv2d", "Conv2d", 2, False)
LazyConv3d = _lazy_conv("LazyConv3d", "Conv3d", 3, False)
LazyConvTranspose1d = _lazy_conv("LazyConvTranspose1d", "ConvTranspose1d", 1, True)
LazyConvTranspose2d = _lazy_conv("LazyConvTranspose2d", "ConvTranspose2d", 2, True)
LazyConvTranspose3d = _lazy_conv("LazyConvTranspose3d", "ConvTranspose3d", 3, True)


# ----- normalisation -------------------------------------------------------------------------------
class _LazyNormBase(LazyModuleMixin, _NormBase):
    """``num_features`` from dim 1 of the first input."""

    def __init__(self, eps: float = 1e-5, momentum=0.1, affine: bool = True, track_running_stats: bool = True,
                 device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            self.num_batches_tracked = creation.tensor(0, dtype=dtypes.int64, device=device)

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, x, *args) -> None:
        if not self.has_uninitialized_params():
            return
        self.num_features = x.shape[1]
        with no_grad():
            if self.affine:
                self.weight.materialize((self.num_features,))
                if self.bias is not None:
                    self.bias.materialize((self.num_features,))
            if self.track_running_stats:
                self.running_mean.materialize((self.num_features,))
                self.running_var.materialize((self.num_features,))
            self.reset_parameters()


class LazyBatchNorm1d(_LazyNormBase, _BatchNorm):
    cls_to_become = BatchNorm1d
    _check_input_dim = BatchNorm1d._check_input_dim


class LazyBatchNorm2d(_LazyNormBase, _BatchNorm):
    cls_to_become = BatchNorm2d
    _check_input_dim = BatchNorm2d._check_input_dim


class LazyBatchNorm3d(_LazyNormBase, _BatchNorm):
    cls_to_become = BatchNorm3d
    _check_input_dim = BatchNorm3d._check_input_dim


class LazyInstanceNorm1d(_LazyNormBase, _InstanceNorm):
    cls_to_become = InstanceNorm1d
    _no_batch_dim = InstanceNorm1d._no_batch_dim
    _check_input_dim = InstanceNorm1d._check_input_dim


class LazyInstanceNorm2d(_LazyNormBase, _InstanceNorm):
    cls_to_become = InstanceNorm2d
    _no_batch_dim = InstanceNorm2d._no_batch_dim
    _check_input_dim = InstanceNorm2d._check_input_dim


class LazyInstanceNorm3d(_LazyNormBase, _InstanceNorm):
    cls_to_become = InstanceNorm3d
    _no_batch_dim = InstanceNorm3d._no_batch_dim
    _check_input_dim = InstanceNorm3d._check_input_dim
