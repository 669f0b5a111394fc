"""``gradcheck``: autograd's Jacobian against central finite differences in float64."""
from __future__ import annotations

import numpy as np

from .functional import grad as autograd_grad


class GradcheckError(RuntimeError):
    """The analytical and numerical Jacobians disagree."""


def _tensors(inputs):
    from ..api.tensor import Tensor
    if isinstance(inputs, Tensor):
        inputs = (inputs,)
    return tuple(inputs), [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]


def _outputs(func, inputs):
    from ..api.tensor import Tensor
    out = func(*inputs)
    return (out,) if isinstance(out, Tensor) else tuple(o for o in out if isinstance(o, Tensor))


def _numerical_jacobian(func, inputs, index: int, output_index: int, eps: float) -> np.ndarray:
    from ..api.creation import tensor
    x = inputs[index].detach()
    shape, n = tuple(x.shape), x.numel()
    columns = []
    for k in range(n):
        delta = np.zeros(n)
        delta[k] = eps
        step = tensor(delta.reshape(shape), dtype=x.dtype, device=x.device)
        values = []
        for moved in (x + step, x - step):
            shifted = list(inputs)
            shifted[index] = moved.requires_grad_(True)  # func may differentiate (gradgradcheck)
            out = _outputs(func, shifted)[output_index]
            values.append(np.asarray(out.detach()._host(), dtype=np.float64).reshape(-1))
        columns.append((values[0] - values[1]) / (2 * eps))
    size = _outputs(func, inputs)[output_index].numel()
    return np.stack(columns, axis=1) if columns else np.zeros((size, 0))


def _analytical_jacobian(func, inputs, index: int, output_index: int) -> np.ndarray:
    from ..api.creation import zeros_like
    out = _outputs(func, inputs)[output_index]
    rows = []
    for k in range(out.numel()):
        seed = zeros_like(out)
        seed.reshape(-1)[k] = 1.0
        (g,) = autograd_grad([out], [inputs[index]], [seed], retain_graph=True, allow_unused=True)
        rows.append(np.zeros(inputs[index].numel()) if g is None
                    else np.asarray(g.detach()._host(), dtype=np.float64).reshape(-1))
    return np.stack(rows, axis=0) if rows else np.zeros((0, inputs[index].numel()))


def gradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              raise_exception: bool = True, **_ignored) -> bool:
    """Check ``func``'s gradients for the inputs that require grad (use float64 inputs)."""
    inputs, differentiable = _tensors(inputs)
    outputs = _outputs(func, inputs)
    for o_index in range(len(outputs)):
        for i in differentiable:
            numerical = _numerical_jacobian(func, inputs, i, o_index, eps)
            analytical = _analytical_jacobian(func, inputs, i, o_index)
            if not np.allclose(analytical, numerical, rtol=rtol, atol=atol, equal_nan=True):
                worst = np.unravel_index(np.argmax(np.abs(analytical - numerical)), numerical.shape)
                message = (f"Jacobian mismatch for output {o_index} with respect to input {i}:\n"
                           f"numerical:\n{numerical}\nanalytical:\n{analytical}\n"
                           f"worst entry {worst}: numerical {numerical[worst]}, "
                           f"analytical {analytical[worst]}")
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def gradgradcheck(func, inputs, *, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
                  raise_exception: bool = True, **_ignored) -> bool:
    """Check second derivatives: gradcheck of the function's first-order gradients."""
    inputs, differentiable = _tensors(inputs)

    def first_order(*xs):
        outs = _outputs(func, xs)
        total = sum((o * o).sum() for o in outs)  # a fixed scalar of the outputs
        return autograd_grad([total], [xs[i] for i in differentiable], create_graph=True,
                             allow_unused=True)

    return gradcheck(first_order, inputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
