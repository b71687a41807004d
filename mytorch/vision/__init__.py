"""mytorch.vision: dataset readers (the full torchvision-style API arrives with the drop-in API issue)."""
