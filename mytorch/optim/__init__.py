"""mytorch.optim: optimizers and learning-rate schedulers with torch's update rules."""
from mytorch.optim import lr_scheduler
from mytorch.optim.algorithms import SGD, Adadelta, Adagrad, Adam, AdamW, RMSprop
from mytorch.optim.optimizer import Optimizer

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adadelta", "RMSprop", "Adagrad", "lr_scheduler"]
