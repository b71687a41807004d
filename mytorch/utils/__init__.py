from mytorch.utils import checkpoint, data

__all__ = ["checkpoint", "data"]
