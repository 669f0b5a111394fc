"""``backward`` and ``grad``: the entry points into the engine."""
from __future__ import annotations

from .engine import run_backward
from .node import edge_of


def _as_list(value):
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def _root_grads(outputs, grad_outputs, create_graph: bool):
    grads = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(
                    f"grad can be implicitly created only for scalar outputs (output {i} has shape "
                    f"{list(out.shape)}); pass `gradient=` to backward()")
            g = out._like(out._backend.full(out._buf.shape, 1, out._dtype))
        elif g.shape != out.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of {g.shape} and "
                               f"output[{i}] has a shape of {out.shape}.")
        elif g._device is not out._device:
            raise RuntimeError(f"grad_output[{i}] is on {g._device} but output[{i}] is on {out._device}")
        grads.append(g if create_graph else g.detach())
    return grads


def _roots(outputs):
    roots = []
    for i, out in enumerate(outputs):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have a grad_fn")
        roots.append(edge_of(out))
    return roots


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph: bool = False,
             inputs=None) -> None:
    """Accumulate gradients of ``tensors`` into the ``.grad`` of the leaves that need them."""
    outputs = _as_list(tensors)
    grad_outputs = _as_list(grad_tensors) or [None] * len(outputs)
    if len(grad_outputs) != len(outputs):
        raise RuntimeError(f"got {len(grad_outputs)} gradients for {len(outputs)} tensors")
    roots = _roots(outputs)
    grads = _root_grads(outputs, grad_outputs, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    only = None
    if inputs is not None:
        input_list = _as_list(inputs)
        if not input_list:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
        only = {edge_of(t) for t in input_list}
    run_backward(roots, grads, retain_graph, create_graph, accumulate_into=only)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph: bool = False,
         allow_unused: bool = False, materialize_grads: bool = False):
    """Gradients of ``outputs`` with respect to ``inputs``, returned (not accumulated)."""
    outputs = _as_list(outputs)
    inputs = _as_list(inputs)
    grad_outputs = _as_list(grad_outputs) or [None] * len(outputs)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"One of the differentiated Tensors (input {i}) does not require grad")
    roots = _roots(outputs)
    grads = _root_grads(outputs, grad_outputs, create_graph)
    if retain_graph is None:
        retain_graph = create_graph
    targets = [edge_of(t) for t in inputs]
    captured = run_backward(roots, grads, retain_graph, create_graph, capture=set(targets))
    results = []
    for i, (t, node) in enumerate(zip(inputs, targets)):
        g = captured.get(node)
        if g is None:
            if materialize_grads:
                from ..api.creation import zeros_like
                g = zeros_like(t)
            elif not allow_unused:
                raise RuntimeError(
                    f"One of the differentiated Tensors (input {i}) appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior.")
        elif not create_graph:
            g = g.detach()
        results.append(g)
    return tuple(results)


# PyTorch's torch.autograd.functional lives under this name too
from .derivatives import hessian, hvp, jacobian, jvp, vhp, vjp  # noqa: E402,F401
