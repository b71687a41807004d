"""Which route a numba convolution takes, chosen in one place: ``choose_route``.

Routes (each its own module):
    direct       kernels/conv_direct.py     stride 1 and a short K = C/G*KH*KW (LeNet's layers)
    winograd     kernels/conv_winograd.py   3x3, stride 1, no dilation, enough channels per group and pixels
    1x1          kernels/conv_1x1.py        pointwise: a GEMM per sample (strided: subsample first)
    depthwise    kernels/conv_depthwise.py  groups = input channels (MobileNet's 3x3 layers)
    dilated      kernels/conv_dilated.py    stride 1, dilation > 1: one undilated convolution per phase
    im2col       kernels/conv_im2col.py     columns filled row by row, one GEMM per group: any shape
    im2col_wide  kernels/conv_im2col.py     the same on the padded-width grid (stride 1 only)

Forcing a route (tests, the profiler): ``with force_route("winograd"):`` for the calling thread, or
``set_route(name)`` (``None``: automatic) for the process, or the environment variable
``MYTORCH_CONV_ROUTE`` read at import. A forced
route that cannot serve a layer's geometry, or that is not exact for the non-finite values a call
carries, gives way to the automatic choice. ``force_route(route, rows=k)`` also forces the split of
each sample into k blocks of output rows. An unknown name raises ValueError listing the routes.

Non-finite values: Winograd mixes a tile's pixels, and the direct, depthwise and wide-grid backward
passes multiply zeros spread over wasted columns with the input, so an inf or NaN would reach
outputs torch leaves finite. A call whose inputs are not all finite goes to a route that is exact
for them (``EXACT``): each output then sums exactly the products torch sums. (kernels/numba_ops.py
decides what "inputs" to check: the backward checks the small weight gradient afterwards instead
of the large input and output gradient before.)

The thresholds below were measured on a 2-core x86 machine; docs/PERFORMANCE.md has the figures.
"""
import contextlib
import os
import threading
from collections import namedtuple

from kernels import conv_1x1, conv_depthwise, conv_dilated, conv_direct, conv_im2col, conv_winograd
from kernels._common import budget
from kernels._plan import CONV_MIN_MACS_PER_THREAD, conv_work

__all__ = ["ROUTES", "Choice", "choose_route", "force_route", "set_route", "get_route", "route_module"]

# name -> (module, keyword options of its forward/backward)
_MODULES = {
    "direct": (conv_direct, {}),
    "winograd": (conv_winograd, {}),
    "1x1": (conv_1x1, {}),
    "depthwise": (conv_depthwise, {}),
    "dilated": (conv_dilated, {}),
    "im2col": (conv_im2col, {"wide": False}),
    "im2col_wide": (conv_im2col, {"wide": True}),
}
ROUTES = tuple(_MODULES)

# Direct convolution where K = C/G*KH*KW is at most this (rows of 5 taps are its best case), and for
# rows of 5 up to DIRECT_MAX_K_FEW_FILTERS where a group has at most DIRECT_FEW_FILTERS filters (the
# GEMM routes gain on it as the filters grow).
DIRECT_MAX_K = 160
DIRECT_MAX_K_FEW_FILTERS = 600
DIRECT_FEW_FILTERS = 32
DIRECT_MAX_K_OTHER = 64
# Winograd from this many input and output channels per group and output pixels per side; down to
# WINOGRAD_MIN_SIZE_FEW_CHANNELS pixels per side where no group has more than WINOGRAD_FEW_CHANNELS
# input or output channels (on small planes, wide layers' GEMMs favour im2col).
WINOGRAD_MIN_CHANNELS = 8
WINOGRAD_MIN_SIZE = 12
WINOGRAD_MIN_SIZE_FEW_CHANNELS = 8
WINOGRAD_FEW_CHANNELS = 256
# A dilated layer is cut into phases when they take Winograd and have at least this many output
# pixels per side (smaller phases lost to the im2col route).
DILATED_MIN_PHASE_SIZE = 24
# A pass takes the wide grid when it wastes at most this fraction of the columns.
WIDE_MAX_WASTE = 0.2

# Which routes can serve a geometry at all.
SUPPORTS = {
    "direct": lambda g: g.SH == g.SW == 1,
    "winograd": lambda g: g.KH == g.KW == 3 and g.SH == g.SW == 1 and g.DH == g.DW == 1,
    "1x1": lambda g: g.KH == g.KW == 1 and g.PH == g.PW == 0,
    "depthwise": lambda g: g.G == g.C and g.G > 1,
    "dilated": lambda g: g.SH == g.SW == 1 and (g.DH > 1 or g.DW > 1),
    "im2col": lambda g: True,
    "im2col_wide": lambda g: g.SH == g.SW == 1,
}
# Routes whose every output sums exactly the products torch's does, for each pass ("dilated" runs
# its phases through the dispatcher, which checks each of them).
EXACT = {"forward": {"direct", "1x1", "depthwise", "dilated", "im2col", "im2col_wide"},
         "backward": {"1x1", "dilated", "im2col"}}
# Routes whose work is laid out in 4-row tiles: row blocks keep to multiples of 4.
_TILED = {"winograd"}

Choice = namedtuple("Choice", "route rows")
Choice.__doc__ = """route: a name in ROUTES; rows: the blocks of output rows each sample is cut into (1: none)."""


class _Forced:
    """The process-wide choice (set_route) and, per thread, the innermost force_route block's."""
    route = None
    rows = None
    local = threading.local()  # .stack: [(route, rows), ...] of this thread's open force_route blocks


_forced = _Forced()


def _check(name):
    if name is not None and name not in _MODULES:
        raise ValueError(f"unknown convolution route {name!r}; choose one of {', '.join(ROUTES)} (or None: automatic)")
    return name


def _current():
    """(route, rows) in force for the calling thread."""
    stack = getattr(_forced.local, "stack", None)
    return stack[-1] if stack else (_forced.route, _forced.rows)


def set_route(name, rows=None):
    """Sends every numba convolution down route ``name`` where it can serve it (None: automatic);
    ``rows``: cut each sample into that many blocks of output rows (None: automatic). Process-wide;
    a force_route block in a thread overrides it there."""
    _forced.route = _check(name)
    _forced.rows = None if rows is None else max(1, int(rows))


def get_route():
    return _current()[0]


@contextlib.contextmanager
def force_route(name, rows=None):
    """The route (and row split) for the calling thread's convolutions inside a ``with`` block:
    other threads keep theirs, so tests and callers in different threads do not see each other's."""
    entry = (_check(name), None if rows is None else max(1, int(rows)))
    stack = _forced.local.__dict__.setdefault("stack", [])
    stack.append(entry)
    try:
        yield
    finally:
        stack.pop()


def route_module(name):
    """(module, options) that run route ``name``."""
    return _MODULES[name]


def _automatic(g, backward):
    K = g.C // g.G * g.KH * g.KW
    if SUPPORTS["1x1"](g):
        return "1x1"
    if SUPPORTS["depthwise"](g):
        return "depthwise"
    few_channels = max(g.C, g.F) // g.G <= WINOGRAD_FEW_CHANNELS
    if (SUPPORTS["winograd"](g) and min(g.C, g.F) // g.G >= WINOGRAD_MIN_CHANNELS
            and min(g.OH, g.OW) >= (WINOGRAD_MIN_SIZE_FEW_CHANNELS if few_channels else WINOGRAD_MIN_SIZE)):
        return "winograd"
    phase = g._replace(OH=g.OH // g.DH, OW=g.OW // g.DW, DH=1, DW=1)  # a phase's convolution
    if (SUPPORTS["dilated"](g) and min(phase.OH, phase.OW) >= DILATED_MIN_PHASE_SIZE
            and _automatic(phase, backward) == "winograd"):
        return "dilated"
    direct_max_k = (DIRECT_MAX_K_OTHER if g.KW != 5 else
                    DIRECT_MAX_K_FEW_FILTERS if g.F // g.G <= DIRECT_FEW_FILTERS else DIRECT_MAX_K)
    if SUPPORTS["direct"](g) and K <= direct_max_k:
        return "direct"
    if SUPPORTS["im2col_wide"](g):
        wide_columns = (g.OH - 1) * (g.W + 2 * g.PW) + g.OW
        if wide_columns <= (1 + WIDE_MAX_WASTE) * g.OH * g.OW:
            return "im2col_wide"
    return "im2col"


def _rows(route, g, threads, itemsize):
    """Blocks of output rows per sample: enough that one block's scratch fits a thread's share of
    the memory budget, and, when the batch has fewer samples than threads, enough blocks to keep
    every thread busy (work permitting)."""
    if route == "dilated":
        return 1  # its phase convolutions are cut up when they go through the dispatcher
    module, options = _MODULES[route]
    per_sample = module.scratch_bytes(g, itemsize, **options)
    rows = -(-per_sample // max(budget.bytes // threads, 1))
    # NOTE: a single sample on the im2col routes stays whole: its GEMMs split their rows over the
    # threads instead (kernels/conv_im2col.py), which row blocks, each with its own columns, did not
    # pay for (batch 1, 3x3 stride 2: 1.0 ms forward either way on two threads)
    whole = route in ("im2col", "im2col_wide") and g.N == 1
    if g.N < threads and not whole and conv_work(g) >= threads * CONV_MIN_MACS_PER_THREAD:
        rows = max(rows, -(-threads // g.N))
    limit = -(-g.OH // 4) if route in _TILED else g.OH
    return max(1, min(rows, limit))


def choose_route(g, threads, backward=False, finite=lambda: True, itemsize=4):
    """The route and row split for a convolution of geometry ``g`` (kernels._common.ConvGeometry)
    on ``threads`` threads, forward or backward. ``finite()`` says whether the call's arrays are
    all finite; it is asked only when the route picked is not exact for non-finite values."""
    pass_ = "backward" if backward else "forward"
    forced, forced_rows = _current()
    route = forced if forced is not None and SUPPORTS[forced](g) else _automatic(g, backward)
    if route not in EXACT[pass_] and not finite():
        route = "1x1" if SUPPORTS["1x1"](g) else "im2col"
    rows = forced_rows if forced_rows is not None else _rows(route, g, threads, itemsize)
    return Choice(route, min(rows, g.OH))


if os.environ.get("MYTORCH_CONV_ROUTE"):
    set_route(os.environ["MYTORCH_CONV_ROUTE"].strip().lower())
