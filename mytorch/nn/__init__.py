"""mytorch.nn: modules, functional ops on the chosen kernels, init and utils, as torch.nn."""
from mytorch.nn import functional, init, modules, parallel, parameter, utils
from mytorch.nn.modules import *  # noqa: F401,F403
from mytorch.nn.modules import __all__ as _modules_all
from mytorch.nn.parameter import Buffer, Parameter

__all__ = ["functional", "init", "parallel", "utils", "Parameter", "Buffer"] + _modules_all
