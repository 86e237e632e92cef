"""Hypothesis fuzzing of the composed model and of the reference block store.

A :class:`hypothesis.stateful.RuleBasedStateMachine` walks the model: its one rule
picks an enabled event of the current state, fires it with :meth:`System.fire`
and checks, after every step,

* every ``Always`` property of ``specs/`` on the new state and every
  ``AlwaysStep`` property on the step (the predicates are imported from the
  catalogue, never copied);
* in data configurations, that the implementation under test holds, on every
  VM and site, the disk contents of the model's reference block store;
* with :func:`differential`, that the step is an edge of the explored state graph.

Each run draws a random subset of event names to prefer (*swarm testing*: when
none of them is enabled, any enabled event is taken) and ``target()``\\ s the
depth reached and the protection/phase pairs visited. :data:`STATS` collects
the steps, actions and edges each run executed; :func:`coverage` compares them
with an explored graph.

>>> report = fuzz(load_config("single_vm"), profile="ci", examples=3)
>>> report.failure is None, report.steps > 0
(True, True)

Your own implementation plugs in through :class:`Implementation`::

    class Mine:
        def reset(self, config): ...            # a fresh system for this configuration
        def perform(self, label): ...           # e.g. "guest_write(vm=web, disk=0, block=0, data=A)"
        def disks(self, vm, site): ...          # tuple of bytes, one per disk, like Oracle.disks

    fuzz(load_config("data_single_vm"), implementation=Mine())
"""
from __future__ import annotations

import dataclasses
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from hypothesis import HealthCheck, Phase, Verbosity, note, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.stateful import (RuleBasedStateMachine, initialize, invariant, precondition, rule,
                                 run_state_machine_as_test)

from .compose import System
from .config import Config, load_config  # noqa: F401 -- load_config: used by the docstring example
from .describe import describe
from .oracle import Oracle
from .world import SITE_NAMES

__all__ = ["Implementation", "ReferenceImplementation", "machine_for", "fuzz", "differential", "coverage",
           "Coverage", "FuzzReport", "FuzzFailure", "RunRecord", "FuzzStats", "STATS", "PROFILES",
           "trace_lines", "write_trace", "reproduction", "shrink"]

# Hypothesis' own shrinking of long stateful runs is slow (minutes on data configurations);
# failures are shrunk instead by replaying label sequences (:func:`shrink`).
_PHASES = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target)

PROFILES: dict[str, settings] = {
    "ci": settings(max_examples=50, stateful_step_count=60, derandomize=True, deadline=None, database=None,
                   verbosity=Verbosity.quiet, report_multiple_bugs=False,
                   suppress_health_check=list(HealthCheck), phases=_PHASES),
    "deep": settings(max_examples=2000, stateful_step_count=200, derandomize=False, deadline=None,
                     database=None, verbosity=Verbosity.quiet, report_multiple_bugs=False,
                     suppress_health_check=list(HealthCheck), phases=_PHASES),
}
"""``ci``: deterministic, 50 runs of up to 60 steps. ``deep``: 2000 random runs of up to 200 steps."""


# -- the implementation under test -------------------------------------------------------------

@runtime_checkable
class Implementation(Protocol):
    """The adapter a DR implementation provides to be fuzzed against the model.

    ``reset(config)`` starts from the configuration's initial state; ``perform(label)``
    carries out one event, named by its model label (``begin_disk_copy(vm=web, disk=0)``);
    ``disks(vm, site)`` returns the bytes of each of VM ``vm``'s disks on ``site``
    (``"primary"`` or ``"recovery"``), compared after every step in data configurations.
    """

    def reset(self, config: Config) -> None: ...

    def perform(self, label: str) -> None: ...

    def disks(self, vm: str, site: str) -> tuple[bytes, ...]: ...


class ReferenceImplementation:
    """The default implementation: the model's own reference block store (via :class:`Oracle`)."""

    def reset(self, config: Config) -> None:
        self.oracle = Oracle(config)

    def perform(self, label: str) -> None:
        self.oracle.apply_label(label)

    def disks(self, vm: str, site: str) -> tuple[bytes, ...]:
        return self.oracle.disks(vm, site)


# -- statistics ---------------------------------------------------------------------------------

@dataclass
class RunRecord:
    """One fuzz run (one Hypothesis example): its steps, the actions it fired, its swarm subset."""

    steps: int
    actions: tuple[str, ...]
    swarm: frozenset[str]


@dataclass
class FuzzStats:
    runs: list[RunRecord] = field(default_factory=list)
    actions: Counter = field(default_factory=Counter)
    edges: set = field(default_factory=set)          # (state, label, next state), when recorded

    @property
    def steps(self) -> int:
        return sum(r.steps for r in self.runs)

    def clear(self) -> None:
        self.runs.clear()
        self.actions.clear()
        self.edges.clear()


STATS = FuzzStats()
"""Every run since the last :func:`fuzz` started (module level, so pytest runs can read it too)."""


# -- the state machine ----------------------------------------------------------------------------

def _always_properties(config: Config):
    from .specs.catalogue import ALL_PROPERTIES
    from .specs.properties import Always
    return [p for p in ALL_PROPERTIES if isinstance(p, Always) and p.applies_to(config)]


def _step_properties(config: Config):
    from .specs.catalogue import ALL_PROPERTIES
    from .specs.properties import AlwaysStep
    return [p for p in ALL_PROPERTIES if isinstance(p, AlwaysStep) and p.applies_to(config)]


def machine_for(config: Config, implementation: Implementation | None = None, exploration=None,
                record_edges: bool = False, swarm: bool = True) -> type[RuleBasedStateMachine]:
    """A state machine class fuzzing ``config`` (and ``implementation``, default the reference store).

    With ``exploration`` (a complete :func:`hvr_model.explorer.explore` result of the same
    configuration) every step must be an edge of its graph (see :func:`differential`).
    """
    system = System(config)
    impl = implementation if implementation is not None else ReferenceImplementation()
    graph = exploration.graph if exploration is not None else None
    record = record_edges or graph is not None
    names = sorted({e.args.event for e in system.events})
    checker = _Checker(config, impl, exploration)

    class ModelMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.state = system.initial_states()[0]
            self.labels: list[str] = []
            self.visited: set = set()
            self.fired: Counter = Counter()
            self.states: set = set()
            self.allowed: frozenset[str] = frozenset(names)
            checker.reset()
            global _CURRENT
            _CURRENT = self
            self._enabled_cache = None

        @initialize(data=st.data())
        def choose_swarm(self, data):
            if swarm:
                chosen = data.draw(st.fixed_dictionaries({n: st.booleans() for n in names}), label="swarm")
                self.allowed = frozenset(n for n, keep in chosen.items() if keep) or frozenset(names)
            note(f"swarm: {', '.join(sorted(self.allowed))}")

        def _steps(self):
            if self._enabled_cache is None or self._enabled_cache[0] is not self.state:
                self._enabled_cache = (self.state, list(system.steps(self.state)))
            return self._enabled_cache[1]

        @precondition(lambda self: bool(self._steps()))
        @rule(data=st.data())
        def step(self, data):
            steps = self._steps()
            # Swarm: prefer the run's subset of events, unless none is enabled or the run loops.
            looping = self.state in self.states
            self.states.add(self.state)
            preferred = (None if looping else [s for s in steps if s.event.args.event in self.allowed]) or steps
            labels = {s.event.label for s in preferred}
            # Within a run, the events fired least often so far come first (fewer reset loops).
            least = min(self.fired[label] for label in labels)
            fresh = sorted(label for label in labels if self.fired[label] == least)
            label = data.draw(st.sampled_from(fresh), label="event")
            self.fired[label] += 1
            choices = [s for s in preferred if s.event.label == label]
            chosen = choices[0] if len(choices) == 1 else data.draw(st.sampled_from(choices), label="rows")
            before = self.state
            after = system.fire(before, chosen)
            self.state = after
            self.labels.append(label)
            note(f"{len(self.labels)}. {label}")
            STATS.actions[label] += 1
            if record:
                STATS.edges.add((before, label, after))
            self.visited.add(tuple((str(v.protection), str(v.phase)) for v in after.vms))
            checker.step(before, after, chosen, len(self.labels))

        def teardown(self):
            STATS.runs.append(RunRecord(len(self.labels), tuple(self.labels), self.allowed))
            try:
                target(float(len(self.labels)), label="depth")
                target(float(len(self.visited)), label="protection/phase pairs visited")
            except Exception:  # noqa: BLE001 -- target() outside a test context (e.g. manual runs)
                pass

    for prop in checker.invariants:
        ModelMachine = _add_invariant(ModelMachine, prop, checker)
    ModelMachine.__name__ = ModelMachine.__qualname__ = f"Fuzz_{config.name}" + (
        f"_{config.mutant}" if config.mutant else "")
    return ModelMachine


def _add_invariant(cls, prop, checker):
    def check(self):
        checker.invariant(prop, self.state, self.labels)
    check.__name__ = f"invariant_{prop.name}"
    setattr(cls, check.__name__, invariant()(check))
    return cls


class _Checker:
    """Every check of one step: step properties, the implementation's disks, the explored graph."""

    def __init__(self, config: Config, impl: Implementation, exploration=None):
        self.config, self.impl = config, impl
        self.graph = exploration.graph if exploration is not None else None
        self.invariants = _always_properties(config)
        self.step_props = _step_properties(config)
        self.vm_names = [vm.name for vm in config.vms]

    def reset(self) -> None:
        self.impl.reset(self.config)

    def invariant(self, prop, state, labels) -> None:
        assert prop.predicate(state, self.config), (
            f"invariant {prop.name} violated after step {len(labels)}"
            + (f". {labels[-1]}" if labels else " (initial state)") + f": {prop.doc}")

    def step(self, before, after, step, n: int) -> None:
        label, args = step.event.label, step.event.args
        if self.graph is not None:
            _check_edge(self.graph, before, label, after, self.config, n)
        for prop in self.step_props:
            if args.event in prop.events:
                assert prop.check(before, after, args, self.config), \
                    f"step property {prop.name} violated by step {n}. {label}: {prop.doc}"
        self.impl.perform(label)
        if self.config.data is not None:
            for i, vm in enumerate(self.vm_names):
                for s, site in enumerate(SITE_NAMES):
                    expected = _model_disks(after, i, s)
                    got = tuple(self.impl.disks(vm, site))
                    assert got == expected, (f"implementation disks of {vm} on {site} differ from the "
                                             f"reference block store after step {n}. {label}: "
                                             f"implementation {got!r}, model {expected!r}")

    def replay(self, system: System, labels) -> tuple[int, str] | None:
        """Replay ``labels`` with every check: ``(steps done, failure message)``, or None if all pass.

        A label the model refuses counts as no failure (the candidate is not a valid run).
        """
        state, n = system.initial_states()[0], 0
        try:
            self.reset()
            for prop in self.invariants:
                self.invariant(prop, state, [])
            for n, label in enumerate(labels, 1):
                steps = list(system.steps(state, (system.event_by_label[label],)))
                if not steps:
                    return None
                after = system.fire(state, steps[0])
                self.step(state, after, steps[0], n)
                state = after
                for prop in self.invariants:
                    self.invariant(prop, state, labels[:n])
        except Exception as exc:  # noqa: BLE001 -- a failing check
            return n, _message(exc)
        return None


def shrink(config: Config, labels, implementation: Implementation | None = None, exploration=None,
           ) -> tuple[tuple[str, ...], str] | None:
    """The failing run ``labels`` made shorter by deleting events (greedy delta debugging).

    Returns ``(labels, message)`` of a shortest failing run found, or None if ``labels`` does not fail.
    """
    system = System(config)
    checker = _Checker(config, implementation or ReferenceImplementation(), exploration)
    found = checker.replay(system, list(labels))
    if found is None:
        return None
    best, message = list(labels)[:found[0]], found[1]
    changed = True
    while changed:
        changed = False
        for size in (4, 3, 2, 1):
            i = 0
            while i + size <= len(best):
                candidate = best[:i] + best[i + size:]
                result = checker.replay(system, candidate)
                if result is not None:
                    best, message, changed = candidate[:result[0]], result[1], True
                else:
                    i += 1
        # Pairs of events a few steps apart (shutdown ... start, enable ... disable).
        i = 0
        while i < len(best):
            for j in range(i + 2, min(i + 9, len(best))):
                candidate = best[:i] + best[i + 1:j] + best[j + 1:]
                result = checker.replay(system, candidate)
                if result is not None:
                    best, message, changed = candidate[:result[0]], result[1], True
                    break
            else:
                i += 1
    return tuple(best), message


def _model_disks(world, vm: int, site: int) -> tuple[bytes, ...]:
    images = world.vms[vm].data.images[site]
    return tuple(b"".join(image.read(i) for i in range(len(image.blocks))) for image in images)


def _check_edge(graph, before, label, after, config, n):
    problem = None
    if before not in graph:
        problem = "the state before is not a node of the explored graph"
    elif after not in graph:
        problem = "the state after is not a node of the explored graph"
    elif not graph.has_edge(before, after) or label not in graph.edges[before, after]["actions"]:
        problem = "the step is not an edge of the explored graph"
    if problem:
        raise AssertionError(f"differential: step {n}. {label}: {problem}\n  before: {describe(before, config)}"
                             f"\n  after: {describe(after, config)}")


_CURRENT = None


# -- running --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FuzzFailure:
    message: str
    labels: tuple[str, ...]           # the (shrunk) events from the initial state


@dataclass
class FuzzReport:
    config: Config
    profile: str
    seconds: float
    runs: list[RunRecord]
    actions: Counter
    edges: set
    failure: FuzzFailure | None = None

    @property
    def steps(self) -> int:
        return sum(r.steps for r in self.runs)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else 0.0


def fuzz(config: Config, profile: str = "ci", examples: int | None = None, steps: int | None = None,
         seed: int | None = None, implementation: Implementation | None = None, exploration=None,
         record_edges: bool = False, shrink_failures: bool = True) -> FuzzReport:
    """Fuzz ``config``; the report holds the statistics and, if a check failed, the shrunk failure."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
    changes = {}
    if examples is not None:
        changes["max_examples"] = examples
    if steps is not None:
        changes["stateful_step_count"] = steps
    if seed is not None:
        changes["derandomize"] = False
    chosen = settings(PROFILES[profile], **changes)
    machine = machine_for(config, implementation, exploration, record_edges)
    if seed is not None:
        machine = hypothesis_seed(seed)(machine)
    STATS.clear()
    failure = None
    start = time.perf_counter()
    try:
        run_state_machine_as_test(machine, settings=chosen)
    except Exception as exc:  # noqa: BLE001 -- any failure of a check (or of the implementation)
        labels = tuple(_CURRENT.labels) if _CURRENT is not None else ()
        shrunk = shrink(config, labels, implementation, exploration) if shrink_failures else None
        failure = FuzzFailure(*shrunk[::-1]) if shrunk else FuzzFailure(_message(exc), labels)
    seconds = time.perf_counter() - start
    return FuzzReport(config, profile, seconds, list(STATS.runs), Counter(STATS.actions), set(STATS.edges),
                      failure)


def _message(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_message(e) for e in exc.exceptions)
    return f"{type(exc).__name__}: {exc}".splitlines()[0] if not isinstance(exc, AssertionError) \
        else str(exc) or type(exc).__name__


def differential(config: Config, exploration, profile: str = "ci", **options) -> FuzzReport:
    """Fuzz ``config`` checking that every step is an edge (and every state a node) of ``exploration``.

    A divergence is reported as the report's failure (an AssertionError naming the step and both
    states); use :func:`coverage` on ``report.edges`` for the edges the runs exercised.
    """
    if not exploration.complete:
        raise ValueError("differential fuzzing needs a complete exploration")
    return fuzz(config, profile, exploration=exploration, **options)


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

def reproduction(failure: FuzzFailure) -> str:
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


def trace_lines(config: Config, labels, comment: str = "") -> list[dict]:
    """A JSON Lines trace (model/traces.py format) of ``labels``, header config = the config's name.

    For a mutant, the last event expects the mutant's state wherever it differs from the real
    model's after the same events, so that ``hvr-model trace check`` (which replays on the real
    model) reports the divergence even when every event is allowed there.
    """
    from .traces import FORMAT, VERSION, _state_paths
    mutant_system = System(config)
    header = {"format": FORMAT, "version": VERSION, "config": config.name, "observed": "full"}
    if comment:
        header["comment"] = comment
    events = [_trace_event(mutant_system, label) for label in labels]
    if config.mutant and events:
        real = Oracle(dataclasses.replace(config, mutant=None))
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


def write_trace(path: str | Path, config: Config, labels, comment: str = "") -> Path:
    path = Path(path)
    path.write_text("".join(json.dumps(line) + "\n" for line in trace_lines(config, labels, comment)),
                    encoding="utf-8")
    return path
