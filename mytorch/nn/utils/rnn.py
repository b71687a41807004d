"""torch.nn.utils.rnn: PackedSequence and the functions that pack, pad and unpad variable-length batches.

A packed batch keeps, step after step, the rows of the sequences still running at that step:
``data`` (N, *) with N = sum(batch_sizes), ``batch_sizes[t]`` the number of sequences longer than
t, sequences ordered by decreasing length (``sorted_indices[i]`` is the batch index of the i-th
longest, ``unsorted_indices`` its inverse). Packing and padding move rows with one gather or
scatter each (one autograd node), their gradients the reverse move.
"""
from collections import namedtuple

import numpy as np

from mytorch.autograd import Function
from mytorch.tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pad_packed_sequence",
           "pad_sequence", "unpad_sequence", "pack_sequence", "unpack_sequence"]


def _long(array):
    return Tensor._make(np.asarray(array, dtype=np.int64))


def _as_index_array(value):
    if value is None:
        return None
    return np.asarray(value._data if isinstance(value, Tensor) else value, dtype=np.int64)


def invert_permutation(permutation):
    """The permutation q with q[p[i]] = i (None stays None)."""
    if permutation is None:
        return None
    p = _as_index_array(permutation)
    inverse = np.empty_like(p)
    inverse[p] = np.arange(p.size, dtype=np.int64)
    return _long(inverse)


class PackedSequence(namedtuple("PackedSequence", ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A batch of variable-length sequences packed step after step (see the module docstring).

    Made by ``pack_padded_sequence``/``pack_sequence``, accepted and returned by nn.RNN, nn.LSTM and
    nn.GRU; unpacked by ``pad_packed_sequence``. Fields: ``data`` (N, *), ``batch_sizes`` (T,) int64,
    ``sorted_indices`` and ``unsorted_indices`` (B,) int64 or None.
    """
    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        if batch_sizes is not None and not isinstance(batch_sizes, Tensor):
            batch_sizes = _long(batch_sizes)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def _with_data(self, data):
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def to(self, *args, **kwargs):
        data = self.data.to(*args, **kwargs)
        return self if data is self.data else self._with_data(data)

    def cpu(self):
        return self

    def double(self):
        return self._with_data(self.data.double())

    def float(self):
        return self._with_data(self.data.float())

    def detach(self):
        return self._with_data(self.data.detach())

    @property
    def is_cuda(self):
        return False

    def is_pinned(self):
        return False


class _Gather(Function):
    """out = a[index] for an index without repeats (so the backward is a plain scatter)."""

    def forward(self, a, index):
        self.shape, self.index = a.shape, index
        return a[index]

    def backward(self, g):
        full = np.zeros(self.shape, g.dtype)
        full[self.index] = g
        return full


class _Scatter(Function):
    """out = full(shape, padding_value) with out[index] = a; the inverse move of _Gather."""

    def forward(self, a, index, shape, padding_value):
        self.index = index
        out = np.full(shape, padding_value, a.dtype)
        out[index] = a
        return out

    def backward(self, g):
        return g[self.index]


class _PadSequence(Function):
    """Sequences (L_i, *) copied into one (T, B, *) array (or (B, T, *))."""

    def forward(self, *arrays, batch_first, padding_value, left, total):
        B = len(arrays)
        dtype = np.result_type(*arrays)
        out = np.full((B, total) + arrays[0].shape[1:], padding_value, dtype)
        self.places = []
        for b, a in enumerate(arrays):
            place = (b, slice(total - len(a), total)) if left else (b, slice(0, len(a)))
            out[place] = a
            self.places.append(place)
        self.batch_first = batch_first
        return out if batch_first else out.swapaxes(0, 1)

    def backward(self, g):
        if not self.batch_first:
            g = g.swapaxes(0, 1)
        return tuple(g[place] for place in self.places)


def _lengths_array(lengths):
    if isinstance(lengths, Tensor):
        values = lengths._data
    else:
        values = np.asarray(lengths)
    if values.dtype.kind not in "iu":
        values = values.astype(np.int64)
    return values.reshape(-1).astype(np.int64)


def _batch_sizes_of(sorted_lengths):
    """batch_sizes[t] = number of sequences longer than t, from lengths in decreasing order."""
    T = int(sorted_lengths[0])
    return (sorted_lengths[None, :] > np.arange(T)[:, None]).sum(axis=1).astype(np.int64)


def _packed_index(batch_sizes, order):
    """(step, batch) index pairs of the packed rows, step after step."""
    steps = np.repeat(np.arange(len(batch_sizes)), batch_sizes)
    rows = np.concatenate([order[:b] for b in batch_sizes])
    return steps, rows


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch (T, B, *) (or (B, T, *) with ``batch_first``) of sequences of ``lengths``.

    Args:
        input: the padded batch.
        lengths: the length of each sequence (list, ndarray or int64 tensor).
        batch_first: input is (B, T, *). Default: ``False``.
        enforce_sorted: lengths must already be in decreasing order; otherwise they are sorted
            here and the permutation is kept in the result. Default: ``True``.

    Returns:
        a PackedSequence.

    Example::

        >>> p = pack_padded_sequence(mytorch.zeros(3, 2, 5), [3, 1])
        >>> p.batch_sizes
        tensor([2, 1, 1])
    """
    lengths = _lengths_array(lengths)
    B = input.shape[0 if batch_first else 1]
    if lengths.size != B:
        raise RuntimeError(f"Expected `len(lengths)` to be equal to batch_size, but got {lengths.size} "
                           f"(batch_size={B})")
    if enforce_sorted:
        if np.any(lengths[1:] > lengths[:-1]):
            raise RuntimeError("`lengths` array must be sorted in decreasing order when `enforce_sorted` is True. "
                               "You can pass `enforce_sorted=False` to pack_padded_sequence and/or pack_sequence "
                               "to sidestep this requirement if you do not need ONNX exportability.")
        order, sorted_indices = np.arange(B, dtype=np.int64), None
    else:
        order = np.argsort(-lengths, kind="stable").astype(np.int64)  # ties keep batch order, as torch's sort
        sorted_indices = _long(order)
    if B == 0 or lengths.min() <= 0:
        raise RuntimeError("Length of all samples has to be greater than 0, but found an element in 'lengths' "
                           "that is <= 0")
    T = input.shape[1 if batch_first else 0]
    if lengths.max() > T:
        raise RuntimeError(f"the longest of `lengths` ({int(lengths.max())}) exceeds the input's sequence "
                           f"length ({T})")
    batch_sizes = _batch_sizes_of(lengths[order])
    steps, rows = _packed_index(batch_sizes, order)
    data = _Gather.apply(input, index=(rows, steps) if batch_first else (steps, rows))
    return PackedSequence(data, _long(batch_sizes), sorted_indices, None)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Unpacks a PackedSequence into a padded batch; the inverse of pack_padded_sequence.

    Args:
        sequence: a PackedSequence.
        batch_first: return (B, T, *) instead of (T, B, *). Default: ``False``.
        padding_value: the value of the padding. Default: 0.0.
        total_length: pad to this many steps (at least the longest length). Default: the longest.

    Returns:
        (padded batch, lengths as an int64 tensor), in the batch order of the packed input.
    """
    data, batch_sizes, sorted_indices, _ = sequence
    sizes = _as_index_array(batch_sizes)
    T = len(sizes)
    if total_length is not None:
        if total_length < T:
            raise ValueError("Expected total_length to be at least the length of the longest sequence in input, "
                             f"but got total_length={total_length} and max sequence length being {T}")
        T = total_length
    B = int(sizes[0])
    order = _as_index_array(sorted_indices) if sorted_indices is not None else np.arange(B, dtype=np.int64)
    steps, rows = _packed_index(sizes, order)
    tail = tuple(data.shape[1:])
    shape = (B, T) + tail if batch_first else (T, B) + tail
    padded = _Scatter.apply(data, index=(rows, steps) if batch_first else (steps, rows), shape=shape,
                            padding_value=padding_value)
    lengths = np.empty(B, np.int64)
    lengths[order] = (sizes[None, :] > np.arange(B)[:, None]).sum(axis=1)
    return padded, _long(lengths)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks sequences (L_i, *) of different lengths into one padded batch.

    Args:
        sequences: a list (or tuple) of tensors with equal trailing shapes.
        batch_first: (B, T, *) instead of (T, B, *). Default: ``False``.
        padding_value: Default: 0.0.
        padding_side: ``'right'`` or ``'left'``. Default: ``'right'``.

    Example::

        >>> pad_sequence([mytorch.ones(3, 2), mytorch.ones(1, 2)]).shape
        mytorch.Size([3, 2, 2])
    """
    if padding_side not in ("left", "right"):
        raise RuntimeError(f"Expected padding_side to be one of left or right, but got {padding_side}.")
    if isinstance(sequences, Tensor):
        sequences = list(sequences.unbind(0))
    sequences = list(sequences)
    if not sequences:
        raise RuntimeError("received an empty list of sequences")
    trailing = tuple(sequences[0].shape[1:])
    for s in sequences:
        if tuple(s.shape[1:]) != trailing:
            raise RuntimeError(f"The size of tensor a ({list(s.shape[1:])}) must match the size of tensor b "
                               f"({list(trailing)}): every sequence needs the same trailing dimensions")
    total = max(s.shape[0] for s in sequences)
    return _PadSequence.apply(*sequences, batch_first=batch_first, padding_value=padding_value,
                              left=padding_side == "left", total=total)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences of a padded batch: ``padded[:lengths[i], i]`` for each i."""
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [padded_sequences[i, :int(n)] for i, n in enumerate(_lengths_array(lengths))]


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of sequences (L_i, *): ``pack_padded_sequence(pad_sequence(sequences), lengths)``."""
    lengths = [s.shape[0] for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences of a PackedSequence, in its original batch order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
