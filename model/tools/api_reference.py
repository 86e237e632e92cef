"""The API reference: every module's docstrings rendered to HTML with pdoc, by one command.

``python -m hvr_model.tools.api_reference DIR`` writes ``DIR/index.html`` and a page per
module (pdoc is in the ``test`` extra: ``pip install -e '.[test]'``). The layer packages
declare ``__all__``, which makes pdoc list no submodule of theirs; the modules are therefore
walked here and all handed to pdoc. The tests build it (``tests/test_api_reference.py``).
"""
from __future__ import annotations

import pkgutil
import sys
from pathlib import Path

__all__ = ["modules", "build"]


def modules() -> list[str]:
    """Every module of ``hvr_model``, packages first, in import-name order."""
    from .. import specs          # its folder is specs/, beside model/
    root = str(Path(__file__).resolve().parents[1])      # the hvr_model package's folder
    names = ["hvr_model"] + [info.name for folder, prefix in (([root], "hvr_model."), (specs.__path__, "hvr_model.specs."))
                             for info in pkgutil.walk_packages(folder, prefix)
                             if not info.name.endswith("__main__")]     # importing it runs the CLI
    return sorted(set(names))


def build(out: Path | str) -> Path:
    """Render the reference into ``out``; returns ``out / "index.html"``.

    Raises
    ------
    ModuleNotFoundError
        pdoc is not installed (``pip install pdoc``).
    """
    import pdoc
    import pdoc.render
    out = Path(out)
    pdoc.render.configure(docformat="numpy")      # Parameters, Returns, Raises as sections
    pdoc.pdoc(*modules(), output_directory=out)
    return out / "index.html"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m hvr_model.tools.api_reference DIR")
    print(f"wrote {build(sys.argv[1])}")
