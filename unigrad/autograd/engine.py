"""The backward engine: an iterative walk of the graph in dependency order.

No recursion (a 10,000-op chain is fine), each node runs once with the sum of the gradients that
reached it, and unless ``retain_graph`` each node's saved state is freed as soon as it has run.
"""
from __future__ import annotations

import sys
import warnings

from ..api.autocast_state import local as _autocast
from .grad_mode import _state as _grad_state
from .node import FREED_MESSAGE, AccumulateGrad, anomaly


def _count_dependencies(roots) -> dict:
    """How many edges reach each node below ``roots`` (a node is first visited when counted)."""
    dependencies: dict = {}
    count_of = dependencies.get
    on_stack = set(roots) if len(roots) > 1 else ()  # a root below another root is already there
    stack = list(roots)
    pop, push = stack.pop, stack.append
    while stack:
        for child in pop()._next:
            if child is not None:
                count = count_of(child)
                if count is None:
                    dependencies[child] = 1
                    if child._next and child not in on_stack:
                        push(child)
                else:
                    dependencies[child] = count + 1
    return dependencies


def _apply_hooks(node, grad):
    for hook in node._pre_hooks:
        result = hook(grad)
        if result is not None:
            _check_hook_result(hook, grad, result)
            grad = result
    return grad


def _check_hook_result(hook, grad, result) -> None:
    """A tensor hook may replace the gradient, but not change its size, dtype or device."""
    name = getattr(hook, "__name__", type(hook).__name__)
    if not hasattr(result, "_buf"):
        raise TypeError(f"expected Tensor or None (got {type(result).__name__}) from hook '{name}'")
    if result._buf.shape != grad._buf.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value")
    if result._dtype is not grad._dtype or result._device is not grad._device:
        raise RuntimeError(f"hook '{name}' has changed the type of value (was {grad.type()} "
                           f"got {result.type()})")


def _node_prehooks(node, grad):
    for hook in tuple(node._node_hooks["pre"]):
        result = hook((grad,))
        if result is not None:
            grad = result[0]
    return grad


def _node_posthooks(node, child_grads, grad):
    for hook in tuple(node._node_hooks["post"]):
        result = hook(tuple(child_grads), (grad,))
        if result is not None:
            child_grads = tuple(result)
    return child_grads


def _anomalous_backward(node, backward_fn, grad):
    """Anomaly mode: on an error, show where the failing node was made in the forward pass;
    with ``check_nan``, a NaN among the gradients it returns is an error naming it."""
    try:
        child_grads = backward_fn(grad)
        if anomaly.check_nan:
            for i, child in enumerate(child_grads):
                dtype = getattr(child, "_dtype", None)
                if dtype is not None and dtype.is_floating_point and bool(child.detach().isnan().any()):
                    raise RuntimeError(f"Function '{node.name()}' returned nan values in its {i}th output.")
        return child_grads
    except Exception:
        trace = (node._metadata or {}).get("traceback_")
        if trace is None:
            warnings.warn(f"Error detected in {node.name()}. No forward pass information available. "
                          "Enable detect anomaly during forward pass for more information.", stacklevel=3)
        else:
            warnings.warn(f"Error detected in {node.name()}. Traceback of forward call that caused "
                          f"the error:\n{''.join(trace)}", stacklevel=3)
        raise


def call_backward(node, grad, create_graph: bool):
    """Run one node's backward: saved-tensor version checks, higher-order links, anomaly mode."""
    backward_fn = node.backward_fn
    if backward_fn is None:
        raise RuntimeError(FREED_MESSAGE)
    if node.saved:
        node.check_saved_versions()
        if node._packed is not None:
            node.unpack_saved()
        if create_graph:
            _link_saved_outputs(node, True)
    child_grads = _anomalous_backward(node, backward_fn, grad) if anomaly.enabled else backward_fn(grad)
    if create_graph and node.saved:
        _link_saved_outputs(node, False)
    return child_grads


class _GradOwnership:
    """Makes sure no two ``.grad`` fields share one buffer, and none is a view."""

    def __init__(self) -> None:
        self.handed_out: set = set()

    def own(self, grad):
        if grad._base is not None or id(grad._buf) in self.handed_out:
            grad = grad.clone()
        self.handed_out.add(id(grad._buf))
        return grad


def _accumulate(node: AccumulateGrad, grad, create_graph: bool, ownership: _GradOwnership) -> None:
    variable = node.variable
    current = variable._grad
    if current is None:
        grad = ownership.own(grad)
        variable._grad = grad if create_graph else grad.detach()  # the slot: no assignment checks
    elif create_graph or current._requires_grad or sys.getrefcount(current) > 3:
        # someone else holds the old .grad (or it is part of a graph): leave it untouched
        total = current + grad
        variable._grad = total if create_graph else total.detach()
    else:  # like PyTorch: accumulate in place when nobody else sees the old gradient
        buf = current._buf
        current._backend.add(buf, grad._buf if grad._dtype is current._dtype
                             else grad.to(current._dtype)._buf, out=buf)
        current._version[0] += 1


def _link_saved_outputs(node, link: bool) -> None:
    # A saved alias of an op's output must be differentiable through that op while a
    # higher-order graph is recorded, and unlinked afterwards so no reference cycle remains.
    for tensor, _ in node.saved:
        producer = tensor._producer
        if producer is not None and producer is not True:
            found = producer() if link else None
            tensor._grad_fn = found
            tensor._requires_grad = found is not None


def run_backward(roots, root_grads, retain_graph: bool, create_graph: bool,
                 capture=None, accumulate_into=None):
    """Propagate ``root_grads`` from the ``roots`` nodes.

    ``capture``: nodes whose total incoming gradient is returned (``autograd.grad``), in which
    case no leaf ``.grad`` is touched. ``accumulate_into``: if given, only these AccumulateGrad
    nodes accumulate (``backward(inputs=...)``).
    """
    dependencies = _count_dependencies(roots)
    grads: dict = {}
    for node, grad in zip(roots, root_grads):
        grads[node] = grad if node not in grads else grads[node] + grad
    ready = [node for node in (dict.fromkeys(roots) if len(roots) > 1 else roots)
             if dependencies.get(node, 0) == 0]
    captured = {} if capture is not None else None
    ownership = _GradOwnership()
    for grad in root_grads:  # the caller's gradient tensors never become (and grow as) a leaf's .grad
        ownership.handed_out.add(id(grad._buf))
    anomalous = anomaly.enabled
    previous_mode, previous_autocast = _grad_state.enabled, _autocast.active
    _grad_state.enabled = create_graph
    _autocast.active = False  # backward ops run in the dtypes autocast chose in forward
    take_grad, push_ready, get_grad = grads.pop, ready.append, grads.get
    try:
        while ready:
            node = ready.pop()
            grad = take_grad(node, None)
            if grad is not None:
                if node._pre_hooks:
                    grad = _apply_hooks(node, grad)
                if node._retained:
                    _store_retained(node, grad, create_graph, ownership)
                if node._node_hooks is not None:
                    grad = _node_prehooks(node, grad)
                if captured is not None and node in capture:
                    captured[node] = grad
            if node.__class__ is AccumulateGrad:
                if grad is not None and captured is None and (
                        accumulate_into is None or node in accumulate_into):
                    _accumulate(node, grad, create_graph, ownership)
                    if node._post_hooks:
                        for hook in tuple(node._post_hooks):
                            hook(node.variable)
                    if node._node_hooks is not None:
                        _node_posthooks(node, (), grad)
                continue
            if grad is None:
                child_grads = (None,) * len(node._next)
            else:
                backward_fn = node.backward_fn
                if backward_fn is None:
                    raise RuntimeError(FREED_MESSAGE)
                if node.saved:
                    node.check_saved_versions()
                    if node._packed is not None:
                        node.unpack_saved()
                    if create_graph:
                        _link_saved_outputs(node, True)
                if anomalous:
                    child_grads = _anomalous_backward(node, backward_fn, grad)
                else:
                    child_grads = backward_fn(grad)
                if create_graph and node.saved:
                    _link_saved_outputs(node, False)
                if node._node_hooks is not None:
                    child_grads = _node_posthooks(node, child_grads, grad)
                if not retain_graph:
                    node.release()
            for child, child_grad in zip(node._next, child_grads):
                if child is None:
                    continue
                if child_grad is not None:
                    previous = get_grad(child)
                    grads[child] = child_grad if previous is None else previous + child_grad
                remaining = dependencies[child] - 1
                dependencies[child] = remaining
                if remaining == 0:
                    push_ready(child)
    finally:
        _grad_state.enabled = previous_mode
        _autocast.active = previous_autocast
    return captured


def _store_retained(node, grad, create_graph: bool, ownership: _GradOwnership) -> None:
    for ref in node._retained:
        tensor = ref()
        if tensor is not None:
            kept = grad if create_graph else grad.detach()
            tensor.grad = kept if tensor.grad is None else tensor.grad + kept
            ownership.handed_out.add(id(tensor.grad._buf))


def run_subgraph(root, root_grad, boundary) -> tuple[dict, list]:
    """Propagate ``root_grad`` from ``root`` down to the ``boundary`` nodes, not past them.

    Returns the total gradient reaching each boundary node and the nodes run on the way. Used by
    composite nodes (one PyTorch-named node standing for several ops): nothing is accumulated,
    hooked, retained or released here; the enclosing backward does that for the boundary.
    """
    dependencies: dict = {}
    inner = []
    seen = {root}
    stack = [root]
    while stack:
        node = stack.pop()
        if node in boundary:
            continue
        if node.__class__ is AccumulateGrad:
            raise RuntimeError(f"a composite node reaches the leaf {node!r}, which is not among its "
                               "declared inputs (see unigrad.autograd.composite.presents_as)")
        inner.append(node)
        for child in node._next:
            if child is None:
                continue
            dependencies[child] = dependencies.get(child, 0) + 1
            if child not in seen:
                seen.add(child)
                stack.append(child)
    create_graph = _grad_state.enabled
    grads = {root: root_grad}
    ready = [root]
    captured: dict = {}
    while ready:
        node = ready.pop()
        grad = grads.pop(node, None)
        if node in boundary:
            if grad is not None:
                captured[node] = grad
            continue
        child_grads = (None,) * len(node._next) if grad is None else call_backward(node, grad, create_graph)
        for child, child_grad in zip(node._next, child_grads):
            if child is None:
                continue
            if child_grad is not None:
                previous = grads.get(child)
                grads[child] = child_grad if previous is None else previous + child_grad
            dependencies[child] -= 1
            if dependencies[child] == 0:
                ready.append(child)
    return captured, inner
