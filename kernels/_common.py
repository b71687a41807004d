"""Argument normalisation and output-size arithmetic shared by every implementation.

Notation (used in every kernels module):
    N batch, C input channels, H, W input height/width, F output channels (filters),
    G groups (C and F divisible by G), KH, KW kernel size, SH, SW stride, PH, PW padding,
    DH, DW dilation, OH, OW output height/width, L = N * OH * OW columns, K = C/G * KH * KW rows.
"""
from collections import namedtuple

import numpy as np
from numpy.lib.stride_tricks import as_strided

ConvGeometry = namedtuple("ConvGeometry", "N C H W F G KH KW SH SW PH PW DH DW OH OW")
PoolGeometry = namedtuple("PoolGeometry", "N C H W KH KW SH SW PH PW OH OW DH DW")


def pair(value, name):
    """An int or a pair of ints as a pair (torch's _pair)."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
        return int(value[0]), int(value[1])
    return int(value), int(value)


def conv_out(size, k, s, p, d):
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def conv_geometry(x_shape, w_shape, stride, padding, dilation, groups):
    N, C, H, W = x_shape
    F, Cg, KH, KW = w_shape
    SH, SW = pair(stride, "stride")
    PH, PW = pair(padding, "padding")
    DH, DW = pair(dilation, "dilation")
    G = int(groups)
    # NOTE: the jitted kernels index without bounds checks, so shapes are checked here, where every
    # implementation passes.
    if G < 1 or F % G or Cg * G != C:
        raise ValueError(f"weight of shape {tuple(w_shape)} with groups={G} does not fit input with {C} channels: "
                         f"expected weight (F, C/groups, KH, KW) with F divisible by groups")
    OH, OW = conv_out(H, KH, SH, PH, DH), conv_out(W, KW, SW, PW, DW)
    return ConvGeometry(N, C, H, W, F, G, KH, KW, SH, SW, PH, PW, DH, DW, OH, OW)


def pool_out(size, k, s, p, d=1, ceil_mode=False):
    """torch's pooling output size: with ``ceil_mode`` a last, partial window is kept when it starts
    inside the input or its left padding."""
    out = (size + 2 * p - d * (k - 1) - 1 + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (out - 1) * s >= size + p:
        out -= 1
    return out


def pool_geometry(x_shape, kernel_size, stride, padding, dilation=1, ceil_mode=False):
    N, C, H, W = x_shape
    KH, KW = pair(kernel_size, "kernel_size")
    SH, SW = pair(kernel_size if stride is None or stride == () or stride == [] else stride, "stride")
    PH, PW = pair(padding, "padding")
    DH, DW = pair(dilation, "dilation")
    OH, OW = pool_out(H, KH, SH, PH, DH, ceil_mode), pool_out(W, KW, SW, PW, DW, ceil_mode)
    return PoolGeometry(N, C, H, W, KH, KW, SH, SW, PH, PW, OH, OW, DH, DW)


def avg_divisors(g, count_include_pad=True, divisor_override=None):
    """(OH, OW) float64 array: what each average-pooling window's sum is divided by, torch's rule.
    The window is first cut at the padded input's edge (H + PH), which ceil_mode can cross; with
    ``count_include_pad`` that cut window's size divides, otherwise only its in-input part's."""
    if divisor_override is not None:
        return np.full((g.OH, g.OW), float(divisor_override))

    def sizes(out, size, k, s, p):
        start = np.arange(out) * s - p
        end = np.minimum(start + k, size + p)
        if count_include_pad:
            return end - start
        return np.minimum(end, size) - np.maximum(start, 0)
    return np.outer(sizes(g.OH, g.H, g.KH, g.SH, g.PH), sizes(g.OW, g.W, g.KW, g.SW, g.PW)).astype(np.float64)


def pool_pad_extent(g):
    """(bottom, right): the padding past the input's far edges that every window needs to lie inside
    the padded input (PH, PW, plus what ceil_mode's last window reaches beyond)."""
    bottom = max((g.OH - 1) * g.SH + g.DH * (g.KH - 1) + 1 - g.H - g.PH, 0)
    right = max((g.OW - 1) * g.SW + g.DW * (g.KW - 1) + 1 - g.W - g.PW, 0)
    return bottom, right


def pad(x, PH, PW, value=0.0, out=None):
    """x (N, C, H, W) with PH rows and PW columns of ``value`` on each side (no copy when 0), in
    ``out`` when given (an array of the padded shape, e.g. a reused scratch buffer)."""
    if PH == 0 and PW == 0:
        return x
    N, C, H, W = x.shape
    if out is None:
        out = np.full((N, C, H + 2 * PH, W + 2 * PW), value, x.dtype)
    else:  # only the border needs the value; the interior is overwritten below
        out[:, :, :PH] = value
        out[:, :, PH + H:] = value
        out[:, :, PH:PH + H, :PW] = value
        out[:, :, PH:PH + H, PW + W:] = value
    out[:, :, PH:PH + H, PW:PW + W] = x
    return out


def patches(x, g):
    """A read-only (C, KH, KW, N, OH, OW) view of the padded input: entry [c, kh, kw, n, oh, ow] is
    the pixel that kernel tap (kh, kw) of channel c sees at output pixel (n, oh, ow). Copying it
    into a (C*KH*KW, N*OH*OW) buffer is im2col, with OW as the innermost, contiguous axis."""
    xp = pad(x, g.PH, g.PW)
    sN, sC, sH, sW = xp.strides
    return as_strided(xp, shape=(x.shape[1], g.KH, g.KW, x.shape[0], g.OH, g.OW),
                      strides=(sC, sH * g.DH, sW * g.DW, sN, sH * g.SH, sW * g.SW), writeable=False)


def first_valid_offset(out_size, stride, padding, dilation=1):
    """Per output row (or column): the first window tap that lies inside the unpadded input.
    Max pooling starts every window there, so an all -inf window reports an in-bounds index."""
    before = np.maximum(padding - np.arange(out_size) * stride, 0)
    return -(-before // dilation)


class _Budget:
    """Upper bound on one im2col column buffer; larger batches are processed in chunks."""

    bytes = 256 * 2 ** 20
    generation = 0  # counts the changes: the kernels' kept scratch buffers are dropped after one


budget = _Budget()


def set_memory_budget(nbytes):
    """Caps the im2col column buffer at ``nbytes`` (default 256 MiB)."""
    nbytes = int(nbytes)
    if nbytes < 2 ** 20:
        raise ValueError(f"memory budget must be at least 1 MiB, got {nbytes} bytes")
    budget.bytes = nbytes
    budget.generation += 1


def get_memory_budget():
    return budget.bytes


def batch_chunks(N, bytes_per_sample):
    """Slices of the batch whose column buffers each fit the budget (at least one sample each)."""
    step = max(1, min(N, budget.bytes // max(bytes_per_sample, 1)))
    return [slice(i, min(i + step, N)) for i in range(0, N, step)]


def adaptive_bins(size, out):
    """torch's adaptive pooling bins along one axis: bin i spans [floor(i*size/out), ceil((i+1)*size/out))."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def adaptive_size(x_shape, output_size):
    """(OH, OW) from an int, a pair, or a pair with None (keep that input size)."""
    H, W = x_shape[-2:]
    if isinstance(output_size, (tuple, list)):
        output_size = tuple(s if o is None else o for o, s in zip(output_size, (H, W)))
    return pair(output_size, "output_size")
