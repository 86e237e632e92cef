"""The public API type-checks under mypy --strict: a user's program (tests/typed_api/client.py) passes,
and one that misuses the API is caught (so the check can fail)."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MISUSE = '''from hvr_model import Oracle, ReplicatedVm, check_config
Oracle("single_vm").apply(3)
ReplicatedVm("web").replicate(7)
check_config("single_vm", max_states="many")
'''


@pytest.fixture(scope="module")
def package_tree(tmp_path_factory) -> Path:
    """hvr_model laid out as imported (model/ with specs/ inside it): mypy cannot follow the
    editable install's import hook, nor the package-dir mapping of pyproject.toml."""
    root = tmp_path_factory.mktemp("typed")
    shutil.copytree(ROOT / "model", root / "hvr_model")
    shutil.copytree(ROOT / "specs", root / "hvr_model" / "specs")
    return root


def mypy(package_tree: Path, program: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
                           "--cache-dir", str(package_tree / ".mypy_cache"), str(program)],
                          capture_output=True, text=True, cwd=package_tree, timeout=600,
                          env={**os.environ, "MYPYPATH": str(package_tree)})


def test_a_users_program_type_checks_under_mypy_strict(package_tree):
    proc = mypy(package_tree, ROOT / "tests" / "typed_api" / "client.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_misusing_the_api_is_caught_by_mypy(package_tree, tmp_path):
    (tmp_path / "misuse.py").write_text(MISUSE)
    proc = mypy(package_tree, tmp_path / "misuse.py")
    assert proc.returncode == 1
    for wrong in ('"apply" of "Oracle"', '"replicate" of "ReplicatedVm"', '"check_config"'):
        assert wrong in proc.stdout, proc.stdout
