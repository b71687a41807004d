"""``torch.xpu``: no Intel GPU here; ``is_available()`` is False, as on a CPU-only torch."""


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
