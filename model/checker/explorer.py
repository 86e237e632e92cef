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

Performance notes. The search is level-synchronous and works in chunks of
states, so the per-state and per-edge work is a few dictionary operations.
The graph is not built with ``DiGraph.add_edge``/``add_edges_from`` (several
dictionary operations per edge; on 2PC with 7 RMs that alone takes longer than
a whole minimal BFS): the successor and predecessor dict-of-dicts that
networkx uses internally are filled in during the search, sharing one
``{"actions": labels}`` dict per edge as networkx does, and are installed in
a fresh graph at the end. Python's cyclic garbage collector is paused during
the search (see :func:`explore`), because generational collections over the
millions of containers the graph is made of would otherwise dominate the run
time (about 2x on 2PC with 7 RMs).
"""
from __future__ import annotations

import gc
import itertools
import sys
import time
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any, TypeVar

import networkx as nx

from .exploration import _PRED, Exploration, Progress, Step

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

    Returns
    -------
    Exploration

    Notes
    -----
    The cyclic garbage collector is paused during the search (process-wide)
    and resumed afterwards; objects allocated meanwhile are then moved to the
    oldest generation (``gc.freeze(); gc.unfreeze()``, skipped if the caller
    has frozen objects), so that young collections do not rescan the graph.
    A large result still makes every later *full* collection slower (about
    2 s per collection for 300,000 states); long-running processes that keep
    it may call ``gc.freeze()`` themselves.

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
    search = _Search(successors, invariants, is_terminal, max_states)
    ticker = _Ticker(progress, progress_interval, start)
    with _gc_paused():
        frontier = search.admit_initial(initial_states)
        initial, depth = tuple(frontier), 0
        while frontier and not search.full:
            frontier = _expand_level(search, frontier, depth + 1, ticker)
            depth += bool(frontier)
        graph = search.graph()
    result = Exploration(graph, initial, len(search.records), search.edges, depth,
                         time.perf_counter() - start, not search.full, search.violations,
                         search.deadlocks, search.records)
    if progress is not None:
        progress(Progress(result.states, result.edges, result.depth, result.seconds))
    return result


def _expand_level(search: _Search, frontier: list, depth: int, ticker: _Ticker) -> list:
    """Expand one BFS level chunk by chunk; return the states of the next level (at ``depth``)."""
    discovered: list = []
    for first in range(0, len(frontier), _CHUNK):
        known = len(discovered)
        search.expand(frontier[first:first + _CHUNK], depth, discovered)
        search.check(discovered[known:])
        ticker(search, depth if discovered else depth - 1)
        if search.full:
            break
    return discovered


class _Search:
    """The bookkeeping of one breadth-first search."""

    def __init__(self, successors: Successors, invariants: Mapping[str, Callable[[Any], bool]],
                 is_terminal: Callable[[Any], bool] | None, max_states: int | None) -> None:
        self.successors = successors
        self.checks = list(invariants.items())
        self.is_terminal = is_terminal
        self.limit = sys.maxsize if max_states is None else max_states
        self.records: dict = {}       # state -> record (see _STATE ... _DEPTH)
        self.succ: dict = {}          # expanded state -> {next state: {"actions": labels}}
        self.violations: dict = {}
        self.deadlocks: list = []
        self.pairs = 0                # distinct (state, next state) pairs
        self.extra_labels = 0         # transitions beyond the first on a pair
        self.full = False             # max_states refused a state
        self.label_tuples: dict = {}  # label -> (label,), shared by the edges (immutable)

    @property
    def edges(self) -> int:
        """Distinct ``(state, label, next state)`` transitions so far."""
        return self.pairs + self.extra_labels

    def admit_initial(self, states: Iterable) -> list:
        """Record the initial states (deduplicated, within ``max_states``) and check them."""
        admitted = []
        for state in states:
            if state not in self.records:
                if len(self.records) >= self.limit:
                    self.full = True
                    break
                self.records[state] = (state, None, None, {}, 0)
                admitted.append(state)
        self.check(admitted)
        return admitted

    def expand(self, chunk: list, depth: int, discovered: list) -> None:
        """Expand ``chunk``, appending new states (of ``depth``) to ``discovered``: the hot loop.

        Record fields are indexed by literals here (0 = _STATE, 3 = _PRED), sparing a
        global lookup per transition.
        """
        successors, records, succ, new = self.successors, self.records, self.succ, discovered.append
        is_terminal, label_tuples = self.is_terminal, self.label_tuples
        room, pairs, extra, full = self.limit - len(records), 0, 0, False
        for state in chunk:
            out = succ[state] = {}
            for label, nxt in successors(state):
                record = records.get(nxt)
                if record is None:
                    if room == 0:
                        full = True
                        break
                    room -= 1
                    record = records[nxt] = (nxt, state, label, {}, depth)
                    new(nxt)
                else:
                    nxt = record[0]  # keep one object per state: less memory
                data = out.get(nxt)
                if data is None:
                    labels = label_tuples.get(label) or label_tuples.setdefault(label, (label,))
                    out[nxt] = data = {"actions": labels}
                    record[3][state] = data
                elif label not in data["actions"]:
                    data["actions"] += (label,)
                    extra += 1
            pairs += len(out)
            if full:
                break
            if not out and (is_terminal is None or not is_terminal(state)):
                self.deadlocks.append(state)
        self.pairs, self.extra_labels, self.full = self.pairs + pairs, self.extra_labels + extra, full

    def check(self, fresh: list) -> None:
        """Check the not-yet-violated invariants on ``fresh`` states (in BFS order)."""
        for name, holds in self.checks:
            bad = next(itertools.filterfalse(holds, fresh), _MISSING)
            if bad is not _MISSING:
                self.violations[name] = bad
        if self.violations:
            self.checks = [(name, holds) for name, holds in self.checks
                           if name not in self.violations]

    def graph(self) -> nx.DiGraph:
        """Install the dict-of-dicts built by the search as a networkx DiGraph."""
        records, succ = self.records, self.succ
        if len(succ) != len(records):  # unexpanded states: nodes without out-edges
            succ = {state: succ[state] if state in succ else {} for state in records}
        graph = nx.DiGraph()
        graph._node = {state: {} for state in records}
        graph._adj = graph._succ = succ  # networkx keeps both names for one dict
        graph._pred = {state: record[_PRED] for state, record in records.items()}
        return graph


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
            self.progress(Progress(len(search.records), search.edges, depth, now - self.start))


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector; on exit, file what was allocated as old and resume.

    ``gc.freeze(); gc.unfreeze()`` moves every tracked object to the oldest
    generation in O(1), so the next young collections do not rescan the whole
    graph. It is skipped if the caller froze objects of their own.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        gc.enable()
