"""Layout arithmetic on (shape, strides) metadata, done on the host before a kernel launch."""
from __future__ import annotations


def coalesce(shape, stride_lists) -> tuple[tuple, list]:
    """Drop size-1 dimensions and merge neighbours that every operand walks as one dimension
    (``stride[d] == stride[d+1] * shape[d+1]`` for all), so kernels see as few dimensions as
    the layouts allow. Returns the new shape and one stride tuple per operand."""
    keep = [d for d, n in enumerate(shape) if n != 1]
    new_shape: list = []
    new_strides: list = [[] for _ in stride_lists]
    for d in keep:
        n = shape[d]
        if new_shape and all(s[d] * n == merged[-1] for s, merged in zip(stride_lists, new_strides)):
            new_shape[-1] *= n
            for s, merged in zip(stride_lists, new_strides):
                merged[-1] = s[d]
            continue
        new_shape.append(n)
        for s, merged in zip(stride_lists, new_strides):
            merged.append(s[d])
    return tuple(new_shape), [tuple(s) for s in new_strides]


def is_dense(shape, stride_lists) -> bool:
    """Every operand's elements are consecutive in C order (after ``coalesce``)."""
    if len(shape) == 0:
        return True
    return len(shape) == 1 and all(s[0] == 1 for s in stride_lists)
