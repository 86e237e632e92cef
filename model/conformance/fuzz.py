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

import multiprocessing
import os
import time
from collections import Counter
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, Verbosity, settings, target
from hypothesis import seed as hypothesis_seed
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from ..checker.harness import invariant_message, state_machine
from ..checker.properties import Always, AlwaysStep
from ..checker.runtime import as_worker_process
from ..hyperv.config import Config, as_config, load_config  # noqa: F401 -- load_config: used by the docstring example
from ..hyperv.describe import describe
from ..hyperv.mutants import system_for
from ..hyperv.state import SITE_NAMES
from ..hyperv.system import System
from ..specs.catalogue import ALL_PROPERTIES
from .draws import seeded_draws_only
from .fuzz_traces import Coverage, coverage, reproduction, trace_lines, trace_text, write_trace
from .events import event_of
from .implementation import Implementation, ReferenceImplementation

__all__ = ["Implementation", "ReferenceImplementation", "machine_for", "fuzz", "differential", "coverage",
           "Coverage", "FuzzReport", "FuzzFailure", "RunRecord", "FuzzStats", "STATS", "PROFILES",
           "trace_lines", "trace_text", "write_trace", "reproduction", "shrink"]

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
    return [p for p in ALL_PROPERTIES if isinstance(p, Always) and p.applies_to(config)]


def _step_properties(config: Config):
    return [p for p in ALL_PROPERTIES if isinstance(p, AlwaysStep) and p.applies_to(config)]


def machine_for(config: Config | str | os.PathLike[str], implementation: Implementation | None = None, exploration=None,
                record_edges: bool = False, swarm: bool = True,
                mutant: str | None = None) -> type[RuleBasedStateMachine]:
    """A state machine class fuzzing ``config`` (and ``implementation``, default the reference store).

    ``config`` is a Config, a shipped configuration's name or a TOML path. The class runs
    with the ``ci`` profile's settings (50 derandomized runs, no Hypothesis shrinking) unless
    it is given others; :func:`fuzz` also shrinks a failure by replaying its labels.

    Built on the checker's generic harness (:func:`hvr_model.checker.harness.state_machine`).
    With ``exploration`` (a complete :func:`hvr_model.checker.explorer.explore` result of the same
    configuration) every step must be an edge of its graph (see :func:`differential`).
    """
    config = as_config(config)
    system = system_for(config, mutant)
    impl = implementation if implementation is not None else ReferenceImplementation(mutant)
    checker = _Checker(system, impl, exploration, record=record_edges or exploration is not None)
    name = f"Fuzz_{config.name}" + (f"_{mutant}" if mutant else "")
    machine = state_machine(system, invariants=checker.invariants, observer=checker, swarm=swarm, name=name)
    # Run as a test (Machine.TestCase, run_state_machine_as_test), it has the ci profile's
    # settings unless given others: no Hypothesis shrinking (minutes and pages of output on a
    # data configuration); fuzz() shrinks a failure by replaying its labels instead.
    machine.TestCase.settings = settings(PROFILES["ci"], verbosity=Verbosity.normal)
    return machine


class _Checker:
    """Every check of one step: step properties, the implementation's disks, the explored graph.

    The observer of the generic harness; it also replays label sequences for :func:`shrink`.
    """

    def __init__(self, system: System, impl: Implementation, exploration=None, record: bool = False):
        self.system, self.config, self.impl, self.record = system, system.config, impl, record
        # The compact graph answers "is this step an edge?" without building the networkx one.
        self.graph = exploration.store if exploration is not None else None
        self.invariants = _always_properties(self.config)
        self.step_props = _step_properties(self.config)
        self.vm_names = [vm.name for vm in self.config.vms]

    # -- observer hooks of the harness --------------------------------------------------------
    def reset(self, machine=None) -> None:
        global _CURRENT
        _CURRENT = machine
        if machine is not None:
            machine.visited = set()
        self.impl.reset(self.config)

    def step(self, machine, before, after, label: str) -> None:
        STATS.actions[label] += 1
        if self.record:
            STATS.edges.add((before, label, after))
        machine.visited.add(tuple((str(v.protection), str(v.phase)) for v in after.vms))
        self.check_step(before, after, label, self.system.action(label), len(machine.labels))

    def teardown(self, machine) -> None:
        STATS.runs.append(RunRecord(len(machine.labels), tuple(machine.labels), machine.allowed))
        try:
            target(float(len(machine.labels)), label="depth")
            target(float(len(machine.visited)), label="protection/phase pairs visited")
        except Exception:  # noqa: BLE001 -- target() outside a test context (e.g. manual runs)
            pass

    # -- the checks ---------------------------------------------------------------------------
    def invariant(self, prop, state, labels) -> None:
        assert prop.predicate(state, self.config), invariant_message(prop, labels)

    def check_step(self, before, after, label: str, args, n: int) -> None:
        if self.graph is not None:
            _check_edge(self.graph, before, label, after, self.config, n)
        for prop in self.step_props:
            if args.event in prop.events and prop.starts_in(before, self.config):
                assert prop.check(before, after, args, self.config), \
                    f"step property {prop.name} violated by step {n}. {label}: {prop.doc}"
        self.impl.perform(event_of(label, args, self.config))
        if self.config.data is not None:
            self._compare_disks(after, label, n)

    def _compare_disks(self, after, label: str, n: int) -> None:
        for i, vm in enumerate(self.vm_names):
            for s, site in enumerate(SITE_NAMES):
                expected = _model_disks(after, i, s)
                got = tuple(self.impl.disks(vm, site))
                assert got == expected, (f"implementation disks of {vm} on {site} differ from the "
                                         f"reference block store after step {n}. {label}: "
                                         f"implementation {got!r}, model {expected!r}")

    def replay(self, labels) -> tuple[int, str] | None:
        """Replay ``labels`` with every check: ``(steps done, failure message)``, or None if all pass.

        A label the model refuses counts as no failure (the candidate is not a valid run).
        """
        system, state, n = self.system, self.system.initial_states()[0], 0
        try:
            self.reset()
            for prop in self.invariants:
                self.invariant(prop, state, [])
            for n, label in enumerate(labels, 1):
                steps = list(system.steps(state, (system.event_by_label[label],)))
                if not steps:
                    return None
                after = system.fire(state, steps[0])
                self.check_step(state, after, label, steps[0].event.args, n)
                state = after
                for prop in self.invariants:
                    self.invariant(prop, state, labels[:n])
        except Exception as exc:  # noqa: BLE001 -- a failing check
            return n, _message(exc)
        return None


def shrink(config: Config, labels, implementation: Implementation | None = None, exploration=None,
           mutant: str | None = None) -> tuple[tuple[str, ...], str] | None:
    """The failing run ``labels`` made shorter by deleting events (greedy delta debugging).

    Returns ``(labels, message)`` of a shortest failing run found, or None if ``labels`` does not fail.
    """
    checker = _Checker(system_for(config, mutant), implementation or ReferenceImplementation(mutant), exploration)
    found = checker.replay(list(labels))
    if found is None:
        return None
    best, message = list(labels)[:found[0]], found[1]
    changed = True
    while changed:
        changed = False
        # Every block size, largest first: a detour (a cancelled job, then protection enabled
        # again) is many steps long.
        for size in range(len(best) - 1, 0, -1):
            i = 0
            while i + size <= len(best):
                candidate = best[:i] + best[i + size:]
                result = checker.replay(candidate)
                if result is not None:
                    best, message, changed = candidate[:result[0]], result[1], True
                else:
                    i += 1
        # Pairs of events a few steps apart (shutdown ... start, enable ... disable).
        i = 0
        while i < len(best):
            for j in range(i + 2, min(i + 9, len(best))):
                candidate = best[:i] + best[i + 1:j] + best[j + 1:]
                result = checker.replay(candidate)
                if result is not None:
                    best, message, changed = candidate[:result[0]], result[1], True
                    break
            else:
                i += 1
    return tuple(best), message


def _model_disks(world, vm: int, site: int) -> tuple[bytes, ...]:
    images = world.vms[vm].data.images[site]
    return tuple(b"".join(image.read(i) for i in range(len(image.blocks))) for image in images)


def _check_edge(store, before, label, after, config, n):
    problem = None
    if before not in store.index:
        problem = "the state before is not a node of the explored graph"
    elif after not in store.index:
        problem = "the state after is not a node of the explored graph"
    elif not store.has_transition(before, label, after):
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
    mutant: str | None = None

    @property
    def steps(self) -> int:
        return sum(r.steps for r in self.runs)

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else 0.0


def fuzz(config: Config | str | os.PathLike[str], profile: str = "ci", examples: int | None = None, steps: int | None = None,
         seed: int | None = None, implementation: Implementation | None = None, exploration=None,
         record_edges: bool = False, shrink_failures: bool = True, mutant: str | None = None,
         workers: int = 1) -> FuzzReport:
    """Fuzz ``config``; the report holds the statistics and, if a check failed, the shrunk failure.

    With ``workers`` > 1 the runs are a swarm over that many forked processes, each with its
    own seed (``seed + i``, default 0 + i) and its share of the examples; the reports are merged.
    """
    config = as_config(config)
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
    if workers > 1:
        options = dict(profile=profile, examples=examples, steps=steps, seed=seed, implementation=implementation,
                       exploration=exploration, record_edges=record_edges, shrink_failures=shrink_failures,
                       mutant=mutant)
        return _swarm(config, workers, options)
    changes = {}
    if examples is not None:
        changes["max_examples"] = examples
    if steps is not None:
        changes["stateful_step_count"] = steps
    if seed is not None:
        changes["derandomize"] = False
    chosen = settings(PROFILES[profile], **changes)
    machine = machine_for(config, implementation, exploration, record_edges, mutant=mutant)
    if seed is not None:
        machine = hypothesis_seed(seed)(machine)
    STATS.clear()
    failure = None
    start = time.perf_counter()
    try:
        with seeded_draws_only():
            run_state_machine_as_test(machine, settings=chosen)
    except Exception as exc:  # noqa: BLE001 -- any failure of a check (or of the implementation)
        labels = tuple(_CURRENT.labels) if _CURRENT is not None else ()
        shrunk = shrink(config, labels, implementation, exploration, mutant) if shrink_failures else None
        failure = FuzzFailure(*shrunk[::-1]) if shrunk else FuzzFailure(_message(exc), labels)
    seconds = time.perf_counter() - start
    return FuzzReport(config, profile, seconds, list(STATS.runs), Counter(STATS.actions), set(STATS.edges),
                      failure, mutant)


def _swarm(config: Config, workers: int, options: dict) -> FuzzReport:
    """One fuzz campaign per forked process, merged: runs, actions and edges added, the first failure."""
    share = (options["examples"] or PROFILES[options["profile"]].max_examples) // workers or 1
    base = options["seed"] or 0
    jobs = [dict(options, examples=share, seed=base + i) for i in range(workers)]
    start = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(workers, initializer=as_worker_process) as pool:
        reports = pool.starmap(_fuzz_job, [(config, job) for job in jobs])
    merged = FuzzReport(config, options["profile"], time.perf_counter() - start, [], Counter(), set(), None,
                        options["mutant"])
    for report in reports:
        merged.runs += report.runs
        merged.actions.update(report.actions)
        merged.edges |= report.edges
        merged.failure = merged.failure or report.failure
    return merged


def _fuzz_job(config: Config, options: dict) -> FuzzReport:
    return fuzz(config, **options)


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
