"""pytest-benchmark setup: ``pytest --benchmark-only`` times; plain ``pytest`` runs each benchmark
once, untimed, as a correctness test.

(``--benchmark-disable`` in addopts would make ``--benchmark-only`` a usage error, so the choice is
made here.)
"""
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

if os.environ.get("MYTORCH_BENCH_WITHOUT_TORCH"):
    # A timing worker for mytorch alone: torch's OpenMP threads in the same process slow mytorch's
    # kernels (docs/PERFORMANCE.md), so the scripts' mytorch workers never import it.
    torch = None
else:
    try:
        import torch
    except ImportError:
        torch = None


def pytest_configure(config):
    option = config.option
    if not getattr(option, "benchmark_only", False) and not getattr(option, "benchmark_enable", False):
        option.benchmark_disable = True


def impl_param(name):
    marks = [pytest.mark.skipif(torch is None, reason="torch is not installed")] if name == "torch" else []
    return pytest.param(name, marks=marks, id=name)


def scaled_error(ours, theirs, floor=0.0):
    ours, theirs = np.asarray(ours, np.float64), np.asarray(theirs, np.float64)
    return np.abs(ours - theirs).max() / max(np.abs(theirs).max(), floor, 1e-30)
