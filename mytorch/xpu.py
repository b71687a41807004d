"""``torch.xpu``: no Intel GPU here; ``is_available()`` is False, as on a CPU-only torch. The calls are
mytorch.cuda's: the same no-device answers."""
from mytorch.cuda import device_count, empty_cache, is_available, manual_seed, manual_seed_all, synchronize

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "empty_cache", "synchronize"]
