"""``unigrad.utils.tensorboard.SummaryWriter``: TensorBoard event files via tensorboardX.

Install with ``pip install "unigrad[tensorboard]"``. Tensors are converted to NumPy arrays before
they are handed to the writer.
"""
from __future__ import annotations

import numpy as np

from ...api.tensor import Tensor


def _host(value):
    if isinstance(value, Tensor):
        return np.asarray(value.detach()._host())
    return value


class SummaryWriter:
    """Write scalars, histograms and images for TensorBoard (``torch.utils.tensorboard``)."""

    def __init__(self, log_dir=None, comment: str = "", purge_step=None, max_queue: int = 10,
                 flush_secs: int = 120, filename_suffix: str = "") -> None:
        try:
            from tensorboardX import SummaryWriter as _Writer
        except ImportError as error:
            raise ImportError("TensorBoard logging needs tensorboardX: pip install 'unigrad[tensorboard]'") from error
        self._writer = _Writer(logdir=log_dir, comment=comment, purge_step=purge_step,
                               max_queue=max_queue, flush_secs=flush_secs, filename_suffix=filename_suffix)
        self.log_dir = self._writer.logdir

    def add_scalar(self, tag: str, scalar_value, global_step=None, walltime=None) -> None:
        value = _host(scalar_value)
        self._writer.add_scalar(tag, float(np.asarray(value)), global_step, walltime)

    def add_scalars(self, main_tag: str, tag_scalar_dict: dict, global_step=None, walltime=None) -> None:
        values = {k: float(np.asarray(_host(v))) for k, v in tag_scalar_dict.items()}
        self._writer.add_scalars(main_tag, values, global_step, walltime)

    def add_histogram(self, tag: str, values, global_step=None, bins="tensorflow", walltime=None) -> None:
        self._writer.add_histogram(tag, _host(values), global_step, bins, walltime)

    def add_image(self, tag: str, img_tensor, global_step=None, walltime=None, dataformats: str = "CHW") -> None:
        self._writer.add_image(tag, _host(img_tensor), global_step, walltime, dataformats=dataformats)

    def add_text(self, tag: str, text_string: str, global_step=None, walltime=None) -> None:
        self._writer.add_text(tag, text_string, global_step, walltime)

    def flush(self) -> None:
        self._writer.flush()

    def close(self) -> None:
        self._writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()
