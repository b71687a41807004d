"""Where a training step spends its time: cProfile over many steps.

    python -m benchmarks.profile_step [--steps 200] [--model lenet|cnn]

Lists the functions with the most time of their own (cProfile's tottime): the kernels' routines
(direct convolution, im2col fill, the GEMM blocks, col2im, pooling), the elementwise primitives,
the optimizer and the autograd engine. Times are per training step (batch 64).
"""
import argparse
import cProfile
import pstats

import numpy as np

import mytorch
from mytorch.examples.mnist import build_model

def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--model", default="lenet", choices=["lenet", "cnn", "mlp"])
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    x = mytorch.from_numpy(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
    y = mytorch.from_numpy(rng.integers(0, 10, 64))
    model = build_model(mytorch, args.model)
    opt = mytorch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        mytorch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    for _ in range(10):
        step()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.steps):
        step()
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    total = sum(tt for (_, _, _), (_, _, tt, _, _) in stats.items())
    print(f"{args.model}: {total / args.steps * 1e3:.2f} ms per step under cProfile (its overhead included)")
    print(f"{'function (file:line)':62} {'ms/step':>8} {'share':>6}")
    rows = sorted(((tt, f"{fn} ({file.split('/')[-1]}:{line})") for (file, line, fn), (_, _, tt, _, _) in stats.items()),
                  reverse=True)
    for tt, label in rows[:18]:
        print(f"{label:62} {tt / args.steps * 1e3:>8.3f} {100 * tt / total:>5.1f}%")


if __name__ == "__main__":
    main()
