"""``torch.backends.cudnn``: no cuDNN here. The flags scripts set (``benchmark``, ``deterministic``,
``enabled``, ``allow_tf32``) are plain module attributes that change nothing."""
enabled = True
benchmark = False
deterministic = False
allow_tf32 = True
benchmark_limit = 10


def is_available():
    return False


def version():
    return None
