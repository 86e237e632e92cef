"""Graph algorithms over an explored state graph, for whole-graph claims.

Thin, named uses of networkx on :attr:`Exploration.graph` (edge attribute
``actions``), so that claims in a model's specs read as what they decide.

>>> import networkx as nx
>>> g = nx.DiGraph([(0, 1), (1, 2), (3, 1)])
>>> sorted(reaching(g, [2])), sorted(reachable(g, [3]))
([0, 1, 2, 3], [1, 2, 3])
"""
from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

import networkx as nx

__all__ = ["reaching", "reachable", "labelled_successors", "first_by_depth"]


def reaching(graph: nx.DiGraph, targets: Collection) -> set:
    """Every node from which some target is reachable (reverse breadth-first search)."""
    if not targets:
        return set()
    return {n for layer in nx.bfs_layers(graph.reverse(copy=False), targets) for n in layer}


def reachable(graph: nx.DiGraph, sources: Collection) -> set:
    """Every node reachable from some source (itself included)."""
    return {n for layer in nx.bfs_layers(graph, sources) for n in layer}


def labelled_successors(graph: nx.DiGraph, nodes: Iterable, label: str) -> set:
    """The nodes one edge labelled ``label`` away from ``nodes``."""
    return {v for u in nodes for v, data in graph.succ[u].items() if label in data["actions"]}


def first_by_depth(exploration: Any, states: Iterable) -> Any:
    """The state of least BFS depth among ``states`` (None if there is none)."""
    return min(states, key=exploration.depth_of, default=None)
