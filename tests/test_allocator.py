"""kernels/_allocator.py: freed array memory stays mapped (glibc), and the setting can be turned off.

The pattern below (arrays of 0.4-16 MB kept and freed in another order, temporaries freed at once)
made glibc with its default thresholds hand ~3,800 pages back to the kernel every round here, each
faulted in again on the next round's first write; with the thresholds raised, a warmed-up round
takes no fault. The bounds (<= 50 faults against >= 1,000) leave room for the interpreter's own
allocations either way."""
import subprocess
import sys

import pytest

_glibc = sys.platform.startswith("linux")
if _glibc:
    import ctypes
    _glibc = hasattr(ctypes.CDLL(None), "gnu_get_libc_version")

PATTERN = """
import resource
import numpy as np
import kernels

def round_():
    keep = []
    for n in (100_000, 300_000, 1_000_000, 2_500_000, 4_000_000):
        keep.append(np.ones(n, np.float32))
        temporary = np.ones(n // 2, np.float32)
        del temporary
    keep.reverse()
    while keep:
        keep.pop()

for _ in range(3):
    round_()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(10):
    round_()
print(kernels._allocator.tune(), (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10)
"""


def _run(env_value):
    import os
    env = dict(os.environ)
    env.pop("MYTORCH_MALLOC_TUNING", None)
    if env_value is not None:
        env["MYTORCH_MALLOC_TUNING"] = env_value
    out = subprocess.run([sys.executable, "-c", PATTERN], env=env, capture_output=True, text=True, check=True)
    applied, faults = out.stdout.split()
    return applied == "True", float(faults)


@pytest.mark.skipif(not _glibc, reason="the thresholds are glibc's")
def test_freed_memory_stays_mapped_unless_turned_off():
    applied, faults = _run(None)
    assert applied and faults <= 50, faults
    applied, faults = _run("0")
    assert not applied and faults >= 1000, faults


def test_tune_is_harmless_where_there_is_no_glibc(monkeypatch):
    from kernels import _allocator
    monkeypatch.setattr(_allocator._State, "applied", None)
    monkeypatch.setattr(_allocator, "_glibc", lambda: None)
    assert _allocator.tune() is False
