"""``torch.mps``: no Apple GPU here; ``is_available()`` is False, as on a CPU-only torch. The calls are
mytorch.cuda's (the same no-device answers), but ``synchronize`` takes no device, as torch.mps's."""
from mytorch.cuda import device_count, empty_cache, is_available, manual_seed

__all__ = ["is_available", "device_count", "manual_seed", "empty_cache", "synchronize"]


def synchronize():
    pass
