"""``torch.backends.mkldnn``: oneDNN is not used here; ``enabled`` is a flag that changes nothing."""
enabled = False


def is_available():
    return False
