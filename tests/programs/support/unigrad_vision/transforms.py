"""``torchvision.transforms`` (see ``support.vision.transforms``), so that ``import ...vision.transforms`` works."""
import sys

from ..vision import transforms

sys.modules[__name__] = transforms
