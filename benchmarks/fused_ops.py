"""Fused primitives against the composite graphs they replace (forward + backward, median ms).

    python -m benchmarks.fused_ops
"""
import time

import numpy as np

import mytorch
import mytorch.nn.functional as F


def composite_batch_norm(x, w, b, eps=1e-5):
    axes = (0, 2, 3)
    mean = x.mean(dim=axes, keepdim=True)
    var = ((x - mean) * (x - mean)).mean(dim=axes, keepdim=True)
    return (x - mean) / mytorch.sqrt(var + eps) * w.reshape(1, -1, 1, 1) + b.reshape(1, -1, 1, 1)


def composite_log_softmax(x, dim):
    shifted = x - mytorch.amax(x, dim=dim, keepdim=True).detach()
    return shifted - mytorch.log(mytorch.exp(shifted).sum(dim=dim, keepdim=True))


def step(fn, arrays):
    inputs = [mytorch.tensor(a, requires_grad=True) for a in arrays]
    out = fn(*inputs)
    out.backward(mytorch.ones_like(out))


def median_ms(fn, arrays, repeats=21):
    step(fn, arrays)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step(fn, arrays)
        times.append(time.perf_counter() - t0)
    return float(np.median(times) * 1e3)


def main():
    rng = np.random.default_rng(0)
    cases = [
        ("batch_norm (64,32,26,26)", [rng.standard_normal((64, 32, 26, 26)).astype(np.float32),
                                      np.ones(32, np.float32), np.zeros(32, np.float32)],
         lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True), composite_batch_norm),
        ("log_softmax (64,10)", [rng.standard_normal((64, 10)).astype(np.float32)],
         lambda x: F.log_softmax(x, 1), lambda x: composite_log_softmax(x, 1)),
        ("log_softmax (256,1000)", [rng.standard_normal((256, 1000)).astype(np.float32)],
         lambda x: F.log_softmax(x, 1), lambda x: composite_log_softmax(x, 1)),
    ]
    print(f"{'op':28} {'fused ms':>9} {'composite ms':>13} {'ratio':>6}")
    for name, arrays, used, composite in cases:
        a, b = median_ms(used, arrays), median_ms(composite, arrays)
        print(f"{name:28} {a:>9.3f} {b:>13.3f} {a / b:>6.2f}")


if __name__ == "__main__":
    main()
