"""Exports for other tools: the explored graph as GraphML or JSON, counterexamples as ITF traces.

The explored graph's nodes are :class:`~hvr_model.hyperv.state.World` values, which
GraphML cannot hold: :func:`export_graph` gives each state a string id
(``s0``, ``s1``, ... in breadth-first order, ``s0`` the initial state) and
copies its variables as attributes from :func:`hvr_model.hyperv.describe.describe`
(``vm[web].protection`` ...), plus ``depth``, ``initial`` and ``home``. Each
edge has ``actions`` (its action labels joined by ``"; "``) and ``count``.
:func:`write_graph` writes it with networkx's GraphML writer or, for a
``.json`` file, as ``networkx.node_link_data``.

:func:`itf_trace` turns a path (a list of :class:`~hvr_model.checker.exploration.Step`)
into the Informal Trace Format of Apalache and Quint: ``vars`` are the top
names of the describe() paths (``site``, ``network``, ``vault``, ``plan``,
``vm``), nested as records (``vm.web.power.primary``); integers are
``{"#bigint": "n"}``, flags are booleans, the rest strings; each state's
``#meta`` has its ``index`` and the ``action`` that led to it (``null`` for the
initial state).

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.tools.verification import check_config as check
>>> result = check(load_config("single_vm"))
>>> graph = export_graph(result.exploration, result.config)
>>> graph.nodes["s0"]["vm[web].protection"], graph.nodes["s0"]["initial"]
('Unprotected', True)
>>> graph.edges["s0", "s1"]["actions"]
'enable_protection(vm=web)'
"""
from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import networkx as nx

from ..checker.outputs import OutputError, Outputs
from ..hyperv.config import Config
from ..hyperv.describe import describe

__all__ = ["state_ids", "export_graph", "stage_graph", "write_graph", "stage_itf", "GRAPH_FORMATS", "itf_value", "nested", "itf_trace",
           "write_itf", "ITF_FORMAT_DESCRIPTION"]

GRAPH_FORMATS = (".graphml", ".json")
ITF_FORMAT_DESCRIPTION = "https://apalache-mc.org/docs/adr/015adr-trace.html"
_PATH_PART = re.compile(r"[^.\[\]]+")


def state_ids(exploration) -> dict:
    """``{state: "s<i>"}`` in the graph's (breadth-first) order."""
    return {state: f"s{i}" for i, state in enumerate(exploration.graph)}


def export_graph(exploration, config: Config, mutant: str | None = None) -> nx.DiGraph:
    """The explored graph with string ids and only string, number and boolean attributes."""
    from ..hyperv.views import is_home
    ids, initial = state_ids(exploration), set(exploration.initial)
    out = nx.DiGraph(config=config.name, mutant=mutant or "", states=exploration.states,
                     transitions=exploration.edges, depth=exploration.depth, complete=exploration.complete)
    for state, node in ids.items():
        out.add_node(node, depth=exploration.depth_of(state), initial=state in initial,
                     home=is_home(state, config), **describe(state, config))
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


def itf_value(text: str):
    """A describe() value as an ITF value: ``{"#bigint": ...}``, a boolean, or the string.

    >>> itf_value("3"), itf_value("True"), itf_value("Replicating")
    ({'#bigint': '3'}, True, 'Replicating')
    """
    if text in ("True", "False"):
        return text == "True"
    if text.isdigit():
        return {"#bigint": text}
    return text


def nested(flat: dict[str, str]) -> dict:
    """describe() paths as nested records of ITF values.

    >>> nested({"vm[web].power[primary]": "Serving", "plan.group": "0", "vault": "Reachable"})
    {'vm': {'web': {'power': {'primary': 'Serving'}}}, 'plan': {'group': {'#bigint': '0'}}, 'vault': 'Reachable'}
    """
    out: dict = {}
    for path, value in flat.items():
        *parents, last = _PATH_PART.findall(path)
        record = out
        for part in parents:
            record = record.setdefault(part, {})
        record[last] = itf_value(value)
    return out


def itf_trace(steps, config: Config, mutant: str | None = None, **meta) -> dict:
    """An ITF trace of ``steps`` (:class:`~hvr_model.checker.exploration.Step`); ``meta`` goes into ``#meta``.

    >>> from hvr_model.hyperv.config import load_config
    >>> from hvr_model.hyperv.system import System
    >>> from hvr_model.checker.exploration import Step
    >>> config = load_config("single_vm")
    >>> w0 = System(config).initial_states()[0]
    >>> w1 = System(config).apply(w0, "enable_protection(vm=web)")
    >>> trace = itf_trace([Step(None, w0), Step("enable_protection(vm=web)", w1)], config)
    >>> trace["vars"], [s["#meta"] for s in trace["states"]]
    (['site', 'network', 'vault', 'plan', 'vm'], [{'index': 0, 'action': None}, {'index': 1, 'action': 'enable_protection(vm=web)'}])
    >>> trace["states"][1]["vm"]["web"]["protection"]
    'EnablingProtection'
    """
    states = [{"#meta": {"index": i, "action": step.action}, **nested(describe(step.state, config))}
              for i, step in enumerate(steps)]
    variables = [name for name in states[0] if name != "#meta"] if states else []
    return {"#meta": {"format": "ITF", "format-description": ITF_FORMAT_DESCRIPTION, "source": "hvr-model",
                      "config": config.name, "mutant": mutant, **meta},
            "vars": variables, "states": states}


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
