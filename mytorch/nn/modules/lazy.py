"""Lazy layers: parameters whose shape is set by the first input (torch's UninitializedParameter).

The placeholder Parameter objects are materialised in place, so an optimizer built before the
first forward still holds the right tensors; the module then becomes its eager class."""
import numpy as np

from mytorch import _dtype
from mytorch.nn.modules.layers import Linear
from mytorch.nn.modules.module import Module
from mytorch.nn.parameter import Parameter
from mytorch.tensor import Tensor

__all__ = ["UninitializedParameter", "UninitializedBuffer", "LazyLinear"]


class UninitializedParameter(Parameter):
    """A Parameter with no shape yet; ``materialize(shape)`` gives it memory and makes it a Parameter."""

    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(Tensor._make(np.empty((0,), _dtype.to_numpy_dtype(dtype or _dtype.get_default_dtype()))),
                         requires_grad)

    def materialize(self, shape, device=None, dtype=None):
        np_dtype = _dtype.to_numpy_dtype(dtype) if dtype is not None else self._data.dtype
        self._data = np.empty(tuple(shape), np_dtype)
        self.__class__ = self.cls_to_become

    def __repr__(self):
        return "<UninitializedParameter>"


class UninitializedBuffer(Tensor):
    """A buffer with no shape yet."""

    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None):
        self._data = np.empty((0,), _dtype.to_numpy_dtype(dtype or _dtype.get_default_dtype()))
        self.grad, self.grad_fn, self._requires_grad = None, None, False

    def materialize(self, shape, device=None, dtype=None):
        self._data = np.empty(tuple(shape), self._data.dtype if dtype is None else _dtype.to_numpy_dtype(dtype))
        self.__class__ = self.cls_to_become


class LazyLinear(Linear):
    """Linear whose in_features is taken from the first input's last dim."""

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        Module.__init__(self)
        self.in_features, self.out_features = 0, out_features
        self.weight = UninitializedParameter(dtype=dtype)
        self.register_parameter("bias", UninitializedParameter(dtype=dtype) if bias else None)

    def reset_parameters(self):
        if self.in_features != 0:
            super().reset_parameters()

    def has_uninitialized_params(self):
        return any(isinstance(p, UninitializedParameter) for p in self.parameters())

    def initialize_parameters(self, input):
        if self.has_uninitialized_params():
            self.in_features = input.shape[-1]
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()

    def forward(self, input):
        if self.has_uninitialized_params():
            self.initialize_parameters(input)
            self.__class__ = self.cls_to_become
        return Linear.forward(self, input)
