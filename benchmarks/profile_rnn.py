"""Recurrent layers' speed beside torch: each framework alone in its own process, at 1 and 2 threads.

    python -m benchmarks.profile_rnn                         # every case, 1 and 2 threads
    python -m benchmarks.profile_rnn --cases lstm1,cell --threads 1 --repeats 3 --json rnn.json

Cases (the recurrent-layers issue's): forward + backward of LSTM and GRU with batch 64, 28 steps,
input 28, hidden 128, 1 and 2 layers (the loss is the sum of output * a fixed random tensor, so
every output position sends a gradient back); ``cell``, a batch-1 LSTMCell(28, 128) inference loop
of 28 steps under no_grad (time per step: Python overhead per call dominates here); ``mnist``, one
training step of the MNIST-row model of ``mytorch.examples.mnist --model lstm`` (zero_grad,
forward, cross-entropy, backward, Adam step) on a batch of 64.

Why one process per framework and thread count: torch's OpenMP workers and OpenBLAS's workers spin
for a while after each call, so running the two side by side in one process makes each pay for the
other. A worker process sets its thread count, warms up (numba compiles or loads its cache, the
allocators settle), then times ``--reps`` calls; the parent repeats the pair of processes
``--repeats`` times, alternating which framework goes first, and reports the median of all timed
calls (and the spread of the per-process medians). Before timing a case, a separate process checks
mytorch's numbers against torch's from the same weights (a mismatch aborts), so that no timing
process ever imports the other framework. Nothing here asserts a time: the targets are read off
the ratio column.
"""
import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CASES = {
    # name: (kind, num_layers) for the layer cases
    "lstm1": ("LSTM", 1), "lstm2": ("LSTM", 2), "gru1": ("GRU", 1), "gru2": ("GRU", 2),
    "cell": None, "mnist": None,
}
TARGETS = {"cell": 1.5}  # every other case: 1.0
BATCH, STEPS, INPUT, HIDDEN = 64, 28, 28, 128


def _arrays(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, STEPS, INPUT)).astype(np.float32)
    upstream = rng.standard_normal((BATCH, STEPS, HIDDEN)).astype(np.float32)
    return x, upstream


def _same_weights(ours, theirs):
    """Copies torch's state into mytorch's module."""
    import mytorch
    ours.load_state_dict({k: mytorch.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})


def _layer_case(lib, kind, layers):
    m = getattr(lib.nn, kind)(INPUT, HIDDEN, num_layers=layers, batch_first=True)
    x, upstream = _arrays()
    xt, ut = lib.tensor(x, requires_grad=True), lib.tensor(upstream)

    def step():
        m.zero_grad()
        xt.grad = None
        out, _ = m(xt)
        (out * ut).sum().backward()
        return out

    def result():
        out = step()
        return [out.detach().numpy(), xt.grad.numpy()] + [p.grad.numpy() for p in m.parameters()]
    return m, step, result


def _cell_case(lib):
    cell = lib.nn.LSTMCell(INPUT, HIDDEN)
    x, _ = _arrays()
    xs = [lib.tensor(x[0, t:t + 1]) for t in range(STEPS)]

    def step():
        h = (lib.zeros(1, HIDDEN), lib.zeros(1, HIDDEN))
        with lib.no_grad():
            for xt in xs:
                h = cell(xt, h)
        return h

    def result():
        h, c = step()
        return [h.numpy(), c.numpy()]
    return cell, step, result


def _mnist_case(lib):
    sys.path.insert(0, ROOT)
    from mytorch.examples.mnist import build_model
    lib.manual_seed(0)
    model = build_model(lib, "lstm")
    optimizer = lib.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(1)
    images = lib.tensor(rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32))
    labels = lib.tensor(rng.integers(0, 10, BATCH).astype(np.int64))

    def step():
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        return loss

    def result():
        # One forward + backward without the optimizer step, so both frameworks stay comparable.
        optimizer.zero_grad()
        loss = lib.nn.functional.cross_entropy(model(images), labels)
        loss.backward()
        return [loss.detach().numpy()] + [p.grad.numpy() for p in model.parameters()]
    return model, step, result


def _build(lib, case):
    if case == "cell":
        return _cell_case(lib)
    if case == "mnist":
        return _mnist_case(lib)
    return _layer_case(lib, *CASES[case])


def _check_against_torch(case):
    """mytorch's results against torch's from the same weights (float32 round-off)."""
    import mytorch
    import torch
    ours_module, _, ours_result = _build(mytorch, case)
    theirs_module, _, theirs_result = _build(torch, case)
    _same_weights(ours_module, theirs_module)
    for i, (a, b) in enumerate(zip(ours_result(), theirs_result())):
        scale = max(float(np.abs(b).max()), 1e-3)
        err = float(np.abs(a - b).max()) / scale
        if not err <= 1e-4:
            raise SystemExit(f"{case}: result {i} differs from torch by {err:.2e} of its scale")


def worker(framework, case, threads, reps, warmup):
    lib = __import__(framework)
    lib.set_num_threads(threads)
    _, step, _ = _build(lib, case)
    for _ in range(warmup):
        step()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    if case == "cell":
        times = [t / STEPS for t in times]
    return times


def _spawn(framework, case, threads, reps, warmup):
    cmd = [sys.executable, "-m", "benchmarks.profile_rnn", "--worker", framework, "--cases", case,
           "--threads", str(threads), "--reps", str(reps), "--warmup", str(warmup)]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    out = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{framework} {case} x{threads} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, from {', '.join(CASES)}")
    p.add_argument("--threads", default="1,2")
    p.add_argument("--frameworks", default="mytorch,torch")
    p.add_argument("--reps", type=int, default=30, help="timed calls per process")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--repeats", type=int, default=2, help="processes per framework, case and thread count")
    p.add_argument("--json", help="write every timing here")
    p.add_argument("--worker", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    cases = args.cases.split(",")
    for c in cases:
        if c not in CASES:
            p.error(f"unknown case {c!r}; choose from {', '.join(CASES)}")
    if args.worker == "check":
        _check_against_torch(cases[0])
        print(json.dumps("ok"))
        return
    if args.worker:
        times = worker(args.worker, cases[0], int(args.threads), args.reps, args.warmup)
        print(json.dumps(times))
        return
    frameworks = args.frameworks.split(",")
    have_torch = importlib.util.find_spec("torch") is not None  # the check needs it; no timing imports it
    results = {}
    print(f"{'case':7s} {'thr':>3s} " + " ".join(f"{f + ' ms':>14s}" for f in frameworks)
          + ("   ratio (target)" if len(frameworks) == 2 else ""))
    for case in cases:
        if have_torch:
            _spawn("check", case, 1, 0, 0)
        for threads in (int(t) for t in args.threads.split(",")):
            per = {f: [] for f in frameworks}
            medians = {f: [] for f in frameworks}
            for r in range(args.repeats):
                order = frameworks if r % 2 == 0 else frameworks[::-1]
                for f in order:
                    times = _spawn(f, case, threads, args.reps, args.warmup)
                    per[f] += times
                    medians[f].append(statistics.median(times))
            results[f"{case}/{threads}"] = per
            unit = 1e6 if case == "cell" else 1e3
            cells = []
            for f in frameworks:
                spread = f"±{(max(medians[f]) - min(medians[f])) / 2 * unit:.2f}" if len(medians[f]) > 1 else ""
                cells.append(f"{statistics.median(per[f]) * unit:8.3f}{spread:>6s}")
            line = f"{case:7s} {threads:3d} " + " ".join(f"{c:>14s}" for c in cells)
            if len(frameworks) == 2:
                ratio = statistics.median(per[frameworks[0]]) / statistics.median(per[frameworks[1]])
                line += f"   {ratio:5.2f}x ({TARGETS.get(case, 1.0):.1f})"
            print(line + ("   (us per step)" if case == "cell" else ""), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f)


if __name__ == "__main__":
    main()
