"""Run a PyTorch program with ``torch`` and ``torchvision`` switched to tinygrad_edu's modules.

    python3 tests/run_program.py tinygrad_edu tests/programs/mnist_cnn.py
    python3 tests/run_program.py torch tests/programs/mnist_cnn.py

The program itself is untouched: its ``import torch``, ``import torch.nn.functional as F``,
``from torch.utils.data.sampler import SubsetRandomSampler`` or ``from torchvision import datasets``
lines resolve to ``tinygrad_edu``, ``tinygrad_edu.nn.functional``, ``tinygrad_edu.utils.data.sampler``
and ``tinygrad_edu.vision`` — the one import switch a user makes by hand.
"""
import importlib
import importlib.abc
import importlib.util
import runpy
import sys

ALIASES = {"torch": "tinygrad_edu", "torchvision": "tinygrad_edu.vision"}


class AliasFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports ``torch.X`` as the already existing module ``tinygrad_edu.X``."""

    def find_spec(self, fullname, path, target=None):
        if fullname.partition(".")[0] in ALIASES:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        root, _, rest = spec.name.partition(".")
        return importlib.import_module(ALIASES[root] + ("." + rest if rest else ""))

    def exec_module(self, module):
        pass


def import_real_torchvision():
    """torchvision's Python code next to a CPU torch: a wheel built for CUDA cannot register the fake
    kernels of operators it could not load, so that registration is skipped."""
    from unittest import mock

    import torch
    with mock.patch.object(torch.library, "register_fake", lambda *args, **kwargs: (lambda function: function)):
        import torchvision  # noqa: F401


def main(framework, path, *args):
    if framework == "tinygrad_edu":
        sys.meta_path.insert(0, AliasFinder())
    else:
        import_real_torchvision()
    sys.argv = [path, *args]
    runpy.run_path(path, run_name="__main__")


if __name__ == "__main__":
    main(*sys.argv[1:])
