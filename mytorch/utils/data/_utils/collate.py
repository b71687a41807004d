"""default_collate (a list of samples -> one batch) and default_convert (one sample -> tensors),
with torch's rules: the type of the first element decides; containers are collated field by field.
"""
import collections.abc
import copy

import numpy as np

from mytorch import _dtype
from mytorch.tensor import Tensor
from mytorch.utils.data.dataset import Batched

__all__ = ["default_collate", "default_convert"]

_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_str_array(a):
    return a.dtype.kind in "SaUO"


def _wrap(array):
    """A tensor of ``array``; unsigned types mytorch lacks (uint16/32/64) widen to int64."""
    try:
        _dtype.from_numpy_dtype(array.dtype)
    except TypeError:
        if array.dtype.kind != "u":
            raise
        array = array.astype(np.int64)
    return Tensor._make(array)


def _stack(arrays, requires_grad=False):
    shape = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got {list(shape)} at entry 0 "
                               f"and {list(a.shape)} at entry {i}")
    return np.stack(arrays)


def _collate_tensors(batch):
    if any(t.requires_grad for t in batch):  # keep the graph, as torch.stack would
        import mytorch
        _stack([t._data for t in batch])  # torch's size check and message
        return mytorch.stack(list(batch))
    return Tensor._make(_stack([t._data for t in batch]))


def _python_numbers(batch):
    """torch.tensor(batch) for a list of Python numbers whose first is an int or bool."""
    if any(isinstance(b, float) for b in batch):
        return Tensor._make(np.asarray(batch, dtype=_dtype.to_numpy_dtype(_dtype.get_default_dtype())))
    if all(isinstance(b, (bool, np.bool_)) for b in batch):
        return Tensor._make(np.asarray(batch, dtype=np.bool_))
    return Tensor._make(np.asarray(batch, dtype=np.int64))


def default_collate(batch):
    """Merges a list of samples into a batch, as ``torch.utils.data.default_collate``.

    Tensors and NumPy arrays are stacked along a new dimension 0 (equal sizes required); Python
    floats become a float64 tensor, ints (and bools) ``torch.tensor(batch)``; NumPy scalars keep
    their dtype; strings and bytes stay a list; dicts, namedtuples, tuples and lists are collated
    field by field (a tuple of fields becomes a list, as torch's). Anything else raises TypeError.

    Example::

        >>> default_collate([(mytorch.zeros(2), 1), (mytorch.ones(2), 0)])
        [tensor([[0., 0.], [1., 1.]]), tensor([1, 0])]
    """
    if isinstance(batch, Batched):  # a whole batch from __getitems__: fields already stacked
        return list(batch)
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _collate_tensors(batch)
    if isinstance(elem, np.ndarray):
        if _is_str_array(elem):
            raise TypeError(_ERR.format(elem.dtype))
        return _wrap(_stack([np.asarray(b) for b in batch]))
    if isinstance(elem, (np.generic,)) and not isinstance(elem, (np.str_, np.bytes_)):
        if _is_str_array(np.asarray(elem)):
            raise TypeError(_ERR.format(np.asarray(elem).dtype))
        return _wrap(np.asarray(batch))
    if isinstance(elem, float):
        return Tensor._make(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, int):
        return _python_numbers(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        fields = {key: default_collate([d[key] for d in batch]) for key in elem}
        try:
            if isinstance(elem, collections.abc.MutableMapping):
                clone = copy.copy(elem)
                clone.update(fields)
                return clone
            return type(elem)(fields)
        except TypeError:
            return fields
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if not all(len(b) == size for b in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        transposed = list(zip(*batch))
        if isinstance(elem, tuple):
            return [default_collate(s) for s in transposed]
        try:
            if isinstance(elem, collections.abc.MutableSequence):
                clone = copy.copy(elem)
                for i, samples in enumerate(transposed):
                    clone[i] = default_collate(samples)
                return clone
            return type(elem)([default_collate(s) for s in transposed])
        except TypeError:
            return [default_collate(s) for s in transposed]
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data):
    """Converts one sample's NumPy arrays and scalars to tensors, leaving everything else as it
    is (what DataLoader applies with ``batch_size=None``), as ``torch.utils.data.default_convert``."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _is_str_array(data) else _wrap(data)
    if isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_)):
        return _wrap(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        fields = {key: default_convert(data[key]) for key in data}
        try:
            if isinstance(data, collections.abc.MutableMapping):
                clone = copy.copy(data)
                clone.update(fields)
                return clone
            return type(data)(fields)
        except TypeError:
            return fields
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        converted = [default_convert(d) for d in data]
        try:
            if isinstance(data, collections.abc.MutableSequence):
                clone = copy.copy(data)
                for i, d in enumerate(converted):
                    clone[i] = d
                return clone
            return type(data)(converted)
        except TypeError:
            return converted
    return data
