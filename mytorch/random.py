"""Random generators: one default for all of mytorch (``manual_seed(n)`` makes a run
reproducible) and ``Generator`` objects for independent, separately seeded streams.

Streams come from NumPy's PCG64, so the numbers differ from torch's (Mersenne Twister) but are
reproducible under the same seed. States are uint8 tensors, as torch's, holding the pickled
PCG64 state.
"""
import contextlib
import pickle

import numpy as np

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "fork_rng"]

_DEFAULT_SEED = 67280421310721  # torch's default_generator seed


def _fresh_seed():
    return int(np.random.SeedSequence().entropy % (2 ** 63))


class Generator:
    """A seedable source of random numbers, passed to samplers as ``generator=``.

    Example::

        >>> g = mytorch.Generator().manual_seed(0)
        >>> a = mytorch.rand(2, generator=g); b = mytorch.rand(2, generator=g.manual_seed(0))
        >>> bool((a == b).all())
        True
    """

    def __init__(self, device="cpu"):
        from mytorch.device import device as _device
        self.device = _device(device)  # validates: only the CPU
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        """Re-seeds this generator; returns it (so ``Generator().manual_seed(0)`` chains)."""
        seed = int(seed)
        if seed < 0:
            seed += 2 ** 64  # torch accepts negative seeds and wraps them
        self._seed = seed
        self.rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        """Seeds from fresh entropy and returns the new seed."""
        return self.manual_seed(_fresh_seed()).initial_seed()

    def get_state(self):
        """The state as a uint8 tensor (pass it to set_state to replay the stream)."""
        from mytorch.tensor import Tensor
        blob = pickle.dumps((self._seed, self.rng.bit_generator.state))
        return Tensor._make(np.frombuffer(blob, np.uint8).copy())

    def set_state(self, new_state):
        """Restores a state from get_state(); returns the generator."""
        data = new_state._data if hasattr(new_state, "_data") else np.asarray(new_state)
        if data.dtype != np.uint8:
            raise TypeError(f"expected a torch.ByteTensor as the RNG state, but got {data.dtype}")
        self._seed, state = pickle.loads(data.tobytes())
        self.rng.bit_generator.state = state
        return self

    def clone_state(self):
        return Generator().set_state(self.get_state())


default_generator = Generator()


def manual_seed(seed):
    """Seeds the generator every random function in mytorch uses by default; returns it."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state, a uint8 tensor."""
    return default_generator.get_state()


def set_rng_state(new_state):
    """Restores the default generator's state from get_rng_state()."""
    default_generator.set_state(new_state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, **_):
    """Restores the default generator's state when the block ends."""
    state = get_rng_state() if enabled else None
    try:
        yield
    finally:
        if enabled:
            set_rng_state(state)


def rng(generator=None):
    """The NumPy Generator behind ``generator`` (or the default one)."""
    return (generator or default_generator).rng
