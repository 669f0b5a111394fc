"""``torchvision.utils`` (see ``support.vision.utils``), so that ``import ...vision.utils`` works."""
import sys

from ..vision import utils

sys.modules[__name__] = utils
