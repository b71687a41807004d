"""How tensors print: set_printoptions and torch's repr/str/format rules."""

__all__ = []
