"""An optimizer step is an in-place change of each updated parameter: a graph that saved a parameter
before step() fails at its next backward with torch's error instead of giving a gradient of the old
values; a graph that did not save it still runs. Compared with torch's behaviour for every optimizer.
"""
import pytest

import mytorch
from conftest import requires_torch, torch

_OPTIMIZERS = ["SGD", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "ASGD", "NAdam", "RAdam", "RMSprop",
               "Rprop", "LBFGS"]


def _second_backward(m, name, x_requires_grad, **kw):
    """loss = (w * x).sum(); backward, step, backward again: "ok" or the RuntimeError's text. w * x
    saves w only when x needs a gradient, so with x constant the second backward is legal."""
    w = m.tensor([1.0, 2.0], requires_grad=True)
    x = m.tensor([3.0, 4.0], requires_grad=x_requires_grad)
    opt = getattr(m.optim, name)([w], lr=0.1, **kw)
    loss = (w * x).sum()
    loss.backward(retain_graph=True)
    version = w._version
    opt.step((lambda: (w * x).sum()) if name == "LBFGS" else None)
    assert w._version > version
    try:
        loss.backward()
    except RuntimeError as exc:
        return str(exc).split(":")[0]
    return "ok"


@requires_torch
@pytest.mark.parametrize("x_requires_grad", [True, False])
@pytest.mark.parametrize("name", _OPTIMIZERS)
def test_step_between_backwards_as_torch(name, x_requires_grad):
    ours = _second_backward(mytorch, name, x_requires_grad)
    assert ours == _second_backward(torch, name, x_requires_grad)
    assert ours == ("one of the variables needed for gradient computation has been modified by an inplace "
                    "operation" if x_requires_grad else "ok")


@pytest.mark.parametrize("name,kw", [("SGD", {"fused": True}), ("Adam", {"fused": True}),
                                     ("AdamW", {"fused": True}), ("Adagrad", {"fused": True}),
                                     ("SGD", {"foreach": True, "momentum": 0.9}), ("Adam", {"foreach": True})])
def test_fused_and_foreach_forms_bump_too(name, kw):
    """NOTE: torch 2.13's fused CPU kernels leave the version alone (the second backward silently uses
    the new values); mytorch raises there as in every other form, the safe side."""
    assert _second_backward(mytorch, name, True, **kw).startswith("one of the variables needed")
    assert _second_backward(mytorch, name, False, **kw) == "ok"
