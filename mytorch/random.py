"""One random generator for all of mytorch, so ``manual_seed(n)`` makes a run reproducible."""
import numpy as np

__all__ = ["Generator", "default_generator", "manual_seed", "seed", "initial_seed"]


class Generator:
    """A seedable source of random numbers (wraps NumPy's PCG64)."""

    def __init__(self, device="cpu"):
        self._seed = int(np.random.SeedSequence().entropy % (2 ** 63))
        self.rng = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed):
        seed = int(seed)
        if seed < 0:
            seed += 2 ** 64  # torch accepts negative seeds and wraps them
        self._seed = seed
        self.rng = np.random.Generator(np.random.PCG64(seed))
        return self

    def initial_seed(self):
        return self._seed

    def seed(self):
        return self.manual_seed(int(np.random.SeedSequence().entropy % (2 ** 63))).initial_seed()

    def get_state(self):
        return self.rng.bit_generator.state

    def set_state(self, state):
        self.rng.bit_generator.state = state


default_generator = Generator()


def manual_seed(seed):
    """Seeds the generator every random function in mytorch uses by default."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def rng(generator=None):
    """The NumPy Generator behind ``generator`` (or the default one)."""
    return (generator or default_generator).rng
