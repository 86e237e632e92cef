"""The compact state graph an exploration builds: integer ids, CSR edge arrays, interned labels.

Each reached state gets an integer id once, in breadth-first order, so the ids
of one BFS level are contiguous and the depth of a state is found by bisection
over the level starts. Out-edges of state ``i`` are ``dst[offsets[i]:offsets[i + 1]]``
with labels ``labels[lab[...]]`` (compressed sparse rows, as in
:mod:`scipy.sparse`), each distinct ``(state, label, next state)`` transition
once. ``parent`` and ``via`` hold the BFS tree, so a shortest path is read
back in O(depth). A :class:`networkx.DiGraph` with the usual attributes is
built from this only on demand (:meth:`StateGraph.to_networkx`).

Per stored state this costs one dictionary slot (the state -> id index), the
state object itself, and 12 bytes of arrays; per transition 8 bytes (up to 2**32
transitions).

>>> g = StateGraph()
>>> a, b = g.add_initial("a"), g.add_initial("b")
>>> g.start_level()
>>> g.add_row([(g.label_id("go"), g.intern_new("c", a, g.label_id("go")))])
>>> g.add_row([])
>>> g.finish(), g.states, g.transitions, g.depth_of(2), g.successors(0)
(None, 3, 1, 1, [('go', 2)])
"""
from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np

__all__ = ["StateGraph"]


class StateGraph:
    """States with integer ids, BFS parents and labelled out-edges in CSR arrays."""

    def __init__(self) -> None:
        self.nodes: list = []                 # id -> state
        self.index: dict = {}                 # state -> id
        self.parent = array("i")              # id -> BFS parent id (-1 for an initial state)
        self.via = array("i")                 # id -> label id of the edge from the parent (-1)
        self.offsets = array("I", [0])        # expanded id -> start of its edges; one more at the end
        self.dst = array("i")                 # edge -> target id
        self.lab = array("i")                 # edge -> label id
        self.label_names: list[str] = []
        self.label_ids: dict[str, int] = {}
        self.level_starts: list[int] = [0]    # first id of each BFS level
        self._sources: np.ndarray | None = None

    # -- building (the explorer's side) --------------------------------------------------------
    def label_id(self, label: str) -> int:
        """The id of ``label``, interned on first use."""
        lid = self.label_ids.get(label)
        if lid is None:
            lid = self.label_ids[label] = len(self.label_names)
            self.label_names.append(label)
        return lid

    def add_initial(self, state: Any) -> int:
        """The id of an initial state (a known one keeps its id)."""
        sid = self.index.get(state)
        if sid is None:
            sid = self.intern_new(state, -1, -1)
        return sid

    def intern_new(self, state: Any, parent: int, via: int) -> int:
        """Give a state not yet known the next id, reached from ``parent`` by label ``via``."""
        sid = self.index[state] = len(self.nodes)
        self.nodes.append(state)
        self.parent.append(parent)
        self.via.append(via)
        return sid

    def start_level(self) -> None:
        """Mark the end of the states found so far: the next ids are one level deeper."""
        self.level_starts.append(len(self.nodes))

    def add_row(self, edges: Sequence[tuple[int, int]]) -> None:
        """The out-edges ``(label id, target id)`` of the next state in id order (distinct ones)."""
        self.lab.extend(lid for lid, _ in edges)
        self.dst.extend(target for _, target in edges)
        self.offsets.append(len(self.dst))

    def finish(self) -> None:
        """Drop the empty last level, if the search found nothing in it."""
        while len(self.level_starts) > 1 and self.level_starts[-1] >= len(self.nodes):
            self.level_starts.pop()

    # -- reading -----------------------------------------------------------------------------
    @property
    def states(self) -> int:
        return len(self.nodes)

    @property
    def expanded(self) -> int:
        """States whose out-edges are recorded (all of them, unless a bound stopped the search)."""
        return len(self.offsets) - 1

    @property
    def transitions(self) -> int:
        return len(self.dst)

    def id_of(self, state: Any) -> int:
        """The id of a reached state; ``KeyError`` for one the exploration did not reach."""
        try:
            return self.index[state]
        except KeyError:
            raise KeyError(f"state not reached by the exploration: {state!r}") from None

    def depth_of(self, sid: int) -> int:
        """BFS depth of state ``sid`` (length of a shortest path from an initial state)."""
        return bisect_right(self.level_starts, sid) - 1

    def edge_range(self, sid: int) -> range:
        """Indices (into ``dst`` and ``lab``) of the out-edges of ``sid`` (empty if unexpanded)."""
        if sid >= self.expanded:
            return range(0)
        return range(self.offsets[sid], self.offsets[sid + 1])

    def successors(self, sid: int) -> list[tuple[str, int]]:
        """``(label, target id)`` of every out-edge of ``sid``."""
        return [(self.label_names[self.lab[k]], self.dst[k]) for k in self.edge_range(sid)]

    def path_ids(self, sid: int) -> list[tuple[int | None, int]]:
        """``(label id or None, state id)`` from an initial state to ``sid`` along BFS parents."""
        steps = []
        while self.parent[sid] >= 0:
            steps.append((self.via[sid], sid))
            sid = self.parent[sid]
        steps.append((None, sid))
        return steps[::-1]

    def has_transition(self, source: Any, label: str, target: Any) -> bool:
        """True when ``source --label--> target`` is a recorded transition."""
        s, t, lid = self.index.get(source), self.index.get(target), self.label_ids.get(label)
        if s is None or t is None or lid is None:
            return False
        return any(self.dst[k] == t and self.lab[k] == lid for k in self.edge_range(s))

    # -- arrays for whole-graph algorithms ---------------------------------------------------
    def csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(indptr, dst, lab)`` as numpy arrays over all states (unexpanded ones have no edges)."""
        indptr = np.frombuffer(self.offsets, dtype=np.uint32).astype(np.int64)
        if len(indptr) < self.states + 1:
            indptr = np.concatenate([indptr, np.full(self.states + 1 - len(indptr), indptr[-1])])
        return indptr, _int32(self.dst), _int32(self.lab)

    def reverse_csr(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(indptr, src, order)`` of the transposed graph: in-edges by target; ``order`` maps back to edges."""
        _, dst, _ = self.csr()
        order = np.argsort(dst, kind="stable").astype(np.int32)
        indptr = np.zeros(self.states + 1, dtype=np.int64)
        np.cumsum(np.bincount(dst, minlength=self.states), out=indptr[1:])
        return indptr, self.sources()[order], order

    def sources(self) -> np.ndarray:
        """The source id of every edge (the CSR rows, expanded); computed once the graph is complete."""
        cached = self._sources
        if cached is None or len(cached) != self.transitions:
            indptr, _, _ = self.csr()
            cached = self._sources = np.repeat(np.arange(self.states, dtype=np.int32), np.diff(indptr))
        return cached

    # -- networkx, on demand -----------------------------------------------------------------
    def to_networkx(self) -> nx.DiGraph:
        """The graph as a ``networkx.DiGraph`` of states; edge attribute ``actions``: tuple of labels."""
        nodes, names, dst, lab = self.nodes, self.label_names, self.dst, self.lab
        succ: dict = {state: {} for state in nodes}
        pred: dict = {state: {} for state in nodes}
        for sid in range(self.expanded):
            state, out = nodes[sid], succ[nodes[sid]]
            for k in range(self.offsets[sid], self.offsets[sid + 1]):
                target = nodes[dst[k]]
                data = out.get(target)
                if data is None:
                    out[target] = pred[target][state] = {"actions": (names[lab[k]],)}
                else:
                    data["actions"] += (names[lab[k]],)
        graph = nx.DiGraph()
        graph._node = {state: {} for state in nodes}
        graph._adj = graph._succ = succ   # networkx keeps both names for one dict
        graph._pred = pred
        return graph

    def ids(self, states: Iterable) -> list[int]:
        return [self.index[s] for s in states]


def _int32(values: array) -> np.ndarray:
    return np.frombuffer(values, dtype=np.int32) if len(values) else np.zeros(0, np.int32)
