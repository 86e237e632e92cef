"""Exports for other tools: the explored graph as GraphML or JSON, counterexamples as ITF traces.

The explored graph's nodes are :class:`~hvr_model.hyperv.state.World` values, which
GraphML cannot hold: :func:`export_graph` gives each state a string id
(``s0``, ``s1``, ... in breadth-first order, ``s0`` the initial state) and
copies its variables as attributes from :func:`hvr_model.hyperv.describe.describe`
(``vm[web].protection`` ...), typed by the variable (:func:`typed_value`: counters
are integers, flags booleans, the rest text), plus ``depth``, ``initial`` and
``home``. Each edge has ``actions`` (its action labels joined by ``"; "``) and
``count``. :func:`write_graph` writes it with networkx's GraphML writer (typed
``<key attr.type="int|boolean|string">``) or, for a ``.json`` file, as
``networkx.node_link_data`` (JSON numbers and booleans).

:func:`itf_trace` (from :mod:`hvr_model.conformance.itf`) turns a path (a list of
:class:`~hvr_model.checker.exploration.Step`) into the Informal Trace Format of
Apalache and Quint, typed from the state (:func:`itf_state`, ``#meta.varTypes``
from :func:`itf_var_types`); ``hvr-model trace check`` replays such a file
(:func:`hvr_model.conformance.itf.check_itf_trace`).

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.tools.verification import check_config as check
>>> result = check(load_config("single_vm"))
>>> graph = export_graph(result.exploration, result.config)
>>> graph.nodes["s0"]["vm[web].protection"], graph.nodes["s0"]["initial"], graph.nodes["s0"]["vm[web].unsent"]
('Unprotected', True, 0)
>>> graph.edges["s0", "s1"]["actions"]
'enable_protection(vm=web)'
"""
from __future__ import annotations

import inspect
import json
from pathlib import Path

import networkx as nx

from ..checker.outputs import OutputError, Outputs
from ..conformance.itf import ITF_FORMAT_DESCRIPTION, itf_state, itf_trace, itf_var_types
from ..hyperv.config import Config
from ..hyperv.describe import describe

__all__ = ["state_ids", "export_graph", "typed_value", "stage_graph", "write_graph", "stage_itf", "GRAPH_FORMATS",
           "itf_state", "itf_var_types", "itf_trace", "write_itf", "ITF_FORMAT_DESCRIPTION"]

GRAPH_FORMATS = (".graphml", ".json")


def state_ids(exploration) -> dict:
    """``{state: "s<i>"}`` in the graph's (breadth-first) order."""
    return {state: f"s{i}" for i, state in enumerate(exploration.graph)}


#: describe() keys (their last part) whose values are integers and booleans; the rest are text.
_INTEGERS = frozenset({"unsent", "retries", "chosen_point", "group", "lost_writes"})
_BOOLEANS = frozenset({"snapshot", "unclosed_log", "older_points", "diverged_replica", "source_needs_resync",
                       "held_logs", "missed_cycles"})


def typed_value(path: str, text: str) -> str | int | bool:
    """A describe() value typed by its variable: an ``int`` or ``bool`` where the model's is, else the text.

    The type follows the variable, never the text, so an attribute has one type on every node
    (a one-block disk written ``"1"`` stays text).

    >>> typed_value("vm[web].unsent", "2"), typed_value("vm[web].snapshot", "False"), typed_value("vault", "Reachable")
    (2, False, 'Reachable')
    """
    name = path.rsplit(".", 1)[-1]
    if name in _INTEGERS:
        return int(text)
    if name in _BOOLEANS:
        return text == "True"
    return text


def export_graph(exploration, config: Config, mutant: str | None = None) -> nx.DiGraph:
    """The explored graph with string ids and typed attributes (text, integers, booleans).

    Each node has ``depth`` (int), ``initial`` and ``home`` (bool) and every
    :func:`~hvr_model.hyperv.describe.describe` variable, typed by :func:`typed_value`
    (GraphML keys get ``attr.type`` int, boolean or string); each edge ``actions``
    (labels joined by ``"; "``) and ``count`` (int).
    """
    from ..hyperv.views import is_home
    ids, initial = state_ids(exploration), set(exploration.initial)
    out = nx.DiGraph(config=config.name, mutant=mutant or "", states=exploration.states,
                     transitions=exploration.edges, depth=exploration.depth, complete=exploration.complete)
    for state, node in ids.items():
        out.add_node(node, depth=exploration.depth_of(state), initial=state in initial,
                     home=is_home(state, config),
                     **{k: typed_value(k, v) for k, v in describe(state, config).items()})
    for u, v, actions in exploration.graph.edges(data="actions"):
        out.add_edge(ids[u], ids[v], actions="; ".join(actions), count=len(actions))
    return out


def _node_link_data(graph: nx.DiGraph) -> dict:
    """``node_link_data`` with the edge list under ``"edges"`` on every networkx >= 3.2."""
    if "edges" in inspect.signature(nx.node_link_data).parameters:
        return nx.node_link_data(graph, edges="edges")
    return nx.node_link_data(graph, link="edges")  # networkx < 3.4


def stage_graph(exploration, config: Config, path: Path, outputs: Outputs, mutant: str | None = None) -> Path:
    """Stage the explored graph at ``path`` in ``outputs``: GraphML for ``.graphml``, node-link JSON for ``.json``.

    Raises
    ------
    OutputError
        ``path`` does not end in one of :data:`GRAPH_FORMATS`.
    """
    if path.suffix not in GRAPH_FORMATS:
        raise OutputError(f"{path}: the graph export needs a file ending in {' or '.join(GRAPH_FORMATS)}")
    graph = export_graph(exploration, config, mutant)
    if path.suffix == ".graphml":
        return outputs.stage(path, lambda temporary: nx.write_graphml(graph, temporary))
    return outputs.stage(path, json.dumps(_node_link_data(graph)))


def write_graph(exploration, config: Config, path: Path | str, mutant: str | None = None) -> Path:
    """Write the explored graph to ``path`` whole or not at all (see :func:`stage_graph`)."""
    with Outputs() as outputs:
        stage_graph(exploration, config, outputs.file(path, "graph"), outputs, mutant)
        return outputs.commit()[0]


def stage_itf(result, directory: Path, outputs: Outputs) -> list[Path]:
    """Stage one ``PROPERTY.itf.json`` per violated property with a counterexample; their paths."""
    staged = []
    for r in result.results:
        if r.verdict != "violated" or not r.counterexample:
            continue
        steps = r.counterexample + (r.cycle or [])
        trace = itf_trace(steps, result.config, result.mutant, property=r.name, kind=r.kind,
                          requirements=list(r.requirements), description=f"counterexample for {r.name}: {r.doc}")
        if r.cycle is not None:
            # ITF's lasso: after the last state the behaviour goes on from states[loop]. The cycle's
            # steps are all listed (their actions too), its last state being the stem's last, so it
            # goes on from the cycle's first step; a stutter stays in the stem's last state.
            trace["loop"] = len(r.counterexample) if r.cycle else len(r.counterexample) - 1
            trace["#meta"]["lasso"] = "stutters" if not r.cycle else f"cycle of {len(r.cycle)} steps"
        staged.append(outputs.stage(directory / f"{r.name}.itf.json", json.dumps(trace, indent=1) + "\n"))
    return staged


def write_itf(result, directory: Path | str) -> list[Path]:
    """Write one ``PROPERTY.itf.json`` per violated property, all or none; the paths written.

    The folder is made only when there is a counterexample to write.
    """
    with Outputs() as outputs:
        stage_itf(result, outputs.folder(directory, "itf"), outputs)
        return outputs.commit()
