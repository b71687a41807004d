"""Hostile checkpoints: load never crashes the interpreter, never reads outside a record and never
returns bytes that were not saved; it raises, or returns exactly what the record holds.

Damaged files (bit flips, truncations) and crafted tensor records (random dtypes, sizes, strides,
offsets, record lengths) are drawn by hypothesis; the values a crafted record may produce are
computed independently, element by element, from the record's bytes. The cases that crash an
unchecked loader (negative strides and offsets) also run in a subprocess, so a crash fails the
test instead of killing the run.
"""
import collections
import io
import os
import pickle
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

import mytorch
from mytorch import serialization as ser

DTYPES = [np.float32, np.float64, np.float16, np.int64, np.int32, np.int16, np.int8, np.uint8, np.bool_]
# MYTORCH_FUZZ_EXAMPLES=5000 for a deeper run than the suite's
SETTINGS = settings(max_examples=int(os.environ.get("MYTORCH_FUZZ_EXAMPLES", 60)), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


class _Record:
    """A tensor entry of a crafted data.pkl: any persistent id and any rebuild arguments."""

    def __init__(self, pid, offset, size, stride, requires_grad=False):
        self.pid, self.offset, self.size, self.stride, self.requires_grad = pid, offset, size, stride, requires_grad


class _Pid:
    def __init__(self, pid):
        self.pid = pid


class _CraftingPickler(ser._Pickler):
    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, _Pid) else None

    def reducer_override(self, obj):
        if isinstance(obj, _Record):
            return (self.rebuild_tensor, (_Pid(obj.pid), obj.offset, obj.size, obj.stride, obj.requires_grad,
                                          collections.OrderedDict()))
        return super().reducer_override(obj)


def crafted_checkpoint(obj, records):
    """Bytes of a zip checkpoint whose data.pkl pickles ``obj`` and whose data/<key> records hold
    ``records[key]`` (raw bytes)."""
    buffer = io.BytesIO()
    _CraftingPickler(buffer, 2, "torch").dump(obj)
    out = io.BytesIO()
    storages = [ser._Storage(np.frombuffer(raw, np.uint8), key) for key, raw in records.items()]
    ser._write_archive(out, "archive", buffer.getvalue(), storages)
    return out.getvalue()


def storage_pid(dtype, key, numel):
    return ("storage", ser._Global("torch", ser._STORAGE_TYPES[np.dtype(dtype)]), key, "cpu", numel)


def expected_view(raw, dtype, numel, offset, size, stride):
    """What a loader may return for this record, computed element by element; None where torch's
    rules refuse it (record length, negative or out-of-range geometry)."""
    dtype = np.dtype(dtype)
    if len(raw) != numel * dtype.itemsize or offset < 0 or any(n < 0 for n in size) or \
            any(s < 0 for s in stride) or len(size) != len(stride):
        return None
    values = np.frombuffer(raw, dtype.newbyteorder("<")).astype(dtype)
    out = np.empty(size, dtype)
    for index in np.ndindex(*size):
        position = offset + sum(i * s for i, s in zip(index, stride))
        if position >= numel:
            return None
        out[index] = values[position]
    if out.size == 0 and offset > numel:
        return None
    return out


def load_bytes(data, **kwargs):
    return mytorch.load(io.BytesIO(data), **kwargs)


def same_array(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


# ---------------------------------------------------------------------------- damaged files
def _reference_checkpoint():
    g = mytorch.Generator().manual_seed(0)
    return {"w": mytorch.randn(3, 4, generator=g), "b": mytorch.arange(5), "flag": mytorch.tensor([True, False]),
            "half": mytorch.ones(2, dtype=mytorch.float16), "nested": [mytorch.tensor(2.5), {"k": (1, "s")}],
            "step": 7}


def _check_same(saved, loaded):
    if isinstance(saved, mytorch.Tensor):
        assert isinstance(loaded, mytorch.Tensor) and same_array(saved.numpy(), loaded.numpy())
    elif isinstance(saved, dict):
        assert isinstance(loaded, dict) and list(saved) == list(loaded)
        for k in saved:
            _check_same(saved[k], loaded[k])
    elif isinstance(saved, (list, tuple)):
        assert type(saved) is type(loaded) and len(saved) == len(loaded)
        for a, b in zip(saved, loaded):
            _check_same(a, b)
    else:
        assert saved == loaded


@pytest.fixture(scope="module")
def reference():
    obj = _reference_checkpoint()
    buffer = io.BytesIO()
    mytorch.save(obj, buffer)
    return obj, buffer.getvalue()


@SETTINGS
@given(data=st.data())
def test_bit_flips_raise_or_give_the_saved_values(reference, data):
    obj, raw = reference
    damaged = bytearray(raw)
    for _ in range(data.draw(st.integers(1, 3))):
        position = data.draw(st.integers(0, len(raw) - 1))
        damaged[position] ^= 1 << data.draw(st.integers(0, 7))
    try:
        loaded = load_bytes(bytes(damaged))
    except (RuntimeError, pickle.UnpicklingError):
        return
    _check_same(obj, loaded)  # only flips in bytes nobody reads (padding, timestamps) may pass


@SETTINGS
@given(cut=st.integers(0, 10_000))
def test_truncations_raise(reference, cut):
    _, raw = reference
    cut = cut % len(raw)
    with pytest.raises((RuntimeError, pickle.UnpicklingError)):
        load_bytes(raw[:cut])


# ---------------------------------------------------------------------------- crafted records
geometry = st.integers(0, 3).flatmap(lambda ndim: st.tuples(  # mostly matching lengths, some negatives
    st.lists(st.integers(-1, 4), min_size=ndim, max_size=ndim),
    st.one_of(st.lists(st.integers(-2, 5), min_size=ndim, max_size=ndim), st.lists(st.integers(0, 3), max_size=3)),
    st.integers(-2, 10)))


@SETTINGS
@given(dtype=st.sampled_from(DTYPES), numel=st.integers(0, 12), extra=st.sampled_from([0] * 6 + [-1, 1, 3]),
       geom=geometry, seed=st.integers(0, 2 ** 16))
def test_crafted_records_stay_inside_their_storage(dtype, numel, extra, geom, seed):
    size, stride, offset = geom
    itemsize = np.dtype(dtype).itemsize
    raw = np.random.default_rng(seed).integers(0, 256, max(numel * itemsize + extra, 0), dtype=np.uint8).tobytes()
    if np.dtype(dtype) == np.bool_:
        raw = bytes(b & 1 for b in raw)  # torch's bool storage holds 0/1 bytes
    data = crafted_checkpoint({"t": _Record(storage_pid(dtype, "0", numel), offset, tuple(size), tuple(stride))},
                              {"0": raw})
    expected = expected_view(raw, dtype, numel, offset, size, stride)
    try:
        loaded = load_bytes(data)["t"]
    except pickle.UnpicklingError as e:
        event("refused")
        assert expected is None, f"refused a record that fits its storage: {e}"
        assert "data/0" in str(e)
        return
    event("loaded")
    assert expected is not None, f"loaded a record torch's rules refuse: size {size} stride {stride} offset {offset}"
    assert same_array(loaded.numpy(), expected)


@pytest.mark.parametrize("args, message", [
    ((-4, (2,), (1,)), "storage offset -4"),
    ((3, (2,), (-1,)), "negative stride"),
    ((0, (3, 3), (-1, 2)), "negative stride"),
    ((0, (2,), (9,)), "reach element 9"),
    ((7, (2,), (1,)), "reach element 8"),
    ((0, (-1,), (1,)), "negative size"),
    ((0, (2, 2), (1,)), "differ in length"),
    ((0, (2 ** 62, 2 ** 62), (0, 0)), "does not fit"),
    ((0, (0, 2 ** 62), (1, 1)), "does not fit"),
    ((0, (1,) * 70, (1,) * 70), "70 dimensions"),
    (("0", (2,), (1,)), "storage offset '0'"),
    ((0, (2.0,), (1,)), "not a sequence of ints"),
])
def test_crafted_record_errors_name_the_record(args, message):
    offset, size, stride = args
    data = crafted_checkpoint({"t": _Record(storage_pid(np.float32, "0", 8), offset, size, stride)},
                              {"0": np.arange(8, dtype=np.float32).tobytes()})
    with pytest.raises(pickle.UnpicklingError, match=message) as info:
        load_bytes(data)
    assert "data/0" in str(info.value)


@pytest.mark.parametrize("pid, records, message", [
    (storage_pid(np.float32, "0", 9), {"0": bytes(32)}, "has 32 bytes, 9 x 4 expected"),
    (storage_pid(np.float32, "1", 8), {"0": bytes(32)}, "no record data/1"),
    (("storage", ser._Global("torch", "FloatStorage"), "../0", "cpu", 8), {"0": bytes(32)}, "malformed storage id"),
    (("storage", ser._Global("torch", "FloatStorage"), "0", "cpu", -1), {"0": bytes(32)}, "malformed storage id"),
    (("evil", 1), {}, "unsupported persistent id"),
])
def test_crafted_storage_ids_are_refused(pid, records, message):
    data = crafted_checkpoint({"t": _Record(pid, 0, (2,), (1,))}, records)
    with pytest.raises(pickle.UnpicklingError, match=message):
        load_bytes(data)


def test_a_stride_0_record_stays_a_broadcast_view():
    n = 4096
    data = crafted_checkpoint({"t": _Record(storage_pid(np.float32, "0", 1), 0, (n, n), (0, 0))},
                              {"0": np.float32(1.5).tobytes()})
    assert len(data) < 2000
    t = load_bytes(data)["t"]
    assert t.shape == (n, n) and t._data.strides == (0, 0) and float(t._data[123, 456]) == 1.5
    assert not t._data.flags.writeable  # one element seen n*n times: writing it would change them all
    overlapping = crafted_checkpoint({"t": _Record(storage_pid(np.float32, "0", 5), 0, (3, 3), (1, 1))},
                                     {"0": np.arange(5, dtype=np.float32).tobytes()})
    assert not load_bytes(overlapping)["t"]._data.flags.writeable


def test_views_of_one_storage_stay_views():
    data = crafted_checkpoint({"a": _Record(storage_pid(np.float32, "0", 6), 0, (6,), (1,)),
                               "b": _Record(storage_pid(np.float32, "0", 6), 2, (2,), (2,))},
                              {"0": np.arange(6, dtype=np.float32).tobytes()})
    out = load_bytes(data)
    assert out["b"].tolist() == [2.0, 4.0]
    out["a"]._data[2] = 40.0
    assert out["b"].tolist() == [40.0, 4.0]  # torch's loader shares the storage too


def _call(module, name, arg):
    """A protocol-2 pickle that calls module.name(arg)."""
    arg = arg.encode()
    return (b"\x80\x02c" + f"{module}\n{name}\n".encode() + b"X" + len(arg).to_bytes(4, "little") + arg
            + b"\x85R.")


@pytest.mark.parametrize("make", [
    lambda marker: _call("os", "system", f"touch {marker}"),
    lambda marker: _call("builtins", "eval", f"open({str(marker)!r}, 'w')"),
    lambda marker: _call("builtins", "exec", f"open({str(marker)!r}, 'w')"),
    lambda marker: _call("subprocess", "getoutput", f"touch {marker}"),
    lambda marker: b"\x80\x02ccollections\nOrderedDict\n)R}X\x01\x00\x00\x00aK\x01sb.",
    lambda marker: b"\x80\x02(((((((((((((((((((((((((((((((((.",
    lambda marker: b"\x80\x02]q\x00h\x00a.",
    lambda marker: b"\x80\x02ctorch._utils\n_rebuild_tensor_v2\nX\x01\x00\x00\x00xK\x00)).",
])
def test_crafted_pickles_run_nothing(tmp_path, make):
    marker = tmp_path / "ran"
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as zf:
        zf.writestr("archive/data.pkl", make(marker))
    try:
        load_bytes(data.getvalue())
    except (pickle.UnpicklingError, RuntimeError):
        pass
    assert not marker.exists()


def test_the_crashing_cases_in_a_subprocess():
    """Negative strides and offsets, huge sizes: the interpreter survives and refuses each."""
    here = os.path.dirname(os.path.abspath(__file__))
    script = textwrap.dedent(f"""
        import sys, io, pickle
        sys.path.insert(0, {here!r})
        import numpy as np, mytorch
        from test_load_fuzz import crafted_checkpoint, storage_pid, _Record
        cases = [(-10 ** 6, (4,), (1,)), (10 ** 6, (4,), (-10 ** 5,)), (0, (10 ** 9,), (-1,)),
                 (0, (2 ** 40,), (2 ** 40,)), (2 ** 70, (1,), (1,)), (0, (3, 2 ** 62), (2 ** 62, 1))]
        refused = 0
        for offset, size, stride in cases:
            data = crafted_checkpoint({{"t": _Record(storage_pid(np.float64, "0", 4), offset, size, stride)}},
                                      {{"0": bytes(32)}})
            try:
                mytorch.load(io.BytesIO(data))
            except pickle.UnpicklingError:
                refused += 1
        print("refused", refused, "of", len(cases))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "refused 6 of 6" in result.stdout


def test_unsupported_storage_types_are_named():
    pid = ("storage", ser._Global("torch", "BFloat16Storage"), "0", "cpu", 2)
    data = crafted_checkpoint({"t": _Record(pid, 0, (2,), (1,))}, {"0": bytes(4)})
    with pytest.raises(pickle.UnpicklingError, match="torch.BFloat16Storage: mytorch has no dtype"):
        load_bytes(data)


def test_bool_records_read_as_plain_bools():
    data = crafted_checkpoint({"t": _Record(storage_pid(np.bool_, "0", 3), 0, (3,), (1,))}, {"0": bytes([0, 1, 2])})
    t = load_bytes(data)["t"]
    assert t.tolist() == [False, True, True] and t.numpy().view(np.uint8).tolist() == [0, 1, 1]


def test_compressed_records_are_refused(reference):
    """A deflated record could inflate a tiny file into any amount of memory; torch stores records."""
    _, raw = reference
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info))
    with pytest.raises(RuntimeError, match="is compressed"):
        load_bytes(out.getvalue())


def _tensors(obj, seen=None):
    """Every tensor reachable in a loaded object (containers only; cycles cut)."""
    seen = set() if seen is None else seen
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    if isinstance(obj, mytorch.Tensor):
        return [obj]
    if isinstance(obj, dict):
        return sum((_tensors(v, seen) for v in list(obj.values())), [])
    if isinstance(obj, (list, tuple, set, frozenset)):
        return sum((_tensors(v, seen) for v in list(obj)), [])
    return []


@SETTINGS
@given(data=st.data())
def test_mutated_pickles_in_valid_archives_only_return_saved_values(reference, data):
    """data.pkl itself damaged (bytes replaced, inserted, deleted) inside an archive whose CRCs are
    right: whatever loads holds only values that were saved."""
    obj, raw = reference
    with zipfile.ZipFile(io.BytesIO(raw)) as zf:
        records = {info.filename: zf.read(info) for info in zf.infolist()}
    pkl = bytearray(records["archive/data.pkl"])
    for _ in range(data.draw(st.integers(1, 4))):
        position = data.draw(st.integers(0, len(pkl) - 1))
        action = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        byte = data.draw(st.integers(0, 255))
        if action == "replace":
            pkl[position] = byte
        elif action == "insert":
            pkl.insert(position, byte)
        else:
            del pkl[position]
    records["archive/data.pkl"] = bytes(pkl)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        for name, payload in records.items():
            zf.writestr(name, payload)
    try:
        loaded = load_bytes(out.getvalue())
    except (RuntimeError, pickle.UnpicklingError):
        return
    saved = {}
    for t in _tensors(obj):
        saved.setdefault(t._data.dtype, set()).update(t._data.ravel().tolist())
    for t in _tensors(loaded):  # _data: a flipped flag may have made it require grad
        values = t._data.ravel().tolist()
        assert set(values) <= saved.get(t._data.dtype, set()), "a loaded tensor holds values never saved"
