"""Every docstring example of the package, the examples and the README runs and gives what it shows."""
import doctest
import importlib
import pkgutil
from pathlib import Path

import pytest

import hvr_model

from tests.examples import load_example

_SKIP = {"hvr_model.__main__"}


def _modules():
    names = [hvr_model.__name__]
    for info in pkgutil.walk_packages(hvr_model.__path__, hvr_model.__name__ + "."):
        if info.name not in _SKIP:
            names.append(info.name)
    return sorted(set(names))


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


@pytest.mark.parametrize("name", ["two_phase_commit"])
def test_example_docstrings_run(name):
    result = doctest.testmod(load_example(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 0


def test_readme_examples_run():
    readme = Path(__file__).resolve().parents[1] / "README.md"
    result = doctest.testfile(str(readme), module_relative=False, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
