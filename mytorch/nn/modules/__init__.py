from mytorch.nn.modules.activation import GELU, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Tanh
from mytorch.nn.modules.container import ModuleList, Sequential
from mytorch.nn.modules.layers import (AdaptiveAvgPool2d, AvgPool2d, BatchNorm1d, BatchNorm2d, Conv2d, Dropout,
                                       Flatten, Identity, Linear, MaxPool2d)
from mytorch.nn.modules.loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss
from mytorch.nn.modules.module import Module
from mytorch.nn.modules.sparse import Embedding

__all__ = ["Module", "Sequential", "ModuleList", "Identity", "Linear", "Flatten", "Conv2d", "MaxPool2d",
           "AvgPool2d", "AdaptiveAvgPool2d", "BatchNorm1d", "BatchNorm2d", "Dropout", "ReLU", "LeakyReLU",
           "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax", "CrossEntropyLoss", "NLLLoss", "MSELoss",
           "L1Loss", "BCELoss", "BCEWithLogitsLoss", "Embedding"]
