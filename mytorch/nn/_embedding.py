"""nn.functional embeddings (embedding, embedding_bag), gumbel_softmax and pdist."""
import numpy as np

from mytorch import ops
from mytorch.autograd import Function
from mytorch.tensor import Tensor, _wrap_dim
from mytorch.nn._functional_base import _LinearMap, _legacy_type_name
from mytorch.nn._activation import softmax
from mytorch.nn._loss import _norm

__all__ = ["embedding", "embedding_bag", "gumbel_softmax", "pdist"]


# ---------------------------------------------------------------------------- embedding
def _scatter_add_rows(index, rows, num_rows):
    """out[index[i]] += rows[i] for a flat int index and rows (n, D): one stable sort and one
    reduceat (np.add.at would do a Python-speed scatter per element)."""
    out = np.zeros((num_rows,) + rows.shape[1:], dtype=rows.dtype)
    if index.size == 0:
        return out
    order = np.argsort(index, kind="stable")
    sorted_index = index[order]
    starts = np.flatnonzero(np.concatenate(([True], sorted_index[1:] != sorted_index[:-1])))
    out[sorted_index[starts]] = np.add.reduceat(rows[order], starts, axis=0)
    return out


class Embedding(Function):
    """weight[indices] as one primitive; the backward scatter-adds the rows' gradients, skips the
    padding row and divides by each index's count under ``scale_grad_by_freq``. The indices are an
    input (no gradient) so that changing them in place before backward raises, as in torch."""
    saved = ((1, None),)

    def forward(self, weight, indices, padding_idx, scale_grad_by_freq):
        indices = indices.astype(np.intp, copy=False)
        self.indices, self.num_rows = indices, weight.shape[0]
        self.padding_idx, self.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return weight[indices]

    def backward(self, g):
        flat = self.indices.reshape(-1)
        rows = g.reshape((flat.size,) + g.shape[self.indices.ndim:])
        if self.scale_grad_by_freq:
            counts = np.bincount(flat, minlength=self.num_rows)
            rows = rows / counts[flat].astype(rows.dtype).reshape((-1,) + (1,) * (rows.ndim - 1))
        out = _scatter_add_rows(flat, rows, self.num_rows)
        if self.padding_idx is not None:
            out[self.padding_idx] = 0
        return out, None

    def backward_t(self, g):
        return _LinearMap.apply(g, fwd=lambda a: self.backward(a)[0], adjoint=self._rows), None

    def _rows(self, gw):
        """The adjoint of backward: the rows of gw looked up, as the forward does."""
        if self.padding_idx is not None:
            gw = gw.copy()
            gw[self.padding_idx] = 0
        rows = gw[self.indices]
        if self.scale_grad_by_freq:
            counts = np.bincount(self.indices.reshape(-1), minlength=self.num_rows)
            rows = rows / counts[self.indices].astype(rows.dtype).reshape(self.indices.shape + (1,) * (rows.ndim - self.indices.ndim))
        return rows


def _embedding_renorm_(weight, indices, max_norm, norm_type):
    """Rows of ``weight`` looked up by ``indices`` rescaled in place to p-norm <= max_norm (torch's
    embedding_renorm_: scale max_norm / (norm + 1e-7))."""
    w = weight._data
    rows = np.unique(indices)
    norms = np.linalg.norm(w[rows].astype(np.float64), ord=norm_type, axis=1) if w.ndim == 2 else \
        np.abs(w[rows]).astype(np.float64)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[rows[big]] *= scale.reshape((-1,) + (1,) * (w.ndim - 1))
        if hasattr(weight, "_version"):
            weight._version += 1  # an in-place change: graphs that saved the weight must notice, as in torch


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0, scale_grad_by_freq=False,
              sparse=False):
    """Rows of ``weight`` (num_embeddings, embedding_dim) looked up by the integer tensor ``input``.

    Args:
        padding_idx: this row gets no gradient. Default: ``None``.
        max_norm: looked-up rows with a larger ``norm_type``-norm are renormalised in place. Default: ``None``.
        scale_grad_by_freq: divide gradients by the index's frequency in the batch. Default: ``False``.
        sparse: accepted; gradients are dense.

    Shape:
        input (*) -> output (*, embedding_dim).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"embedding(): argument 'input' must be Tensor, not {type(input).__name__}")
    idx = input._data
    if idx.dtype not in (np.int64, np.int32):
        raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the following scalar types: "
                           f"Long, Int; but got {_legacy_type_name(input)} instead (while checking arguments for "
                           "embedding)")
    if weight.ndim != 2:
        raise RuntimeError(f"'weight' must be 2-D, got {weight.ndim}-D")
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx > 0:
            assert padding_idx < num, "Padding_idx must be within num_embeddings"
        elif padding_idx < 0:
            assert padding_idx >= -num, "Padding_idx must be within num_embeddings"
            padding_idx = num + padding_idx
    if idx.size and (idx.min() < 0 or idx.max() >= num):  # NOTE: torch refuses negative indices here
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _embedding_renorm_(weight, idx.astype(np.intp, copy=False), max_norm, norm_type)
    return Embedding.apply(weight, input, padding_idx=padding_idx, scale_grad_by_freq=scale_grad_by_freq)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False, mode="mean",
                  sparse=False, per_sample_weights=None, include_last_offset=False, padding_idx=None):
    """Sums, means or maxes of bags of embeddings: rows of a 2-D ``input`` are bags, or a 1-D
    ``input`` is cut into bags at ``offsets``. Entries equal to ``padding_idx`` are left out."""
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"mode has to be one of sum, mean or max, but got {mode}")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                                  f"supported for mode='sum' (got mode='{mode}'). Please open a feature request on "
                                  f"GitHub.")
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(f"if input is 2D, then offsets has to be None, as input is treated is a mini-batch of "
                             f"fixed length sequences. However, found offsets of type {type(offsets)}")
        B, L = input.shape
        flat = input.reshape(-1)
        bag = np.repeat(np.arange(B), L)
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
        off = offsets._data.astype(np.int64)
        n = input.shape[0]
        if include_last_offset:
            off, B = off, len(off) - 1
            starts = off[:-1]
        else:
            B, starts = len(off), off
        if B and starts[0] != 0:
            raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start "
                               f"from position 0. However, got {starts[0]}")
        flat = input
        bag = np.searchsorted(starts, np.arange(n), side="right") - 1 if B else np.zeros(0, np.int64)
        if include_last_offset and len(off):
            bag = np.where(np.arange(n) >= off[-1], -1, bag)
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}")
    idx = flat._data.astype(np.int64)
    keep = bag >= 0
    if padding_idx is not None:
        pad_row = padding_idx if padding_idx >= 0 else weight.shape[0] + padding_idx
        keep = keep & (idx != pad_row)
    rows = embedding(flat, weight, None, max_norm, norm_type, scale_grad_by_freq)  # (n, D)
    dtype = weight._data.dtype
    D = weight.shape[1]
    if mode == "max":
        kept = np.flatnonzero(keep)  # bags are contiguous runs: one reduceat per statistic
        values = rows._data[kept]
        kb = bag[kept]
        arg = np.zeros((B, D), np.int64)
        nonempty = np.zeros(B, bool)
        if kept.size:
            starts = np.flatnonzero(np.concatenate(([True], kb[1:] != kb[:-1])))
            best = np.maximum.reduceat(values, starts, axis=0)
            segment = np.cumsum(np.concatenate(([0], (kb[1:] != kb[:-1]).astype(np.int64))))
            position = np.where(values == best[segment], kept[:, None], np.iinfo(np.int64).max)
            arg[kb[starts]] = np.minimum.reduceat(position, starts, axis=0)
            nonempty[kb[starts]] = True
        gathered = rows[Tensor._make(arg), Tensor._make(np.broadcast_to(np.arange(D), (B, D)).copy())]
        return gathered * Tensor._make(nonempty.astype(dtype)[:, None])
    S = np.zeros((B, len(idx)), dtype)
    S[bag[keep], np.flatnonzero(keep)] = 1
    if mode == "mean":
        counts = S.sum(1, keepdims=True)
        S = S / np.maximum(counts, 1)
    if per_sample_weights is not None:
        rows = rows * per_sample_weights.unsqueeze(1)
    return ops.matmul(Tensor._make(S), rows)


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """softmax((logits + Gumbel noise) / tau); ``hard`` returns one-hot samples whose gradient is the soft one's."""
    from mytorch.random import rng
    gumbels = Tensor._make((-np.log(rng().exponential(1.0, tuple(logits.shape)))).astype(logits._data.dtype))
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    d = _wrap_dim(dim, logits.ndim)
    index = y_soft._data.argmax(axis=d)
    y_hard = np.zeros_like(y_soft._data)
    np.put_along_axis(y_hard, np.expand_dims(index, d), 1.0, axis=d)
    return Tensor._make(y_hard) - y_soft.detach() + y_soft


def pdist(input, p=2):
    """p-norm distances between the rows of (N, M) input, the upper triangle flattened: (N (N - 1) / 2,)."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.ndim}D")
    if p < 0:
        raise RuntimeError("pdist only supports non-negative p values")
    i, j = np.triu_indices(input.shape[0], k=1)
    diff = input[Tensor._make(i)] - input[Tensor._make(j)]
    return _norm(diff, p, -1)
