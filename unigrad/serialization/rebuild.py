"""PyTorch's rebuild functions, as unigrad implements them for loading.

A checkpoint names ``torch._utils._rebuild_tensor_v2`` and friends; the unpicklers call these
instead. Every argument comes from the file, so each is checked (types, non-negative sizes, every
element inside its storage) before a tensor is made: a bad one is a ``CheckpointError`` (the
reader adds the file name), never a tensor reading outside its memory.
"""
from __future__ import annotations

import warnings
from collections import OrderedDict

from ..api import dtypes
from ..api.tensor import Size, Tensor
from .errors import CheckpointError
from .storage import LoadedStorage

_MAX_BYTES = 1 << 62  # no buffer of a real machine; also keeps NumPy's size arithmetic exact


def _is_int(value) -> bool:
    return type(value) is int


def _int_tuple(value, what: str) -> tuple:
    if not isinstance(value, (tuple, list)) or not all(_is_int(v) for v in value):
        raise CheckpointError(f"{what} must be a tuple of integers, got {value!r:.200}")
    return tuple(value)


def _check_tensor(storage, offset, size, stride) -> tuple:
    if not isinstance(storage, LoadedStorage):
        raise CheckpointError(f"a tensor's storage is a {type(storage).__name__}, not a storage")
    size = _int_tuple(size, "a tensor's size")
    stride = _int_tuple(stride, "a tensor's stride")
    if not _is_int(offset) or offset < 0:
        raise CheckpointError(f"a tensor's storage offset must be a non-negative integer, got {offset!r:.100}")
    if len(size) != len(stride):
        raise CheckpointError(f"a tensor has size {list(size)} but stride {list(stride)}")
    if any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise CheckpointError(f"a tensor has negative sizes or strides: size {list(size)}, stride {list(stride)}")
    itemsize = storage.element_size()
    elements = 1
    for n in size:
        elements *= max(n, 1)
        if elements * itemsize > _MAX_BYTES:
            raise CheckpointError(f"a tensor of size {list(size)} is larger than any memory")
    if 0 not in size:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if last >= storage.size():
            raise CheckpointError(
                f"a tensor of size {list(size)}, stride {list(stride)} and storage offset {offset} "
                f"reaches element {last} of a storage of {storage.size()} elements")
    elif offset > storage.size():
        raise CheckpointError(f"an empty tensor's storage offset {offset} is past its storage of "
                              f"{storage.size()} elements")
    return size, stride


def _hooks(backward_hooks) -> None:
    if backward_hooks:
        warnings.warn("a checkpoint's tensor has backward hooks; they are not restored (PyTorch "
                      "does not save them either)", stacklevel=4)


def _set_requires_grad(t: Tensor, requires_grad) -> Tensor:
    if type(requires_grad) is not bool:
        raise CheckpointError(f"requires_grad must be a bool, got {requires_grad!r:.100}")
    if requires_grad:
        if not t._dtype.is_floating_point:
            raise CheckpointError(f"a {t._dtype.name} tensor cannot require gradients")
        t._requires_grad = True
    return t


def rebuild_tensor(storage, storage_offset, size, stride) -> Tensor:
    """``torch._utils._rebuild_tensor``."""
    size, stride = _check_tensor(storage, storage_offset, size, stride)
    return storage.view(storage_offset, size, stride)


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None):
    """``torch._utils._rebuild_tensor_v2``: a tensor viewing ``storage``."""
    t = rebuild_tensor(storage, storage_offset, size, stride)
    _hooks(backward_hooks)
    return _set_requires_grad(t, requires_grad)


def rebuild_tensor_v3(storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype,
                      metadata=None):
    """``torch._utils._rebuild_tensor_v3``: as v2, with the tensor's dtype given."""
    if isinstance(storage, LoadedStorage) and dtype is not storage.dtype:
        raise CheckpointError(f"a {dtype} tensor viewing a {storage.dtype} storage is not supported")
    return rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks)


def rebuild_parameter(data, requires_grad, backward_hooks):
    """``torch._utils._rebuild_parameter``."""
    from ..nn.parameter import Parameter
    if not isinstance(data, Tensor):
        raise CheckpointError(f"a Parameter's data is a {type(data).__name__}, not a tensor")
    if type(requires_grad) is not bool:
        raise CheckpointError(f"requires_grad must be a bool, got {requires_grad!r:.100}")
    if requires_grad and not data._dtype.is_floating_point:
        raise CheckpointError(f"a {data._dtype.name} Parameter cannot require gradients")
    _hooks(backward_hooks)
    return Parameter(data, requires_grad)


def rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    """``torch._utils._rebuild_parameter_with_state``: Python attributes set on a Parameter are
    not kept (unigrad tensors have none)."""
    if state:
        warnings.warn("a checkpoint's Parameter carries Python attributes; unigrad does not restore "
                      f"them ({sorted(map(str, state))[:5]})", stacklevel=3)
    return rebuild_parameter(data, requires_grad, backward_hooks)


def rebuild_from_type_v2(func, new_type, args, state):
    """``torch._tensor._rebuild_from_type_v2``: ``func(*args)`` (one of the rebuild functions),
    for plain tensors and Parameters; other tensor subclasses are refused."""
    from ..nn.parameter import Parameter
    if func not in TENSOR_FUNCTIONS:
        raise CheckpointError(f"_rebuild_from_type_v2 may only call a tensor rebuild function, got {func!r:.100}")
    if not isinstance(args, tuple):
        raise CheckpointError("_rebuild_from_type_v2 expects a tuple of arguments")
    result = func(*args)
    if new_type is Parameter and not result._is_param:
        result = Parameter(result, result._requires_grad)
    elif new_type is not Tensor and new_type is not Parameter:
        raise CheckpointError(f"tensor subclass {new_type!r:.100} is not supported by unigrad")
    if state:
        warnings.warn("a checkpoint's tensor carries Python attributes; unigrad does not restore them",
                      stacklevel=3)
    return result


def rebuild_device_tensor_from_cpu_tensor(data, dtype, device, requires_grad):
    """``torch._utils._rebuild_device_tensor_from_cpu_tensor``."""
    if not isinstance(data, Tensor) or not isinstance(dtype, dtypes.dtype):
        raise CheckpointError("malformed _rebuild_device_tensor_from_cpu_tensor arguments")
    return _set_requires_grad(data.to(device=device, dtype=dtype), requires_grad)


def rebuild_device_tensor_from_numpy(data, dtype, device, requires_grad):
    """``torch._utils._rebuild_device_tensor_from_numpy`` (needs NumPy's globals allowlisted)."""
    import numpy as np

    from ..api.creation import tensor
    if not isinstance(data, np.ndarray) or not isinstance(dtype, dtypes.dtype):
        raise CheckpointError("malformed _rebuild_device_tensor_from_numpy arguments")
    return _set_requires_grad(tensor(data, dtype=dtype, device=device), requires_grad)


def unsupported(kind: str):
    def refuse(*args, **kwargs):
        raise CheckpointError(f"the checkpoint holds {kind}, which unigrad does not support")
    refuse.__qualname__ = f"unsupported_{kind.replace(' ', '_')}"
    return refuse


TENSOR_FUNCTIONS = {rebuild_tensor, rebuild_tensor_v2, rebuild_tensor_v3, rebuild_parameter,
                    rebuild_parameter_with_state, rebuild_device_tensor_from_cpu_tensor,
                    rebuild_device_tensor_from_numpy}


def make_size(*args) -> Size:
    """``torch.Size(sequence)``."""
    if len(args) != 1:
        raise CheckpointError(f"torch.Size takes one sequence, got {len(args)} arguments")
    return Size(_int_tuple(args[0], "torch.Size"))


def empty_backward_hooks() -> OrderedDict:
    return OrderedDict()
