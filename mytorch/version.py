"""``torch.version``: this build has no CUDA, HIP or XPU."""
__version__ = "0.1.0"
cuda = None
hip = None
xpu = None
git_version = "unknown"
debug = False
