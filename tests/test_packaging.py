"""The installed package imports from anywhere, exposes ``tinygrad_edu.nn``, and never imports torch."""
import pathlib
import re
import subprocess
import sys

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
PACKAGE_FOLDERS = [REPOSITORY / "tinygrad_edu", REPOSITORY / "nn"]
TORCH_IMPORT = re.compile(r"^\s*(import\s+torch\b|from\s+torch\b)", re.MULTILINE)

OUTSIDE_PROGRAM = """
import sys
from tinygrad_edu import nn
import tinygrad_edu.nn.functional as F
import tinygrad_edu as tg
assert nn.functional is F, "nn.functional and tinygrad_edu.nn.functional differ"
assert tg.nn is nn
x = tg.tensor([[-1.0, 2.0]], requires_grad=True)
F.relu(x).sum().backward()
assert x.grad.tolist() == [[0.0, 1.0]]
assert "torch" not in sys.modules, "importing tinygrad_edu imported torch"
import importlib.util
assert importlib.util.find_spec("nn") is None, "a top-level package named 'nn' is importable"
print("ok", tg.__file__)
"""


def run_outside_repository(program, tmp_path):
    return subprocess.run([sys.executable, "-c", program], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}, timeout=120)


def test_imports_work_from_outside_the_repository(tmp_path):
    result = run_outside_repository(OUTSIDE_PROGRAM, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")


def source_files():
    return sorted(path for folder in PACKAGE_FOLDERS for path in folder.rglob("*.py"))


def test_package_sources_never_import_torch():
    files = source_files()
    assert any(path.parent.name == "nn" for path in files) and any(path.name == "tensor.py" for path in files)
    offenders = [str(path.relative_to(REPOSITORY)) for path in files if TORCH_IMPORT.search(path.read_text())]
    assert offenders == [], f"these package files import torch: {offenders}"
