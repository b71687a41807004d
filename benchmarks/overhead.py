"""Autograd overhead per op: forward + backward of a chain of tiny ops, mytorch vs torch.

    python -m benchmarks.overhead [--ops 10000] [--repeats 5]

The chain alternates mul, add and tanh on a 4-element tensor, so the arithmetic is negligible and
the time is the framework's own: creating nodes, dispatching, and walking the graph backward.
Both frameworks run in this process, interleaved; the table shows microseconds per op.
"""
import argparse
import time

import numpy as np

import mytorch

try:
    import torch
except ImportError:
    torch = None


def chain(lib, n_ops):
    x = lib.ones(4, requires_grad=True)
    y = x
    for i in range(n_ops // 3):
        y = (y * 0.999 + 0.001).tanh()
    t_forward = time.perf_counter()
    y.sum().backward()
    return t_forward


def measure(lib, n_ops, repeats):
    forward, backward = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        t1 = chain(lib, n_ops)
        t2 = time.perf_counter()
        forward.append(t1 - t0)
        backward.append(t2 - t1)
    return np.median(forward) / n_ops * 1e6, np.median(backward) / n_ops * 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    libs = [("mytorch", mytorch)] + ([("torch", torch)] if torch is not None else [])
    results = {name: [] for name, _ in libs}
    for _ in range(args.repeats):  # interleaved rounds
        for name, lib in libs:
            results[name].append(measure(lib, args.ops, 1))
    print(f"{'framework':10} {'forward us/op':>14} {'backward us/op':>15} {'total us/op':>12}")
    totals = {}
    for name, rows in results.items():
        f, b = np.median([r[0] for r in rows]), np.median([r[1] for r in rows])
        totals[name] = f + b
        print(f"{name:10} {f:>14.2f} {b:>15.2f} {f + b:>12.2f}")
    if "torch" in totals:
        print(f"mytorch / torch: {totals['mytorch'] / totals['torch']:.2f}x")


if __name__ == "__main__":
    main()
