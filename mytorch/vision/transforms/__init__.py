"""torchvision.transforms: the classes (``transforms.py``, ``autoaugment.py``) and ``transforms.functional``."""
from mytorch.vision.transforms import functional
from mytorch.vision.transforms.autoaugment import *  # noqa: F401,F403
from mytorch.vision.transforms.autoaugment import __all__ as _auto
from mytorch.vision.transforms.transforms import *  # noqa: F401,F403
from mytorch.vision.transforms.transforms import __all__ as _classes

__all__ = list(_classes) + list(_auto) + ["functional"]
