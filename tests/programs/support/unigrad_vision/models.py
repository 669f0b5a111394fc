"""``torchvision.models`` (see ``support.vision.models``), so that ``import ...vision.models`` works."""
import sys

from ..vision import models

sys.modules[__name__] = models
