"""Whole-model benchmarks: a LeNet-5 training step and an inference batch (mytorch vs torch), an
epoch of MNIST DataLoader batches, and the autograd overhead of a chain of small ops. Each checks
a number before it times (the step lowers the loss, inference agrees with torch on the same
weights, the loader yields every image once, the chain's gradient is right)."""
import os

import numpy as np
import pytest

import mytorch
from benchmarks.conftest import impl_param, torch
from mytorch.examples.mnist import DATA, build_model, load_split

FRAMEWORKS = [impl_param("mytorch"), impl_param("torch")]


def _lib(name):
    return mytorch if name == "mytorch" else torch


def _batch():
    rng = np.random.default_rng(0)
    return rng.standard_normal((64, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 64)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_lenet_training_step(benchmark, framework):
    lib = _lib(framework)
    lib.manual_seed(0)
    model = build_model(lib, "lenet")
    opt = lib.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x, y = (lib.from_numpy(a) for a in _batch())

    def step():
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    first = [step() for _ in range(5)]
    assert first[-1] < first[0]  # it learns the batch
    benchmark.group = "LeNet-5 training step (batch 64)"
    benchmark(step)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_lenet_inference_batch(benchmark, framework):
    lib = _lib(framework)
    x = np.random.default_rng(0).standard_normal((1000, 1, 28, 28)).astype(np.float32)
    model = build_model(lib, "lenet").eval()
    if torch is not None and lib is mytorch:  # same weights as torch: the logits must agree
        reference = build_model(torch, "lenet").eval()
        model.load_state_dict({k: mytorch.tensor(v.numpy()) for k, v in reference.state_dict().items()})
        with torch.no_grad():
            expected = reference(torch.from_numpy(x)).numpy()
        with mytorch.no_grad():
            np.testing.assert_allclose(model(mytorch.from_numpy(x)).numpy(), expected, atol=1e-4)

    def infer():
        with lib.no_grad():
            return model(lib.from_numpy(x))
    benchmark.group = "LeNet-5 inference (1000 images)"
    benchmark(infer)


@pytest.mark.skipif(not os.path.exists(os.path.join(DATA, "t10k-images-idx3-ubyte.gz")), reason="no MNIST copy")
def test_dataloader_epoch(benchmark):
    x, y = load_split(DATA, train=False)
    dataset = mytorch.utils.data.TensorDataset(mytorch.from_numpy(x), mytorch.from_numpy(y))

    def epoch():
        loader = mytorch.utils.data.DataLoader(dataset, batch_size=64, shuffle=True)
        return sum(len(t) for _, t in loader)
    assert epoch() == len(x)
    benchmark.group = "DataLoader: one epoch of 10,000 MNIST images, batch 64"
    benchmark(epoch)


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_autograd_chain_overhead(benchmark, framework):
    lib = _lib(framework)

    def chain():
        x = lib.ones(4, requires_grad=True)
        y = x
        for _ in range(300):  # 900 ops
            y = (y * 0.999 + 0.001).tanh()
        y.sum().backward()
        return x.grad
    grad = chain().numpy()
    assert np.all(np.isfinite(grad)) and np.all(grad > 0)
    benchmark.group = "autograd: chain of 900 tiny ops, forward + backward"
    benchmark(chain)
