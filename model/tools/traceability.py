"""Requirements traceability: per requirement, what implements it, what checks it, what that catches.

The table (``specs/traceability.md``, written by ``hvr-model traceability``) is computed
from the model itself, never kept by hand:

* **requirements**: the catalogue ``specs/requirements.toml``
  (:mod:`hvr_model.specs.requirements`), with the reasons it states for what a
  requirement lacks;
* **events**: ``EVENTS[e].requirements`` (:mod:`hvr_model.hyperv.events`);
* **guards**: every (guard, event) pair of the machine tables' rows, under the
  requirement a refusal cites for it: ``GUARD_REQUIREMENTS_BY_EVENT[(guard, event)]``,
  else ``GUARD_REQUIREMENTS[guard]`` (:mod:`hvr_model.hyperv.guards`);
* **effects**: rows and effects carry no requirement tag, so an effect is listed under
  the requirements of the events whose rows run it (derived, not declared);
* **properties**: ``p.requirements`` and ``p.kind`` over
  :data:`hvr_model.specs.catalogue.ALL_PROPERTIES`;
* **mutants**: a property catches the mutants that name it (``MUTANTS[m].kills``) and
  those whose manifest entry pins it among the violated properties (``specs/manifest.toml``).

A property, event or guard that names a requirement the catalogue lacks is an error
(:class:`TraceabilityError`); :func:`problems` lists what the catalogue leaves unexplained
or explains although it is no longer so.

>>> t = build()
>>> row = t.requirement("REQ-08")
>>> "begin_disk_copy" in row.events, "one_disk_copied_at_a_time" in [p.name for p in row.properties]
(True, True)
>>> "disks_copied_in_parallel" in row.mutants
True
"""
from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..checker.inputs import InputError
from ..checker.manifest import Entry
from ..hyperv.events import EVENTS
from ..hyperv.guards import GUARD_REQUIREMENTS, GUARD_REQUIREMENTS_BY_EVENT
from ..hyperv.mutants import MUTANTS
from ..hyperv.system import MACHINES
from ..specs.catalogue import ALL_PROPERTIES
from ..specs.requirements import CATALOGUE, Catalogue, Requirement, load_catalogue
from .manifest import manifest_entries, source_checkout

__all__ = ["PropertyTrace", "RequirementTrace", "Traceability", "TraceabilityError", "DEFAULT_OUT", "build",
           "problems", "counts", "summary_cells", "render_markdown", "render_html", "is_current", "source_checkout"]

#: Where ``hvr-model traceability`` writes the table: ``specs/traceability.md`` beside the catalogue.
DEFAULT_OUT = Path(str(CATALOGUE)).with_name("traceability.md")


class TraceabilityError(InputError):
    """The model names a requirement the catalogue lacks, or the table cannot be written."""


@dataclass(frozen=True)
class PropertyTrace:
    """One property: its kind, requirements, and the mutants it is shown to catch.

    ``kills``: mutants that name it as the property that must catch them; ``violated_by``:
    further mutants whose manifest entry pins it as violated. ``no_mutant``: the catalogue's
    reason when neither exists.
    """

    name: str
    kind: str
    requirements: tuple[str, ...]
    kills: tuple[str, ...] = ()
    violated_by: tuple[str, ...] = ()
    witness_of: str = ""
    no_mutant: str = ""

    @property
    def mutants(self) -> tuple[str, ...]:
        return tuple(sorted({*self.kills, *self.violated_by}))


@dataclass(frozen=True)
class RequirementTrace:
    """One requirement with its events, guards (each with the events it guards), effects and properties."""

    requirement: Requirement
    events: tuple[str, ...]
    guards: tuple[tuple[str, tuple[str, ...]], ...]
    effects: tuple[str, ...]
    properties: tuple[PropertyTrace, ...]

    @property
    def id(self) -> str:
        return self.requirement.id

    @property
    def mutants(self) -> tuple[str, ...]:
        return tuple(sorted({m for p in self.properties for m in p.mutants}))


@dataclass(frozen=True)
class Traceability:
    """Every requirement's trace (catalogue order) and every property's (catalogue order)."""

    requirements: tuple[RequirementTrace, ...]
    properties: tuple[PropertyTrace, ...]
    catalogue: Catalogue

    def requirement(self, req_id: str) -> RequirementTrace:
        return next(r for r in self.requirements if r.id == req_id)


def _guard_citations(machines) -> dict[str, dict[str, set[str]]]:
    """requirement -> guard -> the events whose rows it guards under that requirement."""
    out: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for machine in machines:
        for row in machine.transitions:
            event = row["trigger"]
            for guard in row["conditions"]:
                req = GUARD_REQUIREMENTS_BY_EVENT.get((guard, event), GUARD_REQUIREMENTS.get(guard))
                if req:
                    out[req][guard].add(event)
    return out


def _effects_by_event(machines) -> dict[str, set[str]]:
    out: dict[str, set[str]] = defaultdict(set)
    for machine in machines:
        for row in machine.transitions:
            out[row["trigger"]].update(row["after"])
    return out


def _catching(mutants, entries) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """property -> mutants that name it; property -> mutants the manifest pins it violating."""
    kills, violated = defaultdict(set), defaultdict(set)
    for m in mutants.values():
        kills[m.kills].add(m.name)
    for entry in entries:
        if entry.mutant:
            for name in entry.violates:
                violated[name].add(entry.mutant)
    return kills, violated


def _check_ids(catalogue: Catalogue, properties) -> None:
    known = catalogue.ids
    named = [(f"property {p.name}", r) for p in properties for r in p.requirements]
    named += [(f"event {e}", r) for e, spec in EVENTS.items() for r in spec.requirements]
    named += [(f"guard {g}", r) for g, r in GUARD_REQUIREMENTS.items()]
    named += [(f"guard {g} of event {e}", r) for (g, e), r in GUARD_REQUIREMENTS_BY_EVENT.items()]
    unknown = [f"{who} names {req}" for who, req in named if req not in known]
    if unknown:
        raise TraceabilityError(f"requirement ids missing from {CATALOGUE.name}: " + "; ".join(unknown))


def build(catalogue: Catalogue | None = None, properties=ALL_PROPERTIES, mutants=None,
          entries: list[Entry] | None = None, machines=MACHINES) -> Traceability:
    """The traceability of every requirement of ``catalogue`` (default: the shipped one).

    Parameters
    ----------
    catalogue : Catalogue, optional
    properties : sequence of properties, default ALL_PROPERTIES
    mutants : dict name -> Mutant, default MUTANTS
    entries : list of manifest Entry, default the entries of ``specs/manifest.toml``
    machines : tuple of MachineSpec, default the model's MACHINES

    Raises
    ------
    TraceabilityError
        When a property, event or guard names a requirement id the catalogue lacks.
    CatalogueError
        When the shipped catalogue is malformed.
    """
    catalogue = catalogue or load_catalogue()
    _check_ids(catalogue, properties)
    kills, violated = _catching(MUTANTS if mutants is None else mutants,
                                manifest_entries() if entries is None else entries)
    witness_of = {p.witness: p.name for p in properties if getattr(p, "witness", "")}
    traces = tuple(PropertyTrace(p.name, p.kind, tuple(p.requirements), tuple(sorted(kills[p.name])),
                                 tuple(sorted(violated[p.name] - kills[p.name])), witness_of.get(p.name, ""),
                                 catalogue.property_reason(p.name))
                   for p in properties)
    guards, effects = _guard_citations(machines), _effects_by_event(machines)
    rows = []
    for req in catalogue.requirements:
        events = tuple(e for e, spec in EVENTS.items() if req.id in spec.requirements)
        rows.append(RequirementTrace(
            req, events, tuple((g, tuple(sorted(es))) for g, es in sorted(guards[req.id].items())),
            tuple(sorted({f for e in events for f in effects[e]})),
            tuple(p for p in traces if req.id in p.requirements)))
    return Traceability(tuple(rows), traces, catalogue)


def problems(t: Traceability) -> list[str]:
    """What the catalogue leaves unexplained, or explains although it is no longer so (empty: none).

    Each requirement needs a model element, a property and a catching mutant, or a stated
    reason for lacking it; each property a catching mutant or a reason. A reason for what exists
    is stale, and so is a reason for a property the catalogue of properties lacks.
    """
    out = []
    for r in t.requirements:
        req = r.requirement
        # (what it lacks, present, needed, the catalogue key for the reason): a requirement with
        # no property needs no reason for its mutants, the one for the property covers both.
        for what, present, needed, key in (
                ("model element", bool(r.events or r.guards or req.implemented_in), True, "no_model_element"),
                ("property", bool(r.properties), True, "no_property"),
                ("catching mutant", bool(r.mutants), bool(r.properties), "no_mutant")):
            reason = getattr(req, key)
            if needed and not present and not reason:
                out.append(f"{r.id}: no {what} and no stated reason ({key} in requirements.toml)")
            if present and reason:
                out.append(f"{r.id}: has a {what}, but requirements.toml still says why not ({key})")
    for p in t.properties:
        if p.requirements and not p.mutants and not p.no_mutant:
            out.append(f"property {p.name}: no mutant catches it and requirements.toml states no reason")
        if p.mutants and p.no_mutant:
            out.append(f"property {p.name}: caught by {', '.join(p.mutants)}, but requirements.toml says why none is")
    names = {p.name for p in t.properties}
    out += [f"property {p.name}: requirements.toml states a reason for a property that does not exist"
            for p in t.catalogue.properties if p.name not in names]
    return out


# -- rendering ------------------------------------------------------------------------------
#: A cell: items, each a name (shown as code) or (name, plain suffix), and a note (plain text,
#: emphasized when it follows items).
Cell = tuple[tuple, str]
SUMMARY_HEADER = ("REQ", "title", "events", "guards", "properties", "mutants caught")


def _title(req: Requirement) -> str:
    return req.title + (f" ({req.status})" if req.status else "")


def summary_cells(r: RequirementTrace) -> tuple[Cell, ...]:
    """The summary row of one requirement, as cells in :data:`SUMMARY_HEADER` order.

    A requirement without an event, a property or a catching mutant shows the catalogue's
    reason in that cell (``none`` if it states none).
    """
    req = r.requirement
    elsewhere = ("in " + ", ".join(req.implemented_in)) if req.implemented_in else ""
    no_element = req.no_model_element if not (r.events or r.guards or elsewhere) else ""
    props = tuple((p.name, f"({p.kind})") for p in r.properties)
    mutant_note = "" if r.mutants else (req.no_mutant or ("no property" if not r.properties else "none"))
    return (((), req.id), ((), _title(req)), (r.events, elsewhere or no_element),
            (tuple(g for g, _ in r.guards), ""), (props, "" if props else req.no_property or "none"),
            (r.mutants, mutant_note))


def _render_cell(cell: Cell, code, plain, emphasis, sep: str = ", ") -> str:
    items, note = cell
    shown = [code(i) if isinstance(i, str) else f"{code(i[0])} {plain(i[1])}" for i in items]
    parts = [sep.join(shown)] if shown else []
    if note:
        parts.append(emphasis(plain(note)) if shown else plain(note))
    return " ".join(parts) or "-"


def _md_cell(cell: Cell) -> str:
    return _render_cell(cell, lambda n: f"`{n}`", lambda t: t.replace("|", "\\|"), lambda t: f"*{t}*")


def _html_cell(cell: Cell) -> str:
    return _render_cell(cell, lambda n: f"<code>{html.escape(n)}</code>", html.escape, lambda t: f"<em>{t}</em>",
                        sep="<br>")


def _md_table(header, rows) -> list[str]:
    return (["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            + ["| " + " | ".join(row) + " |" for row in rows])


def counts(t: Traceability) -> dict[str, int]:
    """The figures the table opens with (requirements and properties with a property, mutant, reason)."""
    reqs, props = t.requirements, t.properties
    return {"requirements": len(reqs), "with_property": sum(bool(r.properties) for r in reqs),
            "with_mutant": sum(bool(r.mutants) for r in reqs),
            "with_reason": sum(bool(r.requirement.no_property) for r in reqs if not r.properties),
            "properties": len(props), "properties_with_mutant": sum(bool(p.mutants) for p in props),
            "properties_with_reason": sum(bool(p.no_mutant) for p in props if not p.mutants),
            "mutants": len({m for p in props for m in p.mutants})}


def render_markdown(t: Traceability) -> str:
    """The whole ``specs/traceability.md``: the summary, the properties, the guards and effects."""
    n = counts(t)
    lines = ["# Requirements traceability", "",
             "Generated by `hvr-model traceability` from `specs/requirements.toml`, the model's events "
             "and guards, the property catalogue, the mutants and `specs/manifest.toml`: do not edit "
             "by hand (`hvr-model traceability --check` exits 1 when this file is stale).", "",
             f"{n['requirements']} requirements: {n['with_property']} checked by a property, "
             f"{n['with_mutant']} with a property shown to catch a mutant, {n['with_reason']} with a stated "
             f"reason for having no property. {n['properties']} properties: {n['properties_with_mutant']} "
             f"catch at least one of {n['mutants']} mutants, {n['properties_with_reason']} state why none does.",
             "", "Guards are listed under the requirement a refusal cites for them. Where a requirement "
             "lacks an event, a property or a mutant, its cell gives the catalogue's stated reason.", "",
             "## Summary", ""]
    lines += _md_table(SUMMARY_HEADER, [[_md_cell(c) for c in summary_cells(r)] for r in t.requirements])
    lines += ["", "## Properties", "",
              "A property catches the mutants that name it (`kills` in the mutant catalogue) and the "
              "others whose manifest entry pins it as violated (after *pinned by the manifest*).", ""]
    lines += _md_table(("property", "kind", "requirements", "mutants caught", "why none"),
                       [_property_row(p) for p in t.properties])
    lines += ["", "## Guards and effects", "",
              "Each guard with the events whose rows it guards under the requirement; the effects are "
              "those run by the rows of the requirement's events (rows carry no requirement of their own).", ""]
    lines += _md_table(("REQ", "guards (events)", "effects"),
                       [[r.id, "; ".join(f"`{g}` ({', '.join(es)})" for g, es in r.guards) or "-",
                         _md_cell((r.effects, ""))] for r in t.requirements])
    return "\n".join(lines) + "\n"


def _property_row(p: PropertyTrace) -> list[str]:
    kind = p.kind + (f" (witness of `{p.witness_of}`)" if p.witness_of else "")
    pinned = f"*pinned by the manifest:* {_md_cell((p.violated_by, ''))}" if p.violated_by else ""
    caught = "; ".join(filter(None, (_md_cell((p.kills, "")) if p.kills else "", pinned)))
    return [f"`{p.name}`", kind, ", ".join(p.requirements) or "-", caught if p.mutants else "-",
            _md_cell(((), p.no_mutant)) if not p.mutants else "-"]


def render_html(t: Traceability) -> str:
    """The summary table as an HTML fragment (every text escaped), for the check report."""
    # Inline styles keep the page self-contained without touching the report's style sheet.
    styles = ('style="white-space: nowrap"', 'style="min-width: 18em"', "", "", "", "")
    head = "".join(f"<th>{html.escape(h)}</th>" for h in SUMMARY_HEADER)
    body = "".join("<tr>" + "".join(f"<td {style}>{_html_cell(c)}</td>" if style else f"<td>{_html_cell(c)}</td>"
                                    for style, c in zip(styles, summary_cells(r))) + "</tr>"
                   for r in t.requirements)
    n = counts(t)
    return (f"<p>{n['with_property']} of {n['requirements']} requirements are checked by a property, "
            f"{n['with_mutant']} by one shown to catch a mutant; the others state why. The full table, with "
            f"every property's mutants: <code>specs/traceability.md</code> "
            f"(<code>hvr-model traceability</code>).</p>"
            f'<div style="overflow-x: auto"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>')


# -- the file -------------------------------------------------------------------------------
def is_current(path: Path | str, text: str) -> bool:
    """Whether ``path`` holds exactly ``text`` (False when it does not exist).

    Raises :class:`TraceabilityError` when ``path`` exists but cannot be read.
    """
    path = Path(path)
    if not path.exists():
        return False
    if not path.is_file():      # a FIFO would block the read forever, a device never holds the table
        raise TraceabilityError(f"{path}: not a regular file")
    try:
        return path.read_text(encoding="utf-8") == text
    except (OSError, UnicodeDecodeError) as exc:
        raise TraceabilityError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
