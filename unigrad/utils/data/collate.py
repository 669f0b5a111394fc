"""``default_collate``: turn a list of samples into a batch, as PyTorch does."""
from __future__ import annotations

import collections.abc
import numbers

import numpy as np

from ...api import creation, dtypes
from ...api.ops import shape as sh
from ...api.tensor import Tensor


def default_collate(batch):
    """Stack tensors/arrays, tensorise numbers, and recurse into tuples, lists and dicts."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return sh.stack(list(batch), 0)
    batch = list(batch) if not isinstance(elem, (str, bytes)) else batch
    if isinstance(elem, np.ndarray):
        if elem.dtype.kind in "OSU":
            raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, "
                            f"dicts or lists; found {elem.dtype}")
        return creation.tensor(np.stack(batch))
    if isinstance(elem, np.generic):
        return creation.tensor(np.array(batch))
    if isinstance(elem, bool):
        return creation.tensor(batch, dtype=dtypes.bool)
    if isinstance(elem, numbers.Integral):
        return creation.tensor(batch, dtype=dtypes.int64)
    if isinstance(elem, numbers.Real):
        return creation.tensor(batch, dtype=dtypes.float64)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        return type(elem)({key: default_collate([d[key] for d in batch]) for key in elem}) \
            if not isinstance(elem, dict) or type(elem) is dict else \
            {key: default_collate([d[key] for d in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = [default_collate(samples) for samples in zip(*batch)]
        return tuple(transposed) if isinstance(elem, tuple) else transposed
    raise TypeError(f"default_collate: batch must contain tensors, numpy arrays, numbers, dicts or "
                    f"lists; found {type(elem)}")


def default_convert(data):
    if isinstance(data, np.ndarray) and data.dtype.kind not in "OSU":
        return creation.tensor(data)
    return data
