"""Whole-graph algorithms on the compact state graph, with scipy.sparse.csgraph.

Reachability from a set of states (forward) or to a set of states (backward,
on the transposed graph), breadth-first trees and shortest labelled paths,
each optionally restricted to the edges an *edge mask* keeps. A set of sources
is handled by one extra node with an edge to each source, so one
:func:`scipy.sparse.csgraph.breadth_first_order` call serves it. Nothing here
recomputes successors: everything is read from the
:class:`~hvr_model.checker.store.StateGraph` the exploration recorded.

>>> from hvr_model.checker.explorer import explore
>>> moves = {"a": [("go", "b")], "b": [("on", "c"), ("back", "a")], "c": [], "d": [("in", "b")]}
>>> store = explore(["a", "d"], moves.__getitem__).store
>>> ids = store.index                    # state -> id, in BFS order
>>> [store.nodes[i] for i in reachable(store, [ids["b"]]).nonzero()[0]]
['a', 'b', 'c']
>>> [store.nodes[i] for i in reaching(store, [ids["a"]]).nonzero()[0]]
['a', 'd', 'b']
>>> [(store.label_names[l] if l is not None else None, store.nodes[i])
...  for l, i in shortest_path_ids(store, [ids["d"]], ids["a"])]
[(None, 'd'), ('in', 'b'), ('back', 'a')]
"""
from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import breadth_first_order

from .store import StateGraph

__all__ = ["label_mask", "edge_mask", "reachable", "reaching", "bfs_predecessors", "shortest_path_ids",
           "labelled_successors", "out_label_ids"]

_UNREACHED = -9999   # scipy's predecessor value for nodes the search did not reach


def label_mask(store: StateGraph, keep: Callable[[str], bool]) -> np.ndarray:
    """Per label id: whether ``keep(label)`` holds."""
    return np.fromiter((bool(keep(name)) for name in store.label_names), dtype=bool, count=len(store.label_names))


def edge_mask(store: StateGraph, keep: Callable[[str], bool]) -> np.ndarray:
    """Per edge: whether its label is kept."""
    _, _, lab = store.csr()
    return label_mask(store, keep)[lab] if len(lab) else np.zeros(0, bool)


def _ids(states: Iterable[int]) -> np.ndarray:
    return np.fromiter(states, dtype=np.int32)


def _search(store: StateGraph, sources: Iterable[int], mask: np.ndarray | None, reverse: bool):
    """BFS order and predecessors from an extra node ``n`` joined to every source."""
    n, sources = store.states, _ids(sources)
    indptr, indices, order = store.reverse_csr() if reverse else (*store.csr()[:2], None)
    if mask is not None:
        kept = mask if order is None else mask[order]
        counts = np.zeros(len(kept) + 1, dtype=np.int32)
        np.cumsum(kept, out=counts[1:])
        indptr, indices = counts[indptr], indices[kept]
        del kept, counts
    indptr = np.append(indptr, indptr[-1] + len(sources)).astype(np.int32)
    indices = np.concatenate([indices, sources])
    # float64 data: what csgraph works on, so it makes no converted copy.
    graph = csr_matrix((np.ones(len(indices)), indices, indptr), shape=(n + 1, n + 1))
    del indices, indptr
    return breadth_first_order(graph, n, directed=True, return_predecessors=True)


def reachable(store: StateGraph, sources: Iterable[int], mask: np.ndarray | None = None) -> np.ndarray:
    """Per state id: reachable from some source (itself included) along the kept edges."""
    order, _ = _search(store, sources, mask, reverse=False)
    out = np.zeros(store.states, dtype=bool)
    out[order[order < store.states]] = True
    return out


def reaching(store: StateGraph, targets: Iterable[int], mask: np.ndarray | None = None) -> np.ndarray:
    """Per state id: some target is reachable from it (itself included) along the kept edges."""
    order, _ = _search(store, targets, mask, reverse=True)
    out = np.zeros(store.states, dtype=bool)
    out[order[order < store.states]] = True
    return out


def bfs_predecessors(store: StateGraph, sources: Iterable[int], mask: np.ndarray | None = None) -> np.ndarray:
    """Breadth-first tree from the sources: each state's predecessor (-1 for a source, -2 if unreached)."""
    _, pred = _search(store, sources, mask, reverse=False)
    pred = pred[:-1].astype(np.int64)
    pred[pred == store.states] = -1
    pred[pred == _UNREACHED] = -2
    return pred


def _edge_label(store: StateGraph, u: int, v: int, mask: np.ndarray | None) -> int:
    """The first recorded label of an edge ``u -> v`` that the mask keeps."""
    return next(store.lab[k] for k in store.edge_range(u)
                if store.dst[k] == v and (mask is None or mask[k]))


def shortest_path_ids(store: StateGraph, sources: Iterable[int], target: int,
                      mask: np.ndarray | None = None) -> list[tuple[int | None, int]] | None:
    """``(label id or None, state id)`` along a shortest path from a source to ``target``, or None."""
    pred = bfs_predecessors(store, sources, mask)
    if pred[target] == -2:
        return None
    path = [target]
    while pred[path[-1]] >= 0:
        path.append(int(pred[path[-1]]))
    path.reverse()
    return [(None, path[0])] + [(_edge_label(store, u, v, mask), v) for u, v in zip(path, path[1:])]


def labelled_successors(store: StateGraph, states: np.ndarray, lid: int | None) -> np.ndarray:
    """Per state id: the target of an edge labelled ``lid`` from one of ``states`` (a boolean mask)."""
    out = np.zeros(store.states, dtype=bool)
    if lid is None:
        return out
    _, dst, lab = store.csr()
    src = store.sources()
    out[dst[(lab == lid) & states[src]]] = True
    return out


def out_label_ids(store: StateGraph, sid: int) -> set[int]:
    """The label ids of the out-edges of ``sid``."""
    return {store.lab[k] for k in store.edge_range(sid)}
