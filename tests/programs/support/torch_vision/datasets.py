"""``torchvision.datasets`` (see ``support.vision.datasets``), so that ``import ...vision.datasets`` works."""
import sys

from ..vision import datasets

sys.modules[__name__] = datasets
