from mytorch.utils import data

__all__ = ["data"]
