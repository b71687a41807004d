"""Parameter: a Tensor that a Module registers as learnable when assigned as an attribute."""
import numpy as np

from mytorch.tensor import Tensor

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A leaf tensor that requires grad by default and registers itself with a Module.

    Args:
        data: a Tensor (its memory is shared) or anything ``mytorch.tensor`` accepts.
        requires_grad: Default: ``True``.
    """

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            array = np.empty((0,), np.float32)
        elif isinstance(data, Tensor):
            array = data._data
        else:
            from mytorch.creation import tensor
            array = tensor(data)._data
        self._data = array
        self.grad = None
        self.grad_fn = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + Tensor.__repr__(Tensor._make(self._data, self._requires_grad))


class Buffer(Tensor):
    """A Tensor that a Module registers as a buffer when assigned as an attribute
    (``self.mean = nn.Buffer(t)``), persistent (in state_dict) unless ``persistent=False``."""

    def __init__(self, data=None, *, persistent=True):
        if data is None:
            array = np.empty((0,), np.float32)
        elif isinstance(data, Tensor):
            array = data._data
        else:
            from mytorch.creation import tensor
            array = tensor(data)._data
        self._data = array
        self.grad = None
        self.grad_fn = None
        self._requires_grad = False
        self.persistent = persistent
