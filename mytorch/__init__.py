"""mytorch: a NumPy re-implementation of PyTorch's core (Tensor, autograd, nn, optim).

``import mytorch as torch`` in an MNIST-style training script and it runs unchanged on the CPU.
"""
from mytorch import _dtype
from mytorch._dtype import (dtype, bfloat16, float32, float64, float16, int64, int32, int16, int8, uint8,
                            can_cast, finfo, get_default_dtype, iinfo, promote_types, result_type,
                            set_default_dtype)
from mytorch._threads import get_num_threads, set_num_threads
from mytorch.autograd import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled, no_grad,
                              set_grad_enabled)
from mytorch.creation import *  # noqa: F401,F403  (factories, samplers, FloatTensor & co., empty_strided, ...)
from mytorch.device import device, get_default_device, set_default_device
from mytorch.ops import (abs, add, allclose, amax, amin, argmax, argmin, bitwise_not, cat, clamp, clip,
                         clone, concat, concatenate, div, divide, eq, equal, exp, flatten, floor_divide, ge, greater, greater_equal, gt, isfinite, isnan, le, less,
                         less_equal, log, logical_and, logical_not, lt, matmul, max, maximum, mean, min,
                         minimum, mm, mul, multiply, ne, neg, negative, not_equal, permute, pow, relu,
                         remainder, repeat, reshape, rsqrt, rsub, sigmoid, sqrt, squeeze, stack, std, sub,
                         subtract, sum, swapaxes, t, tanh, transpose, true_divide, unsqueeze, var, where)
# NOTE: fork_rng stays at mytorch.random.fork_rng only: torch has no top-level torch.fork_rng.
from mytorch.random import (Generator, default_generator, get_rng_state, initial_seed, manual_seed, seed,
                            set_rng_state)
from mytorch.tensor import Size, Tensor
from mytorch._pointwise import *  # noqa: F401,F403,E402  (each op module lists its public names in __all__)
from mytorch._reduce import *  # noqa: F401,F403,E402
from mytorch._shape import *  # noqa: F401,F403,E402
from mytorch._printing import *  # noqa: F401,F403,E402
from mytorch import backends, linalg, nn, optim, random, utils, vision  # noqa: E402  (after Tensor, which they build on)
from mytorch.serialization import load, save  # noqa: E402
from mytorch import amp, cuda, jit, mps, special, version, xpu  # noqa: E402
from mytorch._settings import *  # noqa: F401,F403,E402  (matmul precision, determinism, interop threads, compile)
from mytorch.amp import autocast  # noqa: E402
from mytorch import distributions  # noqa: E402
from mytorch import multiprocessing  # noqa: E402

float = float32  # noqa: A001  (torch's aliases; they shadow the builtins inside this module only)
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16
bool = _dtype.bool_  # noqa: A001

__version__ = version.__version__


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.dtype.is_floating_point


def numel(input):
    return input.numel()


def softmax(input, dim, dtype=None):
    from mytorch.nn import functional
    return functional.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim, dtype=None):
    from mytorch.nn import functional
    return functional.log_softmax(input, dim, dtype=dtype)


class accelerator:
    @staticmethod
    def is_available():
        return False
