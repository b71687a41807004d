"""mytorch/tensor.pyi lists every Tensor method the op tables install: regenerating it must give
the committed file (run `python -m mytorch._stubgen` after adding a method)."""
import os

from mytorch import _stubgen
from mytorch.tensor import Tensor


def test_tensor_stub_is_current():
    with open(_stubgen.PATH) as f:
        committed = f.read()
    assert committed == _stubgen.render(), "mytorch/tensor.pyi is stale: run python -m mytorch._stubgen"


def test_stub_names_every_public_method():
    with open(_stubgen.PATH) as f:
        text = f.read()
    for name in ("sin", "sin_", "add", "backward", "register_hook", "half", "type", "__format__"):
        assert f"def {name}(" in text and hasattr(Tensor, name)
    assert os.path.basename(_stubgen.PATH) == "tensor.pyi"


def test_everyday_surface_is_present_and_agrees_with_torch():
    """The coverage report (python -m mytorch._coverage) over mytorch/_everyday.txt."""
    from mytorch import _coverage
    present, total, agree, probed = _coverage.report()
    assert present == total and agree == probed
