"""Every docstring example of the package runs and gives what it shows."""
import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import hvr_model
import hvr_model.specs


def _modules():
    names = []
    for package in (hvr_model, hvr_model.specs):
        names.append(package.__name__)
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            if info.name not in ("hvr_model.specs", "hvr_model.__main__"):
                names.append(info.name)
    return sorted(set(names)) + ["twophase"]


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_readme_examples_run():
    readme = Path(__file__).resolve().parents[1] / "README.md"
    result = doctest.testfile(str(readme), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
