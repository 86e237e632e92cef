"""Liveness under fairness on the explored state graph: ``P ~> Q`` and ``<>Q``, with lasso counterexamples.

Semantics (TLA+'s, as TLC checks them on a finite state graph):

* A behaviour is an infinite path of the graph from an initial state; it may
  *stutter* (stay in its state) at any step, so every state has an implicit
  stuttering self-loop, and a behaviour may stutter forever (Lamport,
  *Specifying Systems*, 2002, ch. 8, "Liveness and Fairness").
* Fairness is per label id (an action instance such as ``delta_replicate(vm=web)``);
  a label is *enabled* in a state that has an out-edge with that label. Weak
  fairness (WF) of ``a``: ``a`` is not enabled continuously forever without being
  taken; strong fairness (SF): not enabled infinitely often without being taken.
  Unfair labels may be taken or not. So a cycle is fair iff every WF label is
  taken on it or disabled in some state of it, and every SF label is taken on it
  or disabled in every state of it; stuttering forever in ``s`` is fair iff no
  WF or SF label is enabled in ``s``.
* ``P ~> Q`` (leads-to) is violated iff some reachable state satisfies ``P`` and
  not ``Q`` and a fair behaviour from it never reaches a ``Q`` state; ``<>Q``
  (eventually) is ``P ~> Q`` with ``P`` the initial states.

Decision (the fair-SCC analysis of Emerson & Lei, "Modalities for model
checking: branching time logic strikes back", Sci. Comput. Program. 8(3),
1987; TLC does the same on its behaviour graph: Yu, Manolios & Lamport, "Model
checking TLA+ specifications", CHARME 1999): the *region* is what the
``P and not Q`` states reach along edges between not-``Q`` states. Its strongly
connected components (a single state is one, thanks to stuttering) are tested:
a component whose SF label is enabled in it but never taken inside it loses the
states enabling that label and is split again (Emerson-Lei refinement, to a
fixpoint); a remaining component is fair unless a WF label is enabled in every
one of its states and taken on none of its edges. A fair component reached from
a trigger is a counterexample: a :class:`Lasso`, whose cycle is built greedily
inside the component (nearest state, breadth-first, that discharges an open
obligation: take the label, or visit a state where a WF label is disabled).

One deliberate difference from TLA+: a recorded self-loop ``s --a--> s`` counts
as taking ``a`` (the graph is a labelled transition system; in TLA+ such a step
is stuttering and does not enable ``<<A>>_v``). Only strong fairness tells them apart:
a cycle taking ``a`` on self-loops alone meets SF of ``a`` here, not in TLA+.

Whole-graph numpy and :mod:`scipy.sparse.csgraph` work (two BFS, one strong
components pass per refinement round, a few sorts of the edges); Python loops
run only along the counterexample. Measured (2 shared cores) with synthetic
claims whose region is the whole graph: ``single_vm_faults`` (96,088 states,
723,530 edges, 63 labels) 0.01-0.14 s per claim; ``default`` (1,110,512 states,
8,878,838 edges, 72 labels) 0.2-1.7 s with weak fairness, 3-4 s with every label
strongly fair (four refinement rounds), a few hundred MB on top of the graph.

>>> from hvr_model.checker.explorer import explore
>>> moves = {"off": [("boot", "on")], "on": [("work", "done"), ("nap", "off")], "done": []}
>>> store = explore(["off"], moves.__getitem__).store
>>> done = np.array([s == "done" for s in store.nodes])
>>> none, every = np.zeros(3, bool), np.ones(3, bool)
>>> lasso = eventually(store, done, none, none)      # no fairness: stutter in "off"
>>> lasso.named(store)
([(None, 'off')], [])
>>> eventually(store, done, every, none).named(store)   # "work" is enabled only in "on"
([(None, 'off')], [('boot', 'on'), ('nap', 'off')])
>>> eventually(store, done, every, every) is None     # strongly fair "work" is taken at last
True
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order, connected_components

from .store import StateGraph

__all__ = ["Lasso", "leads_to", "eventually", "initial_mask", "open_triggers"]

Path = list[tuple[int | None, int]]


@dataclass(frozen=True)
class Lasso:
    """A fair behaviour that never reaches the goal: a stem, then a cycle repeated forever.

    Attributes
    ----------
    trigger : int
        The state id where the trigger ``P`` held (and the goal did not); on the stem.
    stem : list of (label id or None, state id)
        From an initial state (label ``None``) through ``trigger`` to the cycle's first state.
    cycle : list of (label id, state id)
        A closed walk from the stem's last state back to it, meeting every fairness
        obligation; empty when the behaviour stutters forever in the stem's last state.
    """

    trigger: int
    stem: Path
    cycle: list[tuple[int, int]]

    @property
    def loop_start(self) -> int:
        """The state id where the cycle starts and ends (the stem's last state)."""
        return self.stem[-1][1]

    def named(self, store: StateGraph) -> tuple[list[tuple[str | None, Any]], list[tuple[str, Any]]]:
        """Stem and cycle with label names and states instead of ids."""
        names, nodes = store.label_names, store.nodes
        return ([(None if l is None else names[l], nodes[s]) for l, s in self.stem],
                [(names[l], nodes[s]) for l, s in self.cycle])


def initial_mask(store: StateGraph) -> np.ndarray:
    """Per state id: whether it is an initial state (one without BFS parent)."""
    return np.frombuffer(store.parent, dtype=np.int32) < 0 if store.states else np.zeros(0, bool)


def open_triggers(trigger: np.ndarray, goal: np.ndarray) -> int:
    """The number of states where ``P`` holds and ``Q`` does not: 0 makes ``P ~> Q`` vacuous."""
    return int(np.count_nonzero(np.asarray(trigger, bool) & ~np.asarray(goal, bool)))


def eventually(store: StateGraph, goal: np.ndarray, weak: np.ndarray, strong: np.ndarray) -> Lasso | None:
    """``<>Q``: :func:`leads_to` with the initial states as trigger."""
    return leads_to(store, initial_mask(store), goal, weak, strong)


def leads_to(store: StateGraph, trigger: np.ndarray, goal: np.ndarray,
             weak: np.ndarray, strong: np.ndarray, discharge: np.ndarray | None = None) -> Lasso | None:
    """Decide ``P ~> Q`` under fairness: ``None`` if it holds, else a shortest-stem :class:`Lasso`.

    Parameters
    ----------
    store : StateGraph
        The graph of a *complete* exploration (the caller checks ``Exploration.complete``:
        the frontier of a truncated one would pass for deadlocks, i.e. fair stuttering).
    trigger, goal : ndarray of bool, shape (store.states,)
        ``P`` and ``Q`` per state id.
    weak, strong : ndarray of bool, shape (len(store.label_names),)
        Per label id: weakly / strongly fair.
    discharge : ndarray of bool, shape (len(store.label_names),), optional
        Per label id: taking it discharges the obligation, as reaching the goal does
        (``P ~> (Q \\/ A was taken)``, "unless interrupted by A", without a history
        variable): such edges leave the region. They still count as enabled for fairness.

    Returns
    -------
    Lasso or None
        The counterexample starts from the least trigger id that has one (ids are in
        BFS order, so a shallow one); its stem then goes by a shortest path to the
        nearest state of a fair component.

    Raises
    ------
    ValueError
        An array of the wrong length.
    """
    n, labels = store.states, len(store.label_names)
    trigger, goal = _mask(trigger, n, "trigger"), _mask(goal, n, "goal")
    weak, strong = _mask(weak, labels, "weak"), _mask(strong, labels, "strong")
    discharge = np.zeros(labels, dtype=bool) if discharge is None else _mask(discharge, labels, "discharge")
    start = trigger & ~goal
    if not start.any():
        return None
    _, dst, lab = store.csr()
    src = store.sources()
    keep = ~goal[src] & ~goal[dst] & ~discharge[lab]
    edges = src[keep], dst[keep], lab[keep]
    inner = _csr(n, edges[0], edges[1])
    region = _reach(inner, np.flatnonzero(start))
    pairs = _enabled_pairs(src, lab, region, weak | strong, labels)
    fair, comp = _fair_states(n, edges, region, pairs, weak, strong, labels)
    if not fair.any():
        return None
    origin = int(np.flatnonzero(start & _reach(inner.T.tocsr(), np.flatnonzero(fair)))[0])
    order, pred = breadth_first_order(inner, origin, directed=True, return_predecessors=True)
    entry = int(order[fair[order]][0])
    walk = _path(pred, origin, entry)
    stem = store.path_ids(origin) + [(_label(store, u, v, discharge), v) for u, v in zip(walk, walk[1:])]
    members = fair & (comp == comp[entry])
    return Lasso(origin, stem, _CycleBuilder(store, members, pairs, weak, strong, ~discharge).build(entry))


def _mask(values, length: int, name: str) -> np.ndarray:
    out = np.asarray(values, dtype=bool)
    if out.shape != (length,):
        raise ValueError(f"{name}: expected {length} booleans, got shape {out.shape}")
    return out


def _csr(n: int, src: np.ndarray, dst: np.ndarray) -> csr_matrix:
    """The ``n``-node graph of edges ``src -> dst`` (``src`` sorted, as CSR rows are)."""
    # float64 data: what csgraph works on, so it makes no converted copy.
    return csr_matrix((np.ones(len(dst)), dst, _row_starts(src, n)), shape=(n, n))


def _reach(graph: csr_matrix, sources: np.ndarray) -> np.ndarray:
    """Per node: reachable from some source, through one extra node joined to every source."""
    n = graph.shape[0]
    indptr = np.append(graph.indptr, graph.indptr[-1] + len(sources))
    indices = np.concatenate([graph.indices, sources.astype(graph.indices.dtype)])
    extended = csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n + 1, n + 1))
    order = breadth_first_order(extended, n, directed=True, return_predecessors=False)
    out = np.zeros(n, dtype=bool)
    out[order[order < n]] = True
    return out


def _enabled_pairs(src, lab, states: np.ndarray, fair_labels: np.ndarray, labels: int):
    """Distinct ``(state, label)`` with a fair label enabled in one of ``states``, sorted by state."""
    chosen = states[src] & fair_labels[lab]
    keys, _ = _distinct(src[chosen].astype(np.int64) * labels + lab[chosen])
    return keys // labels, keys % labels


def _distinct(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct keys and how often each occurs."""
    # np.unique (numpy 2.4) took 12 s on 9M keys where sort and compare take 0.5 s.
    keys = np.sort(keys)
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]]) if len(keys) else np.zeros(0, np.int64)
    return keys[starts], np.diff(np.r_[starts, len(keys)])


def _components(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Strongly connected component label per node of the graph ``src -> dst``."""
    graph = _csr(n, src, dst.copy())    # sum_duplicates sorts the indices in place
    # scipy 1.17's strong connected_components never returns on a row with a repeated entry
    # (two labels between the same states), so repeats are merged first.
    graph.sum_duplicates()
    return connected_components(graph, directed=True, connection="strong")[1]


def _member(keys: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Per key: whether it is in the sorted array ``table``."""
    if not len(table):
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return table[at] == keys


def _fair_states(n: int, edges, active: np.ndarray, pairs, weak, strong, labels: int):
    """States of the components that admit a fair cycle, and the component of every state.

    Strong fairness refines (states enabling an SF label never taken inside their
    component leave it, and the rest is split again) until nothing changes; weak
    fairness then rules a component out, or not, as a whole, since a smaller cycle
    only loses taken labels and disabling states. Components only split, so each
    round keeps just the edges inside a component and the pairs of states left.
    """
    src, dst, lab = edges
    state, label = pairs
    active = active.copy()
    while True:
        alive = active[src] & active[dst]
        src, dst, lab = src[alive], dst[alive], lab[alive]
        comp = _components(n, src, dst)
        inside = comp[src] == comp[dst]
        src, dst, lab = src[inside], dst[inside], lab[inside]
        taken, _ = _distinct(comp[src].astype(np.int64) * labels + lab)
        live = active[state]
        state, label = state[live], label[live]
        check = strong[label]
        untaken = np.zeros(len(state), dtype=bool)
        untaken[check] = ~_member(comp[state[check]].astype(np.int64) * labels + label[check], taken)
        if not untaken.any():
            break
        active[state[untaken]] = False
    check = weak[label]
    keys, counts = _distinct(comp[state[check]].astype(np.int64) * labels + label[check])
    size = np.bincount(comp[active], minlength=n)
    starved = (counts == size[keys // labels]) & ~_member(keys, taken)
    unfair = np.zeros(n, dtype=bool)
    unfair[keys[starved] // labels] = True
    return active & ~unfair[comp], comp


def _path(pred: np.ndarray, source: int, target: int) -> list[int]:
    """The nodes of the BFS-tree path ``source -> target`` from scipy's predecessor array."""
    path = [int(target)]
    while path[-1] != source:
        path.append(int(pred[path[-1]]))
    return path[::-1]


def _label(store: StateGraph, u: int, v: int, discharge: np.ndarray) -> int:
    """The first recorded label of an edge ``u -> v`` (both not-``Q`` here) that does not discharge."""
    return next(int(store.lab[k]) for k in store.edge_range(u) if store.dst[k] == v and not discharge[store.lab[k]])


def _row_starts(rows: np.ndarray, m: int) -> np.ndarray:
    """CSR offsets of the sorted row numbers ``rows`` over ``m`` rows."""
    first = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=m), out=first[1:])
    return first


def _gather(first: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The entries of ``rows`` in a CSR layout: (position in ``rows``, entry index) per entry."""
    counts = first[rows + 1] - first[rows]
    owner = np.repeat(np.arange(len(rows)), counts)
    return owner, first[rows][owner] + np.arange(len(owner)) - (np.cumsum(counts) - counts)[owner]


class _CycleBuilder:
    """Greedy: walk to the nearest state that meets an open obligation, then back; repeat.

    Searches grow breadth-first level by level and stop at the first level with a
    target, so a step costs what the ball around the current state holds, not the
    whole component (which can be most of the graph).
    """

    def __init__(self, store: StateGraph, members: np.ndarray, pairs, weak, strong, usable: np.ndarray) -> None:
        self.states = np.flatnonzero(members)
        m = len(self.states)
        local = np.full(len(members), -1, dtype=np.int64)
        local[self.states] = np.arange(m)
        _, dst, lab = store.csr()
        src = store.sources()
        inside = members[src] & members[dst] & usable[lab]
        self.dst, self.lab = local[dst[inside]], lab[inside]
        self.first = _row_starts(local[src[inside]], m)
        state, label = pairs
        chosen = members[state]
        self.en_label, self.en_first = label[chosen], _row_starts(local[state[chosen]], m)
        self.weak_only = weak & ~strong              # SF labels, fair or not, must be taken
        self.open = np.zeros(len(weak), dtype=bool)  # obligations of visited states, not yet met
        self.met = np.zeros(len(weak), dtype=bool)
        self.seen = np.zeros(m, dtype=bool)
        self.pred = np.zeros(m, dtype=np.int64)

    def visit(self, s: int) -> None:
        """Enter state ``s``: its fair labels become obligations; open WF ones disabled here are met."""
        here = self.en_label[self.en_first[s]:self.en_first[s + 1]]
        disabled = self.open & self.weak_only
        disabled[here] = False
        self.met |= disabled
        self.open[here] = True
        self.open &= ~self.met

    def useful(self, rows: np.ndarray) -> np.ndarray:
        """Per state of ``rows``: entering it, or taking one of its inside edges, meets an obligation."""
        owner, k = _gather(self.first, rows)
        out = np.zeros(len(rows), dtype=bool)
        out[owner[self.open[self.lab[k]]]] = True
        pending = self.open & self.weak_only
        if pending.any():
            owner, j = _gather(self.en_first, rows)
            out |= np.bincount(owner[pending[self.en_label[j]]], minlength=len(rows)) < np.count_nonzero(pending)
        return out

    def search(self, start: int, target) -> list[int]:
        """The nodes of a shortest path from ``start`` to the first node ``target`` accepts."""
        frontier, reached = np.array([start]), []
        self.seen[start] = True
        while True:
            hits = np.flatnonzero(target(frontier))
            if hits.size:
                break
            owner, k = _gather(self.first, frontier)
            fresh = ~self.seen[self.dst[k]]
            nodes, parents = self.dst[k][fresh], frontier[owner[fresh]]
            nodes, once = np.unique(nodes, return_index=True)
            order = np.argsort(once, kind="stable")        # keep breadth-first discovery order
            frontier = nodes[order]
            if not frontier.size:   # the component is strongly connected and fair: cannot happen
                raise RuntimeError("liveness: no target left in a component found fair")
            self.seen[frontier] = True
            self.pred[frontier] = parents[once[order]]
            reached.append(frontier)
        self.seen[start] = False
        for nodes in reached:
            self.seen[nodes] = False
        return _path(self.pred, start, int(frontier[hits[0]]))

    def step(self, k: int, walk: list) -> int:
        """Take inside edge ``k``: its label is met, its target visited."""
        label, v = int(self.lab[k]), int(self.dst[k])
        self.met[label], self.open[label] = True, False
        self.visit(v)
        walk.append((label, int(self.states[v])))
        return v

    def follow(self, nodes: list[int], walk: list) -> int:
        for u, v in zip(nodes, nodes[1:]):
            ks = [k for k in range(self.first[u], self.first[u + 1]) if self.dst[k] == v]
            self.step(next((k for k in ks if self.open[self.lab[k]]), ks[0]), walk)
        return nodes[-1]

    def build(self, entry_global: int) -> list[tuple[int, int]]:
        entry = int(np.searchsorted(self.states, entry_global))
        self.visit(entry)
        walk: list[tuple[int, int]] = []
        here = entry
        while self.open.any():
            while self.open.any():
                before = np.count_nonzero(self.met)
                here = self.follow(self.search(here, self.useful), walk)
                ks = [k for k in range(self.first[here], self.first[here + 1]) if self.open[self.lab[k]]]
                if ks:
                    here = self.step(ks[0], walk)
                if np.count_nonzero(self.met) == before:   # cannot happen in a fair component
                    raise RuntimeError("liveness: no obligation met in a component found fair")
            if here != entry:
                here = self.follow(self.search(here, lambda rows: rows == entry), walk)
        return walk
