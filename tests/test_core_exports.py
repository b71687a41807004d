"""mytorch's top-level names come from mytorch/__init__.py, at torch's paths: the creation and
random modules' public names, mytorch.linalg and mytorch.random as modules, and nothing torch lacks
(torch has fork_rng only as torch.random.fork_rng)."""
import types

import pytest

import mytorch
from mytorch import _shape, creation, random
from conftest import requires_torch, torch

_RNG = ("get_rng_state", "set_rng_state", "manual_seed", "seed", "initial_seed", "Generator", "default_generator")


@pytest.mark.parametrize("name", list(creation.__all__) + list(_RNG))
def test_creation_and_rng_names_are_top_level(name):
    source = creation if name in creation.__all__ else random
    assert getattr(mytorch, name) is getattr(source, name)


def test_submodules_and_fork_rng_path():
    assert isinstance(mytorch.linalg, types.ModuleType) and mytorch.linalg.vector_norm
    assert mytorch.random is random
    state = mytorch.get_rng_state()
    with mytorch.random.fork_rng():
        mytorch.rand(3)
    assert (mytorch.get_rng_state() == state).all()
    # the creation names live in creation.py, not re-exported through _shape
    assert not any(n in vars(_shape) for n in ("FloatTensor", "scalar_tensor", "get_rng_state", "fork_rng"))


@requires_torch
@pytest.mark.parametrize("name", list(creation.__all__) + list(_RNG) + ["linalg", "random", "fork_rng"])
def test_top_level_names_match_torch(name):
    assert hasattr(mytorch, name) == hasattr(torch, name), name
    assert hasattr(mytorch.random, name) == hasattr(torch.random, name) or name in ("random", "linalg")
