"""``Parameter``: a tensor that a Module registers as a learnable weight."""
from __future__ import annotations

from ..api.tensor import Tensor


class _ParameterMeta(type):
    def __instancecheck__(cls, obj) -> bool:
        return isinstance(obj, Tensor) and obj._is_param


class Parameter(metaclass=_ParameterMeta):
    """``Parameter(data, requires_grad=True)``: a leaf tensor sharing ``data``'s storage that
    ``Module.__setattr__`` registers. It *is* a ``Tensor`` (``isinstance(p, Tensor)``), so ops on
    it run at full speed; ``isinstance(p, nn.Parameter)`` tells it apart."""

    def __new__(cls, data: Tensor | None = None, requires_grad: bool = True) -> Tensor:
        if data is None:
            from ..api.creation import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter expects a Tensor, got {type(data).__name__}")
        param = Tensor._make(data._buf, data._dtype, data._device, data._backend)
        param._version = data._version
        param._is_param = True
        if requires_grad:
            param.requires_grad_(True)
        return param


class Buffer:
    """Marks a tensor assigned to a Module attribute as a buffer (``torch.nn.Buffer``)."""

    def __init__(self, data: Tensor, *, persistent: bool = True) -> None:
        self.data, self.persistent = data, persistent


class _UninitializedTensor(Tensor):
    """A tensor whose shape is not known yet (a lazy module's parameter or buffer): it holds no
    data until ``materialize(shape)`` turns it into an ordinary tensor of that shape."""

    __slots__ = ()

    def __init__(self, *args, **kwargs) -> None:
        """Built by ``__new__``."""

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give the tensor ``shape`` (uninitialized values) and make it an ordinary tensor."""
        from ..api.creation import empty
        self.data = empty(tuple(shape) if not isinstance(shape, int) else (shape,),
                          device=device if device is not None else self.device,
                          dtype=dtype if dtype is not None else self.dtype)
        self.__class__ = Tensor

    @property
    def shape(self):
        raise RuntimeError(
            "Can't access the shape of an uninitialized parameter or buffer. This error usually "
            "happens in `load_state_dict` when trying to load an uninitialized parameter into an "
            "initialized one. Call `forward` to initialize the parameters before accessing their "
            "attributes.")

    def size(self, dim=None):
        return self.shape

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    __str__ = __repr__

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, self.device, self.dtype)
        return memo[id(self)]


def _uninitialized(cls, requires_grad: bool, device, dtype) -> Tensor:
    from ..api.creation import empty
    data = empty(0, device=device, dtype=dtype)
    tensor = Tensor._make(data._buf, data._dtype, data._device, data._backend)
    tensor.__class__ = cls
    if requires_grad:
        tensor.requires_grad_(True)
    return tensor


class UninitializedParameter(_UninitializedTensor):
    """A parameter of a lazy module before its first forward (``isinstance(p, Parameter)``)."""

    __slots__ = ()

    def __new__(cls, requires_grad: bool = True, device=None, dtype=None) -> "UninitializedParameter":
        param = _uninitialized(cls, requires_grad, device, dtype)
        param._is_param = True
        return param


class UninitializedBuffer(_UninitializedTensor):
    """A buffer of a lazy module before its first forward."""

    __slots__ = ()

    def __new__(cls, requires_grad: bool = False, device=None, dtype=None,
                persistent: bool = True) -> "UninitializedBuffer":
        return _uninitialized(cls, requires_grad, device, dtype)


def is_lazy(value) -> bool:
    """Whether ``value`` is an uninitialized parameter or buffer."""
    return isinstance(value, _UninitializedTensor)
