"""A generic explicit-state model checker: breadth-first search over a successor function.

The explorer knows nothing about the domain. A model is

* some hashable initial states, and
* a successor function ``state -> iterable of (action label, next state)``,

and :func:`explore` enumerates every reachable state breadth-first, checks
named invariants (predicates that must hold in every reachable state) on each
of them, reports deadlocks (states without successors that are not declared
terminal) and returns the state graph as a :class:`networkx.DiGraph` together
with BFS parent pointers, so that a counterexample is a *shortest* path.

>>> def ring(n):                       # 0 -> 1 -> 2 -> 3 -> 0, plus 0 -> 2
...     return [("inc", (n + 1) % 4)] + ([("jump", 2)] if n == 0 else [])
>>> result = explore([0], ring, invariants={"below 3": lambda n: n < 3})
>>> result.states, result.edges, result.depth, result.complete
(4, 5, 2, True)
>>> [(step.action, step.state) for step in result.path_to(result.violations["below 3"])]
[(None, 0), ('jump', 2), ('inc', 3)]

Performance notes. Every reached state gets an integer id once (one hash of
the state per transition: the index lookup), in BFS order; transitions go into
compact arrays (:class:`~hvr_model.checker.store.StateGraph`) and labels are
interned, so the search creates no container per edge. The networkx graph is
built only when asked for (:attr:`Exploration.graph`). Python's cyclic garbage
collector is paused during the search (see :func:`explore`).
"""
from __future__ import annotations

import itertools
import sys
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from types import MappingProxyType
from typing import Any, TypeVar

from .errors import ModelError
from .exploration import Exploration, Progress, Step
from .store import StateGraph
from .runtime import gc_paused, memory_stop, raise_if_interrupted, resident_bytes
from .symmetry import SymmetryCheck

__all__ = ["Exploration", "Progress", "Step", "Successors", "explore"]

S = TypeVar("S", bound=Hashable)
Successors = Callable[[S], Iterable[tuple[str, S]]]
"""A successor function: ``state -> iterable of (action label, next state)``."""

_CHUNK = 1024  # states expanded between two looks at the clock
_NO_INVARIANTS: Mapping[str, Callable[[Any], bool]] = MappingProxyType({})
_MISSING = object()



def explore(
    initial_states: Iterable[S],
    successors: Successors,
    *,
    invariants: Mapping[str, Callable[[S], bool]] = _NO_INVARIANTS,
    is_terminal: Callable[[S], bool] | None = None,
    max_states: int | None = None,
    progress: Callable[[Progress], None] | None = None,
    progress_interval: float = 0.5,
    canonical: Callable[[S], S] | None = None,
    max_memory: int | None = None,
) -> Exploration:
    """Explore every state reachable from ``initial_states``, breadth-first.

    Parameters
    ----------
    initial_states : iterable of hashable states
    successors : callable
        ``state -> iterable of (action label, next state)``.
    invariants : mapping of name to predicate
        Each predicate must hold (return true) in every reachable state. All
        states are checked, initial ones included; the search goes on after a
        violation, keeping the first (minimal-depth) violating state.
    is_terminal : callable, optional
        States for which it returns true may legitimately have no successor;
        any other state without successor is a deadlock.
    max_states : int, optional
        Never hold more than this many states: when the search meets a new
        state beyond the limit it stops, with ``complete=False``. States
        found but not yet expanded are then nodes without outgoing edges.
    progress : callable, optional
        Called with a :class:`Progress` at most every ``progress_interval``
        seconds (the clock is read every 1024 expanded states), and once at
        the end with the final figures.
    canonical : callable, optional
        Symmetry reduction: maps a state to the representative of its
        symmetry class; only representatives are stored and expanded (see
        :mod:`hvr_model.checker.symmetry`). Invariants must be symmetric.
    max_memory : int, optional
        Bytes of resident memory at which the search stops, like ``max_states``
        (``complete=False``, the reason in :attr:`Exploration.stopped`).

    Returns
    -------
    Exploration

    Raises
    ------
    ValueError
        ``max_states`` below 1.

    Notes
    -----
    The cyclic garbage collector is paused during the search (process-wide)
    and resumed afterwards; the objects allocated meanwhile are then filed in
    the oldest generation (``gc.freeze(); gc.unfreeze()``, skipped if the
    caller has frozen objects), so that young collections do not rescan the
    states. A one-shot process (the CLI) may ``gc.freeze()`` the result so
    that no later full collection, nor the one at exit, scans it.

    Examples
    --------
    A counter that may count to 3 and then must be reset:

    >>> def counter(n):
    ...     return [("inc", n + 1)] if n < 3 else []
    >>> result = explore([0], counter)
    >>> result.states, result.deadlocks
    (4, [3])
    >>> explore([0], counter, is_terminal=lambda n: n == 3).deadlocks
    []
    >>> partial = explore([0], counter, max_states=2)
    >>> partial.states, partial.complete, sorted(partial.graph.nodes)
    (2, False, [0, 1])
    """
    if max_states is not None and max_states < 1:
        raise ValueError(f"max_states must be at least 1, got {max_states}")
    start = time.perf_counter()
    if canonical is not None and invariants:
        canonical = SymmetryCheck(canonical, invariants)
    search = _Search(successors, invariants, is_terminal, max_states, canonical, max_memory)
    ticker = _Ticker(progress, progress_interval, start)
    with gc_paused():
        search.admit_initial(initial_states)
        depth = 0
        while search.level_pending() and not search.full:
            found = search.expand_level(ticker, depth)
            depth += found
        search.store.finish()
    store = search.store
    result = Exploration(store, tuple(store.nodes[i] for i in search.initial), store.states, store.transitions,
                         len(store.level_starts) - 1, time.perf_counter() - start, not search.full,
                         search.violations, [store.nodes[i] for i in search.deadlocks],
                         search.canonical, search.stopped or (f"max_states ({max_states:,}) reached" if search.full
                                                              else ""))
    if progress is not None:
        progress(Progress(result.states, result.edges, result.depth, result.seconds))
    return result


class _Search:
    """The bookkeeping of one breadth-first search over a :class:`StateGraph`."""

    def __init__(self, successors: Successors, invariants: Mapping[str, Callable[[Any], bool]],
                 is_terminal: Callable[[Any], bool] | None, max_states: int | None,
                 canonical: Callable[[Any], Any] | None, max_memory: int | None = None) -> None:
        self.successors, self.canonical = successors, canonical
        self.checks = list(invariants.items())
        self.is_terminal = is_terminal
        self.limit = sys.maxsize if max_states is None else max_states
        self.store = StateGraph()
        self.initial: list[int] = []
        self.violations: dict = {}
        self.deadlocks: list[int] = []
        self.full = False             # max_states refused a state, or the memory budget ran out
        self.max_memory, self.stopped = max_memory, ""
        self.next_level = 0           # first id of the level to expand next

    def admit_initial(self, states: Iterable) -> None:
        """Record the initial states (deduplicated, within ``max_states``) and check them."""
        store, canonical = self.store, self.canonical
        for state in states:
            if canonical is not None:
                state = canonical(state)
            if state not in store.index:
                if store.states >= self.limit:
                    self.full = True
                    break
                self.initial.append(store.add_initial(state))
        self.check(0)

    def level_pending(self) -> bool:
        return self.next_level < self.store.states

    def expand_level(self, ticker: _Ticker, depth: int) -> int:
        """Expand the states of one BFS level in chunks; 1 if it found deeper states, else 0."""
        first, last = self.next_level, self.store.states
        self.store.start_level()
        for chunk in range(first, last, _CHUNK):
            known = self.store.states
            self.expand(chunk, min(chunk + _CHUNK, last))
            self.check(known)
            ticker(self, depth + (self.store.states > last))
            raise_if_interrupted()      # an interrupt lost in a gc callback or finaliser still stops the run
            if self.max_memory is not None and resident_bytes() > self.max_memory:
                self.full = True
                self.stopped = memory_stop(self.max_memory, self.store.states)
            if self.full:
                break
        self.next_level = last
        return int(self.store.states > last)

    def expand(self, first: int, last: int) -> None:
        """Expand the states ``first .. last - 1``: the hot loop.

        One dictionary lookup per transition (the state's id); new states are
        appended with their BFS parent; a state's out-edges go into the CSR
        arrays at once, duplicates (same label and target) removed.
        """
        store, successors, canonical = self.store, self.successors, self.canonical
        nodes, index, label_ids = store.nodes, store.index, store.label_ids
        lab, dst, offsets = store.lab, store.dst, store.offsets
        room, is_terminal = self.limit - store.states, self.is_terminal
        for sid in range(first, last):
            state = nodes[sid]
            row_l: list[int] = []
            row_d: list[int] = []
            try:
                for label, nxt in successors(state):
                    if canonical is not None:
                        nxt = canonical(nxt)
                    lid = label_ids.get(label)
                    if lid is None:
                        lid = store.label_id(_label(label, state))
                    target = index.get(nxt)
                    if target is None:
                        if room == 0:
                            self.full = True
                            break
                        room -= 1
                        target = store.intern_new(nxt, sid, lid)
                    row_l.append(lid)
                    row_d.append(target)
            except (TypeError, ValueError) as exc:
                _diagnose(successors, state, exc)
                raise
            if len(row_l) > 1 and len(set(zip(row_l, row_d))) < len(row_l):
                row = list(dict.fromkeys(zip(row_l, row_d)))
                row_l, row_d = [l for l, _ in row], [d for _, d in row]
            lab.extend(row_l)
            dst.extend(row_d)
            offsets.append(len(dst))
            if self.full:
                break
            if not row_l and (is_terminal is None or not is_terminal(state)):
                self.deadlocks.append(sid)

    def check(self, first: int) -> None:
        """Check the not-yet-violated invariants on the states from id ``first`` on (in BFS order)."""
        fresh = self.store.nodes[first:]
        for name, holds in self.checks:
            bad = next(itertools.filterfalse(holds, fresh), _MISSING)
            if bad is not _MISSING:
                self.violations[name] = bad
        if self.violations:
            self.checks = [(name, holds) for name, holds in self.checks
                           if name not in self.violations]


def _label(label: Any, state: Any) -> str:
    if not isinstance(label, str):
        raise ModelError(f"successors({state!r}) gave the label {label!r}; labels are strings")
    return label


def _diagnose(successors: Successors, state: Any, exc: Exception) -> None:
    """Turn a malformed successor list into a ModelError naming the state; else leave ``exc`` be."""
    try:
        produced = list(successors(state))
    except Exception:  # noqa: BLE001 -- the model itself fails: its own error is the one to see
        return
    for item in produced:
        if not (isinstance(item, tuple) and len(item) == 2):
            raise ModelError(f"successors({state!r}) yielded {item!r}, not a (label, next state) pair") from exc
        try:
            hash(item[1])
        except TypeError:
            raise ModelError(f"successors({state!r}) yielded the unhashable state {item[1]!r}") from exc


class _Ticker:
    """Calls the progress callback when ``interval`` seconds have passed since the last call."""

    def __init__(self, progress: Callable[[Progress], None] | None, interval: float,
                 start: float) -> None:
        self.progress, self.interval, self.start = progress, interval, start
        self.last = start

    def __call__(self, search: _Search, depth: int) -> None:
        if self.progress is None:
            return
        now = time.perf_counter()
        if now - self.last >= self.interval:
            self.last = now
            store = search.store
            self.progress(Progress(store.states, store.transitions, depth, now - self.start))
