"""``Optimizer``: parameter groups, per-parameter state, hooks and state_dict round trips, with
the semantics and layout of PyTorch's ``torch.optim.Optimizer`` (so its state_dicts load here)."""
from __future__ import annotations

import copy
import functools
import warnings
from collections import OrderedDict, defaultdict
from itertools import chain

from ..api import creation, dtypes
from ..api.tensor import Tensor
from ..autograd.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ..nn.modules.module import _RemovableHandle

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook"]

_global_optimizer_pre_hooks: OrderedDict = OrderedDict()
_global_optimizer_post_hooks: OrderedDict = OrderedDict()


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


def register_optimizer_step_pre_hook(hook) -> _RemovableHandle:
    """``hook(optimizer, args, kwargs)`` runs before every optimizer's ``step``; it may return
    ``(new_args, new_kwargs)``."""
    handle = _RemovableHandle(_global_optimizer_pre_hooks)
    _global_optimizer_pre_hooks[handle.id] = hook
    return handle


def register_optimizer_step_post_hook(hook) -> _RemovableHandle:
    """``hook(optimizer, args, kwargs)`` runs after every optimizer's ``step``."""
    handle = _RemovableHandle(_global_optimizer_post_hooks)
    _global_optimizer_post_hooks[handle.id] = hook
    return handle


def use_grad_for_differentiable(step):
    """Run ``step`` with autograd recording only when the optimizer is ``differentiable``."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        previous = is_grad_enabled()
        try:
            set_grad_enabled(bool(self.defaults.get("differentiable", False)))
            return step(self, *args, **kwargs)
        finally:
            set_grad_enabled(previous)
    return wrapper


def _typename(value) -> str:
    if isinstance(value, Tensor):
        return f"unigrad.{type(value).__name__}"
    module = type(value).__module__
    return type(value).__qualname__ if module == "builtins" else f"{module}.{type(value).__qualname__}"


class Optimizer:
    """Base class of optimizers (``torch.optim.Optimizer``).

    Subclasses implement ``step``; updates are in-place tensor ops under ``no_grad`` (or with
    autograd on, for ``differentiable=True``), so they run as backend primitives on the
    parameters' own device.
    """

    #: the ``step`` state entry is a host float tensor (PyTorch's non-capturable layout)
    _tensor_step = True

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = defaults
        self._optimizer_step_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_step_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks: OrderedDict = OrderedDict()
        self._optimizer_load_state_dict_post_hooks: OrderedDict = OrderedDict()
        self._patch_step_function()
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}")
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __getstate__(self) -> dict:
        return {"defaults": self.defaults, "state": self.state, "param_groups": self.param_groups}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks", "_optimizer_load_state_dict_post_hooks"):
            if name not in self.__dict__:
                setattr(self, name, OrderedDict())
        self._patch_step_function()
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:  # groups saved before a flag existed get its default
            for key, value in self.defaults.items():
                if value is not required:
                    group.setdefault(key, copy.deepcopy(value))
            if self._tensor_step:
                for p in group["params"]:
                    entry = self.state.get(p)
                    if entry and "step" in entry and not isinstance(entry["step"], Tensor):
                        entry["step"] = _step_tensor(float(entry["step"]))

    def __repr__(self) -> str:
        text = f"{type(self).__name__} ("
        for i, group in enumerate(self.param_groups):
            text += f"\nParameter Group {i}\n"
            for key in sorted(group):
                if key != "params":
                    text += f"    {key}: {group[key]}\n"
        return text + ")"

    # ----- step and its hooks ------------------------------------------------------------------
    def _patch_step_function(self) -> None:
        cls = type(self)
        if not getattr(cls.step, "hooked", False):
            cls.step = _with_step_hooks(cls.step)
            cls.step.hooked = True

    def _optimizer_step_code(self) -> None:
        """Called after every ``step`` (PyTorch's profiler entry point); does nothing."""

    def register_step_pre_hook(self, hook) -> _RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs before ``step``; it may return
        ``(new_args, new_kwargs)``."""
        handle = _RemovableHandle(self._optimizer_step_pre_hooks)
        self._optimizer_step_pre_hooks[handle.id] = hook
        return handle

    def register_step_post_hook(self, hook) -> _RemovableHandle:
        """``hook(optimizer, args, kwargs)`` runs after ``step``."""
        handle = _RemovableHandle(self._optimizer_step_post_hooks)
        self._optimizer_step_post_hooks[handle.id] = hook
        return handle

    def register_state_dict_pre_hook(self, hook, prepend: bool = False) -> _RemovableHandle:
        """``hook(optimizer)`` runs before ``state_dict``."""
        return _register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend: bool = False) -> _RemovableHandle:
        """``hook(optimizer, state_dict)`` runs after ``state_dict``; it may return a new one."""
        return _register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend: bool = False) -> _RemovableHandle:
        """``hook(optimizer, state_dict)`` runs before ``load_state_dict``; it may return the
        state_dict to load instead."""
        return _register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend: bool = False) -> _RemovableHandle:
        """``hook(optimizer)`` runs after ``load_state_dict``."""
        return _register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    def step(self, closure=None):
        raise NotImplementedError

    # ----- parameter groups --------------------------------------------------------------------
    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyperparameters (missing ones from defaults).

        ``params`` may be tensors or ``(name, tensor)`` pairs (``named_parameters()``); the names
        are kept under ``param_names``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                            "the ordering of tensors in sets will change between runs. Please use a "
                            "list instead.")
        else:
            params = list(params)
        tensors, names = [], []
        for param in params:
            if isinstance(param, tuple):
                names.append(param[0])
                tensors.append(param[1])
            else:
                tensors.append(param)
        param_group["params"] = tensors
        if names:
            if len(names) != len(tensors):
                raise ValueError("all optimizer params should be with/without names. Some param "
                                 "names are missing")
            param_group["param_names"] = names
        for param in tensors:
            if not isinstance(param, Tensor):
                raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                                f"{_typename(param)}")
            if not self.defaults.get("differentiable", None) and not (
                    param.is_leaf or getattr(param, "retains_grad", False)):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError("parameter group didn't specify a value of required optimization "
                                 f"parameter {name}")
            param_group.setdefault(name, default)
        if len({id(p) for p in tensors}) != len(tensors):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        existing = set()
        for group in self.param_groups:
            existing.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError("all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if any(id(p) in existing for p in tensors):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every optimized parameter (to None, or to zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    if p.grad.grad_fn is not None:
                        p.grad.detach_()
                    else:
                        p.grad.requires_grad_(False)
                    p.grad.zero_()

    def _closure_loss(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    def _stepped(self, group: dict, new_state):
        """Each parameter of ``group`` that has a gradient, as ``(p, grad, state)``: the gradient
        negated under ``maximize``, the state filled by ``new_state(p)`` on first use, and its
        ``step`` counter already advanced for this step."""
        for p, grad in grads_of(group):
            if group["maximize"]:
                grad = -grad
            state = self.state[p]
            if not state:
                state["step"] = _step_tensor()
                state.update(new_state(p))
            state["step"].add_(1)
            yield p, grad, state

    # ----- state dict ------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``: each
        parameter is replaced by its position across the groups, as PyTorch numbers them."""
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        mapping: dict = {}
        start = 0
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            mapping.update({id(p): i for i, p in enumerate(group["params"], start)
                            if id(p) not in mapping})
            packed["params"] = [mapping[id(p)] for p in group["params"]]
            start += len(packed["params"])
            groups.append(packed)
        state = {(mapping[id(k)] if isinstance(k, Tensor) else k): v for k, v in self.state.items()}
        result = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            replaced = hook(self, result)
            if replaced is not None:
                result = replaced
        return result

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and state saved by ``state_dict`` (here or by PyTorch: tensors
        may be any array-like and are moved to each parameter's device and floating dtype)."""
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            replaced = hook(self, state_dict)
            if replaced is not None:
                state_dict = replaced
        groups = self.param_groups
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match the "
                             "size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(g["params"] for g in saved_groups),
                          chain.from_iterable(g["params"] for g in groups)))
        policy = {index: (g.get("fused", False), g.get("capturable", False))
                  for g in state_dict["param_groups"] for index in g["params"]}
        state: defaultdict = defaultdict(dict)
        for key, value in state_dict["state"].items():
            if key in id_map:
                param = id_map[key]
                state[param] = _cast(param, value, policy.get(key, (False, False)))
            else:
                state[key] = value

        def update_group(group, new_group):
            new_group["params"] = group["params"]
            if "param_names" in group and "param_names" not in new_group:
                new_group["param_names"] = group["param_names"]
            return new_group

        self.__setstate__({"state": state,
                           "param_groups": [update_group(g, s) for g, s in zip(groups, saved_groups)]})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)


def _with_step_hooks(step):
    @functools.wraps(step)
    def wrapper(*args, **kwargs):
        self = args[0]
        for hook in chain(_global_optimizer_pre_hooks.values(),
                          self._optimizer_step_pre_hooks.values()):
            result = hook(self, args, kwargs)
            if result is not None:
                if isinstance(result, tuple) and len(result) == 2:
                    args, kwargs = result
                else:
                    raise RuntimeError(f"{step} must return None or a tuple of (new_args, "
                                       f"new_kwargs), but got {result}.")
        out = step(*args, **kwargs)
        self._optimizer_step_code()
        for hook in chain(self._optimizer_step_post_hooks.values(),
                          _global_optimizer_post_hooks.values()):
            hook(self, args, kwargs)
        return out
    return wrapper


def _register(registry: OrderedDict, hook, prepend: bool) -> _RemovableHandle:
    handle = _RemovableHandle(registry)
    registry[handle.id] = hook
    if prepend:
        registry.move_to_end(handle.id, last=False)
    return handle


def _as_tensor(value) -> Tensor:
    """A tensor saved here or by PyTorch (or any array-like) as a unigrad tensor, values intact."""
    if isinstance(value, Tensor):
        return value
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # a torch.Tensor
        value = value.detach().cpu().numpy()
    return creation.tensor(value, device="cpu")  # host data, as PyTorch's loaded tensors are


def _is_tensor_like(value) -> bool:
    return isinstance(value, Tensor) or (hasattr(value, "__array__") and hasattr(value, "shape")
                                         and not isinstance(value, (int, float, bool)))


def _cast(param: Tensor, value, policy, key=None):
    """A deep copy of one parameter's saved state: tensors onto the parameter's device (floating
    ones in its dtype), except ``step``, which stays as saved (PyTorch's rule)."""
    if _is_tensor_like(value):
        tensor = _as_tensor(value)
        if key == "step":
            fused, capturable = policy
            if fused or capturable:
                return tensor.to(device=param.device, dtype=dtypes.float32)
            return tensor if tensor is not value else tensor.detach().clone()
        if param.is_floating_point() and tensor.is_floating_point():
            out = tensor.to(device=param.device, dtype=param.dtype)
        else:
            out = tensor.to(device=param.device)
        return out.clone() if out is value else out
    if isinstance(value, dict):
        return {k: _cast(param, v, policy, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast(param, v, policy) for v in value)
    return copy.deepcopy(value)


def check_hyperparameters(lr: float, eps: float = 0.0, weight_decay: float = 0.0,
                          momentum: float = 0.0, betas=None) -> None:
    """Refuse negative rates and out-of-range betas with PyTorch's messages."""
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if momentum < 0.0:
        raise ValueError(f"Invalid momentum value: {momentum}")
    if betas is not None:
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def check_fused(fused, foreach, differentiable) -> None:
    """PyTorch's refusals for ``fused`` (which here runs the same single-tensor update)."""
    if fused:
        if differentiable:
            raise RuntimeError("`fused` does not support `differentiable`")
        if foreach:
            raise RuntimeError("`fused` and `foreach` cannot be `True` together.")


def scalar(value):
    """A hyperparameter as a Python number (a 1-element tensor lr is read once per step)."""
    return value.item() if isinstance(value, Tensor) else value


def _scalar_dtype():
    """The dtype of scalar state (PyTorch's ``_get_scalar_dtype``): float32 unless the default
    dtype is float64."""
    return dtypes.float64 if dtypes.get_default_dtype() is dtypes.float64 else dtypes.float32


def _step_tensor(value: float = 0.0) -> Tensor:
    """The step counter lives on the host, as in PyTorch, so reading it never waits for a device."""
    return creation.tensor(value, dtype=_scalar_dtype(), device="cpu")


def weight_decayed(p, grad, group: dict):
    """``grad`` with the group's weight decay: added as ``weight_decay * p`` (L2), or, with
    ``decoupled_weight_decay``, applied to ``p`` directly (AdamW's rule)."""
    decay = group["weight_decay"]
    if not decay:
        return grad
    if group.get("decoupled_weight_decay"):
        p.mul_(1 - scalar(group["lr"]) * decay)
        return grad
    return grad.add(p, alpha=decay)


def grads_of(group: dict):
    """The parameters of a group that have a gradient, with their gradients (duplicates kept,
    as PyTorch visits them)."""
    with no_grad():
        return [(p, p.grad) for p in group["params"] if p.grad is not None]
