"""Reading MNIST's idx files (raw or gzipped), validating every header field against the data."""
import gzip
import os

import numpy as np

__all__ = ["read_idx", "IdxFormatError"]

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class IdxFormatError(ValueError):
    """A file that is not a complete idx file; the message names the file and the problem."""


def read_idx(path):
    """The array stored in an idx file (``.gz`` is decompressed on the fly).

    Example::

        >>> labels = read_idx("data/mnist/t10k-labels-idx1-ubyte.gz")
        >>> labels.shape
        (10000,)
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:
        raise IdxFormatError(f"{path}: cannot be read as {'gzip' if opener is gzip.open else 'a file'} ({e})") from e
    if len(raw) < 4:
        raise IdxFormatError(f"{path}: {len(raw)} bytes is too short for an idx header")
    zero, code, ndim = int.from_bytes(raw[:2], "big"), raw[2], raw[3]
    if zero != 0 or code not in _TYPES or ndim == 0:
        raise IdxFormatError(f"{path}: bad magic number 0x{raw[:4].hex()} (expected 0x0000TTDD with a known "
                             f"type TT and DD >= 1 dimensions, e.g. 0x00000803 for images)")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IdxFormatError(f"{path}: truncated header ({len(raw)} bytes, {header} expected)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_TYPES[code])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(raw) != expected:
        raise IdxFormatError(f"{path}: {len(raw)} bytes, but its header {list(shape)} of {dtype} needs "
                             f"{expected} ({'truncated' if len(raw) < expected else 'trailing data'})")
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def find(root, name):
    """``name`` (or ``name``.gz) under ``root`` or torchvision's ``root/MNIST/raw``; None if absent."""
    for folder in (root, os.path.join(root, "MNIST", "raw")):
        for candidate in (name, name + ".gz"):
            path = os.path.join(folder, candidate)
            if os.path.exists(path):
                return path
    return None
