"""mytorch.save/load: torch's zip layout both ways, a restricted unpickler, atomic writes."""
import io
import os
import pickle
import sys
import zipfile

import numpy as np
import pytest

import mytorch
import mytorch.nn as nn
from conftest import requires_torch, torch


def _checkpoint():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    opt = mytorch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(mytorch.randn(2, 1, 6, 6)).sum().backward()
    opt.step()
    sched = mytorch.optim.lr_scheduler.MultiStepLR(opt, [2, 4])
    return model, {"model": model.state_dict(), "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
                   "epoch": 3, "scalar": mytorch.tensor(2.5), "misc": [1, 2.0, "three", None, True, (4, 5)],
                   "double": mytorch.ones(2, dtype=mytorch.float64), "bools": mytorch.tensor([True, False])}


def _assert_same(a, b):
    if isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif isinstance(a, mytorch.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    else:
        assert a == b


def test_round_trip(tmp_path):
    _, ck = _checkpoint()
    path = tmp_path / "ck.pt"
    mytorch.save(ck, str(path))
    _assert_same(ck, mytorch.load(str(path)))
    buffer = io.BytesIO()
    mytorch.save(ck, buffer)
    buffer.seek(0)
    _assert_same(ck, mytorch.load(buffer))


def test_layout_is_torchs(tmp_path):
    _, ck = _checkpoint()
    path = tmp_path / "model.pt"
    mytorch.save(ck, str(path))
    with zipfile.ZipFile(str(path)) as zf:
        names = zf.namelist()
        assert "model/data.pkl" in names and "model/version" in names and "model/byteorder" in names
        raw = path.read_bytes()
        for info in zf.infolist():
            assert info.compress_type == zipfile.ZIP_STORED
            name_len, extra_len = int.from_bytes(raw[info.header_offset + 26:info.header_offset + 28], "little"), \
                int.from_bytes(raw[info.header_offset + 28:info.header_offset + 30], "little")
            assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0
        assert zf.read("model/data.pkl")[:2] == b"\x80\x02"  # protocol 2


@requires_torch
def test_torch_reads_ours_and_we_read_torchs(tmp_path):
    model, ck = _checkpoint()
    path = tmp_path / "ours.pt"
    mytorch.save(ck, str(path))
    theirs = torch.load(str(path), weights_only=True)
    assert theirs["scalar"].shape == () and theirs["double"].dtype == torch.float64
    tmodel = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2), torch.nn.Flatten(),
                                 torch.nn.Linear(32, 3))
    tmodel.load_state_dict(theirs["model"])
    tmodel.eval(), model.eval()
    x = np.random.default_rng(0).standard_normal((4, 1, 6, 6)).astype(np.float32)
    np.testing.assert_allclose(tmodel(torch.from_numpy(x)).detach().numpy(), model(mytorch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)
    torch_path = tmp_path / "theirs.pt"
    torch.save({"model": tmodel.state_dict(), "optimizer": torch.optim.Adam(tmodel.parameters()).state_dict(),
                "sliced": torch.arange(10.0)[2:8:2], "n": 7}, str(torch_path))
    back = mytorch.load(str(torch_path))
    assert back["sliced"].tolist() == [2.0, 4.0, 6.0] and back["n"] == 7
    model.load_state_dict(back["model"])
    resaved = tmp_path / "resaved.pt"  # torch's state_dict _metadata (layer versions) survives a mytorch round
    mytorch.save(back["model"], str(resaved))
    assert torch.load(str(resaved), weights_only=True)._metadata == torch.load(str(torch_path))["model"]._metadata


def test_foreign_globals_are_refused(tmp_path):
    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(str(path), "w") as zf:
        zf.writestr("evil/data.pkl", pickle.dumps({"x": os.system}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match=r"GLOBAL posix.system was not an allowed global(.|\n)*"
                                                     r"add_safe_globals\(\[system\]\)") as info:
        mytorch.load(str(path))
    assert "weights_only" in str(info.value) and "safe_globals([system])" in str(info.value)


@pytest.mark.parametrize("content, message", [
    (b"not a zip at all", "not a zip archive"),
    (None, "truncated"),
])
def test_truncated_or_foreign_files(tmp_path, content, message):
    path = tmp_path / "bad.pt"
    if content is None:
        _, ck = _checkpoint()
        mytorch.save(ck, str(path))
        content = path.read_bytes()[:-200]
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match=message):
        mytorch.load(str(path))


def test_failed_save_leaves_the_old_file(tmp_path):
    path = tmp_path / "ck.pt"
    mytorch.save({"a": mytorch.ones(2)}, str(path))
    before = path.read_bytes()
    with pytest.raises(pickle.PicklingError):
        mytorch.save({"a": mytorch.ones(2), "bad": lambda: 0}, str(path))
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ck.pt"]


@pytest.mark.parametrize("make", [
    lambda opt: mytorch.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=10),
    lambda opt: mytorch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=5),
    lambda opt: mytorch.optim.lr_scheduler.ReduceLROnPlateau(opt),
])
def test_scheduler_state_dicts_save_and_resume(tmp_path, make):
    opt = mytorch.optim.SGD([mytorch.ones(1, requires_grad=True)], lr=0.1, momentum=0.9)
    sched = make(opt)
    path = tmp_path / "s.pt"
    mytorch.save(sched.state_dict(), str(path))
    fresh = make(mytorch.optim.SGD([mytorch.ones(1, requires_grad=True)], lr=0.1, momentum=0.9))
    fresh.load_state_dict(mytorch.load(str(path)))
    assert fresh.get_last_lr() == sched.get_last_lr()


@requires_torch
@pytest.mark.parametrize("trained_in", ["torch", "mytorch"])
def test_trained_lenet_moves_between_frameworks(tmp_path, trained_in):
    from helpers import lenet5
    from mytorch.vision.idx import read_idx
    root = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "mnist")
    x = ((read_idx(os.path.join(root, "t10k-images-idx3-ubyte.gz"))[:320] / 255.0 - 0.1307) / 0.3081)[:, None]
    x = x.astype(np.float32)
    y = read_idx(os.path.join(root, "t10k-labels-idx1-ubyte.gz"))[:320].astype(np.int64)
    src_lib, dst_lib = (torch, mytorch) if trained_in == "torch" else (mytorch, torch)
    src = lenet5(src_lib)
    opt = src_lib.optim.SGD(src.parameters(), lr=0.05, momentum=0.9)
    for i in range(0, 320, 32):  # ten training steps
        opt.zero_grad()
        src_lib.nn.functional.cross_entropy(src(src_lib.tensor(x[i:i + 32])), src_lib.tensor(y[i:i + 32])).backward()
        opt.step()
    path = str(tmp_path / "lenet.pt")
    (src_lib.save)(src.state_dict(), path)
    dst = lenet5(dst_lib)
    dst.load_state_dict(dst_lib.load(path) if dst_lib is mytorch else dst_lib.load(path, weights_only=True))
    src.eval(), dst.eval()
    with src_lib.no_grad(), dst_lib.no_grad():
        a = src(src_lib.tensor(x)).numpy()
        b = dst(dst_lib.tensor(x)).numpy()
    np.testing.assert_allclose(a, b, atol=1e-4, rtol=0)
    assert (a.argmax(1) == b.argmax(1)).all()


# ---------------------------------------------------------------------------- whole modules
class Net(nn.Module):
    """A user model defined in a test module (pickled by reference, as torch does)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.bn = nn.BatchNorm2d(2)
        self.fc = nn.Linear(2 * 4 * 4, 3)
        self.act = nn.ReLU()
        self.hidden, self.dtype_kept = 5, mytorch.float64

    def forward(self, x):
        return self.fc(self.act(self.bn(self.conv(x))).flatten(1))


def _outputs(model, lib, x):
    model.eval()
    with lib.no_grad():
        return model(lib.tensor(x)).detach().numpy()


def test_whole_module_round_trip_and_weights_only_refusal(tmp_path):
    model = Net()
    model(mytorch.randn(3, 1, 4, 4))  # moves the running statistics away from their initial values
    path = tmp_path / "whole.pt"
    mytorch.save(model, str(path))
    with pytest.raises(pickle.UnpicklingError, match=r"Weights only load failed(.|\n)*weights_only(.|\n)*"
                                                     r"GLOBAL test_serialization.Net was not an allowed global"):
        mytorch.load(str(path))
    back = mytorch.load(str(path), weights_only=False)
    assert type(back) is Net and back.hidden == 5 and back.dtype_kept is mytorch.float64
    assert isinstance(back.fc.weight, nn.Parameter) and back.fc.weight.requires_grad
    assert list(back.state_dict()) == list(model.state_dict())
    calls = []
    handle = back.register_forward_hook(lambda *args: calls.append(1))  # the hook stores work after loading
    x = np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype(np.float32)
    np.testing.assert_array_equal(_outputs(back, mytorch, x), _outputs(model, mytorch, x))
    assert calls == [1]
    handle.remove()
    with mytorch.serialization.safe_globals([Net, nn.Conv2d, nn.BatchNorm2d, nn.Linear, nn.ReLU]):
        assert type(mytorch.load(str(path))) is Net
        assert Net in mytorch.serialization.get_safe_globals()
    assert Net not in mytorch.serialization.get_safe_globals()
    unsafe = mytorch.serialization.get_unsafe_globals_in_checkpoint(str(path))
    assert "test_serialization.Net" in unsafe and "mytorch.nn.modules.module._HookDict" not in unsafe
    mytorch.serialization.add_safe_globals([Net, nn.Conv2d, nn.BatchNorm2d, nn.Linear, nn.ReLU])
    try:
        assert type(mytorch.load(str(path))) is Net
    finally:
        mytorch.serialization.clear_safe_globals()
    assert mytorch.serialization.get_safe_globals() == []


def test_state_dict_files_keep_torchs_globals_whole_models_name_mytorchs(tmp_path):
    model = Net()
    mytorch.save(model.state_dict(), str(tmp_path / "sd.pt"))
    mytorch.save(model, str(tmp_path / "whole.pt"))
    with zipfile.ZipFile(str(tmp_path / "sd.pt")) as zf:
        assert b"torch._utils\n_rebuild_tensor_v2" in zf.read("sd/data.pkl")
    with zipfile.ZipFile(str(tmp_path / "whole.pt")) as zf:
        assert b"mytorch.serialization\n_rebuild_tensor_v2" in zf.read("whole/data.pkl")


@requires_torch
def test_torch_loads_a_mytorch_whole_model_as_mytorch_objects(tmp_path):
    model = Net()
    path = str(tmp_path / "whole.pt")
    mytorch.save(model, path)
    back = torch.load(path, weights_only=False)
    assert type(back) is Net and type(back.fc.weight) is nn.Parameter
    x = np.random.default_rng(1).standard_normal((2, 1, 4, 4)).astype(np.float32)
    np.testing.assert_array_equal(_outputs(back, mytorch, x), _outputs(model, mytorch, x))
    assert set(torch.load(str(tmp_path / "whole.pt"), weights_only=False).state_dict()) == set(model.state_dict())


class TorchTwin:
    """Filled in by the test below: the torch model a torch script defines under the same name."""


@requires_torch
def test_a_torch_whole_model_loads_as_mytorch_modules(tmp_path, monkeypatch):
    class TorchNet(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, 2, 3, padding=1)
            self.bn = torch.nn.BatchNorm2d(2)
            self.fc = torch.nn.Linear(2 * 4 * 4, 3)
            self.act = torch.nn.ReLU()
            self.hidden, self.dtype_kept = 5, torch.float64

        def forward(self, x):
            return self.fc(self.act(self.bn(self.conv(x))).flatten(1))

    # the torch script saves its Net; the ported script (imports switched) defines Net with mytorch's layers
    TorchNet.__qualname__, TorchNet.__module__ = "Net", __name__
    monkeypatch.setattr(sys.modules[__name__], "Net", TorchNet)
    tmodel = TorchNet()
    tmodel.train()
    tmodel(torch.randn(4, 1, 4, 4))
    path = str(tmp_path / "torch_whole.pt")
    torch.save(tmodel, path)
    monkeypatch.undo()
    back = mytorch.load(path, weights_only=False)
    assert type(back) is Net and back.hidden == 5 and back.dtype_kept is mytorch.float64
    assert type(back.conv) is nn.Conv2d and type(back.bn) is nn.BatchNorm2d
    assert int(back.bn.num_batches_tracked) == 1 and isinstance(back.fc.weight, nn.Parameter)
    x = np.random.default_rng(2).standard_normal((2, 1, 4, 4)).astype(np.float32)
    np.testing.assert_allclose(_outputs(back, mytorch, x), _outputs(tmodel, torch, x), rtol=1e-5, atol=1e-6)
    seq = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 8), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                              torch.nn.Linear(8, 2, bias=False), torch.nn.LogSoftmax(dim=1))
    torch.save(seq, path)
    mseq = mytorch.load(path, weights_only=False)
    assert isinstance(mseq, nn.Sequential) and mseq[4].bias is None and mseq[3].p == 0.2
    np.testing.assert_allclose(_outputs(mseq, mytorch, x), _outputs(seq, torch, x), rtol=1e-5, atol=1e-6)
    with pytest.raises(pickle.UnpicklingError, match="GLOBAL torch.nn.modules.container.Sequential was not an "
                                                     "allowed global"):
        mytorch.load(path)
    unsafe = mytorch.serialization.get_unsafe_globals_in_checkpoint(path)
    assert unsafe == sorted(torch.serialization.get_unsafe_globals_in_checkpoint(path))
    assert "torch.nn.modules.linear.Linear" in unsafe and not any("_rebuild" in g for g in unsafe)


@requires_torch
def test_torch_reads_mytorch_dtypes_and_sizes_weights_only(tmp_path):
    path = str(tmp_path / "misc.pt")
    mytorch.save({"dtype": mytorch.float16, "shape": mytorch.zeros(2, 3).shape, "bytes": b"\x00\xff",
                  "device": mytorch.device("cpu")}, path)
    theirs = torch.load(path, weights_only=True)
    assert theirs["dtype"] is torch.float16 and theirs["shape"] == torch.Size([2, 3]) and theirs["bytes"] == b"\x00\xff"
    assert theirs["device"] == torch.device("cpu")
    ours = mytorch.load(path)
    assert ours["dtype"] is mytorch.float16 and tuple(ours["shape"]) == (2, 3) and ours["bytes"] == b"\x00\xff"
    assert str(ours["device"]) == "cpu"
    torch.save({"d": torch.device("cuda:0"), "c": 1 + 2j, "i8": torch.arange(3, dtype=torch.int8),
                "h": torch.ones(2, dtype=torch.float16), "u8": torch.arange(3, dtype=torch.uint8)}, path)
    back = mytorch.load(path)  # every global torch writes for these is weights-only safe
    assert str(back["d"]) == "cpu" and back["c"] == 1 + 2j and back["i8"].dtype == mytorch.int8
    assert back["h"].dtype == mytorch.float16 and back["u8"].tolist() == [0, 1, 2]


# ---------------------------------------------------------------------------- files and streams
@pytest.mark.skipif(not hasattr(os, "symlink") or os.name != "posix", reason="symlinks need POSIX")
def test_save_through_a_symlink_writes_its_target(tmp_path):
    target = tmp_path / "real.pt"
    link = tmp_path / "link.pt"
    mytorch.save({"v": 1}, str(target))
    link.symlink_to(target)
    mytorch.save({"v": 2}, str(link))
    assert link.is_symlink() and os.readlink(str(link)) == str(target)
    assert mytorch.load(str(target))["v"] == 2 and sorted(os.listdir(tmp_path)) == ["link.pt", "real.pt"]
    dangling = tmp_path / "dangling.pt"
    dangling.symlink_to(tmp_path / "new.pt")
    mytorch.save({"v": 3}, str(dangling))
    assert dangling.is_symlink() and mytorch.load(str(tmp_path / "new.pt"))["v"] == 3


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_new_files_follow_the_umask_existing_ones_keep_their_mode(tmp_path, umask):
    old = os.umask(umask)
    try:
        mytorch.save({"v": 1}, str(tmp_path / "new.pt"))
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "new.pt").st_mode & 0o777 == 0o666 & ~umask
    os.chmod(tmp_path / "new.pt", 0o640)
    mytorch.save({"v": 2}, str(tmp_path / "new.pt"))
    assert os.stat(tmp_path / "new.pt").st_mode & 0o777 == 0o640
    if os.geteuid() != 0:  # root may write anything
        os.chmod(tmp_path / "new.pt", 0o440)
        with pytest.raises(PermissionError):
            mytorch.save({"v": 3}, str(tmp_path / "new.pt"))
        assert mytorch.load(str(tmp_path / "new.pt"))["v"] == 2


class _Stream:
    """A socket-like reader: read() only, no seek or tell."""

    def __init__(self, data):
        self._buffer = io.BytesIO(data)

    def read(self, n=-1):
        return self._buffer.read(min(n, 1000) if n and n > 0 else n)


def test_non_seekable_streams_and_file_objects(tmp_path):
    _, ck = _checkpoint()
    buffer = io.BytesIO()
    mytorch.save(ck, buffer, pickle_protocol=4)
    _assert_same(ck, mytorch.load(_Stream(buffer.getvalue())))
    if hasattr(os, "pipe"):
        r, w = os.pipe()
        with os.fdopen(w, "wb") as writer:  # a pipe's buffer holds a small checkpoint
            mytorch.save({"x": mytorch.arange(3)}, writer)
        with os.fdopen(r, "rb") as reader:
            assert not reader.seekable() and mytorch.load(reader)["x"].tolist() == [0, 1, 2]
    with open(tmp_path / "f.pt", "wb") as f:
        f.write(b"junk before")
        mytorch.save({"y": 1}, f)
    with open(tmp_path / "f.pt", "rb") as f:
        f.seek(len(b"junk before"))
        assert mytorch.load(f) == {"y": 1}
    with pytest.raises(TypeError, match="binary"):
        mytorch.load(io.StringIO("text"))
    with pytest.raises(RuntimeError, match="empty file"):
        mytorch.load(io.BytesIO(b""))


@pytest.mark.parametrize("map_location", [None, "cpu", lambda storage, loc: storage, {"cuda:0": "cpu"}])
def test_map_location_forms_are_accepted(tmp_path, map_location):
    path = str(tmp_path / "m.pt")
    mytorch.save({"w": mytorch.ones(2)}, path)
    assert mytorch.load(path, map_location=map_location)["w"].tolist() == [1.0, 1.0]
    if map_location == "cpu":
        assert mytorch.load(path, map_location=mytorch.device("cpu"))["w"].tolist() == [1.0, 1.0]


def test_save_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="pickle_protocol"):
        mytorch.save({}, str(tmp_path / "p.pt"), pickle_protocol=99)
    with pytest.raises(RuntimeError, match="Parent directory .* does not exist"):
        mytorch.save({}, str(tmp_path / "missing" / "p.pt"))
    with pytest.raises(RuntimeError, match="Can not safely load weights when explicit pickle_module is specified"):
        mytorch.load(str(tmp_path / "p.pt"), pickle_module=object())


@requires_torch
@pytest.mark.parametrize("make, shape", [
    (lambda T: T.Sequential(T.Conv2d(2, 4, 3, stride=2, padding=1, groups=2, bias=False), T.MaxPool2d(2),
                            T.AdaptiveAvgPool2d((1, 1)), T.Flatten()), (2, 2, 8, 8)),
    (lambda T: T.Sequential(T.Linear(4, 6), T.BatchNorm1d(6), T.LeakyReLU(0.1), T.Dropout(0.3), T.Linear(6, 3),
                            T.LayerNorm(3), T.Softmax(dim=1)), (5, 4)),
    (lambda T: T.Sequential(T.ConvTranspose2d(2, 3, 3, stride=2), T.BatchNorm2d(3), T.ELU(), T.GELU()), (1, 2, 4, 4)),
    (lambda T: T.LSTM(3, 4, num_layers=2, batch_first=True), (2, 5, 3)),
], ids=["conv", "mlp", "deconv", "lstm"])
def test_torch_whole_models_of_stock_layers_run_the_same_in_mytorch(tmp_path, make, shape):
    tmodel = make(torch.nn)
    tmodel.eval()
    path = str(tmp_path / "m.pt")
    torch.save(tmodel, path)
    model = mytorch.load(path, weights_only=False)
    assert type(model).__name__ == type(tmodel).__name__ and type(model).__module__.startswith("mytorch")
    model.eval()
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    with torch.no_grad(), mytorch.no_grad():
        a, b = tmodel(torch.tensor(x)), model(mytorch.tensor(x))
    a, b = (a[0], b[0]) if isinstance(a, tuple) else (a, b)
    np.testing.assert_allclose(b.numpy(), a.numpy(), rtol=1e-5, atol=1e-6)
