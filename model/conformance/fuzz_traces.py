"""What a fuzz campaign leaves: edge coverage against an explored graph, and replayable traces.

A failure is printed as numbered steps (:func:`reproduction`) and saved as a
JSON Lines trace (:func:`write_trace`) that ``hvr-model trace check`` replays.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ..checker.outputs import write_atomic

from ..hyperv.config import Config
from ..hyperv.describe import describe
from ..hyperv.mutants import system_for
from ..hyperv.state import SITE_NAMES
from ..hyperv.system import System
from .oracle import Oracle
from .traces import FORMAT, VERSION, _state_paths

__all__ = ["Coverage", "coverage", "reproduction", "trace_lines", "trace_text", "write_trace"]


# -- coverage -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Coverage:
    edges: int
    covered_edges: int
    actions: int
    covered_actions: int
    uncovered_edges: tuple            # (state, state, actions) of the graph no run exercised
    uncovered_actions: tuple[str, ...]

    @property
    def edge_percent(self) -> float:
        return 100.0 * self.covered_edges / self.edges if self.edges else 100.0

    @property
    def action_percent(self) -> float:
        return 100.0 * self.covered_actions / self.actions if self.actions else 100.0


def coverage(exploration, fuzzed_edges) -> Coverage:
    """Which edges (state pairs) and action names of the explored graph the fuzzed edges exercised.

    ``fuzzed_edges``: ``(state, label, next state)`` triples (``FuzzReport.edges``) or ``(state, next)`` pairs.
    """
    graph = exploration.graph
    pairs = {(e[0], e[-1]) for e in fuzzed_edges}
    fuzzed_actions = {e[1] for e in fuzzed_edges if len(e) == 3}
    all_actions, uncovered = set(), []
    for u, v, attrs in graph.edges(data=True):
        all_actions.update(attrs["actions"])
        if (u, v) not in pairs:
            uncovered.append((u, v, tuple(attrs["actions"])))
    covered_actions = all_actions & fuzzed_actions
    return Coverage(graph.number_of_edges(), graph.number_of_edges() - len(uncovered), len(all_actions),
                    len(covered_actions), tuple(uncovered), tuple(sorted(all_actions - covered_actions)))


# -- reproductions and traces ---------------------------------------------------------------------

def reproduction(failure) -> str:
    """The failure as a short numbered list of events from the initial state."""
    lines = [failure.message, "  0. initial state"]
    lines += [f"  {i}. {label}" for i, label in enumerate(failure.labels, 1)]
    return "\n".join(lines)


def _trace_event(system: System, label: str) -> dict:
    a = system.event_by_label[label].args
    item = {"event": a.event}
    if a.vm is not None:
        item["vm"] = system.config.vms[a.vm].name
    if a.site is not None:
        item["site"] = SITE_NAMES[a.site]
    if a.disk is not None:
        item["disk"] = a.disk
    if a.block is not None:
        item["block"], item["data"] = a.block, a.value
    return item


def trace_lines(config: Config, labels, comment: str = "", mutant: str | None = None) -> list[dict]:
    """A JSON Lines trace (hvr_model.conformance.traces format) of ``labels``, header config = the config's name.

    For a mutant, the last event expects the mutant's state wherever it differs from the real
    model's after the same events, so that ``hvr-model trace check`` (which replays on the real
    model) reports the divergence even when every event is allowed there.
    """
    mutant_system = system_for(config, mutant)
    header = {"format": FORMAT, "version": VERSION, "config": config.name, "observed": "full"}
    if comment:
        header["comment"] = comment
    events = [_trace_event(mutant_system, label) for label in labels]
    if mutant and events:
        real = Oracle(config)
        known = _state_paths(real)
        w = mutant_system.initial_states()[0]
        try:
            for label in labels:
                w = mutant_system.apply(w, label)
                real.apply_label(label)
        except Exception:  # noqa: BLE001 -- the real model refuses an event: the replay fails there
            return [header, *events]
        theirs, ours = describe(w, config), describe(real.state, real.config)
        expect = {p: v for p, v in theirs.items() if p in known and ours.get(p) != v}
        if expect:
            events[-1]["expect"] = expect
    return [header, *events]


def trace_text(config: Config, labels, comment: str = "", mutant: str | None = None) -> str:
    """The JSON Lines text of :func:`trace_lines` (what a trace file holds)."""
    return "".join(json.dumps(line) + "\n" for line in trace_lines(config, labels, comment, mutant))


def write_trace(path: str | Path, config: Config, labels, comment: str = "", mutant: str | None = None) -> Path:
    """Write the trace of ``labels`` to ``path`` whole or not at all; OutputError when it cannot be written."""
    return write_atomic(path, trace_text(config, labels, comment, mutant), "trace")
