"""mytorch.vision: torchvision's data side on NumPy, with Pillow (the optional ``vision`` extra:
``pip install mytorch-im2col[vision]``) as the image library.

- ``datasets``: MNIST, FashionMNIST, KMNIST, EMNIST (idx files, raw or gzipped), CIFAR10/100 (batch
  files or the archive, read without running pickled code), STL10, ImageFolder/DatasetFolder, FakeData,
  VisionDataset. Nothing is downloaded: files already on disk are found (MNIST's download=True copies
  the copy this repository ships).
- ``transforms`` (and ``transforms.functional``, ``transforms.v2``): torchvision's classes and functions
  on PIL images (Pillow's own operations, as torchvision), (H, W[, C]) ndarrays and (..., C, H, W)
  Tensors (NumPy ports of torchvision's tensor path); AutoAugment, RandAugment, TrivialAugmentWide.
  Randomness comes from mytorch's generator: ``mytorch.manual_seed`` reproduces a run.
- ``utils``: make_grid, save_image, draw_bounding_boxes. ``io``: read_file/write_file, decode_image,
  read_image (ImageReadMode), encode_png/write_png, encode_jpeg/write_jpeg.

The MNIST path (idx files -> arrays -> ToTensor/Normalize, a DataLoader batch in one pass) needs no Pillow.
"""
from mytorch.vision import datasets, io, transforms, utils

__all__ = ["datasets", "transforms", "utils", "io", "get_image_backend", "set_image_backend"]


def get_image_backend():
    return "PIL"


def set_image_backend(backend):
    if backend != "PIL":
        raise ValueError(f"Invalid backend '{backend}'. Options are 'PIL' (the only image library used here)")
