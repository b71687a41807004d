"""Primitives the nn.functional modules share: constant padding, the identities that declare a saved
input, torch's legacy type names."""
import numpy as np

from mytorch.autograd import Function

__all__ = []


class Pad(Function):
    """Constant padding (np.pad); the backward crops the gradient back."""

    def forward(self, a, widths, value):
        self.widths = widths
        self.crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, a.shape))
        return np.pad(a, widths, constant_values=value)

    def backward(self, g):
        return g[self.crop]

    def backward_t(self, g):  # the crop's adjoint pads with zeros
        return _LinearMap.apply(g, fwd=self.backward, adjoint=lambda a: np.pad(a, self.widths))


class _SavedInput(Function):
    """The identity, declaring that its input is saved: a composite whose torch form is one
    primitive that saves the input (soft_margin_loss, binary_cross_entropy_with_logits,
    multi_margin_loss) passes the input through it first, so that changing the input in place
    after the call raises torch's error at backward. The output shares the input's memory; the
    composites use it only internally."""
    saved = ((0, None),)

    def forward(self, x):
        return x

    def backward(self, g):
        return g

    backward_t = backward  # create_graph=True: the identity's backward is differentiable as it is


class _SavedInputAndTarget(Function):
    """_SavedInput for a loss whose torch primitive saves the target too: ``apply(input, target)``
    returns the input (the target gets no gradient here; the composite differentiates it)."""
    saved = ((0, None), (1, None))

    def forward(self, x, target):
        return x

    def backward(self, g):
        return g, None

    backward_t = backward


class _LinearMap(Function):
    """y = A(g) for a linear map A given with its adjoint: the gradient of a primitive whose backward is
    linear in g and reads no differentiable input (nll_loss, embedding), as a node for create_graph=True.
    Its gradient is the adjoint, whose gradient is A again."""

    def forward(self, g, fwd, adjoint):
        self.fwd, self.adjoint = fwd, adjoint
        return fwd(g)

    def backward(self, gg):
        return self.adjoint(gg)

    def backward_t(self, gg):
        return _LinearMap.apply(gg, fwd=self.adjoint, adjoint=self.fwd)


_LEGACY_TYPE = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor", "int64": "LongTensor",
                "int32": "IntTensor", "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
                "bool": "BoolTensor"}
def _legacy_type_name(t):
    return "torch." + _LEGACY_TYPE.get(t._data.dtype.name, t._data.dtype.name)
