"""The result of an exploration: the state graph, counts, and shortest labelled paths.

:class:`Exploration` is what :func:`hvr_model.checker.explorer.explore` returns;
:class:`Step` is one step of a path (a counterexample or a witness);
:class:`Progress` is a snapshot handed to a progress callback while the search runs.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import networkx as nx

from .graphs import shortest_path_ids
from .store import StateGraph

__all__ = ["Exploration", "Progress", "Step"]

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
    """The result of :func:`~hvr_model.checker.explorer.explore`.

    Attributes
    ----------
    store : StateGraph
        The compact graph: integer state ids in BFS order, CSR edge arrays,
        interned labels, BFS parents. Whole-graph algorithms work on it.
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
        Wall-clock duration of the search.
    complete : bool
        ``False`` when ``max_states`` stopped the search early.
    violations : dict
        For each *violated* invariant, a violating state of minimal depth.
    deadlocks : list
        States without successors that are not terminal, in BFS order.
    canonical : callable or None
        The symmetry reduction the search used: states are representatives
        (see :mod:`hvr_model.checker.symmetry`).
    """

    store: StateGraph = field(repr=False)
    initial: tuple
    states: int
    edges: int
    depth: int
    seconds: float
    complete: bool
    violations: dict[str, Any]
    deadlocks: list
    canonical: Any = None
    stopped: str = ""          # why an incomplete search stopped

    def __repr__(self) -> str:
        return (f"Exploration(states={self.states}, edges={self.edges}, depth={self.depth}, "
                f"complete={self.complete}, violations={sorted(self.violations)}, "
                f"deadlocks={len(self.deadlocks)}, seconds={self.seconds:.3f})")

    @cached_property
    def graph(self) -> nx.DiGraph:
        """The reachable states as a ``networkx.DiGraph``, built on first use.

        Each edge ``u -> v`` has the attribute ``"actions"``: the tuple of
        labels of the transitions from ``u`` to ``v``. Nodes are in BFS order.
        """
        return self.store.to_networkx()

    @property
    def states_per_second(self) -> float:
        """Distinct states per second of wall-clock time."""
        return Progress(self.states, self.edges, self.depth, self.seconds).states_per_second

    def depth_of(self, state: Any) -> int:
        """The BFS depth of a reached ``state`` (length of a shortest path to it).

        Raises ``KeyError`` for a state that was not reached.

        >>> from hvr_model.checker.explorer import explore
        >>> explore([0], lambda n: [("inc", n + 1)] if n < 5 else []).depth_of(3)
        3
        """
        return self.store.depth_of(self.store.id_of(state))

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
        return self.path_to_id(self.store.id_of(state))

    def path_to_id(self, sid: int) -> list[Step]:
        """:meth:`path_to` for the state with id ``sid`` in :attr:`store`."""
        names, nodes = self.store.label_names, self.store.nodes
        return [Step(None if lid is None else names[lid], nodes[i]) for lid, i in self.store.path_ids(sid)]

    def shortest_path(self, source: Any, target: Any) -> list[Step] | None:
        """A shortest path in the graph from ``source`` to ``target``, or ``None`` if there is none.

        Each step after the first is labelled with one action of its edge
        (the first one recorded). Raises ``KeyError`` if either state was not reached.

        >>> from hvr_model.checker.explorer import explore
        >>> moves = {"a": [("go", "b")], "b": [("go", "c"), ("back", "a")], "c": []}
        >>> result = explore(["a"], moves.__getitem__)
        >>> result.shortest_path("c", "a") is None
        True
        >>> [(step.action, step.state) for step in result.shortest_path("b", "a")]
        [(None, 'b'), ('back', 'a')]
        """
        store = self.store
        path = shortest_path_ids(store, [store.id_of(source)], store.id_of(target))
        if path is None:
            return None
        return [Step(None if lid is None else store.label_names[lid], store.nodes[i]) for lid, i in path]
