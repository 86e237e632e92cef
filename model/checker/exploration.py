"""The result of an exploration: the state graph, counts, and shortest labelled paths.

:class:`Exploration` is what :func:`hvr_model.checker.explorer.explore` returns;
:class:`Step` is one step of a path (a counterexample or a witness);
:class:`Progress` is a snapshot handed to a progress callback while the search runs.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

__all__ = ["Exploration", "Progress", "Step"]

# A search record, one per reached state:
# (canonical state, BFS parent, action from the parent, predecessor dict, depth).
_STATE, _PARENT, _ACTION, _PRED, _DEPTH = range(5)


@dataclass(frozen=True)
class Progress:
    """A snapshot of a running (or finished) exploration.

    >>> Progress(states=1000, edges=2500, depth=7, seconds=0.5).states_per_second
    2000.0
    """

    states: int
    edges: int
    depth: int
    seconds: float

    @property
    def states_per_second(self) -> float:
        """Distinct states found per second of wall-clock time (0.0 before any time passed)."""
        return self.states / self.seconds if self.seconds > 0 else 0.0


@dataclass
class Step:
    """One step of a path: the action taken (``None`` for the first state) and the state reached.

    >>> Step(None, "idle"), Step("start", "busy")
    (Step(action=None, state='idle'), Step(action='start', state='busy'))
    """

    action: str | None
    state: Any


@dataclass(eq=False)
class Exploration:
    """The result of :func:`explore`.

    Attributes
    ----------
    graph : networkx.DiGraph
        The reachable states as nodes. Each edge ``u -> v`` has the attribute
        ``"actions"``: the tuple of labels of the transitions from ``u`` to
        ``v`` (several actions may connect the same pair of states).
    initial : tuple
        The initial states, deduplicated, in the order given (only those
        admitted, should ``max_states`` be smaller than their number).
    states : int
        Number of distinct reachable states.
    edges : int
        Number of distinct transitions ``(state, label, next state)``; this
        can exceed ``graph.number_of_edges()``, which counts state pairs.
    depth : int
        The largest BFS depth of a state (initial states have depth 0).
    seconds : float
        Wall-clock duration of the search, graph included.
    complete : bool
        ``False`` when ``max_states`` stopped the search early.
    violations : dict
        For each *violated* invariant, a violating state of minimal depth.
    deadlocks : list
        States without successors that are not terminal, in BFS order.
    """

    graph: nx.DiGraph
    initial: tuple
    states: int
    edges: int
    depth: int
    seconds: float
    complete: bool
    violations: dict[str, Any]
    deadlocks: list
    _records: dict = field(repr=False)

    def __repr__(self) -> str:
        return (f"Exploration(states={self.states}, edges={self.edges}, depth={self.depth}, "
                f"complete={self.complete}, violations={sorted(self.violations)}, "
                f"deadlocks={len(self.deadlocks)}, seconds={self.seconds:.3f})")

    @property
    def states_per_second(self) -> float:
        """Distinct states per second of wall-clock time."""
        return Progress(self.states, self.edges, self.depth, self.seconds).states_per_second

    def _record(self, state: Any) -> tuple:
        try:
            return self._records[state]
        except KeyError:
            raise KeyError(f"state not reached by the exploration: {state!r}") from None

    def depth_of(self, state: Any) -> int:
        """The BFS depth of a reached ``state`` (length of a shortest path to it).

        Raises ``KeyError`` for a state that was not reached.

        >>> from hvr_model.checker.explorer import explore
        >>> explore([0], lambda n: [("inc", n + 1)] if n < 5 else []).depth_of(3)
        3
        """
        return self._record(state)[_DEPTH]

    def path_to(self, state: Any) -> list[Step]:
        """A shortest path from an initial state to ``state``, following BFS parent pointers.

        Runs in O(depth). Raises ``KeyError`` for a state that was not reached.

        >>> from hvr_model.checker.explorer import explore
        >>> result = explore([0], lambda n: [("inc", n + 1), ("double", 2 * n)] if n < 4 else [])
        >>> [(step.action, step.state) for step in result.path_to(4)]
        [(None, 0), ('inc', 1), ('inc', 2), ('double', 4)]
        >>> result.graph.edges[1, 2]["actions"]
        ('inc', 'double')
        """
        records, record = self._records, self._record(state)
        steps = []
        while record[_DEPTH] > 0:
            steps.append(Step(record[_ACTION], record[_STATE]))
            record = records[record[_PARENT]]
        steps.append(Step(None, record[_STATE]))
        return steps[::-1]

    def shortest_path(self, source: Any, target: Any) -> list[Step] | None:
        """A shortest path in :attr:`graph` from ``source`` to ``target``, or ``None`` if there is none.

        Each step after the first is labelled with one action of its edge
        (the first one found). Raises ``KeyError`` if either state was not reached.

        >>> from hvr_model.checker.explorer import explore
        >>> moves = {"a": [("go", "b")], "b": [("go", "c"), ("back", "a")], "c": []}
        >>> result = explore(["a"], moves.__getitem__)
        >>> result.shortest_path("c", "a") is None
        True
        >>> [(step.action, step.state) for step in result.shortest_path("b", "a")]
        [(None, 'b'), ('back', 'a')]
        """
        self._record(source)  # KeyError for a state that was not reached
        self._record(target)
        try:
            nodes = nx.shortest_path(self.graph, source, target)
        except nx.NetworkXNoPath:
            return None
        succ = self.graph.succ
        return [Step(None, nodes[0])] + [
            Step(succ[u][v]["actions"][0], v) for u, v in itertools.pairwise(nodes)]
