"""The project around the code: the README's commands are what CI runs, the version, the tour notebook."""
import importlib.metadata
import pathlib
import re
import shutil
import subprocess
import sys

import pytest

import tinygrad_edu

REPOSITORY = pathlib.Path(__file__).resolve().parents[1]
README = (REPOSITORY / "README.md").read_text()
CI_SCRIPT = (REPOSITORY / ".ci" / "run").read_text()


def fenced_bash_after(text, marker):
    """The one-line command of the first ```bash block after ``marker`` in ``text``."""
    block = re.search(r"```bash\n(.*?)\n```", text[text.index(marker):], re.DOTALL)
    assert block is not None, f"no ```bash block after {marker!r} in README.md"
    lines = block.group(1).strip().splitlines()
    assert len(lines) == 1, f"the command after {marker!r} should be one line: {lines}"
    return lines[0]


def ci_command_lines():
    return [line for line in CI_SCRIPT.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_ci_runs_the_readmes_test_command_exactly():
    command = fenced_bash_after(README, "The second installs")
    assert command == 'pip install -e ".[dev]" && python3 -m pytest -q -n 2 --dist loadfile'  # the quick start's
    assert any(line == f"{command} || status=$?" for line in ci_command_lines()), (
        f"\n.ci/run does not run the README's test command as written:\n{command}")


def test_ci_runs_the_readmes_first_command_with_quick():
    command = fenced_bash_after(README, "then trains the tutorials' network")
    assert command.startswith("apt-get update && ") and ". .venv/bin/activate" in command
    assert any(line.startswith(f"{command} --quick || fail ") for line in ci_command_lines()), (
        f"\n.ci/run does not run the README's first command as written (plus --quick):\n{command}")


def test_ci_installs_the_tested_versions():
    assert 'PIP_CONSTRAINT="$PWD/constraints.txt"' in CI_SCRIPT
    pins = dict(line.split("==") for line in (REPOSITORY / "constraints.txt").read_text().splitlines()
                if line and not line.startswith("#"))
    assert pins["torch"] == "2.13.0" and {"numpy", "pytest", "graphviz", "threadpoolctl", "ruff"} <= set(pins)


def test_version_is_the_installed_metadata():
    assert tinygrad_edu.__version__ == importlib.metadata.version("tinygrad-edu")
    assert re.fullmatch(r"\d+\.\d+\.\d+", tinygrad_edu.__version__)


def test_tour_notebook_executes(tmp_path):
    pytest.importorskip("nbconvert", reason="executing docs/tour.ipynb needs nbconvert (the dev extra)")
    pytest.importorskip("ipykernel", reason="executing docs/tour.ipynb needs ipykernel (the dev extra)")
    if shutil.which("dot") is None:
        pytest.skip("docs/tour.ipynb draws graphs: it needs Graphviz's dot program")
    result = subprocess.run([sys.executable, "-m", "nbconvert", "--to", "notebook", "--execute",
                             "--output-dir", str(tmp_path), str(REPOSITORY / "docs" / "tour.ipynb")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    executed = (tmp_path / "tour.ipynb").read_text()
    assert "accuracy" in executed and "<svg" in executed and '"output_type": "error"' not in executed
