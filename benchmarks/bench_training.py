"""Whole-model benchmarks: a LeNet-5 training step and an inference batch (mytorch vs torch), the
optimizer steps alone on LeNet-5's parameters (mytorch's fused and NumPy forms vs torch), an epoch
of MNIST DataLoader batches, and the autograd overhead of a chain of small ops. Each checks a
number before it times (the step lowers the loss, the optimizer forms agree with each other and
with torch, inference agrees with torch on the same weights, the loader yields every image once,
the chain's gradient is right).

As a script, each framework in its own process, printing medians and ratios to torch:

    python -m benchmarks.bench_training [--models lenet,cnn,resnet20] [--optimizers sgd,adam,adadelta] [--repeat 50]
                                        [--threads N]
"""
import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest

import mytorch
from benchmarks.conftest import impl_param, torch
from mytorch.examples.mnist import DATA, build_model, load_split

FRAMEWORKS = [impl_param("mytorch"), impl_param("torch")]
# name: (class, arguments) as the MNIST program builds them (mytorch/examples/mnist.py)
OPTIMIZERS = {"sgd": ("SGD", dict(lr=0.05, momentum=0.9)), "adam": ("Adam", dict(lr=1e-3)),
              "adadelta": ("Adadelta", dict(lr=1.0))}
# mytorch's two forms of the optimizer step (see mytorch/optim/optimizer.py) and torch's default
FORMS = {"mytorch-fused": dict(fused=True), "mytorch-numpy": dict(fused=False), "torch": {}}


def _lib(name):
    return mytorch if name == "mytorch" else torch


def _batch(model="lenet"):
    """A fixed batch of 64: MNIST-shaped images, or random 3x32x32 ones for the CIFAR ResNet."""
    rng = np.random.default_rng(0)
    shape = (64, 3, 32, 32) if model == "resnet20" else (64, 1, 28, 28)
    return rng.standard_normal(shape).astype(np.float32), rng.integers(0, 10, 64)


def resnet20(lib):
    """ResNet-20 for CIFAR-10 (He et al. 2016, section 4.2): a 3x3 stem of 16 filters, three stages
    of three basic blocks at 16/32/64 filters on 32/16/8-pixel planes (stride 2 entering the last
    two, 1x1 projection shortcuts there), global average pooling and one Linear layer; batch norm
    after every convolution. 0.27 M parameters."""
    nn, F = lib.nn, lib.nn.functional

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.shortcut = nn.Sequential()
            if stride != 1 or cin != cout:
                self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            out = F.relu(self.bn1(self.conv1(x)))
            return F.relu(self.bn2(self.conv2(out)) + self.shortcut(x))

    layers, cin = [nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU()], 16
    for cout, stride in ((16, 1), (32, 2), (64, 2)):
        for i in range(3):
            layers.append(Block(cin, cout, stride if i == 0 else 1))
            cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def _model(lib, name):
    return resnet20(lib) if name == "resnet20" else build_model(lib, name)


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


def _optimizer_on_model(form, name, seed=0, model="lenet"):
    """LeNet-5's (or another MNIST model's) parameters, float32, with fixed C-ordered gradients (as
    backward leaves them, Linear weights included since session 5), and the optimizer in that form."""
    lib = torch if form == "torch" else mytorch
    shapes = [tuple(p.shape) for p in _model(mytorch, model).parameters()]
    rng = np.random.default_rng(seed)
    params = []
    for shape in shapes:
        p = lib.tensor(rng.standard_normal(shape).astype(np.float32) * 0.1, requires_grad=True)
        g = rng.standard_normal(shape).astype(np.float32)
        p.grad = lib.from_numpy(g)
        params.append(p)
    cls, kwargs = OPTIMIZERS[name]
    return params, getattr(lib.optim, cls)(params, **kwargs, **FORMS[form])


@pytest.mark.parametrize("name", list(OPTIMIZERS))
@pytest.mark.parametrize("form", [pytest.param(f, marks=impl_param(f).marks, id=f) for f in FORMS])
def test_optimizer_step_on_lenet_parameters(benchmark, form, name):
    params, opt = _optimizer_on_model(form, name)
    # agreement first: three steps against mytorch's NumPy form (bit for bit for the fused form;
    # float32 rounding, a few ulps per step, for torch)
    ref_params, ref = _optimizer_on_model("mytorch-numpy", name)
    for _ in range(3):
        opt.step()
        ref.step()
    for p, q in zip(params, ref_params):
        got, want = p.detach().numpy(), q.detach().numpy()
        if form == "mytorch-fused":
            np.testing.assert_array_equal(got, want)
        else:
            np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5 * np.abs(want).max())
    benchmark.group = f"optimizer step on LeNet-5's parameters: {name}"
    benchmark(opt.step)


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


# ---------------------------------------------------------------------- script: ratios to torch
def _median_ms(fn, repeat, warmup=5):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def _worker(form, name, model_name, repeat, threads):
    """One framework in this process: the model's training step (batch 64) with this optimizer,
    and the optimizer step alone; prints one JSON line."""
    lib = torch if form == "torch" else mytorch
    if threads:
        # NOTE: for both frameworks: mytorch read no thread variable before session 5, so the
        # "1 thread" rows of earlier runs timed mytorch on every core against torch on one
        lib.set_num_threads(threads)
    lib.manual_seed(0)
    model = _model(lib, model_name)
    cls, kwargs = OPTIMIZERS[name]
    opt = getattr(lib.optim, cls)(model.parameters(), **kwargs, **FORMS[form])
    x, y = (lib.from_numpy(a) for a in _batch(model_name))

    def step():
        opt.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss.item()
    losses = [step() for _ in range(5)]
    if not losses[-1] < losses[0]:
        raise SystemExit(f"{form} {name}: the step does not lower the loss ({losses})")
    step_ms = _median_ms(step, repeat)
    _, alone = _optimizer_on_model(form, name, model=model_name)
    opt_ms = _median_ms(alone.step, repeat * 4)
    print(json.dumps({"form": form, "optimizer": name, "model": model_name, "step_ms": step_ms,
                      "optimizer_ms": opt_ms}))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="lenet",
                        help="of mytorch/examples/mnist.py: mlp, lenet, cnn; or resnet20 (CIFAR-shaped random data)")
    parser.add_argument("--optimizers", default=",".join(OPTIMIZERS))
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--threads", type=int, default=0, help="threads for every framework (0: their default)")
    parser.add_argument("--worker", nargs=3, metavar=("FORM", "OPTIMIZER", "MODEL"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker(*args.worker, args.repeat, args.threads)
        return
    env = dict(os.environ)
    if args.threads:
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS"):
            env[var] = str(args.threads)
    forms = [f for f in FORMS if f != "torch" or torch is not None]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    print(f"Training step, batch 64, median of {args.repeat} (ms); the optimizer step alone on the model's "
          "parameters; each framework in its own process")
    print(f"{'model':6} {'optimizer':10} {'form':14} {'step':>8} {'/torch':>7} {'optim':>8} {'/torch':>7}")
    for model in args.models.split(","):
        for name in args.optimizers.split(","):
            rows = {}
            for form in forms:
                worker_env = dict(env, MYTORCH_BENCH_WITHOUT_TORCH="1") if form != "torch" else env
                out = subprocess.run([sys.executable, "-m", "benchmarks.bench_training", "--worker", form, name, model,
                                      "--repeat", str(args.repeat), "--threads", str(args.threads)],
                                     cwd=root, env=worker_env, capture_output=True, text=True)
                if out.returncode:
                    print(f"{model:6} {name:10} {form:14} failed: {out.stderr.strip().splitlines()[-1:]}")
                    continue
                rows[form] = json.loads(out.stdout.strip().splitlines()[-1])
            base = rows.get("torch")
            for form, row in rows.items():
                def ratio(key):
                    return f"{row[key] / base[key]:7.2f}" if base else "      -"
                print(f"{model:6} {name:10} {form:14} {row['step_ms']:8.2f} {ratio('step_ms')} "
                      f"{row['optimizer_ms']:8.3f} {ratio('optimizer_ms')}")


if __name__ == "__main__":
    main()
