"""Recurrent layers on ndarrays: the per-step gate kernels and the whole-sequence drivers (forward and
backward through time) of LSTM, GRU and Elman RNN layers. Never imports mytorch.

Notation: T steps, B batch rows (the widest step), N = sum of the per-step batch sizes (the rows of
a packed sequence; T*B for a dense one), I input features, H hidden size, P the recurrent state's
size (the projection size of an LSTM with proj_size, H otherwise), L layers, D directions (1 or 2),
GH = G*H gate columns (G = 4 for LSTM, 3 for GRU, 1 for RNN), gate order i, f, g, o (LSTM) and
r, z, n (GRU), as torch stores them.

One layer and direction runs as:
- the input projection of every step as one GEMM, ``XW = X @ W_ih^T + bias``;
- per step, one GEMM ``h @ W_hh^T`` (NumPy/BLAS) and one fused gate kernel that adds the two, applies
  the activations, updates the state and saves the activated gates for the backward pass;
- backward through time per step likewise: one gate kernel turns dh (and dc) into the gates'
  pre-activation gradients ``dA`` and one GEMM ``dA @ W_hh`` carries dh to the previous step; after
  the loop every weight gradient is ONE GEMM over all steps (``dA^T @ X``, ``dA^T @ H_prev``) and
  the input gradient is one GEMM ``dA @ W_ih``.

A packed (variable-length) batch is the general case: the rows of step t are
``offsets[t]:offsets[t] + batch_sizes[t]`` and the active sequences are the first
``batch_sizes[t]`` rows of the state (sequences sorted by decreasing length), so a dense batch is
the packed batch whose every step has B rows.

Threads: the recurrence of each batch row and each direction is independent, so a layer's time
loop runs as parts (a direction and a slice of batch rows each) on the kernel threads
(kernels/_threads.py), every part a serial loop of single-threaded GEMMs and nogil gate kernels.

Memory: the large arrays (input projections, saved gates and states, gradient temporaries) come
from a small workspace of recycled buffers (``_Pool``): fresh ones cost a page fault per 4 KiB.

Gate kernels. Two implementations share one signature: NumPy expressions here (``numpy``, the
oracle) and fused numba loops in kernels/_rnn_numba.py (``numba``, imported on first use).
"""
import threading
import weakref

import numpy as np

from kernels._threads import get_num_threads, run_parallel, single_threaded_blas, split_rows

__all__ = ["GATES", "kernels_for", "sequence_forward", "sequence_backward", "cell_forward", "cell_backward", "workspace",
           "release"]

GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}
_MODE_NUMBERS = {"LSTM": 0, "GRU": 1, "RNN_TANH": 2, "RNN_RELU": 3}  # as kernels/_rnn_numba.py numbers them
# Parts of a layer's time loop are slices of at least this many batch rows: below it, a hand-off
# to another thread costs more than the rows' GEMM saves.
MIN_ROWS_PER_PART = 16


# ---------------------------------------------------------------------------- NumPy gate kernels
def _sigmoid_np(a):
    """sigmoid(a) in place."""
    np.negative(a, out=a)
    np.exp(a, out=a)
    a += 1
    np.reciprocal(a, out=a)
    return a


def lstm_forward_step_np(xg, hg, bias, c, gates, h):
    """gates = act(xg + hg + bias) (i, f, g, o); c <- f*c + i*g (in place); h <- o*tanh(c)."""
    H = c.shape[1]
    np.add(xg, hg, out=gates)
    gates += bias
    _sigmoid_np(gates[:, :2 * H])
    np.tanh(gates[:, 2 * H:3 * H], out=gates[:, 2 * H:3 * H])
    _sigmoid_np(gates[:, 3 * H:])
    i, f, g, o = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    c *= f
    c += i * g
    np.tanh(c, out=h)
    h *= o


def lstm_backward_step_np(gates, c_prev, dh, dc, dgates):
    """dgates <- d loss / d(pre-activations); dc <- d loss / d c_prev (in place). dh, dc: gradients
    of the step's h (before any projection) and c."""
    H = c_prev.shape[1]
    i, f, g, o = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    tc = np.tanh(f * c_prev + i * g)
    dcc = dc + dh * o * (1 - tc * tc)
    dgates[:, :H] = dcc * g * i * (1 - i)
    dgates[:, H:2 * H] = dcc * c_prev * f * (1 - f)
    dgates[:, 2 * H:3 * H] = dcc * i * (1 - g * g)
    dgates[:, 3 * H:] = dh * tc * o * (1 - o)
    np.multiply(dcc, f, out=dc)


def gru_forward_step_np(xg, hg, b_ih, b_hh, h, gates):
    """torch's GRU: r, z = sigmoid(xg + b_ih + hg + b_hh); n = tanh(xg_n + b_in + r * (hg_n + b_hn));
    h <- (1 - z) * n + z * h. ``gates`` receives r, z, n and hg_n + b_hn."""
    H = h.shape[1]
    hb = hg + b_hh
    xg = xg + b_ih
    r = gates[:, :H]
    z = gates[:, H:2 * H]
    n = gates[:, 2 * H:3 * H]
    np.add(xg[:, :2 * H], hb[:, :2 * H], out=gates[:, :2 * H])
    _sigmoid_np(gates[:, :2 * H])
    gates[:, 3 * H:] = hb[:, 2 * H:]
    np.tanh(xg[:, 2 * H:] + r * hb[:, 2 * H:], out=n)
    h -= n
    h *= z
    h += n


def gru_backward_step_np(gates, h_prev, dh, dgx, dgh):
    """dgx, dgh <- gradients of xg and (hg + b_hh); dh <- dh * z (the direct path to h_prev)."""
    H = h_prev.shape[1]
    r, z, n, hn = gates[:, :H], gates[:, H:2 * H], gates[:, 2 * H:3 * H], gates[:, 3 * H:]
    dn = dh * (1 - z) * (1 - n * n)
    dr = dn * hn * r * (1 - r)
    dz = dh * (h_prev - n) * z * (1 - z)
    dgx[:, :H] = dr
    dgx[:, H:2 * H] = dz
    dgx[:, 2 * H:] = dn
    dgh[:, :H] = dr
    dgh[:, H:2 * H] = dz
    np.multiply(dn, r, out=dgh[:, 2 * H:])
    dh *= z


def rnn_forward_step_np(xg, hg, bias, h, relu):
    """h <- tanh(xg + hg + bias) or relu(xg + hg + bias)."""
    np.add(xg, hg, out=h)
    h += bias
    if relu:
        np.maximum(h, 0, out=h)
    else:
        np.tanh(h, out=h)


def rnn_backward_step_np(h, dh, dpre, relu):
    """dpre <- dh * act'(.) from the step's output h."""
    if relu:
        np.multiply(dh, h > 0, out=dpre)
    else:
        np.multiply(dh, 1 - h * h, out=dpre)


_STEPS = ("lstm_forward_step", "lstm_backward_step", "gru_forward_step", "gru_backward_step",
          "rnn_forward_step", "rnn_backward_step")


class _Kernels:
    """One implementation's six step kernels as attributes, and, for numba, its whole time loops
    (``loops``: a module with ``forward_loop``/``backward_loop``, or None)."""

    def __init__(self, name, functions, loops=None):
        self.name = name
        self.loops = loops
        for step, fn in zip(_STEPS, functions):
            setattr(self, step, fn)

    def compiled_loops(self):
        """(the loops module, its ``blas`` argument) when the time loops can run compiled, else None:
        they call BLAS directly (kernels/_blas_numba.py), which needs NumPy's OpenBLAS and the JIT."""
        if self.loops is None:
            return None
        from kernels import _blas_numba
        blas = _blas_numba.functions()
        return None if blas is None else (self.loops, blas)


_loaded = {}


def kernels_for(name):
    """The gate kernels ``'numpy'`` or ``'numba'`` (compiled on first use, cached on disk)."""
    if name in _loaded:
        return _loaded[name]
    if name == "numpy":
        kern = _Kernels(name, [globals()[s + "_np"] for s in _STEPS])
    elif name == "numba":
        from kernels import _rnn_numba
        kern = _Kernels(name, [getattr(_rnn_numba, s) for s in _STEPS], loops=_rnn_numba)
    else:
        raise ValueError(f"unknown RNN kernels {name!r}; choose 'numpy' or 'numba'")
    _loaded[name] = kern
    return kern


# ---------------------------------------------------------------------------- workspace
class _Pool:
    """Large arrays recycled between calls.

    A fresh multi-megabyte ndarray is fresh pages from the OS, and the first write to each 4 KiB
    page is a page fault: an LSTM training step (batch 64, 28 steps, hidden 128) took ~2,000 of
    them for its saved gates, states and gradient temporaries, which cost more than its gate
    kernels. Arrays taken here come back through ``give`` once nothing reads them any more (the
    backward's temporaries at its end, a forward's saved arrays when its graph node is freed), and
    the next call writes into pages already mapped.

    Buffers come in sizes rounded up to 1/8 of a power of two, so that packed batches whose row
    count changes from call to call still find one. Only the very array ``take`` returned is taken
    back (not a view of it, not twice). At most MAX_BYTES are kept, the oldest dropped first.
    """
    MAX_BYTES = 128 * 2 ** 20
    MIN_BYTES = 64 * 2 ** 10  # smaller arrays come from malloc's own free lists

    def __init__(self):
        self.free = {}  # capacity -> buffers (uint8, 1-D)
        self.order = []  # free buffers, oldest first
        self.bytes = 0
        self.lent = {}  # id(buffer) -> (weak references to it and to the array lent from it)
        # Re-entrant: a graph node freed by the garbage collector inside take() gives its arrays back.
        self.lock = threading.RLock()

    @staticmethod
    def capacity(n):
        step = 1 << max(n.bit_length() - 4, 0)
        return -(-n // step) * step

    def take(self, shape, dtype):
        dtype = np.dtype(dtype)
        n = dtype.itemsize
        for d in shape:
            n *= d
        if n < self.MIN_BYTES:
            return np.empty(shape, dtype)
        cap = self.capacity(n)
        with self.lock:
            buffers = self.free.get(cap)
            buf = buffers.pop() if buffers else None
            if buf is not None:
                _remove(self.order, buf)
                self.bytes -= cap
        if buf is None:
            buf = np.empty(cap, np.uint8)
        a = buf[:n].view(dtype).reshape(shape)
        self.lent[id(buf)] = (weakref.ref(buf, self._forget(id(buf))), weakref.ref(a))
        return a

    def _forget(self, key):
        def drop(_):
            entry = self.lent.get(key)
            if entry is not None and entry[0]() is None:
                del self.lent[key]
        return drop

    def give(self, *arrays):
        """Hands arrays from ``take`` back; anything else is ignored. NOTE: the caller guarantees
        that nothing reads or writes them any more."""
        for a in arrays:
            if a is None:
                continue
            buf = a.base
            with self.lock:
                entry = self.lent.get(id(buf)) if buf is not None else None
                if entry is None or entry[0]() is not buf or entry[1]() is not a:
                    continue
                del self.lent[id(buf)]
                cap = buf.nbytes
                self.free.setdefault(cap, []).append(buf)
                self.order.append(buf)
                self.bytes += cap
                while self.bytes > self.MAX_BYTES:
                    old = self.order.pop(0)
                    _remove(self.free[old.nbytes], old)
                    self.bytes -= old.nbytes


def _remove(buffers, buf):
    """list.remove by identity (ndarrays compare elementwise)."""
    for i, b in enumerate(buffers):
        if b is buf:
            del buffers[i]
            return


_pool = _Pool()


def workspace(shape, dtype, zero=False):
    """An array from the workspace (uninitialised unless ``zero``); hand it back with ``release``."""
    a = _pool.take(shape, dtype)
    if zero:
        a.fill(0)
    return a


def release(*arrays):
    """Returns arrays that came from this module's workspace (sequence_forward's output, ``workspace``)
    to it; other arrays are ignored. NOTE: nothing may use them afterwards."""
    _pool.give(*arrays)


def _gemm(a, b, out=None):
    """a @ b for 2-D operands, into ``out`` (a recycled buffer) or a new array. With several kernel
    threads the rows of the result are split over them, each part a single-threaded GEMM (the
    whole-sequence products: input projections, weight and input gradients).

    NOTE: every product in this module goes through np.dot, not np.matmul: with an inner
    dimension of 1 (a weight gradient from one step of batch 1, as in a character-level RNN fed
    one character per call) np.matmul took ~100 us for a 300 x 100 result, np.dot ~20 us."""
    if out is None:
        out = np.empty((a.shape[0], b.shape[1]), np.result_type(a, b))
    threads, M = get_num_threads(), a.shape[0]
    if threads == 1:
        np.dot(a, b, out=out)
        return out
    # A C-contiguous ``a`` (X @ W^T, dA @ W) is split by rows; a transposed one (a weight gradient
    # dA^T @ X) by its inner dimension, the parts' products then added: its row blocks would be
    # column blocks of dA, which BLAS cannot take without a copy.
    by_rows = a.flags.c_contiguous
    extent = M if by_rows else a.shape[1]
    parts = min(threads, extent // MIN_ROWS_PER_PART)
    with single_threaded_blas():
        if parts <= 1:
            np.dot(a, b, out=out)
        elif by_rows:
            split_rows(a, b, out, parts, np.dot)
        else:
            step = -(-extent // parts)
            partial = run_parallel(lambda r: np.dot(a[:, r:r + step], b[r:r + step]), range(0, extent, step))
            np.add(partial[0], partial[1], out=out)
            for p in partial[2:]:
                out += p
    return out


# ---------------------------------------------------------------------------- whole sequence
class Geometry:
    """The per-step rows of a packed batch: ``batch_sizes`` (T,), ``offsets`` (T + 1,)."""

    def __init__(self, batch_sizes):
        self.batch_sizes = [int(b) for b in batch_sizes]
        self.offsets = [0]
        for b in self.batch_sizes:
            self.offsets.append(self.offsets[-1] + b)
        self.T, self.B, self.N = len(self.batch_sizes), self.batch_sizes[0], self.offsets[-1]
        # the same as arrays, for the compiled time loops
        self.sizes_array = np.array(self.batch_sizes, np.int64)
        self.offsets_array = np.array(self.offsets, np.int64)


def _parts(D, B):
    """(direction, first row, end row) jobs for one layer's time loops, one per kernel thread."""
    threads = get_num_threads()
    per_direction = max(1, min(threads // D, B // MIN_ROWS_PER_PART))
    step = max(1, -(-B // per_direction))  # an empty batch has no parts
    return [(d, a, min(a + step, B)) for d in range(D) for a in range(0, B, step)]


def _run_parts(fn, parts):
    if len(parts) == 1:
        fn(parts[0])
    else:
        with single_threaded_blas():
            run_parallel(fn, parts)


class _Layer:
    """What one layer's backward needs, saved once by its forward. Its workspace arrays go back to
    the pool when it is freed (with its graph node: after the backward, or unused)."""
    __slots__ = ("x", "x_owned", "h_prev", "c_prev", "gates", "h_raw", "mask")

    def __del__(self):
        if _pool is None:  # interpreter shutdown
            return
        for name in ("h_prev", "c_prev", "gates", "h_raw"):
            arrays = getattr(self, name, None)
            if arrays is not None:
                _pool.give(*arrays)
        if getattr(self, "x_owned", False):
            _pool.give(self.x)


def sequence_forward(mode, kern, x, h0, c0, weights, geometry, num_layers, num_directions, masks=None,
                     save=True):
    """Runs a stacked (bidirectional) recurrent layer over a packed sequence.

    Args:
        mode: 'LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU'.
        kern: the gate kernels (``kernels_for(name)``).
        x: (N, I) rows of all steps, step after step. h0: (L*D, B, P). c0: (L*D, B, H) for LSTM.
        weights: per layer and direction, ``(w_ih, w_hh, b_ih, b_hh, w_hr)`` (None where absent).
        geometry: ``Geometry(batch_sizes)``.
        masks: per layer but the last, the dropout multiplier of its output (N, D*P) or None.
        save: keep what the backward pass needs.

    Returns:
        (out (N, D*P), h_n (L*D, B, P), c_n (L*D, B, H) or None, saved layers or None).
    """
    geo, D, dtype = geometry, num_directions, x.dtype
    lstm, gru, relu = mode == "LSTM", mode == "GRU", mode == "RNN_RELU"
    GH = weights[0][1].shape[0]
    H = GH // GATES[mode]
    P = weights[0][1].shape[1]
    B, N = geo.B, geo.N
    h_n = np.empty((num_layers * D, B, P), dtype)
    c_n = np.empty((num_layers * D, B, H), dtype) if lstm else None
    saved = [] if save else None
    parts = _parts(D, B)
    compiled = kern.compiled_loops()
    layer_in, in_owned = x, False  # in_owned: layer_in is a workspace array of this function
    for layer in range(num_layers):
        out = _pool.take((N, D * P), dtype)
        keep = _Layer() if save else None
        xws, scratch = [], []
        for d in range(D):
            w_ih, w_hh, b_ih, b_hh, w_hr = weights[layer * D + d]
            xws.append(_gemm(layer_in, w_ih.T, _pool.take((N, GH), dtype)))
        if save:
            keep.x, keep.x_owned = layer_in, in_owned
            keep.h_prev = [_pool.take((N, P), dtype) for _ in range(D)]
            keep.gates = [_pool.take((N, GH + (H if gru else 0)), dtype) for _ in range(D)]
            keep.c_prev = [_pool.take((N, H), dtype) for _ in range(D)] if lstm else None
            keep.h_raw = [_pool.take((N, H), dtype) for _ in range(D)] if w_hr is not None else None

        def run(part, layer=layer, out=out, keep=keep, xws=xws):
            d, a, e = part
            k = layer * D + d
            w_ih, w_hh, b_ih, b_hh, w_hr = weights[k]
            w_hh_t = np.ascontiguousarray(w_hh.T)  # BLAS runs h @ W_hh^T faster on a copy than on the view
            w_hr_t = np.ascontiguousarray(w_hr.T) if w_hr is not None else None
            xw = xws[d]
            h = h0[k, a:e].copy()
            c = c0[k, a:e].copy() if lstm else None
            hg_buf = np.empty((e - a, GH), dtype)
            gate_buf = np.empty((e - a, GH + (H if gru else 0)), dtype)
            raw_buf = np.empty((e - a, H), dtype) if w_hr is not None else None
            # The biases are added in the gate kernels (a pass over XW saved): both in one vector,
            # but a GRU's b_hn sits inside r * (W_hn h + b_hn).
            if b_ih is None:
                b_ih = b_hh = np.zeros(GH, dtype)
            bias = b_ih + b_hh if not gru else None
            steps = range(geo.T) if d == 0 else range(geo.T - 1, -1, -1)
            if compiled is not None:  # the whole loop below in one compiled call
                loops, blas = compiled
                e2, e1 = np.empty((0, 0), dtype), np.empty(0, dtype)
                loops.forward_loop(
                    blas, _MODE_NUMBERS[mode], xw, w_hh_t, e1 if bias is None else bias, b_ih, b_hh, h,
                    c if lstm else e2, geo.sizes_array, geo.offsets_array, a, e, d == 1, save,
                    keep.h_prev[d] if save else e2, keep.c_prev[d] if save and lstm else e2,
                    keep.gates[d] if save else e2, gate_buf, hg_buf, out, d * P, w_hr is not None,
                    e2 if w_hr is None else w_hr_t, keep.h_raw[d] if save and w_hr is not None else e2,
                    e2 if raw_buf is None else raw_buf)
                steps = ()
            cols = slice(d * P, (d + 1) * P)
            for t in steps:
                n = min(geo.batch_sizes[t], e) - a
                if n <= 0:
                    continue
                r0 = geo.offsets[t] + a
                rows = slice(r0, r0 + n)
                hb = h[:n]
                if save:
                    keep.h_prev[d][rows] = hb
                    if lstm:
                        keep.c_prev[d][rows] = c[:n]
                hg = np.dot(hb, w_hh_t, out=hg_buf[:n])
                gates = keep.gates[d][rows] if save else gate_buf[:n]
                if lstm:
                    if w_hr is None:
                        kern.lstm_forward_step(xw[rows], hg, bias, c[:n], gates, hb)
                    else:
                        raw = keep.h_raw[d][rows] if save else raw_buf[:n]
                        kern.lstm_forward_step(xw[rows], hg, bias, c[:n], gates, raw)
                        np.dot(raw, w_hr_t, out=hb)
                elif gru:
                    kern.gru_forward_step(xw[rows], hg, b_ih, b_hh, hb, gates)
                else:
                    kern.rnn_forward_step(xw[rows], hg, bias, hb, relu)
                    if save:
                        gates[...] = hb
                out[rows, cols] = hb
            h_n[k, a:e] = h
            if lstm:
                c_n[k, a:e] = c

        _run_parts(run, parts)
        _pool.give(*xws)
        if save:
            saved.append(keep)
        elif in_owned:
            _pool.give(layer_in)
        mask = masks[layer] if masks is not None and layer < num_layers - 1 else None
        if save:
            keep.mask = mask
        if mask is not None:
            layer_in, in_owned = out * mask, False
            _pool.give(out)
        else:
            layer_in, in_owned = out, True
    return layer_in, h_n, c_n, saved


def sequence_backward(mode, kern, saved, weights, geometry, num_layers, num_directions, d_out, dh_n, dc_n,
                      need_x=True):
    """Backward through time of ``sequence_forward``.

    Args:
        d_out: (N, D*P) gradient of the output (or None). dh_n: (L*D, B, P) or None. dc_n: LSTM's
            (L*D, B, H) or None.

    Returns:
        (dx (N, I) or None, dh0 (L*D, B, P), dc0 (L*D, B, H) or None, [per layer and direction
        (dw_ih, dw_hh, db_ih, db_hh, dw_hr), None where absent]).
    """
    geo, D = geometry, num_directions
    lstm, gru, relu = mode == "LSTM", mode == "GRU", mode == "RNN_RELU"
    first = saved[0]
    dtype = first.x.dtype
    GH = weights[0][1].shape[0]
    H = GH // GATES[mode]
    P = weights[0][1].shape[1]
    B, N = geo.B, geo.N
    dh0 = np.zeros((num_layers * D, B, P), dtype) if dh_n is None else np.array(dh_n, dtype, order="C")
    dc0 = None
    if lstm:
        dc0 = np.zeros((num_layers * D, B, H), dtype) if dc_n is None else np.array(dc_n, dtype, order="C")
    dweights = [None] * (num_layers * D)
    parts = _parts(D, B)
    compiled = kern.compiled_loops()
    dy = d_out  # None: the output sequence sends no gradient (only h_n / c_n were used)
    dy_owned = False  # dy is a workspace array of this function
    dx = None
    for layer in range(num_layers - 1, -1, -1):
        keep = saved[layer]
        d_pre = [_pool.take((N, GH), dtype) for _ in range(D)]  # pre-activation gradients
        d_hh = [_pool.take((N, GH), dtype) for _ in range(D)] if gru else d_pre
        d_proj = [_pool.take((N, P), dtype) for _ in range(D)] if keep.h_raw is not None else None

        def run(part, layer=layer, keep=keep, d_pre=d_pre, d_hh=d_hh, d_proj=d_proj, dy=dy):
            d, a, e = part
            k = layer * D + d
            w_ih, w_hh, b_ih, b_hh, w_hr = weights[k]
            dh = dh0[k, a:e]  # the running dh, left holding dh0 at the end
            dc = dc0[k, a:e] if lstm else None
            tmp = np.empty((e - a, P), dtype)
            raw_grad = np.empty((e - a, H), dtype) if w_hr is not None else None
            if compiled is not None:  # the whole loop below in one compiled call
                loops, blas = compiled
                e2 = np.empty((0, 0), dtype)
                loops.backward_loop(
                    blas, _MODE_NUMBERS[mode], np.ascontiguousarray(w_hh), dh, dc if lstm else e2, geo.sizes_array,
                    geo.offsets_array, a, e, d == 1, dy is not None, e2 if dy is None else dy, d * P, keep.gates[d],
                    keep.c_prev[d] if lstm else e2, keep.h_prev[d], d_pre[d], d_hh[d], w_hr is not None,
                    e2 if w_hr is None else np.ascontiguousarray(w_hr), e2 if d_proj is None else d_proj[d],
                    e2 if raw_grad is None else raw_grad)
                return
            cols = slice(d * P, (d + 1) * P)
            steps = range(geo.T - 1, -1, -1) if d == 0 else range(geo.T)
            for t in steps:
                n = min(geo.batch_sizes[t], e) - a
                if n <= 0:
                    continue
                r0 = geo.offsets[t] + a
                rows = slice(r0, r0 + n)
                dhb = dh[:n]
                if dy is not None:
                    dhb += dy[rows, cols]
                gates = keep.gates[d][rows]
                if lstm:
                    if w_hr is None:
                        draw = dhb
                    else:
                        d_proj[d][rows] = dhb
                        draw = np.dot(dhb, w_hr, out=raw_grad[:n])
                    kern.lstm_backward_step(gates, keep.c_prev[d][rows], draw, dc[:n], d_pre[d][rows])
                    np.dot(d_pre[d][rows], w_hh, out=dhb)
                elif gru:
                    kern.gru_backward_step(gates, keep.h_prev[d][rows], dhb, d_pre[d][rows], d_hh[d][rows])
                    dhb += np.dot(d_hh[d][rows], w_hh, out=tmp[:n])
                else:
                    kern.rnn_backward_step(gates, dhb, d_pre[d][rows], relu)
                    np.dot(d_pre[d][rows], w_hh, out=dhb)

        _run_parts(run, parts)
        if dy_owned:
            _pool.give(dy)
        x_in = keep.x
        dx = None
        if layer > 0 or need_x:
            w_ih = weights[layer * D][0]
            # a workspace array below the first layer, where it only carries dy to the next one
            dx = _gemm(d_pre[0], w_ih, _pool.take((N, w_ih.shape[1]), dtype) if layer > 0
                            else np.empty((N, w_ih.shape[1]), dtype))
            for d in range(1, D):
                dx += _gemm(d_pre[d], weights[layer * D + d][0])
        for d in range(D):
            k = layer * D + d
            w_ih, w_hh, b_ih, b_hh, w_hr = weights[k]
            dw_ih = _gemm(d_pre[d].T, x_in)
            dw_hh = _gemm(d_hh[d].T, keep.h_prev[d])
            db_ih = db_hh = None
            if b_ih is not None:
                db_ih = d_pre[d].sum(axis=0)
                db_hh = d_hh[d].sum(axis=0) if gru else db_ih.copy()
            dw_hr = _gemm(d_proj[d].T, keep.h_raw[d]) if w_hr is not None else None
            dweights[k] = (dw_ih, dw_hh, db_ih, db_hh, dw_hr)
        _pool.give(*d_pre)
        if gru:
            _pool.give(*d_hh)
        if d_proj is not None:
            _pool.give(*d_proj)
        if layer > 0:
            prev_mask = saved[layer - 1].mask
            if prev_mask is not None:
                dy, dy_owned = dx * prev_mask, False
                _pool.give(dx)
            else:
                dy, dy_owned = dx, True
    return dx, dh0, dc0, dweights


# ---------------------------------------------------------------------------- cells (one step)
def cell_forward(mode, kern, x, h, c, w_ih, w_hh, b_ih, b_hh):
    """One step of an RNNCell/LSTMCell/GRUCell on (B, I) inputs.

    Returns (h' (B, H), c' (B, H) or None, gates or None): ``gates`` is what ``cell_backward``
    needs besides the inputs."""
    dtype = x.dtype
    xg = np.dot(x, w_ih.T)
    hg = np.dot(h, w_hh.T)
    if b_ih is None:
        b_ih = b_hh = np.zeros(w_ih.shape[0], dtype)
    if mode == "LSTM":
        c_new = c.copy()
        h_new = np.empty_like(c)
        gates = np.empty_like(xg)
        kern.lstm_forward_step(xg, hg, b_ih + b_hh, c_new, gates, h_new)
        return h_new, c_new, gates
    if mode == "GRU":
        H = w_hh.shape[1]
        h_new = h.copy()
        gates = np.empty((xg.shape[0], 4 * H), dtype)
        kern.gru_forward_step(xg, hg, b_ih, b_hh, h_new, gates)
        return h_new, None, gates
    h_new = np.empty_like(hg)
    kern.rnn_forward_step(xg, hg, b_ih + b_hh, h_new, mode == "RNN_RELU")
    return h_new, None, None


def cell_backward(mode, kern, x, h, c, w_ih, w_hh, has_bias, h_new, gates, dh, dc):
    """Gradients of ``cell_forward``: (dx, dh, dc or None, dw_ih, dw_hh, db_ih, db_hh)."""
    dh = dh.copy()
    if mode == "LSTM":
        dc = dc.copy()
        d_pre = np.empty_like(gates)
        kern.lstm_backward_step(gates, c, dh, dc, d_pre)
        d_hh = d_pre
    elif mode == "GRU":
        d_pre = np.empty((x.shape[0], w_ih.shape[0]), x.dtype)
        d_hh = np.empty_like(d_pre)
        kern.gru_backward_step(gates, h, dh, d_pre, d_hh)
    else:
        d_pre = np.empty_like(h_new)
        kern.rnn_backward_step(h_new, dh, d_pre, mode == "RNN_RELU")
        d_hh = d_pre
    dx = np.dot(d_pre, w_ih)
    dh_prev = np.dot(d_hh, w_hh)
    if mode == "GRU":
        dh_prev += dh
    db_ih = d_pre.sum(axis=0) if has_bias else None
    db_hh = d_hh.sum(axis=0) if has_bias else None
    return dx, dh_prev, dc if mode == "LSTM" else None, np.dot(d_pre.T, x), np.dot(d_hh.T, h), db_ih, db_hh
