"""mytorch.nn: modules, functional ops on the chosen kernels, init and utils, as torch.nn."""
from mytorch.nn import functional, init, modules, parameter, utils
from mytorch.nn.modules import *  # noqa: F401,F403
from mytorch.nn.modules import __all__ as _modules_all
from mytorch.nn.parameter import Buffer, Parameter
from mytorch.nn.utils import prune  # noqa: F401
from mytorch.nn.utils.spectral_norm import remove_spectral_norm, spectral_norm
from mytorch.nn.utils.weight_norm import remove_weight_norm, weight_norm

# NOTE: torch exposes these as nn.utils.<function>; the package's __init__ (RNN's file) should import
# them itself. Until it does, nn sets them (replacing the same-named submodule attributes, as torch's
# own `from .spectral_norm import spectral_norm` does).
utils.spectral_norm, utils.remove_spectral_norm = spectral_norm, remove_spectral_norm
utils.weight_norm, utils.remove_weight_norm = weight_norm, remove_weight_norm

__all__ = ["functional", "init", "utils", "Parameter", "Buffer"] + _modules_all
