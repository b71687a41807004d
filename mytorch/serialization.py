"""mytorch.save / mytorch.load in torch's zip checkpoint format, with torch 2.13's weights-only loading.

Layout (what torch 2.x writes): ``<stem>/data.pkl`` (a pickle in which each tensor is
``_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())`` and each storage
a persistent id ``('storage', torch.FloatStorage, key, 'cpu', numel)``), ``<stem>/data/<key>`` (raw
little-endian bytes, stored uncompressed and 64-byte aligned), ``<stem>/byteorder``,
``<stem>/version``, ``<stem>/.format_version``, ``<stem>/.storage_alignment``.

Which rebuild functions a file names: a file of tensors, containers, numbers and strings (a
state_dict) names torch's (``torch._utils._rebuild_tensor_v2``), so ``torch.load(weights_only=True)``
reads it. A file that pickles other objects (a whole model) names mytorch's
(``mytorch.serialization._rebuild_tensor_v2``), so ``torch.load(weights_only=False)`` rebuilds
mytorch tensors inside the mytorch modules it imports.

Loading: ``weights_only=True`` (the default, as torch 2.6+) resolves only the globals in
``_WEIGHTS_ONLY`` and those allowlisted with :func:`add_safe_globals`; nothing from the file runs.
``weights_only=False`` unpickles as pickle would, mapping torch's classes (``torch.nn.Linear``, ...)
and tensor rebuilders to mytorch's, so a model torch saved whole comes back as mytorch modules.
Either way every tensor record is checked (dtype, size, stride, offset against the record's bytes)
before a view is made: a crafted file cannot read outside its storage. Tensors are views of their
record, so tensors torch saved as views of one storage still share it; a view whose elements
overlap (a stride-0 broadcast) stays a read-only view instead of being expanded. Only stored
(uncompressed) records are read, as torch writes them.
"""
import collections
import contextlib
import importlib
import inspect
import io
import os
import pickle
import pickletools
import stat
import struct
import sys
import tempfile
import zipfile
import zlib

import numpy as np

from mytorch import _dtype
from mytorch.tensor import Size, Tensor

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "get_unsafe_globals_in_checkpoint", "DEFAULT_PROTOCOL"]

DEFAULT_PROTOCOL = 2
_ALIGNMENT = 64
_MAX_DIMS = 64  # NumPy's limit

_STORAGE_TYPES = {
    np.dtype(np.float32): "FloatStorage", np.dtype(np.float64): "DoubleStorage", np.dtype(np.float16): "HalfStorage",
    np.dtype(np.int64): "LongStorage", np.dtype(np.int32): "IntStorage", np.dtype(np.int16): "ShortStorage",
    np.dtype(np.int8): "CharStorage", np.dtype(np.uint8): "ByteStorage", np.dtype(np.bool_): "BoolStorage",
}
_DTYPES = {name: dtype for dtype, name in _STORAGE_TYPES.items()}
# torch's dtype globals (``torch.float32`` pickles as GLOBAL 'torch float32') and their aliases
_DTYPE_NAMES = {"float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
                "float16": "float16", "half": "float16", "int64": "int64", "long": "int64", "int32": "int32",
                "int": "int32", "int16": "int16", "short": "int16", "int8": "int8", "uint8": "uint8", "bool": "bool_"}


# ============================================================================ safe globals
_user_safe_globals = {}  # "module.qualname" -> object


def _global_name(obj):
    return f"{obj.__module__}.{obj.__qualname__}"


def add_safe_globals(safe_globals):
    """Allowlists classes/functions for ``load(weights_only=True)``.

    Args:
        safe_globals: a list of objects, or of ``(object, "module.name")`` pairs to serve a name the
            file uses that differs from the object's own.

    Example::

        >>> mytorch.serialization.add_safe_globals([Net])
        >>> model = mytorch.load("model.pt")
    """
    for item in safe_globals:
        if isinstance(item, tuple):
            if len(item) != 2 or not isinstance(item[1], str):
                raise TypeError(f"add_safe_globals: expected an object or an (object, 'module.name') pair, "
                                f"got {item!r}")
            _user_safe_globals[item[1]] = item[0]
        else:
            _user_safe_globals[_global_name(item)] = item


def get_safe_globals():
    """The globals added with :func:`add_safe_globals` (pairs where the name is not the object's own)."""
    return [obj if _global_name(obj) == name else (obj, name) for name, obj in _user_safe_globals.items()]


def clear_safe_globals():
    """Forgets every global added with :func:`add_safe_globals`."""
    _user_safe_globals.clear()


class safe_globals(contextlib.ContextDecorator):
    """``with safe_globals([Net]):`` allowlists globals for the block only."""

    def __init__(self, safe_globals):
        self.safe_globals = safe_globals

    def __enter__(self):
        self._saved = dict(_user_safe_globals)
        add_safe_globals(self.safe_globals)

    def __exit__(self, *exc):
        _user_safe_globals.clear()
        _user_safe_globals.update(self._saved)
        return False


# ============================================================================ saving
class _Global:
    """A stand-in that pickles as GLOBAL 'module name' (so files name torch's globals without
    importing torch)."""

    def __init__(self, module, name):
        self.module, self.name = module, name

    def __call__(self, *args):  # pickle's save_reduce insists on a callable
        raise TypeError(f"{self.module}.{self.name} is a pickling stand-in")


_ORDERED_DICT = _Global("collections", "OrderedDict")
_REBUILDERS = {  # which functions the file names for tensors and parameters (see the module docstring)
    "torch": (_Global("torch._utils", "_rebuild_tensor_v2"), _Global("torch._utils", "_rebuild_parameter")),
    "mytorch": (_Global("mytorch.serialization", "_rebuild_tensor_v2"),
                _Global("mytorch.serialization", "_rebuild_parameter")),
}


class _Storage:
    def __init__(self, array, key):
        self.array, self.key = array, key


class _Pickler(pickle._Pickler):
    """The pure-Python pickler, taught to write torch's globals and storages. ``foreign`` collects
    the globals it wrote that a weights-only load refuses."""

    def __init__(self, file, protocol, flavour):
        super().__init__(file, protocol=protocol)
        self.storages, self.foreign = [], []
        self.rebuild_tensor, self.rebuild_parameter = _REBUILDERS[flavour]

    def save_global(self, obj, name=None):
        if isinstance(obj, _Global):
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode("utf-8"))
            self.memoize(obj)
            return
        module = getattr(obj, "__module__", None)
        qualname = name or getattr(obj, "__qualname__", None)
        if (module, qualname) not in _WEIGHTS_ONLY:
            self.foreign.append(f"{module}.{qualname}")
        super().save_global(obj, name)

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            storage_type = _Global("torch", _STORAGE_TYPES[obj.array.dtype])
            return ("storage", storage_type, obj.key, "cpu", obj.array.size)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, _Global):
            return NotImplemented
        if isinstance(obj, Tensor):
            from mytorch.nn.parameter import Parameter
            if isinstance(obj, Parameter):
                return (self.rebuild_parameter, (Tensor._make(obj._data), bool(obj.requires_grad),
                                                 collections.OrderedDict()))
            array = obj._data
            if array.dtype.newbyteorder("=") not in _STORAGE_TYPES:
                raise TypeError(f"cannot save a tensor of dtype {array.dtype}")
            array = array.astype(array.dtype.newbyteorder("="), order="C", copy=False)  # keeps 0-d as 0-d
            storage = _Storage(array, str(len(self.storages)))
            self.storages.append(storage)
            strides = tuple(s // array.itemsize for s in array.strides)
            requires_grad = bool(obj.requires_grad)  # a non-leaf loads as a leaf that requires grad, as torch
            return (self.rebuild_tensor, (storage, 0, tuple(array.shape), strides, requires_grad,
                                          collections.OrderedDict()))  # torch's empty backward-hooks argument
        if type(obj) is collections.OrderedDict or (isinstance(obj, dict) and type(obj) is not dict
                                                    and type(obj).__module__.startswith("mytorch.")):
            # mytorch's internal dict types (a Module's hook stores) are written as torch writes its
            # own, OrderedDicts, so a whole-model file names no mytorch internals; load restores the types
            state = dict(getattr(obj, "__dict__", {})) or None  # torch's state_dicts carry _metadata this way
            return (_ORDERED_DICT, (), state, None, iter(obj.items()))
        if isinstance(obj, Size):
            return (_Global("torch", "Size"), (tuple(obj),))
        from mytorch.device import device
        if isinstance(obj, device):
            return (_Global("torch", "device"), (str(obj),))
        return NotImplemented


_Pickler.dispatch[_dtype.dtype] = lambda self, obj: self.save_global(_Global("torch", obj.name))  # as torch names it
_Pickler.dispatch[_Global] = lambda self, obj: self.save_global(obj)


def _pickle(obj, protocol, flavour):
    buffer = io.BytesIO()
    pickler = _Pickler(buffer, protocol, flavour)
    pickler.dump(obj)
    return buffer.getvalue(), pickler


def _zip_entry(zf, name, payload):
    """Writes one uncompressed record whose data starts on a 64-byte boundary (torch's padding:
    an extra field 'FB' + length + filler)."""
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    offset = zf.fp.tell() + 30 + len(name.encode("utf-8"))
    pad = (-(offset + 4)) % _ALIGNMENT
    info.extra = b"FB" + struct.pack("<H", pad) + b"Z" * pad
    zf.writestr(info, payload)


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


def _umask():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # NOTE: not thread-safe; only where /proc is missing
    os.umask(mask)
    return mask


def save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True,
         _disable_byteorder_record=False):
    """Saves ``obj`` in torch's zip checkpoint format.

    Args:
        obj: a state_dict, any nesting of dicts/lists/tuples of tensors, numbers and strings, or a
            whole module (pickled by class, as torch does: the class must be importable to load).
        f: a path, or a binary file object (written from its current position).
        pickle_protocol: Default: 2 (torch's).

    A path is written atomically: to a temporary file beside the target, renamed over it only when
    complete, so an error keeps the old file. A symlink is written through (its target is replaced,
    the link stays); a new file gets the mode ``0o666 & ~umask`` and an existing one keeps its mode.

    Example::

        >>> mytorch.save(model.state_dict(), "model.pt")
        >>> mytorch.save(model, "whole.pt")   # load with weights_only=False
    """
    if not isinstance(pickle_protocol, int) or not 2 <= pickle_protocol <= pickle.HIGHEST_PROTOCOL:
        raise ValueError(f"pickle_protocol must be an int in [2, {pickle.HIGHEST_PROTOCOL}], got {pickle_protocol!r}")
    pickled, pickler = _pickle(obj, pickle_protocol, "torch")
    if pickler.foreign:  # not a weights-only file: name mytorch's rebuilders (see the module docstring)
        pickled, pickler = _pickle(obj, pickle_protocol, "mytorch")
    if isinstance(f, (str, os.PathLike)):
        _save_to_path(os.fspath(f), pickled, pickler.storages)
        return
    if not hasattr(f, "write"):
        raise TypeError(f"save: f must be a path or a binary file object with write(), got {type(f).__name__}")
    buffer = io.BytesIO()  # built in memory: f need not be seekable (a pipe, a socket file)
    _write_archive(buffer, "archive", pickled, pickler.storages)
    f.write(buffer.getvalue())
    if hasattr(f, "flush"):
        f.flush()


def _save_to_path(path, pickled, storages):
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    target = os.path.realpath(path) if os.path.islink(path) else path
    stem = os.path.splitext(os.path.basename(path))[0] or "archive"
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise RuntimeError(f"Parent directory {folder} does not exist.")
    if os.path.isdir(target):
        raise IsADirectoryError(f"save: {target} is a directory")
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    else:  # the rename could replace a file we may not write: refuse as writing it in place would
        if not os.access(target, os.W_OK):
            raise PermissionError(f"[Errno 13] Permission denied: '{target}'")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(target) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            _write_archive(out, stem, pickled, storages)
            out.flush()
            os.fsync(out.fileno())
            os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


# ============================================================================ loading
class _LoadedStorage:
    """A storage record read from the archive: a 1-d native-order array and its record name."""

    def __init__(self, array, name):
        self.array, self.name = array, name


def _short(obj, limit=200):
    """repr(obj) cut to ``limit`` characters, for error messages about crafted values."""
    text = repr(obj)
    return text if len(text) <= limit else text[:limit] + "..."


def _read_record(zf, name):
    """A record's bytes. Only stored (uncompressed) records, as torch writes them: a compressed
    one could inflate a small file into any amount of memory."""
    info = zf.getinfo(name)
    if info.compress_type != zipfile.ZIP_STORED:
        raise RuntimeError(f"record {name} is compressed (method {info.compress_type}); torch's checkpoints store "
                           "records uncompressed")
    return zf.read(info)


def _is_int(x):
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _foreign_storage(storage):
    """torch.load calls mytorch's rebuilders with torch storages: read one into an array."""
    import torch
    t = torch.empty(0, dtype=storage.dtype)
    t.set_(storage)
    return _LoadedStorage(t.numpy().copy(), "<torch storage>")


def _checked_view(storage, storage_offset, size, stride):
    """The tensor a record describes, after checking that it lies inside its storage: a view that
    shares the storage's memory (read-only where elements overlap, e.g. a stride-0 broadcast)."""
    if not isinstance(storage, _LoadedStorage):
        if type(storage).__module__.startswith("torch"):
            storage = _foreign_storage(storage)
        else:
            raise pickle.UnpicklingError(f"a tensor's storage argument is a {type(storage).__name__}, "
                                         "not a storage record")
    name, array = storage.name, storage.array

    def refuse(why):
        raise pickle.UnpicklingError(f"tensor record {name} ({array.size} elements of {array.dtype}): {why}")

    if not isinstance(size, (tuple, list)) or not all(_is_int(n) for n in size):
        refuse(f"size {size!r} is not a sequence of ints")
    if not isinstance(stride, (tuple, list)) or not all(_is_int(s) for s in stride):
        refuse(f"stride {stride!r} is not a sequence of ints")
    size, stride = tuple(int(n) for n in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        refuse(f"size {list(size)} and stride {list(stride)} differ in length")
    if len(size) > _MAX_DIMS:
        refuse(f"{len(size)} dimensions (at most {_MAX_DIMS})")
    if not _is_int(storage_offset) or storage_offset < 0:
        refuse(f"storage offset {storage_offset!r} is not a non-negative int")
    if any(n < 0 for n in size):
        refuse(f"negative size {list(size)}")
    if any(s < 0 for s in stride):
        refuse(f"negative stride {list(stride)}")
    offset, numel, nonzero = int(storage_offset), 1, 1
    for n in size:
        numel, nonzero = numel * n, nonzero * max(n, 1)
    if nonzero * array.itemsize > sys.maxsize:  # NumPy refuses such a shape even with a zero in it
        refuse(f"size {list(size)} does not fit in memory addresses")
    if numel == 0:
        if offset > array.size:
            refuse(f"storage offset {offset} is beyond the end")
        return np.empty(size, array.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if last >= array.size:
        refuse(f"size {list(size)}, stride {list(stride)} and offset {offset} reach element {last}")
    # NOTE: a view whose elements overlap (a stride-0 broadcast) is read-only: one write would change many
    strides = tuple(s * array.itemsize for s in stride)
    return np.lib.stride_tricks.as_strided(array[offset:], shape=size, strides=strides,
                                           writeable=_non_overlapping(size, stride))


def _non_overlapping(size, stride):
    """True when no two indices reach the same element (dims sorted by stride, each stride at
    least the extent of the smaller ones)."""
    extent = 1
    for n, s in sorted(((n, s) for n, s in zip(size, stride) if n > 1), key=lambda p: p[1]):
        if s < extent:
            return False
        extent = s * (n - 1) + 1
    return True


def _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False, backward_hooks=None,
                       metadata=None):
    t = Tensor._make(_checked_view(storage, storage_offset, size, stride))
    if requires_grad is True:
        if not t._data.dtype.kind == "f":
            raise pickle.UnpicklingError(f"a {t._data.dtype} tensor cannot require grad (only floating point ones)")
        t.requires_grad_(True)
    elif requires_grad is not False:
        raise pickle.UnpicklingError(f"requires_grad must be a bool, got {requires_grad!r}")
    return t


def _rebuild_parameter(data, requires_grad, backward_hooks=None):
    from mytorch.nn.parameter import Parameter
    if not isinstance(data, Tensor):
        raise pickle.UnpicklingError(f"a Parameter's data is a {type(data).__name__}, not a tensor")
    if requires_grad and data._data.dtype.kind != "f":
        raise pickle.UnpicklingError(f"a {data._data.dtype} Parameter cannot require grad")
    return Parameter(data, bool(requires_grad))


def _rebuild_parameter_with_state(data, requires_grad, backward_hooks, state):
    return _rebuild_parameter(data, requires_grad, backward_hooks)


class _StorageType:
    def __init__(self, name):
        self.name, self.dtype = name, _DTYPES[name]

    def __repr__(self):
        return f"torch.{self.name}"


def _codecs_encode(obj, encoding="utf-8"):
    """Protocol-2 pickles write bytes as _codecs.encode(str, 'latin1'); nothing else is allowed."""
    if not isinstance(obj, str) or encoding not in ("latin1", "latin-1", "utf-8", "utf8"):
        raise pickle.UnpicklingError(f"_codecs.encode is only allowed on a str with latin1, got {encoding!r}")
    return obj.encode(encoding)


def _size(*args):
    return Size(*args)


def _device(*args):
    """torch.device(...) in a file: a mytorch device; an accelerator's becomes the CPU, where every
    tensor loads."""
    from mytorch.device import device
    try:
        return device(*args)
    except (RuntimeError, ValueError, TypeError):
        return device("cpu")


# What a weights-only load resolves (module, name) -> object; torch storage and dtype names are
# handled in _Unpickler.find_class.
_WEIGHTS_ONLY = {
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("collections", "Counter"): collections.Counter,
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("torch._utils", "_rebuild_parameter_with_state"): _rebuild_parameter_with_state,
    ("mytorch.serialization", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("mytorch.serialization", "_rebuild_parameter"): _rebuild_parameter,
    ("torch", "Size"): _size,
    ("torch", "device"): _device,
    ("builtins", "set"): set,
    ("builtins", "frozenset"): frozenset,
    ("builtins", "slice"): slice,
    ("builtins", "complex"): complex,
    ("_codecs", "encode"): _codecs_encode,
}

# what torch pickles in a Module's __dict__ that has no counterpart in mytorch's Module
_TORCH_MODULE_INTERNALS = {
    "_backward_pre_hooks", "_backward_hooks", "_is_full_backward_hook", "_forward_hooks", "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called", "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_state_dict_hooks",
    "_state_dict_pre_hooks", "_load_state_dict_pre_hooks", "_load_state_dict_post_hooks",
}


def _weights_only_message(global_name):
    short = global_name.rsplit(".", 1)[-1]
    return (
        "Weights only load failed. This file can still be loaded, to do so you have two options, do those steps "
        "only if you trust the source of the checkpoint.\n"
        "\t(1) Re-running `mytorch.load` with `weights_only` set to `False` will likely succeed, but it can result "
        "in arbitrary code execution. Do it only if you got the file from a trusted source.\n"
        "\t(2) Alternatively, to load with `weights_only=True` please check the recommended steps in the following "
        "error message.\n"
        f"\tWeightsUnpickler error: Unsupported global: GLOBAL {global_name} was not an allowed global by default. "
        f"Please use `mytorch.serialization.add_safe_globals([{short}])` or the "
        f"`mytorch.serialization.safe_globals([{short}])` context manager to allowlist this global if you trust "
        "this class/function.")


def _resolve(module, name):
    """``module.name`` by import, dotted names (nested classes) included; None when absent."""
    try:
        obj = importlib.import_module(module)
    except ImportError:
        return None
    for part in name.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


def _mytorch_equivalent(module, name):
    """The mytorch object a torch (or an older mytorch) global stands for: the same path under
    mytorch, else the public name in mytorch.nn / mytorch.optim / mytorch.nn.functional / mytorch."""
    root, _, rest = module.partition(".")
    candidates = ["mytorch" + ("." + rest if rest else "")]
    if rest.startswith("nn.modules") or rest.startswith("nn.parameter"):
        candidates.append("mytorch.nn")
    elif rest.startswith("optim"):
        candidates += ["mytorch.optim", "mytorch.optim.lr_scheduler"]
    elif rest.startswith("nn.functional") or rest.startswith("_C._nn"):
        candidates.append("mytorch.nn.functional")
    elif rest.startswith("utils.data"):
        candidates.append("mytorch.utils.data")
    candidates.append("mytorch")
    for candidate in candidates:
        if candidate.startswith("mytorch.") and candidate.split(".")[1] == "_C":
            continue
        obj = _resolve(candidate, name)
        if obj is not None:
            return obj
    return None


def _module_state(state):
    return isinstance(state, dict) and "_parameters" in state and "_modules" in state


def _construct_like(cls, state):
    """A fresh ``cls`` built by its constructor from the attributes a torch module pickled (the
    constructor's argument names are torch's), or None when that cannot be done."""
    from mytorch.random import default_generator
    kwargs = {}
    try:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return None
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name in ("device", "dtype"):
            continue
        if p.name in state:
            kwargs[p.name] = state[p.name]
        elif p.name == "bias" and "bias" in state["_parameters"]:
            kwargs["bias"] = state["_parameters"]["bias"] is not None
        elif p.default is p.empty:
            return None
    rng_state = default_generator.get_state()
    try:
        return cls(**kwargs)
    except Exception:
        return None
    finally:
        default_generator.set_state(rng_state)  # initialising the throw-away weights draws no randomness


def _build_module(inst, state, from_torch):
    """Restores a mytorch Module from a pickled module __dict__, torch's or mytorch's: the stores a
    fresh Module has (parameters, buffers, submodules, hook dicts) keep their mytorch types and get
    the file's entries; torch-only internals are dropped; other attributes are set as pickled."""
    from mytorch.nn.modules.module import Module
    from mytorch.nn.parameter import Parameter
    d = inst.__dict__
    constructed = False
    if not d:
        fresh = _construct_like(type(inst), state) if from_torch else None
        if fresh is not None:
            d.update(fresh.__dict__)
            constructed = True
        else:
            Module.__init__(inst)
    non_persistent = set()
    for key, value in state.items():
        if key == "_parameters":
            for n, p in value.items():
                d["_parameters"][n] = p if p is None or isinstance(p, Parameter) else Parameter(p)
        elif key in ("_non_persistent_buffers_set", "_non_persistent"):
            non_persistent |= set(value)
        elif key in d and isinstance(d[key], dict) and isinstance(value, dict) and \
                (key.startswith("_") and (key in _TORCH_MODULE_INTERNALS or key in ("_buffers", "_modules"))):
            if key in _TORCH_MODULE_INTERNALS:
                d[key].clear()
            d[key].update(value)
        elif key in _TORCH_MODULE_INTERNALS:
            continue  # a torch internal this mytorch Module does not keep
        elif constructed and key in d and key != "training":
            continue  # the constructor's (normalised) value of a torch attribute
        else:
            d[key] = value
    for key in ("_non_persistent_buffers_set", "_non_persistent"):
        if key in d and isinstance(d[key], set):
            d[key] |= non_persistent
            break


def _custom_setstate(inst):
    """The class's own __setstate__ when it overrides Module's (then it decides), else None."""
    from mytorch.nn.modules.module import Module
    setstate = getattr(type(inst), "__setstate__", None)
    if setstate is None or setstate is getattr(Module, "__setstate__", None):
        return None
    return inst.__setstate__


class _Unpickler(pickle._Unpickler):
    """The pure-Python unpickler (its BUILD can be intercepted), reading storages from the zip."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, file, zf, prefix, weights_only, map_location, byteorder, **kwargs):
        super().__init__(file, **kwargs)
        self.zf, self.prefix, self.weights_only = zf, prefix, weights_only
        self.map_location, self.byteorder = map_location, byteorder
        self.storages = {}
        self.torch_classes = set()

    def find_class(self, module, name):
        if not isinstance(module, str) or not isinstance(name, str):
            raise pickle.UnpicklingError(f"malformed global {_short(module)}.{_short(name)}")
        module = {"__builtin__": "builtins", "copy_reg": "copyreg"}.get(module, module)
        if module == "torch" and name in _DTYPES:
            return _StorageType(name)
        if module == "torch" and name.endswith("Storage") and name[:1].isupper():
            raise pickle.UnpicklingError(f"torch.{name}: mytorch has no dtype for this storage type (supported: "
                                         f"{', '.join(sorted(_DTYPES))})")
        if module == "torch" and name in _DTYPE_NAMES:
            return getattr(_dtype, _DTYPE_NAMES[name])
        if (module, name) in _WEIGHTS_ONLY:
            return _WEIGHTS_ONLY[(module, name)]
        full = f"{module}.{name}"
        if full in _user_safe_globals:
            return _user_safe_globals[full]
        if self.weights_only:
            raise pickle.UnpicklingError(_weights_only_message(full))
        if module == "torch" or module.startswith("torch."):
            obj = _mytorch_equivalent(module, name)
            if obj is None:
                raise pickle.UnpicklingError(f"{full} (in a file written by torch) has no mytorch equivalent")
            if isinstance(obj, type):
                self.torch_classes.add(obj)
            return obj
        obj = _resolve(module, name)
        if obj is None and module.startswith("mytorch."):
            obj = _mytorch_equivalent(module, name)  # a class that moved since the file was written
        if obj is None:
            return super().find_class(module, name)  # pickle's own error
        return obj

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {_short(pid)}")
        _, storage_type, key, location, numel = pid
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unsupported storage type {_short(storage_type)}")
        if not isinstance(key, str) or not key or "/" in key or not _is_int(numel) or numel < 0:
            raise pickle.UnpicklingError(f"malformed storage id {_short(pid)}")
        name = f"data/{key}"
        if key in self.storages:
            storage = self.storages[key]
            if storage.array.dtype != storage_type.dtype or storage.array.size != numel:
                raise pickle.UnpicklingError(f"record {name} is named twice with different types or sizes")
            return storage
        try:
            raw = _read_record(self.zf, self.prefix + name)
        except KeyError:
            raise pickle.UnpicklingError(f"the archive has no record {name} for a tensor") from None
        dtype = storage_type.dtype.newbyteorder("<" if self.byteorder == "little" else ">")
        if len(raw) != numel * dtype.itemsize:
            raise pickle.UnpicklingError(f"record {name} has {len(raw)} bytes, {numel} x {dtype.itemsize} expected")
        array = np.frombuffer(raw, dtype).astype(dtype.newbyteorder("="))  # a private, writable copy
        if array.dtype == np.bool_:
            array = np.frombuffer(raw, np.uint8) != 0  # a crafted byte 2 must still read as plain True
        storage = _LoadedStorage(array, name)
        if callable(self.map_location):
            mapped = self.map_location(storage, location)
            storage = mapped if isinstance(mapped, _LoadedStorage) else storage
        self.storages[key] = storage
        return storage

    def load_build(self):
        stack = self.stack
        state = stack.pop()
        inst = stack[-1]
        from mytorch.nn.modules.module import Module
        if isinstance(inst, Module) and _module_state(state):
            if self.weights_only and type(inst) not in _user_safe_globals.values():
                raise pickle.UnpicklingError(_weights_only_message(_global_name(type(inst))))
            setstate = _custom_setstate(inst)
            if setstate is not None:
                setstate(state)
            else:
                _build_module(inst, state, type(inst) in self.torch_classes)
            return
        if self.weights_only:
            allowed = type(inst) is collections.OrderedDict or type(inst) in _user_safe_globals.values()
            if not allowed:
                raise pickle.UnpicklingError(f"Weights only load failed: BUILD (setting the state) of a "
                                             f"{type(inst).__name__} is not allowed")
            if type(inst) is collections.OrderedDict:  # torch's state_dict carries _metadata this way
                if not isinstance(state, dict) or not all(isinstance(k, str) for k in state):
                    raise pickle.UnpicklingError("malformed OrderedDict state")
                inst.__dict__.update(state)
                return
        stack.append(state)
        pickle._Unpickler.load_build(self)

    dispatch[pickle.BUILD[0]] = load_build


def _read_all(f):
    """Reads a non-seekable binary stream (a pipe, a socket file) into memory."""
    if not hasattr(f, "read"):
        raise TypeError(f"load: f must be a path or a binary file object with read(), got {type(f).__name__}")
    chunks = []
    while True:
        chunk = f.read(1 << 20)
        if not chunk:
            break
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise TypeError("load: the file object must be opened in binary mode ('rb')")
        chunks.append(bytes(chunk))
    return io.BytesIO(b"".join(chunks))


def _seekable(f):
    try:
        if hasattr(f, "seekable"):
            return bool(f.seekable())
        f.tell()
        return hasattr(f, "seek")
    except (OSError, AttributeError, ValueError):
        return False


_CORRUPT = (zipfile.BadZipFile, zlib.error, EOFError, struct.error, OSError, NotImplementedError, ValueError,
            OverflowError, UnicodeDecodeError, KeyError, IndexError, TypeError, AttributeError, RecursionError,
            MemoryError, LookupError)


def load(f, map_location=None, pickle_module=None, *, weights_only=True, mmap=None, **pickle_load_args):
    """Loads what :func:`save` (or ``torch.save``) wrote.

    Args:
        f: a path or a binary file object (a non-seekable stream is read into memory first).
        map_location: accepted as torch's (a device, a string, a dict or a callable); tensors load
            on the CPU.
        weights_only: only tensors, containers, numbers, strings and allowlisted globals
            (:func:`add_safe_globals`); nothing from the file runs. ``False`` unpickles any object,
            torch's module classes becoming mytorch's. Default: ``True``.
        mmap: accepted; the records are read into memory.

    Example::

        >>> model.load_state_dict(mytorch.load("model.pt"))
        >>> model = mytorch.load("whole.pt", weights_only=False)
    """
    if weights_only is None:  # torch's "not given": the default
        weights_only = True
    if weights_only and pickle_module is not None and pickle_module is not pickle:
        raise RuntimeError("Can not safely load weights when explicit pickle_module is specified")
    if not (isinstance(map_location, dict) or callable(map_location) or map_location is None):
        from mytorch.device import device
        device(str(map_location))  # an unknown device name raises here, as torch's
    with _source(f) as (fh, name):
        zf, prefix, byteorder, pickled = _archive(fh, name)
        with zf:
            unpickler = _Unpickler(io.BytesIO(pickled), zf, prefix, weights_only, map_location, byteorder,
                                   **pickle_load_args)
            try:
                return unpickler.load()
            except pickle.UnpicklingError as e:
                raise pickle.UnpicklingError(f"{name}: {e}") from None
            except (zipfile.BadZipFile, zlib.error, NotImplementedError) as e:
                raise RuntimeError(f"{name}: the checkpoint is corrupt or truncated ({type(e).__name__}: {e})") \
                    from None
            except _CORRUPT as e:
                if not weights_only:
                    raise
                raise pickle.UnpicklingError(f"{name}: data.pkl is corrupt ({type(e).__name__}: {e})") from None


def get_unsafe_globals_in_checkpoint(f):
    """The globals a checkpoint names that ``load(weights_only=True)`` would refuse, as
    ``"module.name"`` strings, read from data.pkl's opcodes (nothing is unpickled): what to pass to
    :func:`add_safe_globals` once you trust them.

    Example::

        >>> mytorch.serialization.get_unsafe_globals_in_checkpoint("whole.pt")
        ['__main__.Net', 'mytorch.nn.modules.linear.Linear']
    """
    with _source(f) as (fh, name):
        zf, _, _, pickled = _archive(fh, name)
        zf.close()
    found, strings, memo = set(), [], {}
    try:
        for opcode, arg, _ in pickletools.genops(pickled):
            if opcode.name in ("GLOBAL", "INST"):
                module, _, qualname = arg.partition(" ")
                found.add((module, qualname))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                found.add((strings[-2], strings[-1]))
            elif isinstance(arg, str) and opcode.name.endswith("UNICODE"):
                strings.append(arg)
            elif opcode.name in ("BINPUT", "LONG_BINPUT", "PUT") and strings:
                memo[arg] = strings[-1]
            elif opcode.name == "MEMOIZE" and strings:
                memo[len(memo)] = strings[-1]
            elif opcode.name in ("BINGET", "LONG_BINGET", "GET") and arg in memo:
                strings.append(memo[arg])
    except (ValueError, EOFError, KeyError) as e:
        raise RuntimeError(f"{name}: data.pkl is corrupt ({e})") from None
    unsafe = set()
    for module, qualname in found:
        module = {"__builtin__": "builtins", "copy_reg": "copyreg"}.get(module, module)
        if (module, qualname) in _WEIGHTS_ONLY or f"{module}.{qualname}" in _user_safe_globals:
            continue
        if module == "torch" and (qualname in _DTYPES or qualname in _DTYPE_NAMES):
            continue
        unsafe.add(f"{module}.{qualname}")
    return sorted(unsafe)


@contextlib.contextmanager
def _source(f):
    """``(binary file object, name for messages)`` for a path or a file object; a non-seekable
    stream is read into memory."""
    if isinstance(f, (str, os.PathLike, bytes)):
        name = os.fsdecode(os.fspath(f))
        if os.path.isdir(name):
            raise IsADirectoryError(f"load: {name} is a directory")
        with open(name, "rb") as fh:
            yield fh, name
        return
    name = getattr(f, "name", "<file object>")
    yield (f if _seekable(f) else _read_all(f)), name


def _archive(f, name):
    """Opens the zip checkpoint in ``f``: (ZipFile, record prefix, byteorder, data.pkl's bytes)."""
    try:
        start = f.tell()
        head = f.read(4)
        f.seek(start)
    except (OSError, ValueError) as e:
        raise RuntimeError(f"{name}: cannot read the checkpoint ({e})") from None
    if not isinstance(head, bytes):
        raise TypeError("load: the file object must be opened in binary mode ('rb')")
    if head[:1] == b"\x80":
        raise RuntimeError(f"{name}: a legacy (pre-1.6, non-zip) torch checkpoint; mytorch reads only the zip "
                           "format: re-save it with torch.save(obj, path) from torch >= 1.6")
    try:
        zf = zipfile.ZipFile(f)
    except _CORRUPT as e:
        what = "an empty file" if not head else "not a zip archive"
        raise RuntimeError(f"{name}: not a torch/mytorch checkpoint ({what}), or the file is truncated "
                           f"({type(e).__name__}: {e})") from None
    try:
        pkl = [n for n in zf.namelist() if n.endswith("/data.pkl") and n.count("/") == 1]
        if not pkl:
            raise RuntimeError(f"{name}: a zip archive without a <name>/data.pkl record; not a torch checkpoint")
        prefix = pkl[0][:-len("data.pkl")]
        names = set(zf.namelist())
        byteorder = _read_record(zf, prefix + "byteorder").decode() if prefix + "byteorder" in names else "little"
        if byteorder not in ("little", "big"):
            raise RuntimeError(f"{name}: unknown byteorder record {_short(byteorder)}")
        return zf, prefix, byteorder, _read_record(zf, pkl[0])
    except RuntimeError:
        zf.close()
        raise
    except _CORRUPT as e:
        zf.close()
        raise RuntimeError(f"{name}: the checkpoint is corrupt or truncated ({type(e).__name__}: {e})") from None
