"""How much of torch's everyday surface mytorch has: ``python -m mytorch._coverage [-v]``.

Reads the names of issue 11's bullets from mytorch/_everyday.txt (torch.X, Tensor.X, torch.nn.X,
...). For each: does mytorch have it; and, where torch is installed and the name is a function or
method, does it agree with torch on a probe: the same random float inputs are passed in a few
simple call patterns ((x,), (x, y), (x, 1), (x, 0.5), (x, y, z)); the first pattern torch accepts
must give mytorch the same values, shape and dtype. Names no pattern fits (modules, factories,
hooks) count as present but unprobed: their own tests check them.
"""
import argparse
import os
import sys
import warnings

import numpy as np

import mytorch

LIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "_everyday.txt")


def entries(path=LIST):
    """(name, tags) per line; tags after the name: 'random' (values differ by design: the probe
    compares shape and dtype only), 'state' (changes global state: never called)."""
    out = []
    with open(path) as f:
        for line in f:
            line = line.split("#", 1)[0].strip() if not line.startswith("#") else ""
            if line:
                name, *tags = line.split()
                out.append((name, set(tags)))
    return out


def names(path=LIST):
    return [n for n, _ in entries(path)]


def _resolve(root, dotted):
    obj = root
    for part in dotted.split("."):
        obj = getattr(obj, part)
    return obj


def lookup(lib, name):
    """The object ``name`` (torch-spelled) means in ``lib`` (mytorch or torch), or None."""
    head, _, rest = name.partition(".")
    try:
        if head == "Tensor":
            return _resolve(lib.Tensor, rest)
        return _resolve(lib, rest)
    except AttributeError:
        return None


def _probe_inputs(lib, seed=0):
    rng = np.random.default_rng(seed)
    return [lib.tensor(rng.uniform(0.1, 0.9, (3, 4)).astype(np.float32)) for _ in range(3)]


_PATTERNS = [lambda x, y, z: (x,), lambda x, y, z: (x, y), lambda x, y, z: (x, 1),
             lambda x, y, z: (x, 0.5), lambda x, y, z: (x, y, z)]


def _as_array(r):
    if isinstance(r, tuple):
        return [_as_array(v) for v in r]
    if hasattr(r, "detach"):
        return (str(r.dtype).split(".")[-1], np.asarray(r.detach().numpy(), np.float64))
    if isinstance(r, np.ndarray):
        return (str(r.dtype), r.astype(np.float64))
    return r


def _shape_only(r):
    if isinstance(r, list):
        return [_shape_only(v) for v in r]
    if isinstance(r, tuple) and len(r) == 2 and isinstance(r[1], np.ndarray):
        return (r[0], np.zeros(r[1].shape))
    return r


def _same(a, b):
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == 2 and isinstance(a[1], np.ndarray):
        return a[0] == b[0] and a[1].shape == b[1].shape and np.allclose(a[1], b[1], rtol=1e-4, atol=1e-5,
                                                                         equal_nan=True)
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


def probe(name, ours, theirs, torch, random=False):
    """True (agrees), False (differs or fails where torch works) or None (no pattern applies)."""
    if isinstance(theirs, type) or not callable(theirs):
        return None
    for pattern in _PATTERNS:
        t_args = pattern(*_probe_inputs(torch))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = _as_array(theirs(*t_args))
        except Exception:
            continue
        if expected is None or (not isinstance(expected, (tuple, list)) and not hasattr(expected, "__len__")
                                and not isinstance(expected, (bool, int, float))):
            return None
        m_args = pattern(*_probe_inputs(mytorch))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                got = _as_array(ours(*m_args))
        except Exception:
            return False
        if random:
            got, expected = _shape_only(got), _shape_only(expected)
        return _same(got, expected)
    return None


def report(verbose=False):
    try:
        import torch
    except ImportError:
        torch = None
    rows = []
    for name, tags in entries():
        ours = lookup(mytorch, name)
        theirs = lookup(torch, name) if torch is not None else None
        agree = None
        if ours is not None and theirs is not None and "state" not in tags:
            agree = probe(name, ours, theirs, torch, random="random" in tags)
        rows.append((name, ours is not None, agree))
    total = len(rows)
    present = sum(1 for _, ok, _ in rows if ok)
    probed = [a for _, ok, a in rows if ok and a is not None]
    agree = sum(1 for a in probed if a)
    print(f"everyday surface (mytorch/_everyday.txt): {present}/{total} names present "
          f"({100 * present / total:.1f}%)")
    if torch is not None:
        print(f"probed against torch {torch.__version__}: {agree}/{len(probed)} agree; "
              f"{present - len(probed)} present names need their own tests (modules, factories, hooks)")
    missing = [n for n, ok, _ in rows if not ok]
    differ = [n for n, ok, a in rows if ok and a is False]
    if missing:
        print("missing: " + ", ".join(missing))
    if differ:
        print("differ from torch on the probe: " + ", ".join(differ))
    if verbose:
        for name, ok, a in rows:
            print(f"  {name:55} {'present' if ok else 'MISSING':8} "
                  f"{'' if a is None else ('agrees' if a else 'DIFFERS')}")
    return present, total, agree, len(probed)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(argv)
    report(args.verbose)
    return 0


if __name__ == "__main__":
    sys.exit(main())
