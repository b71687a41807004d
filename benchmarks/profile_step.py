"""Where a training step spends its time, layer by layer, mytorch beside torch.

    python -m benchmarks.profile_step [--model lenet|cnn|mlp] [--repeats 15]

For each layer of the MNIST program's model (batch 64): the median time of its forward and of
forward + backward, on the activations the previous layer produced. Then the phases of a whole
Adadelta step (forward, loss, backward, optimizer). torch's column needs torch installed.
The kernels run in worker threads, so a function-level profiler run in the main thread would only
see it waiting; timing layers directly shows where the time goes.
"""
import argparse
import time

import numpy as np

import mytorch
from mytorch.examples.mnist import build_model

try:
    import torch
except ImportError:
    torch = None


def _median_ms(fn, repeats):
    fn()
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3)


def layer_times(lib, name, x, repeats):
    lib.manual_seed(0)
    model = build_model(lib, name)
    rows, h = [], lib.from_numpy(x)
    for i, layer in enumerate(model):
        # the first layer's input needs no gradient, as in training, unless the layer has no
        # parameters either (the MLP's Flatten): then nothing would have a gradient to compute
        inp = h.detach().requires_grad_(i > 0 or not list(layer.parameters()))
        out = layer(inp)
        grad = lib.ones_like(out)

        def forward_backward():
            layer(inp).backward(grad)
        rows.append((f"{i} {type(layer).__name__}", tuple(out.shape), _median_ms(lambda: layer(inp), repeats),
                     _median_ms(forward_backward, repeats)))
        h = out.detach()
    return rows


def step_phases(lib, name, x, y, repeats):
    lib.manual_seed(0)
    model = build_model(lib, name)
    opt = lib.optim.Adadelta(model.parameters(), lr=1.0)
    x, y = lib.from_numpy(x), lib.from_numpy(y)
    phases = {"forward": [], "loss": [], "backward": [], "optimizer": []}
    for i in range(repeats + 5):
        t0 = time.perf_counter()
        opt.zero_grad()
        out = model(x)
        t1 = time.perf_counter()
        loss = lib.nn.functional.cross_entropy(out, y)
        t2 = time.perf_counter()
        loss.backward()
        t3 = time.perf_counter()
        opt.step()
        t4 = time.perf_counter()
        if i >= 5:
            for key, a, b in (("forward", t0, t1), ("loss", t1, t2), ("backward", t2, t3), ("optimizer", t3, t4)):
                phases[key].append(b - a)
    return {k: float(np.median(v) * 1e3) for k, v in phases.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="lenet", choices=["lenet", "cnn", "mlp"])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, 64)
    libs = [mytorch] + ([torch] if torch is not None else [])
    tables = {lib.__name__: layer_times(lib, args.model, x, args.repeats) for lib in libs}
    print(f"{args.model}, batch 64, median ms ({args.repeats} repeats)")
    print(f"{'layer':16} {'output':18} {'mytorch fwd':>11} {'fwd+bwd':>8}" +
          (f" {'torch fwd':>10} {'fwd+bwd':>8} {'ratio':>6}" if torch is not None else ""))
    totals = {name: 0.0 for name in tables}
    for i, (label, shape, f, fb) in enumerate(tables["mytorch"]):
        line = f"{label:16} {str(shape):18} {f:>11.2f} {fb:>8.2f}"
        totals["mytorch"] += fb
        if torch is not None:
            _, _, tf, tfb = tables["torch"][i]
            totals["torch"] += tfb
            line += f" {tf:>10.2f} {tfb:>8.2f} {fb / tfb:>6.2f}"
        print(line)
    print("sum of layers (fwd+bwd): " + ", ".join(f"{k} {v:.2f} ms" for k, v in totals.items()))
    for lib in libs:
        phases = step_phases(lib, args.model, x, y, args.repeats * 3)
        print(f"{lib.__name__:8} step: " + ", ".join(f"{k} {v:.2f}" for k, v in phases.items()) +
              f"; total {sum(phases.values()):.2f} ms")


if __name__ == "__main__":
    main()
