"""Safety-only exploration: fingerprints instead of a graph, for state spaces beyond memory.

The search is breadth-first and level-synchronous like :func:`explore`, but it
keeps only a :class:`~hvr_model.checker.fingerprints.FingerprintTable` (16 bytes
a slot) and the states of the level being expanded and the next one. Invariants
are checked on every new state and step claims on every transition as they are
met; reachability witnesses are looked for as the search goes; whole-graph
claims cannot be decided. A counterexample is rebuilt TLC-style: the chain of
parent fingerprints back to an initial state, replayed forward through the
model's successors.

>>> def counter(n):
...     return [("inc", n + 1)] if n < 5 else [("reset", 0)]
>>> run = explore_fingerprints([0], counter, invariants={"below 4": lambda n: n < 4})
>>> run.states, run.edges, run.complete, [(s.action, s.state) for s in run.violations["below 4"]][-1]
(6, 6, True, ('inc', 4))
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ModelError
from .exploration import Progress, Step
from .fingerprints import FingerprintTable, fingerprint
from .runtime import gc_paused, memory_stop, raise_if_interrupted, resident_bytes

__all__ = ["SafetyExploration", "explore_fingerprints", "StepCheck", "Claims", "expand_state"]

_CHUNK = 1024

#: ``(events, check)``: ``check(before, label, after)`` must hold on every transition of those events.
StepCheck = tuple[frozenset[str], Callable[[Any, str, Any], bool]]


@dataclass(eq=False)
class SafetyExploration:
    """What a safety-only search found: counts, and shortest paths to what it looked for."""

    states: int
    edges: int
    depth: int
    seconds: float
    complete: bool
    stopped: str                                   # why an incomplete search stopped ("" if complete)
    violations: dict[str, list[Step]]              # invariant -> shortest path to a violating state
    step_violations: dict[str, list[Step]]         # step check -> shortest path ending with the bad step
    witnesses: dict[str, list[Step]]               # reachability predicate -> shortest path to a witness
    deadlocks: list[list[Step]] = field(default_factory=list)   # the first deadlock found, if any
    table_bytes: int = 0
    collision_odds: float = 0.0
    canonical: Any = None
    workers: int = 1                               # partitions that explored (1: one process)
    store = None                                   # no graph: whole-graph claims cannot be decided

    @property
    def states_per_second(self) -> float:
        return Progress(self.states, self.edges, self.depth, self.seconds).states_per_second


def explore_fingerprints(initial_states: Iterable, successors: Callable[[Any], Iterable[tuple[str, Any]]], *,
                         invariants: Mapping[str, Callable[[Any], bool]] = {},
                         step_checks: Mapping[str, StepCheck] = {},
                         reach: Mapping[str, Callable[[Any], bool]] = {},
                         reach_steps: Mapping[str, StepCheck] = {},
                         event_of: Callable[[str], str] = lambda label: label.split("(", 1)[0],
                         is_terminal: Callable[[Any], bool] | None = None, max_states: int | None = None,
                         max_memory: int | None = None, canonical: Callable[[Any], Any] | None = None,
                         progress: Callable[[Progress], None] | None = None,
                         progress_interval: float = 0.5) -> SafetyExploration:
    """Breadth-first search keeping fingerprints only; see the module docstring.

    Parameters
    ----------
    initial_states, successors, invariants, is_terminal, max_states, canonical, progress
        As for :func:`hvr_model.checker.explorer.explore`.
    step_checks : mapping
        Name -> ``(events, check)``; ``check(before, label, after)`` must hold on every
        transition whose event (``event_of(label)``) is listed.
    reach, reach_steps : mapping
        Reachability witnesses to look for: a state predicate, or a step predicate as above.
    max_memory : int, optional
        Bytes of resident memory at which the search stops (``complete=False``).

    Returns
    -------
    SafetyExploration
    """
    search = _FingerprintSearch(successors, invariants, step_checks, reach, reach_steps, event_of,
                                is_terminal, max_states, max_memory, canonical)
    start = time.perf_counter()
    with gc_paused():
        depth = search.run(initial_states, progress, progress_interval, start)
    return search.result(depth, time.perf_counter() - start, initial_states)


class _FingerprintSearch:
    """The bookkeeping of one fingerprint search."""

    def __init__(self, successors, invariants, step_checks, reach, reach_steps, event_of, is_terminal,
                 max_states, max_memory, canonical):
        self.successors, self.canonical = successors, canonical
        self.claims = Claims(invariants, step_checks, reach, reach_steps, event_of)
        self.is_terminal, self.max_states, self.max_memory = is_terminal, max_states, max_memory
        self.table = FingerprintTable()
        self.edges, self.stopped = 0, ""
        self.deadlock: tuple | None = None

    def run(self, initial_states, progress, progress_interval: float, start: float) -> int:
        """The level-synchronous search; returns the depth reached."""
        search, last = self, 0.0
        frontier = search.admit(initial_states)
        depth = 0
        while frontier and not search.stopped:
            next_level: list = []
            for first in range(0, len(frontier), _CHUNK):
                next_level += search.expand(frontier[first:first + _CHUNK])
                now = time.perf_counter()
                if progress is not None and now - last >= progress_interval:
                    last = now
                    progress(Progress(len(search.table), search.edges, depth + bool(next_level), now - start))
                if search.stopped:
                    break
            frontier = next_level
            depth += bool(frontier)
        return depth

    def admit(self, states: Iterable) -> list:
        states = [self.canonical(s) if self.canonical else s for s in states]
        keys = np.array([fingerprint(s) for s in states], dtype=np.uint64)
        new = self.table.insert(keys, np.zeros(len(keys), dtype=np.uint64))
        fresh = [s for s, is_new in zip(states, new) if is_new]
        self._check_states(fresh, keys[new].tolist())
        return fresh

    def expand(self, chunk: list) -> list:
        keys, parents, targets = [], [], []
        for state in chunk:
            self._expand_one(state, keys, parents, targets)
        if not keys:
            return []
        new = self.table.insert(np.array(keys, dtype=np.uint64), np.array(parents, dtype=np.uint64))
        fresh_at = np.flatnonzero(new)
        if self.max_states is not None and len(self.table) > self.max_states:
            self.stopped = f"max_states ({self.max_states:,}) reached"
        fresh = [targets[i] for i in fresh_at]
        self._check_states(fresh, [keys[i] for i in fresh_at])
        self._check_memory()
        raise_if_interrupted()
        return fresh

    def _expand_one(self, state, keys, parents, targets) -> None:
        own = fingerprint(state)
        edges = expand_state(state, own, self.successors, self.canonical, self.claims, keys, parents, targets)
        self.edges += edges
        if not edges and self.deadlock is None and (self.is_terminal is None or not self.is_terminal(state)):
            self.deadlock = (own, state)

    def _check_states(self, fresh: list, keys: list) -> None:
        self.claims.check_states(fresh, keys)

    def _check_memory(self) -> None:
        if self.max_memory is not None and resident_bytes() > self.max_memory:
            self.stopped = memory_stop(self.max_memory, len(self.table))

    # -- the result, with paths rebuilt from parent fingerprints ---------------------------------
    def result(self, depth: int, seconds: float, initial_states: Iterable) -> SafetyExploration:
        replay = _Replay(self.table, list(initial_states), self.successors, self.canonical)
        found = self.claims.found
        paths = {name: replay.extend(replay.path(key), step) for name, (kind, key, step) in found.items()}
        kinds = {name: kind for name, (kind, _, _) in found.items()}
        deadlocks = [replay.path(self.deadlock[0])] if self.deadlock else []
        return SafetyExploration(
            len(self.table), self.edges, depth, seconds, not self.stopped, self.stopped,
            {n: p for n, p in paths.items() if kinds[n] == "invariant"},
            {n: p for n, p in paths.items() if kinds[n] == "step"},
            {n: p for n, p in paths.items() if kinds[n] in ("reach", "reach-step")},
            deadlocks, self.table.nbytes, self.table.collision_odds(), self.canonical)


class Claims:
    """The claims a fingerprint search decides as it goes, and what it found (first, so shortest).

    ``found`` maps a claim to ``(kind, fingerprint, step)``: the fingerprint of the state where
    it was decided and, for a step claim, the step taken from there.
    """

    def __init__(self, invariants, step_checks, reach, reach_steps, event_of):
        self.states = ((dict(invariants), "invariant", False), (dict(reach), "reach", True))
        self.steps = ((dict(step_checks), "step", False), (dict(reach_steps), "reach-step", True))
        self.event_of = event_of
        self.by_label: dict[str, tuple] = {}
        self.found: dict[str, tuple] = {}

    def for_label(self, label: str) -> tuple:
        """The step claims about the event of ``label`` (computed once per label)."""
        claims = self.by_label.get(label)
        if claims is None:
            event = self.event_of(label)
            claims = self.by_label[label] = tuple((table, kind, wanted, name, check)
                                                  for table, kind, wanted in self.steps
                                                  for name, (events, check) in table.items() if event in events)
        return claims

    def check_step(self, claims: tuple, state, own: int, label: str, nxt) -> None:
        for table, kind, wanted, name, check in claims:
            if name in table and bool(check(state, label, nxt)) is wanted:
                self.found[name] = (kind, own, Step(label, nxt))
                del table[name]

    def check_states(self, fresh: list, keys: list) -> None:
        for table, kind, wanted in self.states:
            for name, predicate in list(table.items()):
                hit = next((i for i, s in enumerate(fresh) if bool(predicate(s)) is wanted), None)
                if hit is not None:
                    self.found[name] = (kind, keys[hit], None)
                    del table[name]


def expand_state(state, own: int, successors, canonical, claims: Claims, keys: list, parents: list,
                 targets: list, fingerprint: Callable[[Any], int] = fingerprint) -> int:
    """Offer every distinct successor of ``state`` (fingerprint ``own``); returns how many there were.

    Appends each successor's fingerprint, the parent's and the representative to ``keys``,
    ``parents`` and ``targets``, and checks the step claims on the way.
    """
    seen = set()
    for_label = claims.for_label
    for label, nxt in successors(state):
        rep = canonical(nxt) if canonical else nxt
        key = fingerprint(rep)
        if (label, key) in seen:
            continue
        seen.add((label, key))
        step_claims = for_label(label)
        if step_claims:
            claims.check_step(step_claims, state, own, label, nxt)
        keys.append(key)
        parents.append(own)
        targets.append(rep)
    return len(seen)


class _Replay:
    """Shortest paths rebuilt from parent fingerprints by replaying the model's successors."""

    def __init__(self, table: FingerprintTable, initial: list, successors, canonical, fingerprint=fingerprint):
        self.table, self.initial, self.successors, self.canonical = table, initial, successors, canonical
        self.fingerprint = fingerprint

    def _key(self, state) -> int:
        return self.fingerprint(self.canonical(state) if self.canonical else state)

    def extend(self, path: list[Step], step: Step | None) -> list[Step]:
        """``path`` and then ``step`` (taken from a representative): under symmetry, the matching step
        of the path's last, concrete state."""
        if step is None:
            return path
        if self.canonical is None:
            return path + [step]
        wanted = self._key(step.state)
        label, nxt = next((label, nxt) for label, nxt in self.successors(path[-1].state) if self._key(nxt) == wanted)
        return path + [Step(label, nxt)]

    def path(self, key: int) -> list[Step]:
        chain = [key]
        while (parent := self.table.parent_of(chain[-1])) != 0:
            chain.append(parent)
        chain.reverse()
        state = next((s for s in self.initial if self._key(s) == chain[0]), None)
        if state is None:
            raise ModelError("a counterexample's first fingerprint matches no initial state")
        steps = [Step(None, state)]
        for wanted in chain[1:]:
            found = next(((label, nxt) for label, nxt in self.successors(state) if self._key(nxt) == wanted), None)
            if found is None:
                raise ModelError("a counterexample could not be replayed: two states share a fingerprint")
            state = found[1]
            steps.append(Step(*found))
        return steps
