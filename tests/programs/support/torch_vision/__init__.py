"""torchvision's ``datasets``, ``transforms``, ``models`` and ``utils``, built on torch."""
import torch

from .. import _framework

_framework.use(torch)

from ..vision import datasets, models, transforms, utils  # noqa: E402,F401
