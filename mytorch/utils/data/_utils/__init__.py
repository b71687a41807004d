"""torch.utils.data._utils: collate and worker helpers behind DataLoader."""
from mytorch.utils.data._utils import collate, worker

__all__ = ["collate", "worker"]
