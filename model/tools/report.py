"""The HTML report of one check: a single self-contained ``index.html``.

Inline CSS and inline SVG only: no script, no external resource, so the page
opens from disk in any browser and can be mailed or archived as one file.
The sections, in order (:data:`SECTIONS`):

* **summary**: configuration, mutant, states, transitions, depth, seconds, verdict;
* **properties**: name, kind, holds / VIOLATED / n/a, requirements, doc;
* **counterexamples**: each violated property's path step by step, with what
  changed (:func:`hvr_model.hyperv.describe.changes`) and every variable of the
  state reached (:func:`hvr_model.hyperv.describe.describe`);
* **coverage**: which events occurred on the edges of the explored graph,
  against every bound event of the system, and the bound events never enabled
  (:func:`action_coverage`);
* **machines**: every machine's table as a state diagram
  (:func:`hvr_model.tools.diagrams.machine_diagram`), as checked (a mutant's
  patched tables for a mutant);
* **traceability**: per requirement, its events, guards, properties and the mutants
  they catch, or why it has none (:mod:`hvr_model.tools.traceability`, the table of
  ``specs/traceability.md``).

Each section is one function ``(result) -> HTML``; the VMs' disk contents will
be one more entry of :data:`SECTIONS` when the model has a block store.

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.tools.verification import check_config as check
>>> page = render_report(check(load_config("single_vm")), draw=False)
>>> page.startswith("<!DOCTYPE html>"), "<script" in page, "decided properties hold" in page
(True, False, True)
"""
from __future__ import annotations

import html
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..checker.outputs import Outputs
from ..hyperv.describe import changes, describe
from .console import SHOWN, cycle_steps, run_summary

__all__ = ["EventCoverage", "action_coverage", "render_report", "write_report", "SECTIONS", "inline_svg"]

_CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1200px; padding: 0 1em;
       color: #1d1d1f; background: #fff; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: .2em; } h2 { border-bottom: 2px solid #dde; padding-bottom: .2em; margin-top: 2em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .92em; }
th, td { border: 1px solid #ccd; padding: .25em .6em; text-align: left; vertical-align: top; }
th { background: #f0f2f8; }
code { font-family: Menlo, Consolas, monospace; font-size: .95em; }
.holds { color: #1a7f37; font-weight: bold; } .violated { color: #c62828; font-weight: bold; }
.na { color: #777; } .verdict { font-size: 1.2em; padding: .4em .8em; display: inline-block; border-radius: 4px; }
.verdict.holds { background: #e6f4ea; } .verdict.violated { background: #fdecea; }
ol.steps > li { margin-bottom: .8em; } .old { color: #c62828; } .new { color: #1a7f37; }
figure { margin: 1em 0 2em; overflow-x: auto; border: 1px solid #e4e4ec; padding: .5em; }
figure svg { display: block; margin: 0 auto; }
figcaption { font-weight: bold; margin-bottom: .5em; }
details summary { cursor: pointer; color: #444; }
.never { columns: 2; }
"""


@dataclass(frozen=True)
class EventCoverage:
    """How one event fared: its bound labels, those that label some edge, and how many transitions."""

    event: str
    kind: str
    bound: tuple[str, ...]
    fired: tuple[str, ...]
    transitions: int

    @property
    def never(self) -> tuple[str, ...]:
        """The bound labels that label no edge of the explored graph (never enabled)."""
        return tuple(label for label in self.bound if label not in self.fired)


def action_coverage(result) -> list[EventCoverage]:
    """Every event bound in the checked system, with its coverage in the explored graph.

    >>> from hvr_model.hyperv.config import load_config
    >>> from hvr_model.tools.verification import check_config as check
    >>> coverage = {c.event: c for c in action_coverage(check(load_config("single_vm")))}
    >>> coverage["planned_failover"].fired, coverage["planned_failover"].never
    (('planned_failover(vm=web)',), ())
    """
    counts: Counter = Counter()
    for _, _, actions in result.exploration.graph.edges(data="actions"):
        counts.update(actions)
    by_event: dict[str, list] = {}
    for event in result.system.events:
        by_event.setdefault(event.args.event, []).append(event)
    return [EventCoverage(name, events[0].spec.kind, tuple(e.label for e in events),
                          tuple(e.label for e in events if counts[e.label]), sum(counts[e.label] for e in events))
            for name, events in by_event.items()]


def _e(text) -> str:
    return html.escape(str(text))


def _verdict(r) -> str:
    css = {"holds": "holds", "violated": "violated", "error": "violated"}.get(r.verdict, "na")
    return f'<span class="{css}">{_e(SHOWN[r.verdict])}</span>'


def _table(header: list[str], rows: list[list[str]]) -> str:
    """An HTML table; cells are HTML already."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _summary(result) -> str:
    e, cfg = result.exploration, result.config
    css = {"holds": "holds", "violated": "violated", "error": "violated"}.get(result.verdict, "na")
    verdict = f'<p class="verdict {css}">{_e(run_summary(result))}</p>'
    rows = [["configuration", _e(cfg.name)], ["description", _e(cfg.description or "")],
            ["mutant", _e(result.mutant) if result.mutant else "none"],
            ["states", f"{e.states:,}"], ["transitions", f"{e.edges:,}"], ["depth", str(e.depth)],
            ["seconds", f"{e.seconds:.2f} exploring, {result.seconds:.2f} in all"],
            ["exploration", "complete" if e.complete else "INCOMPLETE: stopped at --max-states"]]
    return verdict + "<table>" + "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows) + "</table>"


def _properties(result) -> str:
    rows = [[f"<code>{_e(r.name)}</code>", _e(r.kind), _verdict(r), _e(", ".join(r.requirements)),
             _e(r.doc) + (f' <span class="na">({_e(r.verdict)}: {_e(r.reason)})</span>' if r.reason else "")]
            for r in result.results]
    return _table(["property", "kind", "result", "requirements", "doc"], rows)


def _state_table(state, config) -> str:
    return _table(["variable", "value"], [[f"<code>{_e(k)}</code>", _e(v)] for k, v in describe(state, config).items()])


def _step(i: int, before, step, config) -> str:
    if before is None:
        return (f"<li><b>initial state</b><details><summary>every variable</summary>"
                f"{_state_table(step.state, config)}</details></li>")
    diff = changes(before.state, step.state, config)
    rows = [[f"<code>{_e(k)}</code>", f'<span class="old">{_e(a)}</span>', f'<span class="new">{_e(b)}</span>']
            for k, (a, b) in diff.items()]
    shown = _table(["variable", "before", "after"], rows) if rows else "<p>no visible change</p>"
    return (f"<li><code>{_e(step.action)}</code>{shown}<details><summary>every variable after step {i}</summary>"
            f"{_state_table(step.state, config)}</details></li>")


def _counterexample(r, config) -> str:
    head = f'<h3 id="cx-{_e(r.name)}"><code>{_e(r.name)}</code></h3><p>{_e(r.doc)}</p>'
    if not r.counterexample:
        return head + "<p>The claim failed with no path: nothing in the explored graph satisfied it.</p>"
    steps = r.counterexample
    items = "".join(_step(i, before, step, config)
                    for i, (before, step) in enumerate(zip([None] + steps[:-1], steps)))
    text = head + (f'<p>{len(steps) - 1} steps from the initial state (a shortest path).</p>'
                   f'<ol class="steps" start="0">{items}</ol>')
    return text + (_cycle(r, config) if r.cycle is not None else "")


def _cycle(r, config) -> str:
    """A lasso's loop, numbered on from the stem."""
    n = len(r.counterexample)
    if not r.cycle:
        return (f"<p>Then it stutters at step {n - 1} forever: no fair action is enabled there and the goal "
                f"never holds.</p>")
    items = "".join(_step(i, before, step, config) for i, before, step in cycle_steps(r))
    return (f"<p>Then repeats forever, a fair cycle back to step {n - 1} (the goal never holds):</p>"
            f'<ol class="steps" start="{n}">{items}</ol>')


def _counterexamples(result) -> str:
    bad = [r for r in result.results if r.verdict == "violated"]
    if not bad:
        return "<p>None: no property is violated.</p>"
    return "".join(_counterexample(r, result.config) for r in bad)


def _coverage(result) -> str:
    coverage = action_coverage(result)
    rows = [[f"<code>{_e(c.event)}</code>", _e(c.kind), f"{len(c.fired)} of {len(c.bound)}", f"{c.transitions:,}"]
            for c in coverage]
    never = [label for c in coverage for label in c.never]
    fired = sum(len(c.fired) for c in coverage)
    bound = sum(len(c.bound) for c in coverage)
    text = (f"<p>{fired} of {bound} bound events label at least one transition of the explored graph; "
            f"{len(never)} never enabled.</p>")
    never_html = ("<h3>Never enabled</h3><ul class=\"never\">" + "".join(f"<li><code>{_e(n)}</code></li>" for n in never)
                  + "</ul>") if never else "<p>Every bound event is enabled somewhere.</p>"
    return text + _table(["event", "kind", "bound events enabled", "transitions"], rows) + never_html


def inline_svg(svg: str, prefix: str) -> str:
    """SVG from ``dot`` made fit to inline in HTML: no XML prolog, ids made unique with ``prefix``.

    >>> inline_svg('<?xml version="1.0"?>\\n<!DOCTYPE svg>\\n<svg><g id="node1"></g></svg>', "m")
    '<svg><g id="m-node1"></g></svg>'
    """
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r'\bid="([^"]*)"', lambda m: f'id="{prefix}-{m.group(1)}"', svg)
    return re.sub(r'href="#([^"]*)"', lambda m: f'href="#{prefix}-{m.group(1)}"', svg).strip()


def _machines(result, draw: bool = True) -> str:
    from .diagrams import machine_diagram, render_svg
    parts = ["<p>Drawn from the tables as checked: <code>trigger [guards] / effects</code> on each edge; "
             "a dashed box stands for every state it lists.</p>"]
    for machine in result.system.machines:
        dot = machine_diagram(machine)
        body = inline_svg(render_svg(dot), f"machine-{machine.name}") if draw else f"<pre>{_e(dot.source)}</pre>"
        parts.append(f'<figure id="machine-{_e(machine.name)}"><figcaption>{_e(machine.name)}</figcaption>'
                     f"{body}</figure>")
    return "".join(parts)


def _traceability(result) -> str:
    """The requirements traceability table; it is the model's, the same for every check."""
    from ..specs.requirements import CatalogueError
    from .traceability import TraceabilityError, build, render_html
    try:
        return render_html(build())
    except (TraceabilityError, CatalogueError) as exc:
        return f"<p>Not available: {_e(exc)}</p>"


#: The report's sections in order: (anchor, title, ``(result, draw) -> HTML``).
SECTIONS: tuple[tuple[str, str, Callable], ...] = (
    ("summary", "Summary", lambda result, draw: _summary(result)),
    ("properties", "Properties", lambda result, draw: _properties(result)),
    ("counterexamples", "Counterexamples", lambda result, draw: _counterexamples(result)),
    ("coverage", "Action coverage", lambda result, draw: _coverage(result)),
    ("machines", "Machines", _machines),
    ("traceability", "Requirements traceability", lambda result, draw: _traceability(result)),
)


def render_report(result, *, draw: bool = True) -> str:
    """The whole page; ``draw=False`` shows DOT source instead of SVG (no Graphviz needed)."""
    cfg = result.config
    title = f"hvr-model check: {cfg.name}" + (f" (mutant {result.mutant})" if result.mutant else "")
    nav = "".join(f'<a href="#{anchor}">{_e(name)}</a>' for anchor, name, _ in SECTIONS)
    body = "".join(f'<section id="{anchor}"><h2>{_e(name)}</h2>{section(result, draw)}</section>'
                   for anchor, name, section in SECTIONS)
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>'
            f"<body><h1>{_e(title)}</h1><nav>{nav}</nav>{body}</body></html>\n")


def write_report(result, directory: Path | str, *, draw: bool = True) -> Path:
    """Write ``index.html`` for ``result`` into ``directory`` (made if needed), whole or not at all.

    Raises
    ------
    OutputError
        ``directory`` is a file, or cannot be written.
    """
    with Outputs() as outputs:
        path = outputs.stage(outputs.folder(directory, "report") / "index.html", render_report(result, draw=draw))
        outputs.commit()
        return path
