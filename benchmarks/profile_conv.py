"""Conv2d and pooling throughput through mytorch's public API, side by side with torch.

    python -m benchmarks.profile_conv                      # shapes A-E + pooling, 2 threads
    python -m benchmarks.profile_conv --threads 1,2 --json results.json --png results.png
    python -m benchmarks.profile_conv --shape 16,3,64,64,32,3,1,1 --impls numpy,numba
    python -m benchmarks.profile_conv --impls numba,torch --threads 1,2   # the kernels targets
    python -m benchmarks.profile_conv --zoo --threads 1,2,4,8,16 --passes fwd,fwd+bwd --json zoo.json --png zoo.png
    python -m benchmarks.profile_conv --serial --threads 1,16        # Amdahl's serial fraction per layer

``--zoo`` times issue 14's layer list (conv and pooling kinds: LeNet, MNIST CNN, ResNet-18 on CIFAR
with its stride-2 and 1x1 layers, a 7x7 stem, depthwise, pointwise, grouped, dilated, 5x5, odd
planes, batch 1 and 256), each framework alone in a process of its own (after checking once that
they agree), and plots time against threads for both.

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


# ---------------------------------------------------------------------------- the layer zoo
# Each layer as (N, C, H, W, F, KH, KW, stride, padding, dilation, groups): the kinds issue 14 names.
ZOO_CONV = {
    "lenet1": (64, 1, 28, 28, 6, 5, 5, 1, 2, 1, 1),
    "lenet2": (64, 6, 14, 14, 16, 5, 5, 1, 0, 1, 1),
    "mnist1": (64, 1, 28, 28, 32, 3, 3, 1, 0, 1, 1),
    "mnist2": (64, 32, 26, 26, 64, 3, 3, 1, 0, 1, 1),
    "res64": (32, 64, 32, 32, 64, 3, 3, 1, 1, 1, 1),
    "res128": (32, 128, 16, 16, 128, 3, 3, 1, 1, 1, 1),
    "res256": (32, 256, 8, 8, 256, 3, 3, 1, 1, 1, 1),
    "res512": (32, 512, 4, 4, 512, 3, 3, 1, 1, 1, 1),
    "res_s2_128": (32, 64, 32, 32, 128, 3, 3, 2, 1, 1, 1),
    "res_s2_256": (32, 128, 16, 16, 256, 3, 3, 2, 1, 1, 1),
    "res_down_1x1": (32, 64, 32, 32, 128, 1, 1, 2, 0, 1, 1),
    "stem7x7": (8, 3, 112, 112, 64, 7, 7, 2, 3, 1, 1),
    "dw_s1": (32, 64, 28, 28, 64, 3, 3, 1, 1, 1, 64),
    "dw_s2": (32, 128, 28, 28, 128, 3, 3, 2, 1, 1, 128),
    "pointwise": (32, 64, 28, 28, 128, 1, 1, 1, 0, 1, 1),
    "grouped": (32, 64, 28, 28, 64, 3, 3, 1, 1, 1, 4),
    "dilated": (32, 32, 32, 32, 32, 3, 3, 1, 2, 2, 1),
    "dilated_64": (8, 64, 64, 64, 64, 3, 3, 1, 2, 2, 1),
    "5x5_pad": (32, 16, 28, 28, 32, 5, 5, 1, 2, 1, 1),
    "odd15": (32, 24, 15, 15, 48, 3, 3, 1, 1, 1, 1),
    "batch1_56": (1, 64, 56, 56, 64, 3, 3, 1, 1, 1, 1),
    "batch1_s2": (1, 128, 28, 28, 256, 3, 3, 2, 1, 1, 1),
    "batch256": (256, 6, 14, 14, 16, 5, 5, 1, 0, 1, 1),
}
# (N, C, H, W, op, arguments)
ZOO_POOL = {
    "max2_s": (64, 6, 28, 28, "max_pool2d", dict(kernel_size=2)),
    "max2_l": (32, 64, 32, 32, "max_pool2d", dict(kernel_size=2)),
    "avg2_s": (64, 6, 28, 28, "avg_pool2d", dict(kernel_size=2)),
    "avg2_l": (32, 64, 32, 32, "avg_pool2d", dict(kernel_size=2)),
    "max3s2p1": (32, 64, 56, 56, "max_pool2d", dict(kernel_size=3, stride=2, padding=1)),
    "avg_ceil": (32, 64, 15, 15, "avg_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                                    count_include_pad=False)),
    "max_odd": (32, 32, 15, 17, "max_pool2d", dict(kernel_size=2, ceil_mode=True)),
    "global_avg": (32, 512, 7, 7, "adaptive_avg_pool2d", dict(output_size=1)),
    "adaptive": (32, 64, 15, 15, "adaptive_avg_pool2d", dict(output_size=(4, 4))),
}


def _zoo_arrays(name):
    rng = np.random.default_rng(sum(map(ord, name)))
    if name in ZOO_CONV:
        N, C, H, W, Fo, KH, KW, S, P, D, G = ZOO_CONV[name]
        OH, OW = (H + 2 * P - D * (KH - 1) - 1) // S + 1, (W + 2 * P - D * (KW - 1) - 1) // S + 1
        return (rng.standard_normal((N, C, H, W)).astype(np.float32),
                (rng.standard_normal((Fo, C // G, KH, KW)) / np.sqrt(C // G * KH * KW)).astype(np.float32),
                rng.standard_normal(Fo).astype(np.float32), rng.standard_normal((N, Fo, OH, OW)).astype(np.float32))
    N, C, H, W, _, _ = ZOO_POOL[name]
    return (rng.standard_normal((N, C, H, W)).astype(np.float32),)


def _zoo_step(lib, name, arrays, backward):
    """One forward (+ backward) of zoo layer ``name`` in ``lib`` (mytorch or torch); returns the
    output and the gradients as arrays."""
    F_ = lib.nn.functional
    if name in ZOO_CONV:
        x, w, b, dy = arrays
        S, P, D, G = ZOO_CONV[name][7:]
        ts = [lib.from_numpy(a).requires_grad_(backward) for a in (x, w, b)]
        y = F_.conv2d(*ts, S, P, D, G)
    else:
        op, kwargs = ZOO_POOL[name][4:]
        ts = [lib.from_numpy(arrays[0]).requires_grad_(backward)]
        y = getattr(F_, op)(ts[0], **kwargs)
        dy = np.ones(tuple(y.shape), np.float32)
    if backward:
        y.backward(lib.from_numpy(dy))
    return [y.detach().numpy()] + ([t.grad.numpy() for t in ts] if backward else [])


def zoo_worker(framework, threads, layers, passes, repeats, burst, path):
    """Runs in its own process: times every zoo layer in one framework at each thread count and
    writes the rows to ``path`` (JSON)."""
    lib = torch if framework == "torch" else mytorch
    rows = []
    for n in threads:
        lib.set_num_threads(n)
        for name in layers:
            arrays = _zoo_arrays(name)
            for backward in passes:
                step = lambda: _zoo_step(lib, name, arrays, backward)  # noqa: E731
                step()
                step()  # warm-up: compilation or cache load, pools started, scratch allocated
                times = []
                for _ in range(repeats):
                    for i in range(burst):
                        t0 = time.perf_counter()
                        step()
                        if i or burst == 1:
                            times.append((time.perf_counter() - t0) * 1e3)
                rows.append(dict(layer=name, kind="conv" if name in ZOO_CONV else "pool",
                                 passes="fwd+bwd" if backward else "fwd", threads=n, framework=framework,
                                 median_ms=float(np.median(times)), min_ms=float(np.min(times))))
                print(f"  .. {framework} {n}t {name} {rows[-1]['passes']} {rows[-1]['median_ms']:.2f} ms",
                      file=sys.stderr, flush=True)
    with open(path, "w") as f:
        json.dump(rows, f)


def zoo_check(layers):
    """mytorch against torch on every zoo layer (forward and gradients), once, before any timing."""
    for name in layers:
        arrays = _zoo_arrays(name)
        for got, want in zip(_zoo_step(mytorch, name, arrays, True), _zoo_step(torch, name, arrays, True)):
            scale = max(float(np.abs(want).max()), 1e-30)
            if np.abs(got - want).max() / scale > 2e-4:
                raise AssertionError(f"zoo layer {name}: mytorch disagrees with torch")


def run_zoo(args):
    import subprocess
    import tempfile
    layers = [n for n in (args.layers.split(",") if args.layers else list(ZOO_CONV) + list(ZOO_POOL))]
    unknown = [n for n in layers if n not in ZOO_CONV and n not in ZOO_POOL]
    if unknown:
        raise SystemExit(f"unknown zoo layers {unknown}; choose from {list(ZOO_CONV) + list(ZOO_POOL)}")
    frameworks = ["mytorch"] + (["torch"] if torch is not None else [])
    if torch is not None and not args.no_check:
        zoo_check(layers)
    rows = []
    for framework in frameworks:
        with tempfile.TemporaryDirectory() as tmp:
            out = f"{tmp}/{framework}.json"
            cmd = [sys.executable, "-m", "benchmarks.profile_conv", "--zoo-worker", framework, "--threads",
                   args.threads, "--passes", args.passes, "--repeats", str(args.repeats), "--burst", str(args.burst),
                   "--layers", ",".join(layers), "--json", out]
            subprocess.run(cmd, check=True)
            with open(out) as f:
                rows += json.load(f)
    by_key = {(r["layer"], r["passes"], r["threads"], r["framework"]): r for r in rows}
    for r in rows:
        if r["framework"] == "mytorch" and (r["layer"], r["passes"], r["threads"], "torch") in by_key:
            r["ratio_to_torch"] = r["median_ms"] / by_key[(r["layer"], r["passes"], r["threads"], "torch")]["median_ms"]
    print_zoo(rows)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    if args.png:
        scaling_plot(rows, args.png)


def print_zoo(rows):
    threads = sorted({r["threads"] for r in rows})
    keys = sorted({(r["layer"], r["passes"]) for r in rows}, key=lambda k: (k[0] not in ZOO_CONV, k))
    print(f"{'layer':14} {'pass':7} " + " ".join(f"{f'{t} thr: mytorch / torch = ratio':>34}" for t in threads))
    find = {(r["layer"], r["passes"], r["threads"], r["framework"]): r for r in rows}
    for layer, passes in keys:
        cells = []
        for t in threads:
            m, tt = find.get((layer, passes, t, "mytorch")), find.get((layer, passes, t, "torch"))
            ratio = m.get("ratio_to_torch") if m else None
            ours, theirs = (r["median_ms"] if r else float("nan") for r in (m, tt))
            cells.append(f"{ours:>9.2f} / {theirs:>9.2f}"
                         f" = {ratio if ratio else float('nan'):>5.2f}".rjust(34))
        print(f"{layer:14} {passes:7} " + " ".join(cells))
    print("\ngeometric mean of mytorch's time / torch's (max in brackets)")
    for kind in ("conv", "pool"):
        for passes in sorted({r["passes"] for r in rows}):
            for t in threads:
                ratios = [r["ratio_to_torch"] for r in rows if r["kind"] == kind and r["passes"] == passes
                          and r["threads"] == t and "ratio_to_torch" in r]
                if ratios:
                    print(f"  {kind} {passes:7} {t:>2} thread(s): {geomean(ratios):.2f}  ({max(ratios):.2f})")


def scaling_plot(rows, path):
    """Time against threads, both frameworks: per layer (left, log-log, mytorch solid, torch dashed)
    and the geometric mean of the ratio (right)."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot written", file=sys.stderr)
        return
    threads = sorted({r["threads"] for r in rows})
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    layers = sorted({r["layer"] for r in rows if r["passes"] == "fwd+bwd"})
    colors = plt.cm.tab20(np.linspace(0, 1, max(len(layers), 1)))
    for color, layer in zip(colors, layers):
        for framework, style in (("mytorch", "-"), ("torch", "--")):
            pts = sorted((r["threads"], r["median_ms"]) for r in rows if r["layer"] == layer
                         and r["framework"] == framework and r["passes"] == "fwd+bwd")
            if pts:
                left.plot(*zip(*pts), style, color=color, marker="o", ms=3,
                          label=layer if framework == "mytorch" else None)
    left.set_xscale("log", base=2)
    left.set_yscale("log")
    left.set_xticks(threads, [str(t) for t in threads])
    left.set_xlabel("threads")
    left.set_ylabel("fwd+bwd median ms (mytorch solid, torch dashed)")
    left.legend(fontsize=6, ncol=2)
    for kind in ("conv", "pool"):
        for passes in sorted({r["passes"] for r in rows}):
            ys = [geomean([r["ratio_to_torch"] for r in rows if r["kind"] == kind and r["passes"] == passes
                           and r["threads"] == t and "ratio_to_torch" in r]) for t in threads]
            if any(ys):
                right.plot(threads, ys, marker="o", label=f"{kind} {passes}")
    right.axhline(1.0, color="black", lw=0.8)
    right.set_xscale("log", base=2)
    right.set_xticks(threads, [str(t) for t in threads])
    right.set_xlabel("threads")
    right.set_ylabel("geomean mytorch time / torch time")
    right.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def serial_report(layers, threads, repeats):
    """Amdahl's serial fraction per zoo layer from mytorch's fwd+bwd times at 1 and n threads
    (T_n = T_1 * (s + (1 - s) / n)), and the fixed cost of a call (Python, dispatch, allocation):
    the same layer at batch 1 on a 4x4 plane, where the arithmetic is negligible."""
    def median_ms(fn):
        fn()
        fn()
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            fn()
            ts.append((time.perf_counter() - t0) * 1e3)
        return float(np.median(ts))
    print(f"{'layer':14} " + " ".join(f"{f'{t} thr ms':>10}" for t in threads) + "   serial fraction   fixed cost ms")
    for name in layers:
        if name not in ZOO_CONV:
            continue
        arrays = _zoo_arrays(name)
        times = []
        for t in threads:
            mytorch.set_num_threads(t)
            times.append(median_ms(lambda: _zoo_step(mytorch, name, arrays, True)))
        n, t1, tn = threads[-1], times[0], times[-1]
        serial = (tn / t1 - 1 / n) / (1 - 1 / n) if n > 1 else float("nan")
        N, C, H, W, Fo, KH, KW, S, P, D, G = ZOO_CONV[name]
        tiny = dict(ZOO_CONV)
        tiny[name] = (1, C, max(4, D * (KH - 1) + 1), max(4, D * (KW - 1) + 1), Fo, KH, KW, S, P, D, G)
        small = _tiny_arrays(tiny[name])
        mytorch.set_num_threads(threads[-1])
        fixed = median_ms(lambda: _zoo_step_spec(mytorch, tiny[name], small))
        print(f"{name:14} " + " ".join(f"{x:>10.2f}" for x in times) + f"   {serial:>15.2f}   {fixed:>13.3f}",
              flush=True)


def _tiny_arrays(spec):
    N, C, H, W, Fo, KH, KW, S, P, D, G = spec
    OH, OW = (H + 2 * P - D * (KH - 1) - 1) // S + 1, (W + 2 * P - D * (KW - 1) - 1) // S + 1
    rng = np.random.default_rng(0)
    shapes = ((N, C, H, W), (Fo, C // G, KH, KW), (Fo,), (N, Fo, OH, OW))
    return tuple(rng.standard_normal(s).astype(np.float32) for s in shapes)


def _zoo_step_spec(lib, spec, arrays):
    x, w, b, dy = arrays
    S, P, D, G = spec[7:]
    ts = [lib.from_numpy(a).requires_grad_(True) for a in (x, w, b)]
    lib.nn.functional.conv2d(*ts, S, P, D, G).backward(lib.from_numpy(dy))


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
    parser.add_argument("--png", help="also write a bar chart of the ratios to torch to this PNG file "
                                      "(with --zoo: the scaling plot, time against threads)")
    parser.add_argument("--zoo", action="store_true",
                        help="the layer zoo of issue 14, each framework timed alone in its own process")
    parser.add_argument("--layers", help="with --zoo: a comma-separated subset of the zoo's layers")
    parser.add_argument("--no-check", action="store_true", help="with --zoo: skip the agreement check")
    parser.add_argument("--zoo-worker", help=argparse.SUPPRESS)
    parser.add_argument("--serial", action="store_true",
                        help="mytorch's serial fraction per zoo conv layer (times at the --threads counts) and "
                             "the fixed cost of a call")
    args = parser.parse_args(argv)
    if args.serial:
        layers = args.layers.split(",") if args.layers else list(ZOO_CONV)
        return serial_report(layers, [int(t) for t in args.threads.split(",")], args.repeats)
    if args.zoo_worker:
        return zoo_worker(args.zoo_worker, [int(t) for t in args.threads.split(",")], args.layers.split(","),
                          [p == "fwd+bwd" for p in args.passes.split(",")], args.repeats, args.burst, args.json)
    if args.zoo:
        return run_zoo(args)

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
