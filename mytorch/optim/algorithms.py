"""The optimizers' old home, kept so that ``from mytorch.optim.algorithms import SGD`` still works:
each algorithm now lives in its own module (sgd.py, adam.py, ...)."""
from mytorch.optim.adadelta import Adadelta
from mytorch.optim.adagrad import Adagrad
from mytorch.optim.adam import Adam, AdamW
from mytorch.optim.rmsprop import RMSprop
from mytorch.optim.sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Adadelta", "RMSprop", "Adagrad"]
