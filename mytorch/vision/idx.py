"""Reading MNIST's idx files (raw or gzipped), validating every header field against the data."""
import gzip
import math
import os
import zlib

import numpy as np

__all__ = ["read_idx", "IdxFormatError"]

_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class IdxFormatError(ValueError):
    """A file that is not a complete idx file; the message names the file and the problem."""


def read_idx(path):
    """The array stored in an idx file (``.gz`` is decompressed on the fly).

    The header is read first and at most the bytes it announces (plus one, to detect trailing data)
    are read after it, so a small compressed file that would expand to gigabytes is refused without
    being expanded.

    Example::

        >>> labels = read_idx("data/mnist/t10k-labels-idx1-ubyte.gz")
        >>> labels.shape
        (10000,)
    """
    compressed = str(path).endswith(".gz")
    try:
        with (gzip.open if compressed else open)(path, "rb") as f:
            return _parse(f, path)
    except (FileNotFoundError, IdxFormatError):
        raise
    except (OSError, EOFError, zlib.error) as e:
        if not compressed:
            raise IdxFormatError(f"{path}: cannot be read as a file ({e})") from e
        raise IdxFormatError(f"{path}: corrupt gzip file, cannot be read as gzip ({type(e).__name__}: {e}); "
                             "delete it and put a complete copy in its place") from e


_CHUNK = 1 << 24


def _read_up_to(f, limit):
    """At most ``limit`` bytes, fewer at the end of the file; memory grows with what is read, never
    with what a header claims."""
    out = bytearray()
    while len(out) < limit:
        chunk = f.read(min(_CHUNK, limit - len(out)))
        if not chunk:
            break
        out += chunk
    return out


def _parse(f, path):
    raw = _read_up_to(f, 4)
    if len(raw) < 4:
        raise IdxFormatError(f"{path}: corrupt idx file: {len(raw)} bytes is too short for an idx header")
    zero, code, ndim = int.from_bytes(raw[:2], "big"), raw[2], raw[3]
    if zero != 0 or code not in _TYPES or ndim == 0:
        raise IdxFormatError(f"{path}: corrupt idx file: bad magic number 0x{raw[:4].hex()} (expected 0x0000TTDD "
                             f"with a known type TT and DD >= 1 dimensions, e.g. 0x00000803 for images)")
    header = 4 + 4 * ndim
    raw += _read_up_to(f, header - 4)
    if len(raw) < header:
        raise IdxFormatError(f"{path}: corrupt idx file: truncated header ({len(raw)} bytes, {header} expected)")
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(_TYPES[code])
    expected = header + math.prod(shape) * dtype.itemsize  # Python ints: a crafted header cannot overflow
    body = _read_up_to(f, expected - header + 1)  # writable: the dataset's tensors may be changed in place
    size = header + len(body)
    if size != expected:
        found = f"{size} bytes" if size < expected else "more bytes"
        raise IdxFormatError(f"{path}: corrupt idx file: {found}, but its header {list(shape)} of {dtype} "
                             f"needs {expected} ({'truncated' if size < expected else 'trailing data'})")
    return np.frombuffer(body, dtype).reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def find(root, name, folders=None):
    """``name`` (or ``name``.gz) in ``folders`` (default: ``root`` and torchvision's ``root/MNIST/raw``);
    None if absent."""
    for folder in folders or (root, os.path.join(root, "MNIST", "raw")):
        for candidate in (name, name + ".gz"):
            path = os.path.join(folder, candidate)
            if os.path.exists(path):
                return path
    return None
