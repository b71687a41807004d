"""The nn surface against torch's: every public class of torch.nn, function of torch.nn.functional
and initialiser of torch.nn.init exists in mytorch, except the names listed here as not provided
(a name leaving this list must be implemented; a new torch name must be decided on)."""
import inspect

import pytest

import mytorch
from conftest import requires_torch, torch

# Each entry: why it is absent. Conv/pool names belong to the kernels side (mytorch/nn/_conv.py).
NOT_PROVIDED = {
    "nn": {"AdaptiveAvgPool3d", "AdaptiveMaxPool3d", "AvgPool3d", "MaxPool3d", "MaxUnpool1d", "MaxUnpool3d",
           "Conv3d", "ConvTranspose3d", "LPPool1d", "LPPool2d", "LPPool3d", "FractionalMaxPool2d",
           "FractionalMaxPool3d", "LazyConv1d", "LazyConv2d", "LazyConv3d", "LazyConvTranspose1d",
           "LazyConvTranspose2d", "LazyConvTranspose3d",  # 3-D and exotic pooling: kernels side
           "LazyBatchNorm1d", "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
           "LazyInstanceNorm3d",  # lazy norms: rare; LazyLinear is provided
           "CrossMapLRN2d", "Container",
           "LinearCrossEntropyLoss", "LinearCrossEntropyOptions"},
    "F": {"adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "avg_pool3d", "max_pool3d",
          "max_pool3d_with_indices", "conv3d", "conv_transpose3d", "conv_tbc", "max_unpool1d", "max_unpool3d",
          "lp_pool1d", "lp_pool2d", "lp_pool3d", "fractional_max_pool2d", "fractional_max_pool2d_with_indices",
          "fractional_max_pool3d", "fractional_max_pool3d_with_indices", "adaptive_max_pool1d_with_indices",
          "adaptive_max_pool2d_with_indices", "max_pool1d_with_indices", "max_pool2d_with_indices",
          "grouped_mm", "scaled_grouped_mm", "scaled_mm", "linear_cross_entropy"},
    "init": set(),
}
# torch's own dispatch machinery, not part of the nn API
INTERNAL = {"assert_int_or_pair", "boolean_dispatch", "handle_torch_function", "has_torch_function",
            "has_torch_function_unary", "has_torch_function_variadic"}


def _public(module, kind):
    names = set()
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if kind == "nn" and inspect.isclass(value) and getattr(value, "__module__", "").startswith("torch.nn"):
            names.add(name)
        elif kind != "nn" and inspect.isfunction(value) and getattr(value, "__module__", "").startswith("torch"):
            names.add(name)
        elif kind == "F" and callable(value) and type(value).__name__ == "builtin_function_or_method":
            names.add(name)
    return names


@requires_torch
@pytest.mark.parametrize("kind", ["nn", "F", "init"])
def test_every_torch_name_exists_or_is_listed(kind):
    theirs = {"nn": torch.nn, "F": torch.nn.functional, "init": torch.nn.init}[kind]
    ours = {"nn": mytorch.nn, "F": mytorch.nn.functional, "init": mytorch.nn.init}[kind]
    missing = {n for n in _public(theirs, kind) - INTERNAL if not hasattr(ours, n)}
    assert missing <= NOT_PROVIDED[kind], f"missing and not listed: {sorted(missing - NOT_PROVIDED[kind])}"
    stale = {n for n in NOT_PROVIDED[kind] if hasattr(ours, n)}
    assert not stale, f"listed as not provided but present (remove from the list): {sorted(stale)}"


@requires_torch
def test_torch_module_paths_resolve_for_the_common_layers():
    """``nn.modules.batchnorm._BatchNorm``, ``nn.modules.linear.Linear``, ... as torch spells them
    (isinstance checks in training scripts; whole-module checkpoints name classes by these paths)."""
    import importlib
    for name in ("Linear", "Bilinear", "Identity", "BatchNorm1d", "BatchNorm2d", "Flatten", "Unflatten",
                 "InstanceNorm2d", "CosineSimilarity", "PixelShuffle", "Fold", "MaxPool2d", "AvgPool2d",
                 "AdaptiveAvgPool2d", "Embedding", "LayerNorm", "Dropout", "ReLU", "CrossEntropyLoss", "Sequential",
                 "Upsample", "ZeroPad2d", "TransformerEncoderLayer", "MultiheadAttention", "LazyLinear"):
        path = getattr(torch.nn, name).__module__.replace("torch", "mytorch", 1)
        assert getattr(importlib.import_module(path), name) is getattr(mytorch.nn, name), (path, name)
    assert issubclass(mytorch.nn.BatchNorm2d, mytorch.nn.modules.batchnorm._BatchNorm)
