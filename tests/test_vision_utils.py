"""vision.utils (make_grid, save_image) and vision.io: layouts by hand, Pillow reading back what was
written, and torchvision's output where it is installed."""
import io as pyio

import numpy as np
import pytest

import mytorch
from mytorch.tensor import Tensor
from mytorch.vision import io, utils

Image = pytest.importorskip("PIL.Image")
RNG = np.random.default_rng(1)


def test_make_grid_layout_by_hand():
    batch = np.arange(5, dtype=np.float32).reshape(5, 1, 1, 1) + 1  # five 1x1 one-channel images: 1..5
    grid = utils.make_grid(Tensor._make(np.broadcast_to(batch, (5, 1, 2, 3)).copy()), nrow=3, padding=1,
                           pad_value=-1)._data
    assert grid.shape == (3, 2 * (2 + 1) + 1, 3 * (3 + 1) + 1)  # one channel becomes three
    assert np.array_equal(grid[0], grid[2])
    assert grid[0, 1:3, 1:4].tolist() == [[1] * 3] * 2 and grid[0, 1:3, 5:8].tolist() == [[2] * 3] * 2
    assert grid[0, 4:6, 5:8].tolist() == [[5] * 3] * 2
    assert (grid[0, 4:6, 9:12] == -1).all() and (grid[:, 0] == -1).all() and (grid[:, :, 4] == -1).all()
    single = utils.make_grid(Tensor._make(np.ones((1, 3, 4, 4), np.float32)))
    assert single.shape == (3, 4, 4)  # a batch of one is returned without padding
    assert utils.make_grid([Tensor._make(np.zeros((3, 2, 2), np.float32))] * 2, padding=0).shape == (3, 2, 4)


def test_make_grid_normalize_and_scale_each():
    a = np.stack([np.full((1, 2, 2), 2.0, np.float32), np.full((1, 2, 2), 6.0, np.float32)])
    a[0, 0, 0, 0] = 0.0
    grid = utils.make_grid(Tensor._make(a), normalize=True, padding=0)._data
    assert grid.min() == 0 and grid.max() == 1 and grid[0, 0, 1] == pytest.approx(2 / 6)
    each = utils.make_grid(Tensor._make(a), normalize=True, scale_each=True, padding=0)._data
    assert each[0, 0, 1] == 1.0 and each[0, 0, 3] == 0.0  # the constant image: (x - 6) / 1e-5 -> 0
    clipped = utils.make_grid(Tensor._make(a), normalize=True, value_range=(1, 3), padding=0)._data
    assert clipped[0, 0, 0] == 0 and clipped[0, 0, 1] == 0.5 and clipped[0, 0, 3] == 1
    assert a[0, 0, 0, 1] == 2.0  # the input is not modified
    with pytest.raises(TypeError, match="value_range has to be a tuple"):
        utils.make_grid(Tensor._make(a), normalize=True, value_range=[0, 1])
    with pytest.raises(TypeError, match="tensor or list of tensors expected"):
        utils.make_grid(np.zeros((2, 3, 4, 4)))


@pytest.mark.parametrize("target", ["path", "fileobj"])
def test_save_image_reads_back_the_same_pixels(tmp_path, target):
    x = RNG.random((6, 3, 5, 7), dtype=np.float32)
    expected = np.clip(utils.make_grid(Tensor._make(x), nrow=4)._data * 255 + 0.5, 0, 255).astype(np.uint8)
    if target == "path":
        path = tmp_path / "grid.png"
        utils.save_image(Tensor._make(x), str(path), nrow=4)
        img = Image.open(path)
    else:
        buffer = pyio.BytesIO()
        utils.save_image(Tensor._make(x), buffer, format="png", nrow=4)
        buffer.seek(0)
        img = Image.open(buffer)
    assert img.format == "PNG" and img.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(img), expected.transpose(1, 2, 0))


def test_save_image_single_and_gray(tmp_path):
    gray = RNG.random((1, 4, 6), dtype=np.float32)
    utils.save_image(Tensor._make(gray), tmp_path / "g.png")
    back = np.asarray(Image.open(tmp_path / "g.png"))
    assert back.shape == (4, 6, 3)
    np.testing.assert_array_equal(back[..., 0], (gray[0] * 255 + 0.5).astype(np.uint8))


def test_make_grid_and_save_image_match_torchvision(tmp_path):
    tvutils = pytest.importorskip("torchvision.utils")
    import torch
    x = RNG.normal(size=(7, 1, 5, 6)).astype(np.float32)
    for kwargs in ({}, {"nrow": 3, "padding": 1, "pad_value": 0.5}, {"normalize": True, "scale_each": True},
                   {"normalize": True, "value_range": (-1.0, 1.0)}):
        np.testing.assert_array_equal(utils.make_grid(Tensor._make(x), **kwargs)._data,
                                      tvutils.make_grid(torch.from_numpy(x), **kwargs).numpy())
    utils.save_image(Tensor._make(x), tmp_path / "ours.png", normalize=True)
    tvutils.save_image(torch.from_numpy(x), tmp_path / "theirs.png", normalize=True)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "ours.png")),
                                  np.asarray(Image.open(tmp_path / "theirs.png")))


def test_io_png_round_trip_and_modes(tmp_path):
    rgb = RNG.integers(0, 256, (3, 5, 4), dtype=np.uint8)
    path = tmp_path / "x.png"
    io.write_png(Tensor._make(rgb), str(path))
    np.testing.assert_array_equal(np.asarray(Image.open(path)), rgb.transpose(1, 2, 0))  # Pillow agrees
    back = io.read_image(str(path))
    assert back.dtype == mytorch.uint8 and np.array_equal(back._data, rgb)
    gray = io.read_image(str(path), io.ImageReadMode.GRAY)
    assert gray.shape == (1, 5, 4)
    np.testing.assert_array_equal(gray._data[0], np.asarray(Image.open(path).convert("L")))
    assert io.read_image(str(path), io.ImageReadMode.RGB_ALPHA).shape == (4, 5, 4)
    data = io.read_file(str(path))
    assert data.dtype == mytorch.uint8 and data.ndim == 1 and bytes(data._data) == path.read_bytes()
    assert np.array_equal(io.decode_image(data)._data, rgb)
    encoded = io.encode_png(Tensor._make(rgb[:1]))
    assert bytes(encoded._data[:8]) == b"\x89PNG\r\n\x1a\n"
    assert np.array_equal(io.decode_png(encoded)._data, rgb[:1])
    jpeg = io.decode_jpeg(io.encode_jpeg(Tensor._make(rgb), quality=95))
    assert jpeg.shape == (3, 5, 4)  # lossy: only the shape is exact
    with pytest.raises(RuntimeError, match="could not decode"):
        io.decode_image(Tensor._make(np.frombuffer(b"not an image", np.uint8).copy()))
    with pytest.raises(RuntimeError, match="dtype should be uint8"):
        io.encode_png(Tensor._make(rgb.astype(np.float32)))


def test_io_matches_torchvision(tmp_path):
    tvio = pytest.importorskip("torchvision.io")
    rgba = RNG.integers(0, 256, (5, 4, 4), dtype=np.uint8)
    Image.fromarray(rgba).save(tmp_path / "a.png")
    Image.fromarray(rgba[..., 0]).save(tmp_path / "g.png")
    for name in ("a.png", "g.png"):
        for mode in ("UNCHANGED", "GRAY", "RGB", "RGB_ALPHA"):
            ours = io.read_image(str(tmp_path / name), getattr(io.ImageReadMode, mode))._data
            theirs = tvio.read_image(str(tmp_path / name), getattr(tvio.ImageReadMode, mode)).numpy()
            assert ours.shape == theirs.shape
            assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1  # libpng vs Pillow's grey formula


def test_draw_bounding_boxes_by_hand_and_against_torchvision():
    image = Tensor._make(np.zeros((3, 12, 16), np.uint8))
    boxes = Tensor._make(np.array([[1, 2, 6, 8], [8, 1, 15, 11]], np.float32))
    out = utils.draw_bounding_boxes(image, boxes, colors=["red", (0, 255, 0)], width=1)._data
    assert out[:, 2, 1].tolist() == [255, 0, 0] and out[:, 1, 8].tolist() == [0, 255, 0]
    assert out[:, 5, 3].tolist() == [0, 0, 0]  # inside an unfilled box: untouched
    assert image._data.max() == 0  # a new image
    filled = utils.draw_bounding_boxes(image, boxes, fill=True, colors="blue")._data
    assert filled[2, 5, 3] > 0 and filled[0, 5, 3] == 0
    with pytest.raises(ValueError, match="xmin, ymin, xmax, ymax"):
        utils.draw_bounding_boxes(image, Tensor._make(np.array([[5, 0, 1, 3]], np.float32)))
    with pytest.raises(ValueError, match="Pass individual images"):
        utils.draw_bounding_boxes(Tensor._make(np.zeros((1, 3, 4, 4), np.uint8)), boxes)
    try:
        import torch
        from torchvision.utils import draw_bounding_boxes as tv_draw
    except ImportError:
        return
    img = RNG.integers(0, 256, (3, 20, 24), dtype=np.uint8)
    bx = np.array([[1, 2, 10, 12], [5, 5, 22, 18], [0, 0, 23, 19]], np.float32)
    for kwargs in ({}, {"labels": ["a", "bb", "c"], "width": 2}, {"fill": True, "colors": "yellow"},
                   {"labels": ["x", "y", "z"], "fill_labels": True}):
        ours = utils.draw_bounding_boxes(Tensor._make(img.copy()), Tensor._make(bx), **kwargs)._data
        theirs = tv_draw(torch.from_numpy(img.copy()), torch.from_numpy(bx), **kwargs).numpy()
        np.testing.assert_array_equal(ours, theirs)


def test_without_pillow_the_error_names_the_extra(monkeypatch, tmp_path):
    import sys
    for name in ("PIL", "PIL.Image", "PIL.ImageDraw", "PIL.ImageColor", "PIL.ImageFont", "PIL.ImageOps"):
        monkeypatch.setitem(sys.modules, name, None)
    x = Tensor._make(np.zeros((3, 4, 4), np.float32))
    assert utils.make_grid(x).shape == (3, 4, 4)  # pure NumPy: works without Pillow
    for call in (lambda: utils.save_image(x, tmp_path / "a.png"),
                 lambda: utils.draw_bounding_boxes(x, Tensor._make(np.zeros((1, 4), np.float32))),
                 lambda: io.encode_png(Tensor._make(np.zeros((3, 4, 4), np.uint8))),
                 lambda: io.decode_image(Tensor._make(np.zeros(8, np.uint8)))):
        with pytest.raises(ImportError, match=r"pip install mytorch-im2col\[vision\]"):
            call()
