"""mytorch.save / mytorch.load in the zip layout torch uses, readable by torch.load(weights_only=True).

Layout (what torch 2.x writes): ``<stem>/data.pkl`` (a protocol-2 pickle in which each tensor is
``torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())``
and each storage a persistent id ``('storage', torch.FloatStorage, key, 'cpu', numel)``),
``<stem>/data/<key>`` (raw little-endian bytes, stored uncompressed and 64-byte aligned),
``<stem>/byteorder``, ``<stem>/version``, ``<stem>/.format_version``, ``<stem>/.storage_alignment``.

Loading never executes code from the file: the unpickler resolves only the globals listed in
``_ALLOWED`` and refuses everything else by name.
"""
import collections
import io
import os
import pickle
import struct
import tempfile
import zipfile

import numpy as np

from mytorch.tensor import Tensor

__all__ = ["save", "load"]

_STORAGE_TYPES = {
    np.dtype(np.float32): "FloatStorage", np.dtype(np.float64): "DoubleStorage", np.dtype(np.float16): "HalfStorage",
    np.dtype(np.int64): "LongStorage", np.dtype(np.int32): "IntStorage", np.dtype(np.int16): "ShortStorage",
    np.dtype(np.int8): "CharStorage", np.dtype(np.uint8): "ByteStorage", np.dtype(np.bool_): "BoolStorage",
}
_DTYPES = {name: dtype for dtype, name in _STORAGE_TYPES.items()}
_ALIGNMENT = 64


class _Global:
    """A stand-in that pickles as GLOBAL 'module name' (so files name torch's globals without
    importing torch)."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce insists on a callable
        raise TypeError(f"{self.module}.{self.name} is a pickling stand-in")


_REBUILD_TENSOR = _Global("torch._utils", "_rebuild_tensor_v2")
_ORDERED_DICT = _Global("collections", "OrderedDict")


class _Storage:
    def __init__(self, array, key):
        self.array, self.key = array, key


class _Pickler(pickle._Pickler):
    """The pure-Python pickler, taught to write torch's globals and storages."""

    def __init__(self, file):
        super().__init__(file, protocol=2)
        self.storages = []

    def save_global(self, obj, name=None):
        if isinstance(obj, _Global):
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
            self.memoize(obj)
            return
        super().save_global(obj, name)

    dispatch = dict(pickle._Pickler.dispatch)

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            storage_type = _Global("torch", _STORAGE_TYPES[obj.array.dtype])
            return ("storage", storage_type, obj.key, "cpu", obj.array.size)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, _Global):
            return NotImplemented
        if isinstance(obj, Tensor):
            array = obj._data if obj._data.flags.c_contiguous else obj._data.copy()  # keeps 0-d as 0-d
            if array.dtype not in _STORAGE_TYPES:
                raise TypeError(f"cannot save a tensor of dtype {array.dtype}")
            storage = _Storage(array, str(len(self.storages)))
            self.storages.append(storage)
            strides = tuple(s // array.itemsize for s in array.strides)
            requires_grad = bool(obj.requires_grad and obj.grad_fn is None)
            return (_REBUILD_TENSOR, (storage, 0, tuple(array.shape), strides, requires_grad,
                                      collections.OrderedDict()))  # torch's empty backward-hooks argument
        if type(obj) is collections.OrderedDict:
            return (_ORDERED_DICT, (), None, None, iter(obj.items()))
        return NotImplemented


_Pickler.dispatch[_Global] = lambda self, obj: self.save_global(obj)


def _zip_entry(zf, name, payload):
    """Writes one uncompressed record whose data starts on a 64-byte boundary (torch's padding:
    an extra field 'FB' + length + filler)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    offset = zf.fp.tell() + 30 + len(name.encode("utf-8"))
    pad = (-(offset + 4)) % _ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    zf.writestr(info, payload)


def save(obj, f, pickle_protocol=2):
    """Writes ``obj`` (state_dicts, nested dicts/lists/tuples of tensors, numbers, strings, None) to a
    path or a binary file object. A path is written atomically: to a temporary file in the same
    folder, renamed over the target only when complete."""
    buffer = io.BytesIO()
    pickler = _Pickler(buffer)
    pickler.dump(obj)
    if isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        stem = os.path.splitext(os.path.basename(path))[0] or "archive"
        folder = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=os.path.basename(path) + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                _write_archive(out, stem, buffer.getvalue(), pickler.storages)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise
    else:
        _write_archive(f, "archive", buffer.getvalue(), pickler.storages)


def _write_archive(out, stem, pickled, storages):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as zf:
        _zip_entry(zf, f"{stem}/data.pkl", pickled)
        _zip_entry(zf, f"{stem}/.format_version", b"1")
        _zip_entry(zf, f"{stem}/.storage_alignment", str(_ALIGNMENT).encode())
        _zip_entry(zf, f"{stem}/byteorder", b"little")
        for storage in storages:
            _zip_entry(zf, f"{stem}/data/{storage.key}", storage.array.astype(storage.array.dtype.newbyteorder("<"),
                                                                               copy=False).tobytes())
        _zip_entry(zf, f"{stem}/version", b"3\n")


# ----------------------------------------------------------------------------- loading
def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None, metadata=None):
    array = storage
    itemsize = array.itemsize
    if len(size) and max((n - 1) * s for n, s in zip(size, stride)) + storage_offset >= array.size > 0 \
            or (array.size == 0 and int(np.prod(size)) != 0):
        raise pickle.UnpicklingError(f"tensor of size {list(size)} does not fit its storage of {array.size} elements")
    view = np.lib.stride_tricks.as_strided(array[storage_offset:], shape=tuple(size),
                                           strides=tuple(s * itemsize for s in stride))
    t = Tensor._make(np.array(view, copy=True))
    if requires_grad:
        t.requires_grad_(True)
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    from mytorch.nn.parameter import Parameter
    return Parameter(data, requires_grad)


class _StorageType:
    def __init__(self, name):
        self.dtype = _DTYPES[name]


_ALLOWED = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("collections", "Counter"): collections.Counter,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
}


class _Unpickler(pickle.Unpickler):
    def __init__(self, file, zf, prefix):
        super().__init__(file)
        self.zf, self.prefix = zf, prefix

    def find_class(self, module, name):
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}: mytorch.load only restores "
                                         "tensors, containers, numbers and strings (no code runs from a file)") from None

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        _, storage_type, key, _location, numel = pid
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unsupported storage type {storage_type!r}")
        try:
            raw = self.zf.read(f"{self.prefix}data/{key}")
        except KeyError:
            raise pickle.UnpicklingError(f"the archive has no record data/{key} for a tensor") from None
        dtype = storage_type.dtype.newbyteorder("<")
        if len(raw) != numel * dtype.itemsize:
            raise pickle.UnpicklingError(f"record data/{key} has {len(raw)} bytes, {numel * dtype.itemsize} expected")
        return np.frombuffer(raw, dtype).astype(dtype.newbyteorder("="))


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Reads what ``save`` (or ``torch.save``) wrote: from a path or a binary file object. Tensors come
    back as mytorch tensors; ``map_location`` may only name the CPU."""
    if map_location not in (None, "cpu") and str(map_location) != "cpu":
        from mytorch.device import device
        device(map_location)
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file object>")
    try:
        zf = zipfile.ZipFile(f)
    except zipfile.BadZipFile:
        raise RuntimeError(f"{name}: not a torch/mytorch checkpoint (not a zip archive; the legacy pre-1.6 "
                           "torch format is not supported), or the file is truncated") from None
    except FileNotFoundError:
        raise FileNotFoundError(f"No such file: {name}") from None
    with zf:
        pkl = [n for n in zf.namelist() if n.endswith("data.pkl") and n.count("/") == 1]
        if not pkl:
            raise RuntimeError(f"{name}: zip archive without a <name>/data.pkl record; not a torch checkpoint")
        prefix = pkl[0][:-len("data.pkl")]
        try:
            byteorder = zf.read(prefix + "byteorder").decode()
        except KeyError:
            byteorder = "little"
        if byteorder != "little":
            raise RuntimeError(f"{name}: big-endian checkpoints are not supported")
        try:
            return _Unpickler(io.BytesIO(zf.read(pkl[0])), zf, prefix).load()
        except (zipfile.BadZipFile, EOFError, struct.error, OSError) as e:
            raise RuntimeError(f"{name}: the checkpoint is corrupt or truncated ({e})") from None
