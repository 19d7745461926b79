"""Torch's module paths: every name we have at a short path (``nn.Linear``, ``optim.Adam``,
``utils.data.DataLoader``) is also at the long path where torch defines it, and is defined there.
Plus the house rules of the layout: imports point one way (nn on top of the engine, never back)."""
import ast
import importlib
import inspect
import pathlib
import re
import tomllib

import pytest
import torch  # noqa: F401  (the oracle: which names each of torch's modules defines)

import tinygrad_edu

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]

SHORT_PATHS = {
    "torch.nn.modules.": "tinygrad_edu.nn",
    "torch.nn.utils.": "tinygrad_edu.nn.utils",
    "torch.optim.": "tinygrad_edu.optim",
    "torch.utils.data.": "tinygrad_edu.utils.data",
    "torch.amp.": "tinygrad_edu.amp",
    "torch.distributions.": "tinygrad_edu.distributions",
}

TORCH_MODULE_PATHS = [
    "torch.nn.modules.module", "torch.nn.modules.container", "torch.nn.modules.linear", "torch.nn.modules.conv",
    "torch.nn.modules.activation", "torch.nn.modules.batchnorm", "torch.nn.modules.normalization",
    "torch.nn.modules.instancenorm", "torch.nn.modules.pooling", "torch.nn.modules.padding",
    "torch.nn.modules.pixelshuffle", "torch.nn.modules.upsampling", "torch.nn.modules.flatten",
    "torch.nn.modules.dropout", "torch.nn.modules.sparse", "torch.nn.modules.loss", "torch.nn.modules.rnn",
    "torch.nn.modules.transformer", "torch.nn.utils.clip_grad", "torch.nn.utils.convert_parameters",
    "torch.nn.utils.rnn", "torch.optim.optimizer", "torch.optim.sgd", "torch.optim.adam", "torch.optim.adamw",
    "torch.optim.rmsprop", "torch.optim.adagrad", "torch.optim.adadelta", "torch.optim.adamax",
    "torch.optim.nadam", "torch.optim.radam", "torch.optim.rprop", "torch.optim.asgd", "torch.optim.lbfgs",
    "torch.optim.lr_scheduler", "torch.utils.data.dataset", "torch.utils.data.sampler",
    "torch.utils.data.dataloader", "torch.amp.autocast_mode", "torch.amp.grad_scaler",
    "torch.distributions.distribution", "torch.distributions.categorical", "torch.distributions.normal",
    "torch.distributions.bernoulli", "torch.distributions.uniform", "torch.distributions.kl",
]


def names_torch_defines(torch_path):
    module = importlib.import_module(torch_path)
    return [name for name in dir(module) if not name.startswith("_")
            and getattr(getattr(module, name), "__module__", None) == torch_path]


def short_namespace(torch_path):
    prefix = next(prefix for prefix in SHORT_PATHS if torch_path.startswith(prefix))
    return importlib.import_module(SHORT_PATHS[prefix])


def claimed_names(torch_path):
    """The names torch defines in ``torch_path`` that we offer at the short path."""
    namespace = short_namespace(torch_path)
    return [name for name in names_torch_defines(torch_path)
            if hasattr(namespace, name) and not inspect.ismodule(getattr(namespace, name))]


def our_path(torch_path):
    return "tinygrad_edu." + torch_path.removeprefix("torch.")


@pytest.mark.parametrize("torch_path", [path for path in TORCH_MODULE_PATHS if claimed_names(path)])
def test_each_name_is_defined_where_torch_defines_it(torch_path):
    ours = importlib.import_module(our_path(torch_path))
    namespace = short_namespace(torch_path)
    for name in claimed_names(torch_path):
        assert getattr(ours, name, None) is getattr(namespace, name), f"{our_path(torch_path)}.{name}"
        assert getattr(ours, name).__module__ == our_path(torch_path), f"{name} is defined elsewhere"


def test_the_paths_real_programs_import():
    from tinygrad_edu.nn.modules.linear import Linear
    from tinygrad_edu.optim.lr_scheduler import StepLR
    from tinygrad_edu.utils.data.dataloader import DataLoader
    from tinygrad_edu.utils.data.sampler import SubsetRandomSampler

    assert Linear is tinygrad_edu.nn.Linear and StepLR is tinygrad_edu.optim.lr_scheduler.StepLR
    assert DataLoader is tinygrad_edu.utils.data.DataLoader
    assert SubsetRandomSampler is tinygrad_edu.utils.data.SubsetRandomSampler


def test_most_of_torchs_paths_are_claimed():
    claimed = [path for path in TORCH_MODULE_PATHS if claimed_names(path)]
    assert len(claimed) >= 25, sorted(set(TORCH_MODULE_PATHS) - set(claimed))


def imported_modules(path):
    """Every module a source file imports, at any depth of the file."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)


def test_the_engine_never_imports_nn_except_the_package_itself():
    """As in torch, only the top-level ``__init__`` imports nn (``from torch import nn``)."""
    offenders = sorted(str(path.relative_to(REPOSITORY)) for path in (REPOSITORY / "tinygrad_edu").rglob("*.py")
                       if path.name != "__init__.py" or path.parent.name != "tinygrad_edu"
                       if any(module.startswith("tinygrad_edu.nn") for module in imported_modules(path)))
    assert offenders == []


ENGINE_PRIVATE = re.compile(r"\.(_data|_version_counter|_wrap|_grad_mode|_device|_requires_grad|_saved|"
                            r"_gradient_edge|_keep_saved|_accumulator|_leaf_hooks)\b")


def test_nn_uses_only_the_engines_public_names():
    offenders = [f"{path.relative_to(REPOSITORY)}:{number}" for path in (REPOSITORY / "nn").rglob("*.py")
                 for number, line in enumerate(path.read_text().splitlines(), 1) if ENGINE_PRIVATE.search(line)]
    assert offenders == []


def test_nn_holds_torch_nn_only():
    leftovers = {"optim.py", "lr_scheduler.py", "data.py", "datasets.py", "serialization.py"}
    assert leftovers.isdisjoint(path.name for path in (REPOSITORY / "nn").rglob("*.py"))


def test_every_package_folder_is_installed():
    """A wheel only holds the packages pyproject names: each folder with an ``__init__.py`` must be there."""
    config = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    roots = {"tinygrad_edu": REPOSITORY / "tinygrad_edu", "tinygrad_edu.nn": REPOSITORY / "nn"}
    found = {name + "".join("." + part for part in init.parent.relative_to(folder).parts)
             for name, folder in roots.items() for init in folder.rglob("__init__.py")
             if not (name == "tinygrad_edu" and init.parent.relative_to(folder).parts[:1] == ("nn",))}
    assert found == listed
