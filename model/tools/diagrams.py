"""State diagrams drawn from the declarative machine tables, and the ``diagrams/`` folder.

Each machine (:data:`hvr_model.hyperv.system.MACHINES`) is drawn from the very rows
the model runs: one node per state (the Enum value, which is the real
system's name, with Hyper-V's name on a second line where it differs), one
edge per row labelled ``trigger [guards] / effects``. A row that fires from
many states (``FAN_IN`` or more) is drawn once, from a dashed box that lists
those states. ``dest="="`` rows are self-loops.

:func:`diagram_sources` is the catalogue of everything in ``diagrams/``: the
machine diagrams, the projections of explored graphs and a counterexample
(see :mod:`hvr_model.tools.projection`); :func:`write_diagrams` writes each as DOT
source and SVG (rendered with Graphviz ``dot``). The DOT is deterministic
(sorted, no timestamps), so a test can tell when a committed diagram is stale.

>>> from hvr_model.hyperv.protocol.protection import PROTECTION
>>> dot = machine_diagram(PROTECTION).source
>>> 'Protected -> PlannedFailoverPendingCommit [label="planned_failover [vault_reachable,' in dot
True
>>> "FailedOverWaitingCompletion" in dot
True
"""
from __future__ import annotations

import html
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path

import graphviz

from ..checker.inputs import InputError, read_text
from ..checker.outputs import OutputError, Outputs
from ..checker.tables import MachineSpec

__all__ = ["Row", "rows", "row_text", "machine_diagram", "render_svg", "diagram_sources",
           "write_diagrams", "graphviz_missing", "LEDGER", "FAN_IN", "PROJECTIONS", "COUNTEREXAMPLES"]

#: A row firing from at least this many states is drawn once, from a box listing them.
FAN_IN = 4
_WRAP = 46          # characters per line of an edge label
_FONT = "Helvetica"

#: Projections drawn in diagrams/: (configuration, abstraction name, abstraction argument).
PROJECTIONS = (("single_vm", "vm_protection", "web"), ("single_vm", "site_roles", None),
               ("two_group_plan", "plan_progress", None))
#: Counterexamples drawn in diagrams/: (configuration, mutant, abstraction name, argument).
COUNTEREXAMPLES = (("single_vm", "planned_failover_without_final_log", "vm_protection", "web"),)


@dataclass(frozen=True)
class Row:
    """One row of a machine table, normalised: state names as strings, ``dest`` None = stay."""

    trigger: str
    sources: tuple[str, ...]
    dest: str | None
    conditions: tuple[str, ...]
    effects: tuple[str, ...]


def rows(spec: MachineSpec) -> list[Row]:
    """The rows of ``spec`` in table order, sources as state names.

    >>> from hvr_model.hyperv.environment import NETWORK
    >>> rows(NETWORK)[0]
    Row(trigger='network_partition', sources=('Connected',), dest='Partitioned', conditions=('fault_budget_left',), effects=())
    """
    out = []
    for t in spec.transitions:
        source = t["source"]
        sources = tuple(str(s) for s in (source if isinstance(source, (list, tuple)) else [source]))
        dest = None if t["dest"] == "=" else str(t["dest"])
        out.append(Row(t["trigger"], sources, dest, tuple(t.get("conditions", ())), tuple(t.get("after", ()))))
    return out


def row_text(row: Row) -> str:
    """The edge label on one line: ``trigger [guard, ...] / effect, ...``.

    >>> row_text(Row("commit", ("A",), "B", ("vault_reachable",), ("keep_chosen_recovery_point",)))
    'commit [vault_reachable] / keep_chosen_recovery_point'
    >>> row_text(Row("site_restored", ("Offline",), "Online", (), ()))
    'site_restored'
    """
    text = row.trigger
    if row.conditions:
        text += f" [{', '.join(row.conditions)}]"
    if row.effects:
        text += f" / {', '.join(row.effects)}"
    return text


def _wrapped(row: Row) -> str:
    """The edge label wrapped into lines (DOT ``\\n`` escapes)."""
    return "\\n".join(textwrap.wrap(row_text(row), _WRAP, break_on_hyphens=False))


def _state_label(name: str, spec: MachineSpec) -> str:
    """An HTML-like node label: the state name, and Hyper-V's name below it where it differs."""
    label = f"<B>{html.escape(name)}</B>"
    hyperv = spec.system_names.get(name)
    if hyperv and hyperv != name:
        lines = textwrap.wrap(f"Hyper-V: {hyperv}", 40)
        label += '<BR/><FONT POINT-SIZE="9">' + "<BR/>".join(map(html.escape, lines)) + "</FONT>"
    return f"<{label}>"


def _groups(spec: MachineSpec) -> dict[tuple[str, ...], str]:
    """The fan-in source sets of ``spec``, sorted, each with its node id (``from_any_1``, ...)."""
    sets = sorted({row.sources for row in rows(spec) if len(row.sources) >= FAN_IN})
    return {sources: f"from_any_{i}" for i, sources in enumerate(sets, 1)}


def _group_label(sources: tuple[str, ...], spec: MachineSpec) -> str:
    if set(sources) == {str(s) for s in spec.states}:
        return "from every state"
    return "from any of\\n" + "\\n".join(sources)


def _edges(spec: MachineSpec) -> list[tuple[str, str, str]]:
    """``(tail, head, label)`` for every row, sorted; fan-in rows start at their group box."""
    order, groups = {str(s): i for i, s in enumerate(spec.states)}, _groups(spec)
    edges = []
    for row in rows(spec):
        if row.sources in groups:
            group = groups[row.sources]
            edges.append((group, row.dest or group, _wrapped(row)))
        else:
            edges += [(s, row.dest or s, _wrapped(row)) for s in row.sources]
    last = len(order)  # group boxes after the states
    return sorted(edges, key=lambda e: (order.get(e[0], last), e[0], order.get(e[1], last), e[1], e[2]))


def machine_diagram(spec: MachineSpec) -> graphviz.Digraph:
    """The machine's table as a Graphviz digraph (deterministic DOT).

    >>> from hvr_model.hyperv.environment import VAULT
    >>> print(machine_diagram(VAULT).source)  # doctest: +ELLIPSIS
    // hvr-model machine vault: generated from the table, do not edit
    digraph vault {
    ...
    	Reachable -> Unreachable [label="vault_outage [fault_budget_left]"]
    	Unreachable -> Reachable [label=vault_restored]
    }
    """
    dot = graphviz.Digraph(spec.name, comment=f"hvr-model machine {spec.name}: generated from the table, do not edit")
    dot.attr(rankdir="TB", nodesep="0.5", fontname=_FONT, labelloc="t", fontsize="16",
             label=f"{spec.name} (one per {spec.scope}): {spec.doc}")
    dot.attr("node", shape="box", style="rounded", fontname=_FONT, fontsize="12")
    dot.attr("edge", fontname=_FONT, fontsize="9")
    dot.node("__initial", shape="point", width="0.15", label="")
    for state in spec.states:
        dot.node(str(state), _state_label(str(state), spec),
                 **({"penwidth": "2"} if state == spec.initial else {}))
    dot.edge("__initial", str(spec.initial))
    for sources, node in _groups(spec).items():
        dot.node(node, _group_label(sources, spec), style="dashed", fontsize="9")
    for tail, head, label in _edges(spec):
        dot.edge(tail, head, label)
    return dot


def render_svg(dot: graphviz.Digraph | graphviz.Graph) -> str:
    """The diagram as SVG text, laid out by Graphviz ``dot``.

    >>> from hvr_model.hyperv.environment import NETWORK
    >>> render_svg(machine_diagram(NETWORK)).lstrip().startswith("<?xml")
    True
    """
    return dot.pipe(format="svg", engine="dot", encoding="utf-8")


def diagram_sources() -> dict[str, graphviz.Digraph]:
    """Every diagram of ``diagrams/`` by file stem, in a fixed order (explores small configurations)."""
    from ..hyperv.system import MACHINES
    from .projection import counterexample_diagram, projection_diagram
    out = {f"machine_{m.name}": machine_diagram(m) for m in MACHINES}
    for config, abstraction, arg in PROJECTIONS:
        suffix = f"_{arg}" if arg else ""
        out[f"projection_{config}_{abstraction}{suffix}"] = projection_diagram(config, abstraction, arg)
    for config, mutant, abstraction, arg in COUNTEREXAMPLES:
        out[f"counterexample_{config}_{mutant}"] = counterexample_diagram(config, mutant, abstraction, arg)
    return out


#: The list of files ``write_diagrams`` wrote into a folder, so that it removes only its own files.
LEDGER = ".hvr-model-diagrams"


def graphviz_missing() -> str | None:
    """None when Graphviz's ``dot`` renders, else one line naming the package to install."""
    try:
        graphviz.Digraph().pipe(format="svg")
    except graphviz.ExecutableNotFound:
        return ("Graphviz's dot program is not installed: install the graphviz package "
                "(apt-get install graphviz, brew install graphviz, or winget install graphviz)")
    except (graphviz.CalledProcessError, OSError, RuntimeError) as exc:
        return (f"Graphviz's dot program does not run ({type(exc).__name__}): reinstall the graphviz package "
                "(apt-get install --reinstall graphviz)")
    return None


#: The names ``write_diagrams`` may write or remove (a ledger naming anything else is not obeyed).
_GENERATED = re.compile(r"^(machine|projection|counterexample)_[A-Za-z0-9_]+\.(dot|svg)$")


def _ledger(folder: Path) -> set[str]:
    """The file names an earlier run listed as its own (none when there is no ledger).

    Raises
    ------
    OutputError
        The ledger is not a regular UTF-8 file of at most 1 MiB (a FIFO, a link to a device).
    """
    path = folder / LEDGER
    if not os.path.lexists(path):
        return set()
    if path.is_symlink():
        raise OutputError(f"--out: {path} is a symbolic link, not a ledger written by hvr-model diagrams")
    try:
        text = read_text(path, what="diagram ledger", remember=False)
    except InputError as exc:
        raise OutputError(f"--out: {exc}") from None
    return {name for name in text.splitlines() if _GENERATED.match(name)}


def _refuse_foreign(folder: Path, names: list[str], listed: set[str]) -> None:
    """OutputError when a file this run would replace exists and no earlier run listed it: it is not ours."""
    foreign = [name for name in names if os.path.lexists(folder / name) and name not in listed]
    if foreign:
        raise OutputError(f"--out: {folder / foreign[0]} exists and was not written by hvr-model diagrams (its "
                          f"ledger {LEDGER} does not list it): move it or choose another folder"
                          + (f" ({len(foreign)} such files)" if len(foreign) > 1 else ""))


def write_diagrams(out: Path | str = "diagrams") -> list[Path]:
    """Write every diagram as ``STEM.dot`` and ``STEM.svg`` under ``out``; return the paths written.

    Every file is rendered first, then all are renamed into place together, so an
    interrupted run leaves the folder as it was. The folder's ``.hvr-model-diagrams``
    lists the files written. A file an earlier run listed and this catalogue no longer
    has is removed; a file of the same name as a diagram that no ledger lists is never
    replaced (the run is refused), and nothing else in the folder is touched.

    Raises
    ------
    OutputError
        ``out`` is a file or cannot be written, it holds a file of a diagram's name that
        an earlier run did not write, or Graphviz's ``dot`` does not run (the message names
        the package); nothing is written.
    """
    with Outputs() as outputs:
        folder = outputs.folder(out, "--out")
        missing = graphviz_missing()
        if missing:
            raise OutputError(missing)
        listed = _ledger(folder)
        sources = diagram_sources()
        names = sorted(f"{stem}{suffix}" for stem in sources for suffix in (".dot", ".svg"))
        _refuse_foreign(folder, names, listed)
        for stem, dot in sources.items():
            for suffix, text in ((".dot", dot.source), (".svg", render_svg(dot))):
                outputs.stage(folder / f"{stem}{suffix}", text)
        outputs.stage(folder / LEDGER, "".join(f"{name}\n" for name in names))
        written = [p for p in outputs.commit() if p.name != LEDGER]
    for name in sorted(listed - set(names)):
        stale = folder / name
        if stale.is_file() and not stale.is_symlink():
            stale.unlink()
    return written
