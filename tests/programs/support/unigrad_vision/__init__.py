"""torchvision's ``datasets``, ``transforms``, ``models`` and ``utils``, built on unigrad."""
import unigrad

from .. import _framework

_framework.use(unigrad)

from ..vision import datasets, models, transforms, utils  # noqa: E402,F401
