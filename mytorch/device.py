"""mytorch runs on the CPU only; the device API exists so torch scripts run unchanged."""

__all__ = ["device", "set_default_device", "get_default_device"]


class device:
    """``mytorch.device("cpu")``. Any other device type raises, naming what is available."""

    __slots__ = ("type", "index")

    def __init__(self, type="cpu", index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        name = str(type)
        kind, _, idx = name.partition(":")
        if kind != "cpu":
            raise RuntimeError(f"mytorch runs on the CPU only; device '{name}' is not available "
                               "(mytorch.cuda.is_available() is False)")
        self.type = "cpu"
        self.index = int(idx) if idx else index

    def __repr__(self):
        return "device(type='cpu')"

    def __str__(self):
        return "cpu"

    def __eq__(self, other):
        return isinstance(other, (device, str)) and str(other).partition(":")[0] == "cpu"

    def __hash__(self):
        return hash("cpu")


def set_default_device(device_name):
    """Only the CPU exists; ``set_default_device("cpu")`` (or None) is accepted, others raise."""
    if device_name is not None:
        device(device_name)


def get_default_device():
    return device("cpu")
