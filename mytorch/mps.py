"""``torch.mps``: no Apple GPU here; ``is_available()`` is False, as on a CPU-only torch."""


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    pass


def empty_cache():
    pass


def synchronize():
    pass
