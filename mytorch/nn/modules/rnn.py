"""Recurrent layers: RNN, LSTM, GRU and their cells, with torch's arguments, parameters and outputs.

A layer's call is ONE autograd node over the whole sequence and every layer and direction
(``_Recurrent``): its forward and backward are kernels/_rnn.py's ``sequence_forward`` and
``sequence_backward`` (one GEMM for all steps' input projections, a GEMM plus a fused gate kernel
per step, one GEMM per weight gradient). The node's output is one flat array holding the output
sequence, h_n and c_n; ``_Part`` nodes expose each as a view, so a loss may use any of them.
A cell call is one node too (``_Cell``), and under no_grad a cell skips autograd altogether.
"""
import math
import numbers
import warnings

import numpy as np

from mytorch import backends
from mytorch.autograd import Function, grad_mode
from mytorch.nn import init
from mytorch.nn.modules.module import Module
from mytorch.nn.parameter import Parameter
from mytorch.nn.utils.rnn import PackedSequence
from mytorch.tensor import Tensor
from kernels import _rnn

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


def _kernels(dtype):
    """The gate kernels the current kernels choice (mytorch.backends) resolves to for arrays of
    ``dtype``: numba compiles float32 and float64 only, so half precision runs the NumPy kernels."""
    if backends.get_kernels() in ("numpy", "reference") or dtype not in (np.float32, np.float64):
        return _rnn.kernels_for("numpy")
    try:
        return _rnn.kernels_for("numba")
    except ImportError:
        if backends.get_kernels() == "numba":
            raise
        return _rnn.kernels_for("numpy")


def _needs_graph(tensors):
    if not grad_mode.enabled:
        return False
    for t in tensors:
        if t is not None and t._requires_grad:
            return True
    return False


class _Part(Function):
    """A view ``flat[start:start + size].reshape(shape)`` of a packed multi-output array. Its
    backward adds ``index`` to the set ``reached``, so the producer can tell which of its
    outputs sent a gradient."""

    def forward(self, flat, start, shape, index=0, reached=None):
        self.flat_shape, self.start = flat.shape, start
        self.index, self.reached = index, reached
        self.stop = start + math.prod(shape)
        return flat[start:self.stop].reshape(shape)

    def backward(self, g):
        # From the workspace: _Recurrent.backward hands it back, and a zero-filled recycled buffer
        # costs less than the page faults of a fresh one.
        full = _rnn.workspace(self.flat_shape, g.dtype, zero=True)
        full[self.start:self.stop] = g.reshape(-1)
        if self.reached is not None:
            self.reached.add(self.index)
        return full


def _split(flat, shapes, reached=None):
    """Views of consecutive parts of a flat output, one _Part node each (see _Part for ``reached``)."""
    parts, start = [], 0
    for index, shape in enumerate(shapes):
        parts.append(_Part.apply(flat, start=start, shape=shape, index=index, reached=reached))
        start += math.prod(shape)
    return parts


class _Spec:
    """Everything about one call of a recurrent layer that is not an array."""
    __slots__ = ("mode", "num_layers", "D", "geometry", "layout", "x_shape", "h_shape", "has_h0", "has_c0",
                 "has_bias", "has_proj", "masks", "save", "sorted", "unsorted", "kern", "out_shape",
                 "reached")


class _Recurrent(Function):
    """A whole stacked, possibly bidirectional, recurrent layer as one autograd node.

    Inputs: x, [h0], [c0], then per layer and direction w_ih, w_hh, [b_ih, b_hh], [w_hr].
    Output: flat [output sequence, h_n, c_n] (see ``_Spec.out_shape`` and RNNBase.forward).
    """

    def forward(self, x, *rest, spec):
        self.spec = s = spec
        lstm = s.mode == "LSTM"
        geo, L, D = s.geometry, s.num_layers, s.D
        i = 0
        h0 = c0 = None
        if s.has_h0:
            h0, i = rest[0], 1
        if s.has_c0:
            c0, i = rest[i], i + 1
        weights = self.weights = self._weights(rest[i:])
        w_hh = weights[0][1]
        H, P = w_hh.shape[0] // _rnn.GATES[s.mode], w_hh.shape[1]
        B, dtype = geo.B, x.dtype
        h0 = self._state_in(h0, (L * D, B, P), dtype)
        c0 = self._state_in(c0, (L * D, B, H), dtype) if lstm else None
        X = self._rows(x)
        out, h_n, c_n, self.arrays = _rnn.sequence_forward(s.mode, s.kern, X, h0, c0, weights, geo, L, D,
                                                          masks=s.masks, save=s.save)
        if s.unsorted is not None:
            h_n = h_n[:, s.unsorted]
            c_n = c_n[:, s.unsorted] if lstm else None
        pieces = [self._rows_out(out), h_n] + ([c_n] if lstm else [])
        flat = np.concatenate([p.reshape(-1) for p in pieces])
        _rnn.release(out)  # copied into flat: its workspace memory serves the next call
        return flat

    def backward(self, g):
        s = self.spec
        lstm = s.mode == "LSTM"
        geo, L, D = s.geometry, s.num_layers, s.D
        w_hh = self.weights[0][1]
        H, P = w_hh.shape[0] // _rnn.GATES[s.mode], w_hh.shape[1]
        n_out = math.prod(s.out_shape)
        n_h = L * D * geo.B * P
        # An output sequence no loss used (a classifier reading h_n) sends no gradient: skip it.
        d_out = self._rows(g[:n_out].reshape(s.out_shape), output=True) if 0 in s.reached else None
        dh_n = g[n_out:n_out + n_h].reshape(L * D, geo.B, P)
        dc_n = g[n_out + n_h:].reshape(L * D, geo.B, H) if lstm else None
        if s.sorted is not None:
            dh_n = dh_n[:, s.sorted]
            dc_n = dc_n[:, s.sorted] if lstm else None
        dx, dh0, dc0, dweights = _rnn.sequence_backward(s.mode, s.kern, self.arrays, self.weights, geo, L, D,
                                                        d_out, dh_n, dc_n, need_x=self.needs_input_grad[0])
        _rnn.release(g, d_out)  # no-ops unless they are workspace arrays (see _Part, _rows)
        grads = [self._rows_in(dx) if dx is not None else None]
        if s.has_h0:
            grads.append(self._state_out(dh0, s.h_shape))
        if s.has_c0:
            grads.append(self._state_out(dc0, s.h_shape[:-1] + (H,)))
        for dw_ih, dw_hh, db_ih, db_hh, dw_hr in dweights:
            grads += [dw_ih, dw_hh]
            if s.has_bias:
                grads += [db_ih, db_hh]
            if s.has_proj:
                grads.append(dw_hr)
        return tuple(grads)

    def _weights(self, flat):
        s = self.spec
        weights, i = [], 0
        for _ in range(s.num_layers * s.D):
            w_ih, w_hh = flat[i], flat[i + 1]
            i += 2
            b_ih = b_hh = w_hr = None
            if s.has_bias:
                b_ih, b_hh = flat[i], flat[i + 1]
                i += 2
            if s.has_proj:
                w_hr = flat[i]
                i += 1
            weights.append((w_ih, w_hh, b_ih, b_hh, w_hr))
        return weights

    def _state_in(self, h, shape, dtype):
        if h is None:
            return np.zeros(shape, dtype)
        h = h.reshape(shape)
        return h[:, self.spec.sorted] if self.spec.sorted is not None else h

    def _state_out(self, dh, shape):
        if self.spec.unsorted is not None:
            dh = dh[:, self.spec.unsorted]
        return dh.reshape(shape)

    def _rows(self, a, output=False):
        """(N, features) rows, step after step, from the caller's layout (an output gradient's
        transposed copy goes into the workspace)."""
        layout = self.spec.layout
        if layout == "batch_first":
            a = a.swapaxes(0, 1)
            if output:
                rows = _rnn.workspace(a.shape, a.dtype)
                np.copyto(rows, a)
                return rows.reshape(-1, a.shape[-1])
        if layout != "packed":
            a = np.ascontiguousarray(a).reshape(-1, a.shape[-1])
        return a

    def _rows_out(self, rows):
        s = self.spec
        if s.layout == "packed":
            return rows
        if s.layout == "batch_first":
            T, B = s.geometry.T, s.geometry.B
            return rows.reshape(T, B, rows.shape[-1]).swapaxes(0, 1)  # NOTE: not -1: B may be 0
        return rows

    def _rows_in(self, dx):
        s = self.spec
        if s.layout == "batch_first":
            T, B = s.geometry.T, s.geometry.B
            return dx.reshape(T, B, dx.shape[-1]).swapaxes(0, 1)
        return dx.reshape(s.x_shape)


class RNNBase(Module):
    """Base class of RNN, LSTM and GRU: torch's constructor checks, parameters and forward.

    Parameters (torch's names, shapes and order), per layer k and direction (suffix ``_reverse``):
    ``weight_ih_l{k}`` (G*H, I or D*P), ``weight_hh_l{k}`` (G*H, P), ``bias_ih_l{k}``,
    ``bias_hh_l{k}`` (G*H), ``weight_hr_l{k}`` (P, H) with proj_size; all initialised from
    U(-1/sqrt(H), 1/sqrt(H)).
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the probability of an "
                             "element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and "
                          f"num_layers={num_layers}", stacklevel=2)
        if not isinstance(bias, bool):
            raise TypeError(f"bias should be of type bool, got: {type(bias).__name__}")
        if not isinstance(batch_first, bool):
            raise TypeError(f"batch_first should be of type bool, got: {type(batch_first).__name__}")
        if not isinstance(input_size, int):
            raise TypeError(f"input_size should be of type int, got: {type(input_size).__name__}")
        if input_size <= 0:
            raise ValueError("input_size must be greater than zero")
        if not isinstance(hidden_size, int):
            raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if mode not in _rnn.GATES:
            raise ValueError("Unrecognized RNN mode: " + mode)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        D = 2 if bidirectional else 1
        gate_size = _rnn.GATES[mode] * hidden_size
        real_hidden = proj_size if proj_size > 0 else hidden_size
        from mytorch import creation
        self._flat_weights_names, self._all_weights = [], []
        for layer in range(num_layers):
            for direction in range(D):
                layer_input = input_size if layer == 0 else real_hidden * D
                suffix = "_reverse" if direction == 1 else ""
                shapes = [("weight_ih_l{}{}", (gate_size, layer_input)), ("weight_hh_l{}{}", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih_l{}{}", (gate_size,)), ("bias_hh_l{}{}", (gate_size,))]
                if proj_size > 0:
                    shapes += [("weight_hr_l{}{}", (proj_size, hidden_size))]
                names = []
                for pattern, shape in shapes:
                    name = pattern.format(layer, suffix)
                    setattr(self, name, Parameter(creation.empty(*shape, dtype=dtype, device=device)))
                    names.append(name)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def flatten_parameters(self):
        """A no-op, as torch's on the CPU (it packs cuDNN weights)."""

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    @property
    def all_weights(self):
        """Per layer and direction, the list of its parameters, in torch's order."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # ------------------------------------------------------------------ forward
    def forward(self, input, hx=None):
        lstm = self.mode == "LSTM"
        name = {"LSTM": "LSTM", "GRU": "GRU"}.get(self.mode, "RNN")
        D = 2 if self.bidirectional else 1
        P = self.proj_size if self.proj_size > 0 else self.hidden_size
        H = self.hidden_size
        spec = _Spec()
        spec.mode, spec.num_layers, spec.D = self.mode, self.num_layers, D
        packed = isinstance(input, PackedSequence)
        unbatched = False
        if packed:
            data, batch_sizes, sorted_indices, unsorted_indices = input
            self._check_input(data, True)
            sizes = batch_sizes._data if isinstance(batch_sizes, Tensor) else np.asarray(batch_sizes)
            spec.geometry = _rnn.Geometry(sizes)
            spec.layout = "packed"
            spec.sorted = None if sorted_indices is None else np.asarray(sorted_indices._data, np.int64)
            spec.unsorted = None if unsorted_indices is None else np.asarray(unsorted_indices._data, np.int64)
            x = data
        else:
            if input.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D "
                                 + ("instead" if lstm or name == "GRU" else "tensor instead"))
            unbatched = input.dim() == 2
            x = input
            spec.sorted = spec.unsorted = None
            if unbatched:
                T, B = x.shape[0], 1
                spec.layout = "time_major"
            elif self.batch_first:
                B, T = x.shape[0], x.shape[1]
                spec.layout = "batch_first"
            else:
                T, B = x.shape[0], x.shape[1]
                spec.layout = "time_major"
            self._check_input(x, False)
            if T == 0:
                raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
            spec.geometry = _rnn.Geometry([B] * T)
        B = spec.geometry.B
        h0 = c0 = None
        if hx is not None:
            if lstm:
                h0, c0 = hx
                want = 2 if unbatched else 3
                if not packed and (h0.dim() != want or c0.dim() != want):
                    kind = "unbatched 2-D" if unbatched else "batched 3-D"
                    raise RuntimeError(f"For {kind} input, hx and cx should also be {want}-D but got "
                                       f"({h0.dim()}-D, {c0.dim()}-D) tensors")
                self._check_hidden(h0, (self.num_layers * D, B, P), unbatched, "Expected hidden[0] size {}, got {}")
                self._check_hidden(c0, (self.num_layers * D, B, H), unbatched, "Expected hidden[1] size {}, got {}")
            else:
                h0 = hx
                if not packed:
                    want = 2 if unbatched else 3
                    if h0.dim() != want:
                        kind = "unbatched 2-D" if unbatched else "batched 3-D"
                        raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got {h0.dim()}-D tensor")
                self._check_hidden(h0, (self.num_layers * D, B, P), unbatched, "Expected hidden size {}, got {}")
        weights = self._flat_weights
        spec.has_h0, spec.has_c0 = h0 is not None, c0 is not None
        spec.h_shape = tuple(h0.shape) if h0 is not None else None  # the shape h0's gradient gets
        spec.has_bias, spec.has_proj = self.bias, self.proj_size > 0
        spec.x_shape = tuple(x.shape)
        spec.kern = _kernels(x._data.dtype)
        inputs = [x] + [t for t in (h0, c0) if t is not None] + weights
        spec.save = _needs_graph(inputs)
        spec.masks = self._dropout_masks(spec.geometry.N, D * P, x.dtype) if self.training and self.dropout > 0 else None
        T = spec.geometry.T
        if packed:
            out_shape = (spec.geometry.N, D * P)
        elif unbatched:
            out_shape = (T, D * P)
        elif self.batch_first:
            out_shape = (B, T, D * P)
        else:
            out_shape = (T, B, D * P)
        spec.out_shape = out_shape
        state_shape = (self.num_layers * D, P) if unbatched else (self.num_layers * D, B, P)
        shapes = [out_shape, state_shape]
        if lstm:
            shapes.append(state_shape[:-1] + (H,))
        spec.reached = set()
        flat = _reading_all(_Recurrent, len(inputs)).apply(*inputs, spec=spec)
        parts = _split(flat, shapes, spec.reached)
        output = parts[0]
        if packed:
            output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        if lstm:
            return output, (parts[1], parts[2])
        return output, parts[1]

    def _check_input(self, x, packed):
        w = getattr(self, self._flat_weights_names[0])
        if x.dtype != w.dtype:
            raise ValueError(f"RNN input dtype ({x.dtype}) does not match weight dtype ({w.dtype}). Convert input: "
                             f"input.to({w.dtype}), or convert model: model.to({x.dtype})")
        if packed and x.dim() != 2:
            raise RuntimeError(f"input must have 2 dimensions, got {x.dim()}")
        if x.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected {self.input_size}, "
                               f"got {x.shape[-1]}")

    @staticmethod
    def _check_hidden(h, expected, unbatched, message):
        got = tuple(h.shape)
        if unbatched and len(got) == 2:
            got = (got[0], 1, got[1])
        if got != expected:
            raise RuntimeError(message.format(expected, list(got)))

    def _dropout_masks(self, N, width, dtype):
        from mytorch.random import rng
        np_dtype = dtype.np
        p = self.dropout
        if p == 1.0:
            return [np.zeros((N, width), np_dtype) for _ in range(self.num_layers - 1)]
        scale = np_dtype.type(1.0 / (1.0 - p))
        return [np.multiply(rng().random((N, width), dtype=np.float32) >= np.float32(p), scale, dtype=np_dtype)
                for _ in range(self.num_layers - 1)]


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu), stacked and
    optionally bidirectional.

    Args:
        input_size, hidden_size: I and H.
        num_layers: Default: 1. nonlinearity: ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.
        bias: Default: ``True``. batch_first: (B, T, I) input and output. Default: ``False``.
        dropout: dropout on the outputs of all but the last layer, in training. Default: 0.
        bidirectional: Default: ``False``.

    Shape:
        input (T, B, I), (B, T, I) with batch_first, (T, I) unbatched, or a PackedSequence; h_0
        (L*D, B, H). Returns output (T, B, D*H) and h_n (L*D, B, H).

    Example::

        >>> out, h = nn.RNN(10, 20, 2)(mytorch.randn(5, 3, 10))
        >>> out.shape, h.shape
        (mytorch.Size([5, 3, 20]), mytorch.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:
            nonlinearity = args[3]
            args = args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        super().__init__(mode, *args, **kwargs)
        self.nonlinearity = nonlinearity

    def extra_repr(self):
        s = super().extra_repr()
        return s + (f", nonlinearity={self.nonlinearity}" if self.nonlinearity != "tanh" else "")


class LSTM(RNNBase):
    """Long short-term memory, stacked and optionally bidirectional, with torch's gate order i, f, g, o:
    c_t = f * c_{t-1} + i * g, h_t = o * tanh(c_t) (times W_hr^T with proj_size).

    Args:
        input_size, hidden_size: I and H.
        num_layers: Default: 1. bias: Default: ``True``. batch_first: Default: ``False``.
        dropout: between layers, in training. Default: 0. bidirectional: Default: ``False``.
        proj_size: project h_t to this size (P). Default: 0 (none).

    Shape:
        input (T, B, I), (B, T, I) with batch_first, (T, I) unbatched, or a PackedSequence;
        (h_0, c_0) of (L*D, B, P) and (L*D, B, H). Returns output (T, B, D*P) and (h_n, c_n).

    Example::

        >>> out, (h, c) = nn.LSTM(28, 128, batch_first=True)(mytorch.randn(64, 28, 28))
        >>> out.shape, h.shape
        (mytorch.Size([64, 28, 128]), mytorch.Size([1, 64, 128]))
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit with torch's gate order r, z, n:
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h_t = (1 - z) * n + z * h_{t-1}.

    Args and shapes as nn.RNN (no nonlinearity).

    Example::

        >>> out, h = nn.GRU(10, 20, batch_first=True)(mytorch.randn(3, 5, 10))
        >>> out.shape
        mytorch.Size([3, 5, 20])
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


def _reading_all(cls, n):
    """``cls`` for a call with ``n`` inputs, declaring that its backward reads every one of them
    (the input, the states and the weights, as torch's recurrent backward does): changing any in
    place before backward (an optimizer step between two backward passes) raises torch's error.
    ``saved`` is per class and the arity varies, so one subclass per arity, made once."""
    sub = _READING_ALL.get((cls, n))
    if sub is None:
        sub = type(cls.__name__, (cls,), {"saved": tuple((i, None) for i in range(n)), "__module__": cls.__module__,
                                          "_torch_name": cls.__name__})
        _READING_ALL[(cls, n)] = sub
    return sub


_READING_ALL = {}


# ---------------------------------------------------------------------------- cells
class _Cell(Function):
    """One step of a cell as one autograd node. Inputs x, h, [c], w_ih, w_hh, [b_ih, b_hh];
    output h' (B, H), or for LSTM h' and c' flattened one after the other (see _split)."""

    def forward(self, x, h, *rest, mode, kern):
        lstm = mode == "LSTM"
        c = rest[0] if lstm else None
        weights = rest[1:] if lstm else rest
        w_ih, w_hh = weights[0], weights[1]
        b_ih, b_hh = (weights[2], weights[3]) if len(weights) > 2 else (None, None)
        h_new, c_new, gates = _rnn.cell_forward(mode, kern, x, h, c, w_ih, w_hh, b_ih, b_hh)
        self.mode, self.kern = mode, kern
        self.arrays = (x, h, c, w_ih, w_hh, b_ih is not None, h_new, gates)
        return np.concatenate((h_new.reshape(-1), c_new.reshape(-1))) if lstm else h_new

    def backward(self, g):
        lstm = self.mode == "LSTM"
        x, h, c, w_ih, w_hh, has_bias, h_new, gates = self.arrays
        dh, dc = (g[:h.size].reshape(h.shape), g[h.size:].reshape(h.shape)) if lstm else (g, None)
        dx, dh_prev, dc_prev, dw_ih, dw_hh, db_ih, db_hh = _rnn.cell_backward(
            self.mode, self.kern, x, h, c, w_ih, w_hh, has_bias, h_new, gates, dh, dc)
        grads = [dx, dh_prev] + ([dc_prev] if lstm else []) + [dw_ih, dw_hh]
        if has_bias:
            grads += [db_ih, db_hh]
        return tuple(grads)


class RNNCellBase(Module):
    """Base of the cells: weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H), all from
    U(-1/sqrt(H), 1/sqrt(H))."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        from mytorch import creation
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = Parameter(creation.empty(num_chunks * hidden_size, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(creation.empty(num_chunks * hidden_size, hidden_size, dtype=dtype, device=device))
        if bias:
            self.bias_ih = Parameter(creation.empty(num_chunks * hidden_size, dtype=dtype, device=device))
            self.bias_hh = Parameter(creation.empty(num_chunks * hidden_size, dtype=dtype, device=device))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for weight in self.parameters():
            init.uniform_(weight, -stdv, stdv)

    def _step(self, mode, name, input, states):
        """Checks the call like torch, then runs the step: on arrays alone when no graph is needed."""
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        batched = input.dim() == 2
        x = input._data if batched else input._data[None]
        B = x.shape[0]
        if x.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {x.shape[1]} expected {self.input_size}")
        arrays = []
        for k, s in enumerate(states):
            if s is None:
                arrays.append(np.zeros((B, self.hidden_size), x.dtype))
                continue
            a = s._data if batched else s._data[None]
            if a.shape[0] != B:
                raise RuntimeError(f"Input batch size {B} doesn't match hidden{k} batch size {a.shape[0]}")
            if a.shape[1] != self.hidden_size:
                raise RuntimeError(f"hidden{k} has inconsistent hidden_size: got {a.shape[1]}, "
                                   f"expected {self.hidden_size}")
            arrays.append(a)
        params = [self.weight_ih, self.weight_hh] + ([self.bias_ih, self.bias_hh] if self.bias else [])
        kern = _kernels(input._data.dtype)
        if not _needs_graph([input, *states, *params]):
            # The lean path: no Function, no graph, one GEMM pair and one gate kernel.
            w = [p._data for p in params] + [None, None] * (not self.bias)
            h_new, c_new, _ = _rnn.cell_forward(mode, kern, x, arrays[0], arrays[1] if mode == "LSTM" else None,
                                                w[0], w[1], w[2], w[3])
            if not batched:
                h_new = h_new[0]
                c_new = c_new[0] if c_new is not None else None
            h_t = Tensor._make(h_new)
            return (h_t, Tensor._make(c_new)) if mode == "LSTM" else h_t
        tensors = [input if batched else input.unsqueeze(0)]
        for s, a in zip(states, arrays):
            if s is None:
                tensors.append(Tensor._make(a))
            else:
                tensors.append(s if batched else s.unsqueeze(0))
        out = _reading_all(_Cell, len(tensors) + len(params)).apply(*tensors, *params, mode=mode, kern=kern)
        shape = (B, self.hidden_size) if batched else (self.hidden_size,)
        if mode == "LSTM":
            return tuple(_split(out, [shape, shape]))
        return out if batched else out.reshape(shape)


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu).

    Args:
        input_size, hidden_size: I and H. bias: Default: ``True``.
        nonlinearity: ``'tanh'`` or ``'relu'``. Default: ``'tanh'``.

    Shape:
        input (B, I) or (I); hidden (B, H) or (H), zeros when omitted; returns h' of hidden's shape.

    Example::

        >>> nn.RNNCell(10, 20)(mytorch.randn(3, 10)).shape
        mytorch.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"RNNCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        return self._step(mode, "RNNCell", input, [hx])


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c') from input and (h, c) (zeros when omitted).

    Args:
        input_size, hidden_size: I and H. bias: Default: ``True``.

    Example::

        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(mytorch.randn(3, 10))
        >>> h.shape
        mytorch.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if hx is not None:
            if len(hx) != 2:
                raise RuntimeError("lstm_cell expects two hidden states")
            for idx, value in enumerate(hx):
                if value.dim() not in (1, 2):
                    raise ValueError(f"LSTMCell: Expected hx[{idx}] to be 1D or 2D, got {value.dim()}D instead")
        return self._step("LSTM", "LSTMCell", input, list(hx) if hx is not None else [None, None])


class GRUCell(RNNCellBase):
    """One GRU step (torch's r, z, n), returning h'.

    Args:
        input_size, hidden_size: I and H. bias: Default: ``True``.

    Example::

        >>> nn.GRUCell(10, 20)(mytorch.randn(3, 10)).shape
        mytorch.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        if hx is not None and hx.dim() not in (1, 2):
            raise ValueError(f"GRUCell: Expected hidden to be 1D or 2D, got {hx.dim()}D instead")
        return self._step("GRU", "GRUCell", input, [hx])
