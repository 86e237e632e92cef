"""The manifest format: every named configuration and every mutant, with the result it must give.

A manifest (TOML, as tlaplus/Examples keeps a manifest.json per spec) lists, per
run, the configuration, the mutant (if any), the expected verdict ("holds",
"violated", or "incomplete" for a run that leaves claims undecided, e.g. under symmetry), the properties a mutant must violate, the claims a configuration
leaves vacuous (so a claim that silently stops being exercised is a
difference), and the pinned state, transition and depth counts. :func:`differences` compares a check result with
its entry; :func:`render` writes the file again from results after a
deliberate model change. Running the entries is the model's business (for the
Hyper-V model: :mod:`hvr_model.tools.manifest`).

>>> entry = entries('''[[check]]
... config = "tiny"
... expect = "holds"
... states = 4
... ''')[0]
>>> entry.name, entry.states, entry.edges
('tiny', 4, None)
"""
from __future__ import annotations

from dataclasses import dataclass

from .checking import CheckResult
from .inputs import InputError, excerpt, parse_toml

__all__ = ["Entry", "Outcome", "ManifestError", "entries", "differences", "render"]


class ManifestError(InputError):
    """The manifest is malformed: the message names the file, the entry and the key (exit 2)."""


@dataclass(frozen=True)
class Entry:
    config: str
    expect: str                         # "holds", "violated" or "incomplete"
    mutant: str | None = None
    violates: tuple[str, ...] = ()
    states: int | None = None
    edges: int | None = None
    depth: int | None = None
    symmetry: bool | None = None        # None: as the configuration says
    vacuous: tuple[str, ...] | None = None   # the claims left vacuous (None: not pinned)

    @property
    def name(self) -> str:
        name = f"{self.config}+{self.mutant}" if self.mutant else self.config
        return name if self.symmetry is None else name + (" (symmetry)" if self.symmetry else " (no symmetry)")


#: Each key of a ``[[check]]`` entry and what it must hold.
_ENTRY_TYPES = {"config": str, "expect": str, "mutant": str, "violates": list, "states": int, "edges": int,
                "depth": int, "symmetry": bool, "vacuous": list}
_EXPECT = ("holds", "violated", "incomplete")


def _entry(item: object, where: str, source: str) -> Entry:
    if not isinstance(item, dict):
        raise ManifestError(f"{where}: must be a table", source=source)
    for key, value in item.items():
        kind = _ENTRY_TYPES.get(key)
        if kind is None:
            raise ManifestError(f"{where}.{excerpt(key)[1:-1]}: unknown key (allowed: {', '.join(_ENTRY_TYPES)})",
                                source=source)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise ManifestError(f"{where}.{key}: must be {kind.__name__}, got {excerpt(value)}", source=source)
        if kind is list and not all(isinstance(v, str) for v in value):
            raise ManifestError(f"{where}.{key}: must be a list of names", source=source)
    for key in ("config", "expect"):
        if key not in item:
            raise ManifestError(f"{where}.{key}: missing", source=source)
    if item["expect"] not in _EXPECT:
        raise ManifestError(f"{where}.expect: must be one of {', '.join(_EXPECT)}, got {excerpt(item['expect'])}",
                            source=source)
    return Entry(**{**item, "violates": tuple(item.get("violates", ())),
                    "vacuous": tuple(item["vacuous"]) if "vacuous" in item else None})


def entries(text: str, source: str = "manifest") -> list[Entry]:
    """The entries of a manifest given as TOML text, in file order.

    Raises
    ------
    ManifestError
        Not TOML, no ``[[check]]`` list, or an entry with an unknown key, a value of the
        wrong type, or a missing ``config``/``expect``.
    """
    try:
        raw = parse_toml(text, source)
    except InputError as exc:
        raise ManifestError(str(exc)) from None
    if set(raw) - {"check"} or not isinstance(raw.get("check"), list):
        raise ManifestError("must hold only a [[check]] list of entries", source=source)
    return [_entry(item, f"check[{i}]", source) for i, item in enumerate(raw["check"])]


def differences(entry: Entry, result: CheckResult, kills: str | None = None) -> list[str]:
    """How ``result`` departs from what ``entry`` pins (empty when it matches).

    ``kills`` is the property the entry's mutant must violate, if it has one.
    """
    e, out = result.exploration, []
    verdict = result.verdict
    if verdict != entry.expect:
        out.append(f"expected {entry.expect}, got {verdict} ({', '.join(result.violated) or 'nothing violated'})")
    if entry.mutant and kills is not None and kills not in result.violated:
        out.append(f"mutant {entry.mutant} is not caught by {kills}")
    if entry.expect == "violated" and tuple(result.violated) != entry.violates:
        out.append(f"violated {result.violated}, pinned {list(entry.violates)}")
    if entry.vacuous is not None and tuple(result.vacuous) != entry.vacuous:
        now, pinned = set(result.vacuous), set(entry.vacuous)
        out.append(f"vacuous claims changed: now also {sorted(now - pinned)}, no longer {sorted(pinned - now)}")
    for field, actual in (("states", e.states), ("edges", e.edges), ("depth", e.depth)):
        if getattr(entry, field) != actual:
            out.append(f"{field}: pinned {getattr(entry, field)}, explored {actual}")
    return out


@dataclass(frozen=True)
class Outcome:
    """What a manifest pins of a check result (kept instead of the result: no state graph)."""

    states: int
    edges: int
    depth: int
    violated: tuple[str, ...]
    vacuous: tuple[str, ...]

    @classmethod
    def of(cls, result: CheckResult) -> "Outcome":
        e = result.exploration
        return cls(e.states, e.edges, e.depth, tuple(result.violated), tuple(result.vacuous))


def render(results: list[tuple[Entry, CheckResult | Outcome]]) -> str:
    """The manifest file for these results (counts and violations as explored)."""
    lines = ["# Every named configuration and every mutant, with the result it must give.",
             "# Regenerate the pinned counts with: hvr-model manifest --update", ""]
    for entry, result in results:
        result = result if isinstance(result, Outcome) else Outcome.of(result)
        e = result
        lines.append("[[check]]")
        lines.append(f'config = "{entry.config}"')
        if entry.mutant:
            lines.append(f'mutant = "{entry.mutant}"')
        if entry.symmetry is not None:
            lines.append(f"symmetry = {str(entry.symmetry).lower()}")
        lines.append(f'expect = "{entry.expect}"')
        if entry.expect == "violated":
            lines.append("violates = [" + ", ".join(f'"{v}"' for v in result.violated) + "]")
        elif not entry.mutant:
            lines.append("vacuous = [" + "".join(f'\n    "{v}",' for v in result.vacuous)
                         + ("\n]" if result.vacuous else "]"))
        lines += [f"states = {e.states}", f"edges = {e.edges}", f"depth = {e.depth}", ""]
    return "\n".join(lines)
