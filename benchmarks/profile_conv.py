"""Conv2d and pooling throughput through mytorch's public API, side by side with torch.

    python -m benchmarks.profile_conv                      # shapes A-E + pooling, 2 threads
    python -m benchmarks.profile_conv --threads 1,2 --json results.json --png results.png
    python -m benchmarks.profile_conv --shape 16,3,64,64,32,3,1,1 --impls numpy,numba
    python -m benchmarks.profile_conv --impls numba,torch --threads 1,2   # the kernels targets

Every implementation runs the same step (forward, or forward + backward for dx, dW, db) on the
same arrays, interleaved round by round so machine noise hits all of them alike. Within a round
each implementation runs a short burst and the first call of the burst is not timed: torch's
OpenMP workers and OpenBLAS's workers keep spinning for a while after a call, and that first call
pays for whatever ran before it (``--settle`` adds a pause before each burst instead). Medians are
the headline; min and the interquartile range show the noise. The numpy and reference
implementations call multi-threaded GEMMs, after which OpenBLAS's workers spin for up to ~0.1 s,
longer than a burst: on 2 threads whatever runs in the same rounds loses a core to them (numba's B
3.4 ms there, 1.5 ms beside torch alone). The numba-to-torch ratios therefore come from a run of
those two alone (last command above). Nothing here asserts a time:
numerical agreement with the reference (or torch) is checked once per shape before timing, and a mismatch aborts.
"""
import argparse
import json
import platform
import random
import sys
import time

import numpy as np

import kernels
import mytorch
import mytorch.nn.functional as F
from mytorch import backends

try:
    import torch
except ImportError:  # the profiler runs without torch; the ratio column is then empty
    torch = None

# (N, C, H, W, F, K, stride, padding): the shapes of the kernels issue.
CONV_SHAPES = {
    "A": (64, 1, 28, 28, 6, 5, 1, 2),     # LeNet conv1
    "B": (64, 6, 14, 14, 16, 5, 1, 0),    # LeNet conv2
    "C": (32, 64, 32, 32, 64, 3, 1, 1),
    "D": (8, 128, 56, 56, 128, 3, 1, 1),
    "E": (64, 32, 26, 26, 64, 3, 1, 0),   # the PyTorch MNIST example's conv2
}
POOL_SHAPES = {"P1": (64, 6, 28, 28), "P2": (32, 64, 32, 32)}
# The reference loops finish in seconds only on the small shapes.
REFERENCE_OK = {"A", "B", "P1", "P2"}


def _conv_step(lib, x, w, b, stride, padding, dy, backward):
    if lib is torch:
        tx, tw, tb = (torch.from_numpy(a).requires_grad_(backward) for a in (x, w, b))
        y = torch.nn.functional.conv2d(tx, tw, tb, stride, padding)
        if backward:
            y.backward(torch.from_numpy(dy))
        return y.detach().numpy(), (tx.grad, tw.grad, tb.grad)
    tx, tw, tb = (mytorch.from_numpy(a).requires_grad_(backward) for a in (x, w, b))
    y = F.conv2d(tx, tw, tb, stride, padding)
    if backward:
        y.backward(mytorch.from_numpy(dy))
    return y.detach().numpy(), (tx.grad, tw.grad, tb.grad)


def _pool_step(lib, kind, x, dy, backward):
    if lib is torch:
        tx = torch.from_numpy(x).requires_grad_(backward)
        y = getattr(torch.nn.functional, kind + "_pool2d")(tx, 2)
    else:
        tx = mytorch.from_numpy(x).requires_grad_(backward)
        y = getattr(F, kind + "_pool2d")(tx, 2)
    if backward:
        y.backward((torch if lib is torch else mytorch).from_numpy(dy))
    return y.detach().numpy(), (tx.grad,)


def _runner(impl, step):
    """A zero-argument callable running ``step`` on implementation ``impl`` ('torch' or a kernels name)."""
    if impl == "torch":
        return lambda: step(torch)

    def run():
        with backends.using_kernels(impl):
            return step(mytorch)
    return run


def _agree(results, tol):
    """Every implementation's output and gradients against the first one's (reference or torch)."""
    names = list(results)
    base_y, base_g = results[names[0]]
    for name in names[1:]:
        y, grads = results[name]
        scale = max(float(np.abs(base_y).max()), 1e-30)
        if np.abs(y - base_y).max() / scale > tol:
            raise AssertionError(f"{name} forward disagrees with {names[0]}")
        for g, bg in zip(grads, base_g):
            if bg is None:
                continue
            g, bg = np.asarray(g.numpy()), np.asarray(bg.numpy())
            if np.abs(g - bg).max() / max(float(np.abs(bg).max()), 1e-30) > tol:
                raise AssertionError(f"{name} gradient disagrees with {names[0]}")


def measure(runners, repeats, settle, burst):
    """Interleaved timings. Each round runs every implementation (in a shuffled order) as a burst of
    ``burst`` back-to-back calls and keeps the times of all but the first: the first call of a burst
    pays for waking its thread pool and for the previous implementation's spinning workers, which a
    training loop calling the same op over and over does not see. The order is shuffled, not rotated:
    rotation keeps every implementation behind the same neighbour, and OpenBLAS's workers spin for
    up to ~0.1 s after the numpy implementation's GEMMs (numba's B on 2 threads: 1.5 ms alone, 3.4
    ms when always timed right after numpy)."""
    times = {name: [] for name in runners}
    names = list(runners)
    order = random.Random(0)
    for fn in runners.values():  # warm-up: numba compiles or loads its cache, BLAS spins up
        fn()
    for r in range(repeats):
        for name in order.sample(names, len(names)):
            if settle:
                time.sleep(settle)
            for i in range(burst):
                t0 = time.perf_counter()
                runners[name]()
                if i or burst == 1:
                    times[name].append(time.perf_counter() - t0)
    out = {}
    for name, ts in times.items():
        ts = np.array(ts) * 1e3
        q1, q3 = np.percentile(ts, [25, 75])
        out[name] = {"median_ms": float(np.median(ts)), "min_ms": float(ts.min()), "iqr_ms": float(q3 - q1)}
    return out


def extra_peak_mib(fn):
    """Peak memory one call allocates beyond what is live before it (tracemalloc sees NumPy's
    allocations; torch's own allocator is invisible to it, so torch reports none)."""
    import tracemalloc
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return (tracemalloc.get_traced_memory()[1] - base) / 2 ** 20
    finally:
        tracemalloc.stop()


def numpy_phases(x, w, b, stride, padding, dy, repeats):
    """The numpy implementation's conv step split into its phases, median ms each."""
    from kernels import im2col as npk
    from kernels._common import conv_geometry
    g = conv_geometry(x.shape, w.shape, stride, padding, 1, 1)
    w2 = w.reshape(g.F, -1)
    cols = npk.im2col(x, (g.KH, g.KW), stride, padding)
    out = w2 @ cols
    dy2 = np.ascontiguousarray(dy.transpose(1, 0, 2, 3)).reshape(g.F, -1)
    dcols = w2.T @ dy2
    phases = {
        "im2col": lambda: npk.im2col(x, (g.KH, g.KW), stride, padding),
        "GEMM forward": lambda: w2 @ cols,
        "bias + NCHW reshape": lambda: out.reshape(g.F, g.N, g.OH, g.OW).transpose(1, 0, 2, 3) + b.reshape(1, -1, 1, 1),
        "dy to (F, N*OH*OW)": lambda: np.ascontiguousarray(dy.transpose(1, 0, 2, 3)),
        "GEMM dW": lambda: cols @ dy2.T,
        "GEMM dx columns": lambda: w2.T @ dy2,
        "col2im": lambda: npk.col2im(dcols, x.shape, (g.KH, g.KW), stride, padding),
        "db": lambda: dy.sum(axis=(0, 2, 3)),
    }
    return {name: float(np.median([_timed(fn) for _ in range(repeats)]) * 1e3) for name, fn in phases.items()}


def gemm_gflops(repeats=7):
    """float32 GEMM throughput NumPy reaches here (a 1024 x 1152 by 1152 x 8192 product)."""
    a = np.random.default_rng(0).standard_normal((1024, 1152)).astype(np.float32)
    b = np.random.default_rng(1).standard_normal((1152, 8192)).astype(np.float32)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(repeats))
    return 2 * 1024 * 1152 * 8192 / best / 1e9


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _set_threads(n):
    mytorch.set_num_threads(n)
    if torch is not None:
        torch.set_num_threads(n)


def profile(shapes, pools, impls, threads, passes, repeats, settle, burst, progress):
    rows = []
    rng = np.random.default_rng(0)
    for n_threads in threads:
        _set_threads(n_threads)
        peak = gemm_gflops()
        for name, (N, C, H, W, Fo, K, S, P) in shapes.items():
            x = rng.standard_normal((N, C, H, W)).astype(np.float32)
            w = (rng.standard_normal((Fo, C, K, K)) / np.sqrt(C * K * K)).astype(np.float32)
            b = rng.standard_normal(Fo).astype(np.float32)
            OH, OW = (H + 2 * P - K) // S + 1, (W + 2 * P - K) // S + 1
            dy = rng.standard_normal((N, Fo, OH, OW)).astype(np.float32)
            flops_fwd = 2.0 * N * Fo * C * K * K * OH * OW
            for backward in passes:
                names = [i for i in impls if i != "reference" or name in REFERENCE_OK]
                runners = {i: _runner(i, lambda lib: _conv_step(lib, x, w, b, S, P, dy, backward)) for i in names}
                _agree({i: r() for i, r in runners.items()}, tol=2e-4)
                new = _rows(name, "conv2d", backward, n_threads, measure(runners, repeats, settle, burst),
                            flops_fwd * (3 if backward else 1), peak)
                for row in new:
                    if row["impl"] != "torch":
                        row["extra_peak_mib"] = extra_peak_mib(runners[row["impl"]])
                if backward and "numpy" in names:
                    new[names.index("numpy")]["numpy_phases_ms"] = numpy_phases(x, w, b, S, P, dy, repeats)
                rows += new
                progress(rows[-1])
        for name, shape in pools.items():
            x = rng.standard_normal(shape).astype(np.float32)
            dy = rng.standard_normal(shape[:2] + (shape[2] // 2, shape[3] // 2)).astype(np.float32)
            for kind in ("max", "avg"):
                for backward in passes:
                    names = [i for i in impls if i != "reference" or name in REFERENCE_OK]
                    runners = {i: _runner(i, lambda lib: _pool_step(lib, kind, x, dy, backward)) for i in names}
                    _agree({i: r() for i, r in runners.items()}, tol=1e-6)
                    rows += _rows(name, kind + "_pool2d", backward, n_threads,
                                  measure(runners, repeats, settle, burst), None, peak)
                    progress(rows[-1])
    return rows


def _rows(shape, op, backward, threads, timings, flops, peak):
    torch_ms = timings.get("torch", {}).get("median_ms")
    rows = []
    for impl, t in timings.items():
        row = dict(shape=shape, op=op, passes="fwd+bwd" if backward else "fwd", threads=threads, impl=impl, **t)
        if flops:
            row["gflops"] = flops / t["median_ms"] / 1e6
            row["pct_gemm"] = 100 * row["gflops"] / peak
        if torch_ms and impl != "torch":
            row["ratio_to_torch"] = t["median_ms"] / torch_ms
        rows.append(row)
    return rows


def geomean(values):
    values = [v for v in values if v]
    return float(np.exp(np.mean(np.log(values)))) if values else None


def print_table(rows):
    head = f"{'shape':5} {'op':11} {'pass':7} {'thr':>3} {'impl':9} {'median ms':>10} {'min ms':>8} {'IQR':>6} " \
           f"{'GFLOP/s':>8} {'%GEMM':>6} {'x torch':>8} {'+MiB':>6}"
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r['shape']:5} {r['op']:11} {r['passes']:7} {r['threads']:>3} {r['impl']:9} {r['median_ms']:>10.2f} "
              f"{r['min_ms']:>8.2f} {r['iqr_ms']:>6.2f} {r.get('gflops', float('nan')):>8.1f} "
              f"{r.get('pct_gemm', float('nan')):>6.1f} {r.get('ratio_to_torch', float('nan')):>8.2f} "
              f"{r.get('extra_peak_mib', float('nan')):>6.1f}")
    for r in rows:
        if "numpy_phases_ms" in r:
            phases = ", ".join(f"{k} {v:.2f}" for k, v in r["numpy_phases_ms"].items())
            print(f"  numpy phases, {r['shape']} fwd+bwd, {r['threads']} thread(s), ms: {phases}")
    summary = {}
    for r in rows:
        if "ratio_to_torch" in r:
            key = (r["op"].replace("max_", "").replace("avg_", "") if "pool" in r["op"] else r["op"],
                   r["passes"], r["threads"], r["impl"])
            summary.setdefault(key, []).append(r["ratio_to_torch"])
    if summary:
        print("\ngeometric mean of time / torch's time")
        for (op, passes, threads, impl), ratios in sorted(summary.items()):
            print(f"  {op:9} {passes:7} {threads} thread(s) {impl:9} {geomean(ratios):.2f}  (max {max(ratios):.2f})")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shapes", default="A,B,C,D,E", help="preset conv shapes (A-E) or 'none'")
    parser.add_argument("--shape", action="append", default=[],
                        help="a custom conv shape N,C,H,W,F,K,stride,padding (repeatable)")
    parser.add_argument("--pools", default="P1,P2", help="preset pooling shapes (P1, P2) or 'none'")
    parser.add_argument("--impls", default="reference,numpy,numba,torch")
    parser.add_argument("--threads", default="2", help="comma-separated thread counts, e.g. 1,2")
    parser.add_argument("--passes", default="fwd+bwd", help="fwd, fwd+bwd, or both comma-separated")
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--burst", type=int, default=3,
                        help="back-to-back calls per implementation and round; the first is not timed")
    parser.add_argument("--settle", type=float, default=0.0, help="ms to sleep before each burst")
    parser.add_argument("--json", help="also write the rows to this JSON file")
    parser.add_argument("--png", help="also write a bar chart of the ratios to torch to this PNG file")
    args = parser.parse_args(argv)

    shapes = {} if args.shapes == "none" else {s: CONV_SHAPES[s] for s in args.shapes.split(",")}
    for i, spec in enumerate(args.shape):
        values = tuple(int(v) for v in spec.split(","))
        if len(values) != 8:
            parser.error(f"--shape needs 8 integers N,C,H,W,F,K,stride,padding, got {spec!r}")
        shapes[f"U{i}"] = values
    pools = {} if args.pools == "none" else {s: POOL_SHAPES[s] for s in args.pools.split(",")}
    impls = [i for i in args.impls.split(",") if i != "torch" or torch is not None]
    unknown = set(impls) - set(kernels.IMPLEMENTATIONS) - {"torch"}
    if unknown:
        parser.error(f"unknown implementations {sorted(unknown)}; choose from reference, numpy, numba, torch")
    passes = [p == "fwd+bwd" for p in args.passes.split(",")]
    threads = [int(t) for t in args.threads.split(",")]

    print(f"# {time.strftime('%Y-%m-%d')}  {platform.processor() or platform.machine()}  python {platform.python_version()}  "
          f"numpy {np.__version__}  torch {torch.__version__ if torch else '-'}  repeats {args.repeats} x burst "
          f"{args.burst}  settle {args.settle} ms", flush=True)
    done = [0]

    def progress(row):
        done[0] += 1
        print(f"  .. {row['shape']} {row['op']} {row['passes']} ({row['threads']} thread(s)) done", file=sys.stderr, flush=True)

    rows = profile(shapes, pools, impls, threads, passes, args.repeats, args.settle / 1e3, args.burst, progress)
    print_table(rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    if args.png:
        bar_chart(rows, args.png)


def bar_chart(rows, path):
    """Median time relative to torch's, one group of bars per shape and pass (log scale)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no chart written", file=sys.stderr)
        return
    keys = sorted({(r["shape"], r["op"], r["passes"], r["threads"]) for r in rows if "ratio_to_torch" in r})
    impls = [i for i in ("reference", "numpy", "numba") if any(r["impl"] == i for r in rows)]
    fig, ax = plt.subplots(figsize=(max(6, 0.6 * len(keys) * len(impls)), 4))
    width = 0.8 / max(len(impls), 1)
    for j, impl in enumerate(impls):
        values = []
        for key in keys:
            match = [r for r in rows if (r["shape"], r["op"], r["passes"], r["threads"]) == key and r["impl"] == impl]
            values.append(match[0].get("ratio_to_torch", np.nan) if match else np.nan)
        ax.bar(np.arange(len(keys)) + j * width, values, width, label=impl)
    ax.axhline(1.0, color="black", lw=0.8)
    ax.set_yscale("log")
    ax.set_xticks(np.arange(len(keys)) + width * (len(impls) - 1) / 2)
    ax.set_xticklabels([f"{s} {op.replace('2d', '')}\n{p} {t}t" for s, op, p, t in keys], fontsize=7)
    ax.set_ylabel("time / torch's time")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


if __name__ == "__main__":
    main()
