"""Run the Hyper-V manifest (``specs/manifest.toml``): every shipped configuration and every mutant.

``hvr-model manifest`` runs every entry and reports each difference from its
pins; ``--update`` rewrites the pinned counts after a deliberate model change.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..checker.checking import CheckResult
from ..checker.inputs import excerpt, read_text
from ..checker.manifest import Entry, ManifestError, differences, entries, render
from ..hyperv.config import config_names
from ..hyperv.mutants import MUTANTS
from .verification import check_config

__all__ = ["MANIFEST", "MANIFEST_PATH", "manifest_entries", "run_entry", "entry_differences", "render", "source_checkout"]

MANIFEST = resources.files("hvr_model.specs") / "manifest.toml"
MANIFEST_PATH = Path(str(MANIFEST))


def source_checkout(path: Path) -> bool:
    """Whether ``path`` (a file of the package's ``specs/``) lies in a source checkout, not an install.

    The shipped tables are regenerated in the repository; in an installed package
    (site-packages) they are read-only artefacts and a command must be told where to write.
    """
    return (path.parent.parent / "pyproject.toml").is_file() and (path.parent.parent / "model").is_dir()


def manifest_entries() -> list[Entry]:
    """The entries of ``specs/manifest.toml``, in file order, every configuration and mutant known.

    Raises
    ------
    ManifestError
        The file is unreadable or malformed, or an entry names an unknown configuration or mutant.
    """
    source = str(MANIFEST_PATH)
    found = entries(read_text(MANIFEST_PATH, what="manifest"), source)
    for i, entry in enumerate(found):
        if entry.config not in config_names():
            raise ManifestError(f"check[{i}].config: no shipped configuration {excerpt(entry.config)}", source=source)
        if entry.mutant is not None and entry.mutant not in MUTANTS:
            raise ManifestError(f"check[{i}].mutant: unknown mutant {excerpt(entry.mutant)}", source=source)
    return found


def run_entry(entry: Entry) -> CheckResult:
    """Check the entry's configuration (with its mutant)."""
    return check_config(entry.config, entry.mutant, symmetry=entry.symmetry)


def entry_differences(entry: Entry, result: CheckResult) -> list[str]:
    """How ``result`` departs from the entry's pins, including the property its mutant must violate."""
    return differences(entry, result, MUTANTS[entry.mutant].kills if entry.mutant else None)
