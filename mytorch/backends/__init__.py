"""Which kernels implementation runs convolution and pooling: chosen in this one place.

- ``MYTORCH_KERNELS=reference|numpy|numba|auto`` is read once, at import;
- ``set_kernels(name)`` changes it; ``get_kernels()`` tells it;
- ``with using_kernels(name):`` switches it for a block.

Within the numba implementation each convolution takes one route (direct, winograd, 1x1, depthwise,
im2col, im2col_wide), picked from the layer's geometry by ``kernels.routes.choose_route``;
``set_route(name)`` forces one for the process (``None``: automatic), ``with using_route(name):``
for the calling thread inside the block, as does the environment variable ``MYTORCH_CONV_ROUTE``
for the process; a forced route that cannot serve a layer gives way.

The submodules ``cudnn``, ``cuda``, ``mps``, ``mkldnn`` and ``openmp`` carry torch's flags and
``is_available()`` for the boilerplate of training scripts (``cudnn.benchmark = True``); none of
them changes what runs here.

``auto`` (the default) uses ``numba`` for every conv and pooling shape: its direct convolution
wins where K = C/G*KH*KW is small, and its im2col fills plus NumPy's GEMM win or tie elsewhere
(benchmarks/profile_conv.py measures it). If numba cannot be imported, ``auto`` falls back to
``numpy`` with one warning, while asking for ``numba`` by name raises ImportError.
"""
import contextlib
import os
import warnings

import kernels

__all__ = ["CHOICES", "set_kernels", "get_kernels", "using_kernels", "implementation", "set_route", "get_route",
           "using_route", "cudnn", "cuda", "mps", "mkldnn", "openmp"]

CHOICES = ("auto", "reference", "numpy", "numba")


def _check(name):
    if name not in CHOICES:
        raise ValueError(f"unknown kernels implementation {name!r}; choose one of {', '.join(CHOICES)}")
    return name


class _State:
    name = _check(os.environ.get("MYTORCH_KERNELS", "auto").strip().lower() or "auto")
    auto_fallback = None  # set to "numpy" once numba failed to import under "auto"


_state = _State()


def set_kernels(name):
    """Selects the kernels implementation: one of 'auto', 'reference', 'numpy', 'numba'."""
    _state.name = _check(name)
    if name == "numba":
        implementation()  # fail now, with a clear message, rather than at the first conv


def get_kernels():
    return _state.name


@contextlib.contextmanager
def using_kernels(name):
    """Temporarily switches the kernels implementation inside a ``with`` block."""
    previous = _state.name
    set_kernels(name)
    try:
        yield
    finally:
        _state.name = previous


def _load_numba():
    try:
        module = kernels.load("numba")
    except ImportError as e:
        raise ImportError(f"the 'numba' kernels need the numba package, which failed to import ({e}); "
                          "install numba or choose MYTORCH_KERNELS=numpy") from e
    return module


def implementation():
    """The kernels module the current choice resolves to (imported on first use)."""
    name = _state.name
    if name == "auto":
        if _state.auto_fallback:
            return kernels.load(_state.auto_fallback)
        try:
            return _load_numba()
        except ImportError as e:
            _state.auto_fallback = "numpy"
            warnings.warn(f"{e}; 'auto' kernels fall back to the numpy implementation", RuntimeWarning)
            return kernels.load("numpy")
    if name == "numba":
        return _load_numba()
    return kernels.load(name)


def _routes():
    try:
        from kernels import routes
    except ImportError as e:
        raise ImportError(f"convolution routes belong to the 'numba' kernels, which need numba ({e})") from e
    return routes


def set_route(name, rows=None):
    """Forces the numba convolutions onto route ``name`` (None: automatic); ``rows`` also forces
    how many blocks of output rows each sample is cut into. Unknown names raise ValueError."""
    _routes().set_route(name, rows)


def get_route():
    return _routes().get_route()


@contextlib.contextmanager
def using_route(name, rows=None):
    """Forces a convolution route for the calling thread inside a ``with`` block."""
    with _routes().force_route(name, rows):
        yield


from mytorch.backends import cuda, cudnn, mkldnn, mps, openmp  # noqa: E402  (flag-only submodules)
