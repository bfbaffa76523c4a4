"""The import contracts of .importlinter hold on the code, and they bite: a part importing
one it must not, or a new module of programmes left out of the layers, breaks them."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("lib", "agents", "campaigns", "programmes", "reviews", "legal")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def tree(tmp_path):
    """A copy of the code and the contracts, to break."""
    for package in PACKAGES:
        shutil.copytree(
            REPO_ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(REPO_ROOT / ".importlinter", tmp_path / ".importlinter")
    return tmp_path


def test_the_code_keeps_every_contract(tree):
    result = lint_imports(tree)
    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    "module,line,broken",
    [
        # parts of one layer never import one another
        ("programmes/imports/views.py", "from programmes.reminders import services", "Parts of"),
        # the core imports no part
        ("programmes/status.py", "from programmes.steering import stats", "Parts of"),
        # a lower app never imports a higher one
        ("campaigns/services.py", "from programmes import models", "Apps point one way"),
        ("lib/charts.py", "from agents import models", "Apps point one way"),
        # check-ins, resources and mentoring stand apart
        (
            "programmes/accompaniment/mentoring/selectors.py",
            "from programmes.accompaniment.checkins import selectors",
            "stand apart",
        ),
    ],
)
def test_a_forbidden_import_breaks_a_contract(tree, module, line, broken):
    with (tree / module).open("a") as source:
        source.write(f"\n{line}  # noqa\n")
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "1 broken" in result.stdout
    assert broken in result.stdout.split("Broken contracts")[1]


def test_a_module_of_programmes_outside_the_layers_breaks_the_contract(tree):
    (tree / "programmes" / "odds_and_ends.py").write_text("")
    result = lint_imports(tree)
    assert result.returncode == 1
    assert "programmes.odds_and_ends" in result.stdout
