"""The multi-tensor ("foreach") path of the common optimizers: one pass over a group's parameters
computing each update on backend buffers, in place.

The single-tensor path in each optimizer's ``step`` spends most of its time, for the parameter
sizes of small and medium models, in the per-op work of the frontend (a dozen in-place ops per
parameter, each checking, allocating and committing). Here each update is the same sequence of
element-wise primitives in the same order, written into the state and parameter buffers with
``out=``, so the results are bitwise those of the single-tensor path; the version counters of the
tensors written are advanced as the in-place ops would. It is used when ``foreach`` is not False
(PyTorch's default, None, picks the fastest path), for float32/float64 parameters whose gradients
share their dtype and device, outside ``differentiable`` mode.
"""
from __future__ import annotations

from ..api import creation, dtypes
from ..jit import scalars

_FLOATS = (dtypes.float32, dtypes.float64)


def applies(group: dict) -> bool:
    """Whether the group's step can take the buffer path."""
    if group.get("foreach") is False or group.get("differentiable"):
        return False
    for p in group["params"]:
        grad = p._grad
        if grad is None:
            continue
        if p._dtype not in _FLOATS or grad._dtype is not p._dtype or grad._device is not p._device:
            return False
    return True


def _stepped(optimizer, group: dict, names):
    """``(p, grad buffer, state, step)`` per parameter with a gradient: the state created (zeros
    named ``names``) on first use, its step counter advanced, the gradient negated under
    ``maximize``."""
    maximize = group["maximize"]
    for p in group["params"]:
        grad = p._grad
        if grad is None:
            continue
        state = optimizer.state[p]
        if not state:
            from .optimizer import _step_tensor
            state["step"] = _step_tensor()
            for name in names:
                state[name] = creation.zeros_like(p)
        counter = state["step"]
        b = counter._backend
        b.add(counter._buf, 1.0, out=counter._buf)
        counter._version[0] += 1
        g = grad._buf
        if maximize:
            g = p._backend.neg(g)
        yield p, g, state, scalars.item(counter)  # traced inside a compiled step


def _bump(*tensors) -> None:
    for t in tensors:
        t._version[0] += 1


def _decayed(b, p, g, group: dict, lr: float):
    """``g + decay * p`` (L2), or with decoupled weight decay ``p *= 1 - lr * decay`` and ``g``."""
    decay = group["weight_decay"]
    if not decay:
        return g
    if group.get("decoupled_weight_decay"):
        b.mul(p._buf, 1 - lr * decay, out=p._buf)
        return g
    return b.add(g, b.mul(p._buf, decay))


def _add_scaled_product(b, x, a, c, value) -> None:
    """``x += a * c * value`` (addcmul_'s order of operations), in place."""
    product = b.mul(a, c)
    if value != 1:
        b.mul(product, value, out=product)
    b.add(x, product, out=x)


def _scalar(value):
    from .optimizer import scalar
    return scalar(value)


def sgd(optimizer, group: dict, buffers: list, pairs: list) -> None:
    """SGD with momentum, dampening, Nesterov and weight decay (``buffers``: the momentum buffers,
    read before the loop as the single-tensor path reads them)."""
    lr, momentum, dampening = _scalar(group["lr"]), group["momentum"], group["dampening"]
    decay, nesterov, maximize = group["weight_decay"], group["nesterov"], group["maximize"]
    for i, (p, grad) in enumerate(pairs):
        b = p._backend
        g = grad._buf
        if maximize:
            g = b.neg(g)
        if decay != 0:
            g = b.add(g, b.mul(p._buf, decay))
        if momentum != 0:
            buf = buffers[i]
            if buf is None:
                copy = b.empty(g.shape, p._dtype)
                b.copy_(copy, g)
                buf = buffers[i] = p._like(copy)
            else:
                b.mul(buf._buf, momentum, out=buf._buf)
                if 1 - dampening != 1:
                    b.add(buf._buf, b.mul(g, 1 - dampening), out=buf._buf)
                else:
                    b.add(buf._buf, g, out=buf._buf)
                _bump(buf)
            g = b.add(g, b.mul(buf._buf, momentum)) if nesterov else buf._buf
        b.add(p._buf, b.mul(g, -lr), out=p._buf)
        _bump(p)


def adam(optimizer, group: dict) -> None:
    """Adam and AdamW (``decoupled_weight_decay``), with amsgrad."""
    beta1, beta2 = (_scalar(v) for v in group["betas"])
    lr, eps, amsgrad = _scalar(group["lr"]), group["eps"], group["amsgrad"]
    names = ("exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if amsgrad else ())
    for p, g, state, step in _stepped(optimizer, group, names):
        b = p._backend
        g = _decayed(b, p, g, group, lr)
        exp_avg, exp_avg_sq = state["exp_avg"], state["exp_avg_sq"]
        m, v = exp_avg._buf, exp_avg_sq._buf
        change = b.sub(g, m)  # lerp_: m + w (g - m)
        b.mul(change, 1 - beta1, out=change)
        b.add(m, change, out=m)
        b.mul(v, beta2, out=v)
        _add_scaled_product(b, v, g, g, 1 - beta2)
        bias_correction1 = 1 - beta1 ** step
        bias_correction2_sqrt = scalars.sqrt(1 - beta2 ** step)
        step_size = lr / bias_correction1
        if amsgrad:
            maximum = state["max_exp_avg_sq"]
            b.maximum(maximum._buf, v, out=maximum._buf)
            _bump(maximum)
            v = maximum._buf
        denom = b.sqrt(v)
        b.div(denom, bias_correction2_sqrt, out=denom)
        b.add(denom, eps, out=denom)
        update = b.div(m, denom)  # p + m / denom * -step_size
        b.mul(update, -step_size, out=update)
        b.add(p._buf, update, out=p._buf)
        _bump(p, exp_avg, exp_avg_sq)


def adadelta(optimizer, group: dict) -> None:
    rho, eps, lr = group["rho"], group["eps"], _scalar(group["lr"])
    for p, g, state, _ in _stepped(optimizer, group, ("square_avg", "acc_delta")):
        b = p._backend
        g = _decayed(b, p, g, group, lr)
        square_avg, acc_delta = state["square_avg"], state["acc_delta"]
        s, a = square_avg._buf, acc_delta._buf
        b.mul(s, rho, out=s)
        _add_scaled_product(b, s, g, g, 1 - rho)
        std = b.add(s, eps)
        b.sqrt(std, out=std)
        delta = b.add(a, eps)
        b.sqrt(delta, out=delta)
        b.div(delta, std, out=delta)
        b.mul(delta, g, out=delta)
        b.mul(a, rho, out=a)
        _add_scaled_product(b, a, delta, delta, 1 - rho)
        b.add(p._buf, b.mul(delta, -lr), out=p._buf)
        _bump(p, square_avg, acc_delta)


def rmsprop(optimizer, group: dict) -> None:
    alpha, momentum, eps, lr = group["alpha"], group["momentum"], group["eps"], _scalar(group["lr"])
    centered = group["centered"]
    names = ("square_avg",) + (("momentum_buffer",) if momentum > 0 else ()) + (("grad_avg",) if centered else ())
    for p, g, state, _ in _stepped(optimizer, group, names):
        b = p._backend
        g = _decayed(b, p, g, group, lr)
        square_avg = state["square_avg"]
        s = square_avg._buf
        b.mul(s, alpha, out=s)
        _add_scaled_product(b, s, g, g, 1 - alpha)
        written = [p, square_avg]
        if centered:
            grad_avg = state["grad_avg"]
            change = b.sub(g, grad_avg._buf)  # lerp_
            b.mul(change, 1 - alpha, out=change)
            b.add(grad_avg._buf, change, out=grad_avg._buf)
            avg = b.mul(grad_avg._buf, grad_avg._buf)  # addcmul(grad_avg, grad_avg, value=-1)
            b.mul(avg, -1, out=avg)
            b.add(s, avg, out=avg)
            b.sqrt(avg, out=avg)
            written.append(grad_avg)
        else:
            avg = b.sqrt(s)
        b.add(avg, eps, out=avg)
        if momentum > 0:
            buf = state["momentum_buffer"]
            b.mul(buf._buf, momentum, out=buf._buf)
            b.add(buf._buf, b.div(g, avg), out=buf._buf)  # addcdiv_ with value 1
            b.add(p._buf, b.mul(buf._buf, -lr), out=p._buf)
            written.append(buf)
        else:
            update = b.div(g, avg)
            b.mul(update, -lr, out=update)
            b.add(p._buf, update, out=p._buf)
        _bump(*written)


def adagrad(optimizer, group: dict) -> bool:
    """Adagrad; False (nothing done) when a parameter lacks the state Adagrad makes in __init__."""
    if any(p._grad is not None and "sum" not in optimizer.state[p] for p in group["params"]):
        return False
    lr, lr_decay, eps = _scalar(group["lr"]), group["lr_decay"], group["eps"]
    for p, g, state, step in _stepped(optimizer, group, ()):
        b = p._backend
        g = _decayed(b, p, g, group, lr)
        clr = lr / (1 + (step - 1) * lr_decay)
        total = state["sum"]
        _add_scaled_product(b, total._buf, g, g, 1)
        std = b.sqrt(total._buf)
        b.add(std, eps, out=std)
        update = b.div(g, std)
        b.mul(update, -clr, out=update)
        b.add(p._buf, update, out=p._buf)
        _bump(p, total)
    return True
