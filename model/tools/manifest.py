"""Run the Hyper-V manifest (``specs/manifest.toml``): every shipped configuration and every mutant.

``hvr-model manifest`` runs every entry and reports each difference from its
pins; ``--update`` rewrites the pinned counts after a deliberate model change.
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..checker.checking import CheckResult
from ..checker.manifest import Entry, differences, entries, render
from ..hyperv.mutants import MUTANTS
from .verification import check_config

__all__ = ["MANIFEST", "MANIFEST_PATH", "manifest_entries", "run_entry", "entry_differences", "render"]

MANIFEST = resources.files("hvr_model.specs") / "manifest.toml"
MANIFEST_PATH = Path(str(MANIFEST))


def manifest_entries() -> list[Entry]:
    """The entries of ``specs/manifest.toml``, in file order."""
    return entries(MANIFEST.read_text())


def run_entry(entry: Entry) -> CheckResult:
    """Check the entry's configuration (with its mutant)."""
    return check_config(entry.config, entry.mutant, symmetry=entry.symmetry)


def entry_differences(entry: Entry, result: CheckResult) -> list[str]:
    """How ``result`` departs from the entry's pins, including the property its mutant must violate."""
    return differences(entry, result, MUTANTS[entry.mutant].kills if entry.mutant else None)
