"""mytorch.save/load: torch's zip layout both ways, a restricted unpickler, atomic writes."""
import io
import os
import pickle
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
