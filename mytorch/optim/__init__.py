"""mytorch.optim: optimizers and learning-rate schedulers with torch's update rules.

One module per algorithm (sgd.py, adam.py, ...), each in torch's layers: the class, a functional
(``sgd()``, ``adam()``, ...) that picks the form, and the forms themselves (optimizer.py's
docstring tells the story)."""
from mytorch.optim import lr_scheduler
from mytorch.optim.adadelta import Adadelta
from mytorch.optim.adagrad import Adagrad
from mytorch.optim.adam import Adam, AdamW
from mytorch.optim.adamax import Adamax
from mytorch.optim.asgd import ASGD
from mytorch.optim.lbfgs import LBFGS
from mytorch.optim.nadam import NAdam
from mytorch.optim.optimizer import Optimizer
from mytorch.optim.radam import RAdam
from mytorch.optim.rmsprop import RMSprop
from mytorch.optim.rprop import Rprop
from mytorch.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "Adadelta", "RMSprop", "Adagrad", "Adamax", "NAdam", "RAdam",
           "ASGD", "Rprop", "LBFGS", "lr_scheduler"]
