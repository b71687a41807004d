import os
import sys

import pytest

# The tests import the repository's own packages even before `pip install -e .`.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import torch
except ImportError:  # torch is an optional oracle: tests that need it skip cleanly
    torch = None

requires_torch = pytest.mark.skipif(torch is None, reason="torch is not installed (optional test oracle)")

from hypothesis import settings  # noqa: E402

# CI draws the same examples every run (a red CI must be reproducible); locally hypothesis explores.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
