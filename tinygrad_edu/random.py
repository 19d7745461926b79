"""Random numbers: one seeded default generator that ``rand``, ``randn`` and ``nn.init`` draw from.

Numbers are always drawn on the host, from NumPy's generator, and copied to the tensor's
device: one seed gives the same numbers on the CPU and on any GPU (at the price of one
host-to-device copy per draw), so a run is reproducible whichever device it uses.
"""
import numpy


class Generator:
    """A source of random numbers, like ``torch.Generator``.

    >>> g = Generator().manual_seed(0)
    >>> a = rand(3, generator=g)
    """

    def __init__(self, device="cpu"):
        self.device = device
        self._initial_seed = 67280421310721
        self._numpy = numpy.random.default_rng(self._initial_seed)

    def manual_seed(self, seed):
        """Reset the generator so the same seed gives the same numbers again. Returns self."""
        seed = int(seed)
        self._initial_seed = seed
        self._numpy = numpy.random.default_rng(seed & 0xFFFF_FFFF_FFFF_FFFF)
        return self

    def seed(self):
        """Re-seed from a fresh non-deterministic seed and return it."""
        seed = int(numpy.random.SeedSequence().entropy) & 0xFFFF_FFFF_FFFF_FFFF
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        return self._initial_seed

    def get_state(self):
        """The generator's state, as an opaque object that ``set_state`` accepts."""
        return self._numpy.bit_generator.state

    def set_state(self, state):
        self._numpy.bit_generator.state = state
        return self

    @property
    def numpy(self):
        """The ``numpy.random.Generator`` behind this generator."""
        return self._numpy


default_generator = Generator()


def manual_seed(seed):
    """Seed the default generator: ``rand``, ``randn``, dropout and init become reproducible."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)


def numpy_generator(generator=None):
    """The NumPy generator behind ``generator`` (or behind the default one)."""
    return (generator or default_generator).numpy


def fresh_numpy_generator(generator=None):
    """A NumPy generator for one random pass (a shuffle, a split): ``generator``'s own, or, as torch
    does, a fresh one seeded by one draw from the default generator, which ``manual_seed`` seeds."""
    if generator is not None:
        return generator.numpy
    return numpy.random.default_rng(int(default_generator.numpy.integers(2**63)))
