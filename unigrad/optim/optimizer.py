"""``Optimizer``: parameter groups, per-parameter state, and state_dict round trips."""
from __future__ import annotations

import copy
import warnings
from collections import defaultdict

from ..api import creation
from ..api.tensor import Tensor
from ..autograd.grad_mode import no_grad


class _RequiredParameter:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _RequiredParameter()


class Optimizer:
    """Base class of optimizers (``torch.optim.Optimizer``).

    Subclasses implement ``step``; updates are in-place tensor ops under ``no_grad``, so they run
    as backend primitives on the parameters' own device.
    """

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = defaults
        self.state: defaultdict = defaultdict(dict)
        self.param_groups: list = []
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(group):
                if key != "params":
                    lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyperparameters (missing ones from defaults)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, but the "
                            "ordering of tensors in sets will change between runs. Please use a list instead.")
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        group = dict(param_group, params=params)
        for name, default in self.defaults.items():
            if default is required and name not in group:
                raise ValueError(f"parameter group didn't specify a value of required optimization "
                                 f"parameter {name}")
            group.setdefault(name, default)
        if len({id(p) for p in params}) != len(params):
            # PyTorch warns and keeps them (a repeated parameter is updated once per occurrence)
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in future, "
                          "this will cause an error; see github.com/pytorch/pytorch/issues/40967 for more "
                          "information", stacklevel=3)
        existing = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in existing for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Reset the gradients of every optimized parameter."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.detach_().zero_()

    def step(self, closure=None):
        raise NotImplementedError

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

    def _closure_loss(self, closure):
        if closure is None:
            return None
        from ..autograd.grad_mode import enable_grad
        with enable_grad():
            return closure()

    # ----- state dict ------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``."""
        index_of, groups = {}, []
        start = 0
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = list(range(start, start + len(group["params"])))
            index_of.update({id(p): i for p, i in zip(group["params"], ids)})
            packed["params"] = ids
            groups.append(packed)
            start += len(ids)
        state = {index_of[id(p)]: dict(s) for p, s in self._param_state_items() if id(p) in index_of}
        return {"state": state, "param_groups": groups}

    def _param_state_items(self):
        by_id = {id(p): p for g in self.param_groups for p in g["params"]}
        for key, value in self.state.items():
            param = by_id.get(id(key))
            if param is not None:
                yield param, value

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyperparameters and state saved by ``state_dict`` (same parameter layout)."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for mine, saved in zip(self.param_groups, groups):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError("loaded state dict contains a parameter group that doesn't match "
                                 "the size of optimizer's group")
        saved_state = state_dict["state"]
        new_state: defaultdict = defaultdict(dict)
        for mine, saved in zip(self.param_groups, groups):
            for param, index in zip(mine["params"], saved["params"]):
                entry = saved_state.get(index, saved_state.get(str(index)))
                if entry is None:
                    continue
                new_state[param] = {k: _cast_state(param, k, v) for k, v in entry.items()}
        for mine, saved in zip(self.param_groups, groups):
            params = mine["params"]
            mine.clear()
            mine.update({k: copy.deepcopy(v) for k, v in saved.items() if k != "params"})
            mine["params"] = params
        self.state = new_state


def _cast_state(param: Tensor, key: str, value):
    if isinstance(value, Tensor):
        if key == "step":  # kept as a host float scalar, like PyTorch's non-capturable path
            return value.detach().clone().to("cpu")
        out = value.detach().clone()
        if out.is_floating_point():
            out = out.to(param.dtype)
        return out.to(param.device)
    if hasattr(value, "__array__") and not isinstance(value, (int, float)):
        return _cast_state(param, key, creation.tensor(value))
    return copy.deepcopy(value)


def check_hyperparameters(lr: float, eps: float = 0.0, weight_decay: float = 0.0,
                          momentum: float = 0.0, betas=None) -> None:
    """Refuse negative rates and out-of-range betas with PyTorch's messages."""
    if lr < 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")
    if eps < 0.0:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if momentum < 0.0:
        raise ValueError(f"Invalid momentum value: {momentum}")
    if betas is not None and not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
        raise ValueError(f"Invalid beta parameters: {betas}")
    if weight_decay < 0.0:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _step_tensor():
    """The step counter lives on the host, as in PyTorch, so reading it never waits for a device."""
    return creation.tensor(0.0, device="cpu")


def weight_decayed(p, grad, group: dict):
    """``grad`` with the group's weight decay: added as ``weight_decay * p`` (L2), or, with
    ``decoupled_weight_decay``, applied to ``p`` directly (AdamW's rule)."""
    decay = group["weight_decay"]
    if not decay:
        return grad
    if group.get("decoupled_weight_decay"):
        p.mul_(1 - group["lr"] * decay)
        return grad
    return grad.add(p, alpha=decay)


def grads_of(group: dict):
    """The parameters of a group that have a gradient, with their gradients."""
    with no_grad():
        return [(p, p.grad) for p in group["params"] if p.grad is not None]
