"""The manifest: every named configuration and every mutant, with the result it must give.

``specs/manifest.toml`` lists, per run, the configuration, the mutant (if any),
the expected verdict ("holds" or "violated"), the properties a mutant must
violate, and the pinned state, transition and depth counts. :func:`verify`
runs an entry and reports every difference; ``hvr-model manifest --update``
rewrites the pinned counts after a deliberate model change.
"""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hvr_model.config import load_config
from hvr_model.mutants import MUTANTS

from .check import CheckResult, check

__all__ = ["Entry", "entries", "run_entry", "differences", "render", "MANIFEST", "MANIFEST_PATH"]

MANIFEST = resources.files("hvr_model.specs") / "manifest.toml"
MANIFEST_PATH = Path(str(MANIFEST))


@dataclass(frozen=True)
class Entry:
    config: str
    expect: str                         # "holds" or "violated"
    mutant: str | None = None
    violates: tuple[str, ...] = ()
    states: int | None = None
    edges: int | None = None
    depth: int | None = None

    @property
    def name(self) -> str:
        return f"{self.config}+{self.mutant}" if self.mutant else self.config


def entries(text: str | None = None) -> list[Entry]:
    """The manifest's entries, in file order."""
    raw = tomllib.loads(MANIFEST.read_text() if text is None else text)
    return [Entry(**{**item, "violates": tuple(item.get("violates", ()))}) for item in raw["check"]]


def run_entry(entry: Entry) -> CheckResult:
    config = load_config(entry.config)
    if entry.mutant:
        config = dataclasses.replace(config, mutant=entry.mutant)
    return check(config)


def differences(entry: Entry, result: CheckResult) -> list[str]:
    """How ``result`` departs from what ``entry`` pins (empty when it matches)."""
    e, out = result.exploration, []
    verdict = "holds" if result.holds else "violated"
    if verdict != entry.expect:
        out.append(f"expected {entry.expect}, got {verdict} ({', '.join(result.violated) or 'nothing violated'})")
    if entry.mutant and MUTANTS[entry.mutant].kills not in result.violated:
        out.append(f"mutant {entry.mutant} is not caught by {MUTANTS[entry.mutant].kills}")
    if entry.expect == "violated" and tuple(result.violated) != entry.violates:
        out.append(f"violated {result.violated}, pinned {list(entry.violates)}")
    for field, actual in (("states", e.states), ("edges", e.edges), ("depth", e.depth)):
        if getattr(entry, field) != actual:
            out.append(f"{field}: pinned {getattr(entry, field)}, explored {actual}")
    return out


def render(results: list[tuple[Entry, CheckResult]]) -> str:
    """The manifest file for these results (counts and violations as explored)."""
    lines = ["# Every named configuration and every mutant, with the result it must give.",
             "# Regenerate the pinned counts with: hvr-model manifest --update", ""]
    for entry, result in results:
        e = result.exploration
        lines.append("[[check]]")
        lines.append(f'config = "{entry.config}"')
        if entry.mutant:
            lines.append(f'mutant = "{entry.mutant}"')
        lines.append(f'expect = "{entry.expect}"')
        if entry.expect == "violated":
            lines.append("violates = [" + ", ".join(f'"{v}"' for v in result.violated) + "]")
        lines += [f"states = {e.states}", f"edges = {e.edges}", f"depth = {e.depth}", ""]
    return "\n".join(lines)
