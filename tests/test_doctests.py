"""Every docstring example of the package runs and gives what it shows."""
import doctest
import importlib
import pkgutil

import pytest

import hvr_model
import hvr_model.specs


def _modules():
    names = []
    for package in (hvr_model, hvr_model.specs):
        names.append(package.__name__)
        for info in pkgutil.iter_modules(package.__path__, package.__name__ + "."):
            if info.name != "hvr_model.specs":
                names.append(info.name)
    return sorted(set(names)) + ["twophase"]


@pytest.mark.parametrize("name", _modules())
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"
