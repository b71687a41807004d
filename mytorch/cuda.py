"""No CUDA here: ``mytorch.cuda.is_available()`` is False, as on a CPU-only torch; the calls that
training scripts make unconditionally (seeding, cache clearing, synchronising) do nothing."""
from mytorch import amp

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "empty_cache", "synchronize",
           "current_device", "memory_allocated", "max_memory_allocated", "reset_peak_memory_stats", "amp",
           "get_device_properties", "get_device_name", "get_device_capability", "is_bf16_supported"]


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    pass


manual_seed_all = manual_seed


def empty_cache():
    pass


def synchronize(device=None):
    pass


def current_device():
    raise RuntimeError("mytorch runs on the CPU only: there is no current CUDA device "
                       "(mytorch.cuda.is_available() is False)")


def memory_allocated(device=None):
    return 0


max_memory_allocated = memory_allocated


def reset_peak_memory_stats(device=None):
    pass


def _not_compiled(*args, **kwargs):
    raise AssertionError("Torch not compiled with CUDA enabled")  # torch's CPU build: same type and text


get_device_properties = get_device_name = get_device_capability = _not_compiled


def is_bf16_supported(including_emulation=True):
    return False
