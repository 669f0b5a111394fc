"""``torch.autograd.graph``: the ``Node`` type of ``grad_fn`` objects, and hooks on the tensors
the graph saves for backward (``saved_tensors_hooks``, ``save_on_cpu``)."""
from __future__ import annotations

from .node import Node, RemovableHandle, saved_tensors_hooks_stack

__all__ = ["Node", "RemovableHandle", "disable_saved_tensors_hooks", "increment_version",
           "save_on_cpu", "saved_tensors_hooks"]

_disabled_message: list = []


class saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Inside this context, every tensor saved for backward is passed to ``pack_hook``, and
    ``unpack_hook`` gets what it returned when backward needs the tensor.

    Custom ``autograd.Function``s keep only the packed value and compute with the unpacked one
    (so ``pack_hook`` can offload or compress what ``ctx.save_for_backward`` keeps). Built-in ops
    call both hooks on their saved tensors at the same moments as PyTorch, but their backward
    computes from the tensors it already holds: the hooks observe what is saved without replacing
    it, and memory is not reduced for them. The scope is process-wide (PyTorch's is per thread).
    """

    def __init__(self, pack_hook, unpack_hook) -> None:
        self.pack_hook, self.unpack_hook = pack_hook, unpack_hook

    def __enter__(self):
        if _disabled_message:
            raise RuntimeError(_disabled_message[-1])
        saved_tensors_hooks_stack.append((self.pack_hook, self.unpack_hook))
        return self

    def __exit__(self, *exc_info) -> None:
        saved_tensors_hooks_stack.pop()


class save_on_cpu(saved_tensors_hooks):  # noqa: N801 - PyTorch's name
    """Saved tensors are copied to the CPU when packed and moved back to their device when
    unpacked (``pin_memory`` is accepted; unigrad does not page-lock memory)."""

    def __init__(self, pin_memory: bool = False, device_type: str = "cuda") -> None:
        def pack(tensor):
            return tensor.device, tensor.detach().to("cpu", copy=True)

        def unpack(packed):
            device, tensor = packed
            return tensor.to(device)

        super().__init__(pack, unpack)


class disable_saved_tensors_hooks:  # noqa: N801 - PyTorch's name
    """Make entering ``saved_tensors_hooks`` raise ``RuntimeError(error_message)`` inside."""

    def __init__(self, error_message: str) -> None:
        self.error_message = error_message

    def __enter__(self):
        _disabled_message.append(self.error_message)
        return self

    def __exit__(self, *exc_info) -> None:
        _disabled_message.pop()


def increment_version(tensor) -> None:
    """Bump the version counter, as an in-place change would (saved copies then fail to unpack)."""
    for t in (tensor if isinstance(tensor, (list, tuple)) else (tensor,)):
        t._version[0] += 1
