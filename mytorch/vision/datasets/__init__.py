"""torchvision.datasets: MNIST-family idx datasets, folder datasets, FakeData and CIFAR."""
from mytorch.vision.datasets.cifar import CIFAR10, CIFAR100
from mytorch.vision.datasets.fakedata import FakeData
from mytorch.vision.datasets.folder import DatasetFolder, ImageFolder
from mytorch.vision.datasets.mnist import EMNIST, KMNIST, MNIST, FashionMNIST
from mytorch.vision.datasets.stl10 import STL10
from mytorch.vision.datasets.vision import StandardTransform, VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST", "EMNIST", "CIFAR10", "CIFAR100", "STL10", "DatasetFolder", "ImageFolder",
           "FakeData", "VisionDataset",
           "StandardTransform"]
