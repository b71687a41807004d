"""torch.nn.AdaptiveLogSoftmaxWithLoss: the adaptive softmax of Grave et al. (frequent classes in the head,
rare ones in clusters behind a projection), with torch's parameter layout and outputs."""
from collections import namedtuple

import numpy as np

from mytorch import ops
from mytorch.tensor import Tensor
from mytorch.nn import functional as F
from mytorch.nn.modules.container import ModuleList, Sequential
from mytorch.nn.modules.linear import Linear
from mytorch.nn.modules.module import Module

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Log-probabilities of the targets under the adaptive softmax, and their mean negative (the loss).

    Args:
        in_features (int): features of the input.
        n_classes (int): number of classes.
        cutoffs (Sequence[int]): increasing cluster boundaries, each in 1 .. n_classes - 1.
        div_value (float): each cluster's projection is ``div_value`` times narrower than the last. Default: 4.0
        head_bias (bool): the head Linear has a bias. Default: ``False``

    Shape:
        input (N, in_features) or (in_features), target (N) or (); returns ``(output, loss)`` with output (N) or ().

    Example::

        >>> asm = nn.AdaptiveLogSoftmaxWithLoss(64, 1000, cutoffs=[10, 100])
        >>> out, loss = asm(x, y)
    """

    def __init__(self, in_features, n_classes, cutoffs, div_value=4.0, head_bias=False, device=None, dtype=None):
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("cutoffs should be a sequence of length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > (n_classes - 1)
                or len(set(cutoffs)) != len(cutoffs) or any(int(c) != c for c in cutoffs)):
            raise ValueError("cutoffs should be a sequence of unique, positive integers sorted in an increasing "
                             "order, where each value is between 1 and n_classes-1")
        self.in_features, self.n_classes = in_features, n_classes
        self.cutoffs = cutoffs + [n_classes]
        self.div_value, self.head_bias = div_value, head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hsz, bias=False, dtype=dtype),
                                        Linear(hsz, osz, bias=False, dtype=dtype)))

    def reset_parameters(self):
        self.head.reset_parameters()
        for i2h, h2o in self.tail:
            i2h.reset_parameters()
            h2o.reset_parameters()

    def forward(self, input_, target_):
        targ_dim = target_.ndim
        if targ_dim == 1:
            if input_.shape[0] != target_.shape[0]:
                raise RuntimeError("Input and target should have the same size in the batch dimension.")
            if input_.ndim != 2:
                raise RuntimeError(f"1D target tensor expects 2D input tensors, but found inputs with size "
                                   f"{list(input_.shape)}")
        elif targ_dim == 0:
            if input_.ndim != 1:
                raise RuntimeError(f"0D target tensor expects 1D input tensors, but found inputs with size "
                                   f"{list(input_.shape)}")
        else:
            raise RuntimeError("0D or 1D target tensor expected, multi-target not supported")
        batched = targ_dim > 0
        input = input_ if batched else input_.unsqueeze(0)
        t = np.asarray(target_._data).reshape(-1).astype(np.int64)
        n = t.shape[0]
        if n and (t.min() < 0 or t.max() >= self.n_classes):
            raise RuntimeError(f"Target values should be in [0, {self.n_classes - 1}], but values in range "
                               f"[{t.min()}, {t.max()}] were found. ")
        # the head's class for each row: the target itself (shortlist) or the row's cluster token
        cluster = np.searchsorted(np.asarray(self.cutoffs), t, side="right")  # 0: shortlist, i: cluster i
        gather_inds = np.where(cluster == 0, t, self.shortlist_size + cluster - 1)
        head_logprob = F.log_softmax(self.head(input), dim=1)
        output = head_logprob[Tensor._make(np.arange(n)), Tensor._make(gather_inds)]
        for i in range(1, self.n_clusters + 1):
            rows = np.flatnonzero(cluster == i)
            if rows.size == 0:
                continue
            cluster_logprob = F.log_softmax(self.tail[i - 1](input[Tensor._make(rows)]), dim=1)
            local = cluster_logprob[Tensor._make(np.arange(rows.size)), Tensor._make(t[rows] - self.cutoffs[i - 1])]
            scatter = np.zeros((n, rows.size), dtype=input._data.dtype)
            scatter[rows, np.arange(rows.size)] = 1  # places the cluster's terms at their rows, differentiably
            output = output + ops.matmul(Tensor._make(scatter), local.unsqueeze(1)).squeeze(1)
        loss = (-output).mean()
        return _ASMoutput(output if batched else output.squeeze(0), loss)

    def _get_full_log_prob(self, input, head_output):
        head_logprob = F.log_softmax(head_output, dim=1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_logprob = F.log_softmax(self.tail[i](input), dim=1)
            parts.append(cluster_logprob + head_logprob[:, self.shortlist_size + i].unsqueeze(1))
        return ops.cat(parts, dim=1)

    def log_prob(self, input):
        """Log-probabilities of every class: (N, n_classes) for (N, in_features) input."""
        batched = input.ndim > 1
        x = input if batched else input.unsqueeze(0)
        out = self._get_full_log_prob(x, self.head(x))
        return out if batched else out.squeeze(0)

    def predict(self, input):
        """The most likely class of each row: (N) for (N, in_features) input."""
        return self.log_prob(input).argmax(dim=-1)
