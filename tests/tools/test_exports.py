"""Exports round-trip: the explored graph as GraphML and JSON, counterexamples as ITF traces."""
import inspect
import json

import networkx as nx
import pytest

from hvr_model.tools.cli import main
from hvr_model.hyperv.config import load_config
from hvr_model.hyperv.describe import describe
from hvr_model.tools.exports import export_graph, itf_trace, state_ids, write_graph, write_itf
from hvr_model.hyperv.mutants import MUTANTS
from hvr_model.tools.verification import check_config as check

MUTANT = "planned_failover_without_final_log"


@pytest.fixture(scope="module")
def result():
    return check(load_config("single_vm"))


@pytest.fixture(scope="module")
def violated():
    return check(load_config("single_vm"), MUTANT)


def _node_link_graph(data):
    if "edges" in inspect.signature(nx.node_link_graph).parameters:
        return nx.node_link_graph(data, edges="edges")
    return nx.node_link_graph(data, link="edges")


def _assert_same_graph(read, result):
    e = result.exploration
    assert read.is_directed()
    assert read.number_of_nodes() == e.states
    assert read.number_of_edges() == e.graph.number_of_edges()
    assert sum(int(c) for _, _, c in read.edges(data="count")) == e.edges
    ids = state_ids(e)
    initial = ids[e.initial[0]]
    assert read.nodes[initial]["initial"] is True and read.nodes[initial]["depth"] == 0
    assert sum(bool(d) for _, d in read.nodes(data="initial")) == 1
    some_state = list(e.graph)[-1]
    node = read.nodes[ids[some_state]]
    assert {k: str(node[k]) for k in describe(some_state, result.config)} == describe(some_state, result.config)
    # typed: counters are integers, flags booleans, states text (GraphML attr.type, JSON numbers)
    assert type(node["vm[web].unsent"]) is int and type(node["plan.group"]) is int
    assert type(node["vm[web].snapshot"]) is bool and type(node["home"]) is bool
    assert type(node["vm[web].protection"]) is str and type(node["depth"]) is int
    assert all(type(c) is int for _, _, c in read.edges(data="count"))
    for u, v, actions in list(e.graph.edges(data="actions"))[:50]:
        assert read.edges[ids[u], ids[v]]["actions"].split("; ") == list(actions)


def test_graphml_round_trips(tmp_path, result):
    path = write_graph(result.exploration, result.config, tmp_path / "graph.graphml")
    read = nx.read_graphml(path)
    _assert_same_graph(read, result)
    assert read.graph["config"] == "single_vm" and read.graph["states"] == result.exploration.states


def test_json_round_trips(tmp_path, result):
    path = write_graph(result.exploration, result.config, tmp_path / "graph.json")
    data = json.loads(path.read_text())
    assert data["directed"] is True and "edges" in data
    _assert_same_graph(_node_link_graph(data), result)


def test_export_graph_holds_only_graphml_friendly_values(result):
    graph = export_graph(result.exploration, result.config)
    values = [v for _, d in graph.nodes(data=True) for v in d.values()]
    values += [v for _, _, d in graph.edges(data=True) for v in d.values()] + list(graph.graph.values())
    assert all(isinstance(v, (str, int, bool)) for v in values)


def test_unknown_graph_format_is_refused(tmp_path, result):
    with pytest.raises(ValueError, match=r"\.graphml or \.json"):
        write_graph(result.exploration, result.config, tmp_path / "graph.dot")


def test_itf_trace_of_a_counterexample_round_trips(tmp_path, violated):
    kills = MUTANTS[MUTANT].kills
    steps = violated.result(kills).counterexample
    [path] = write_itf(violated, tmp_path)
    assert path.name == f"{kills}.itf.json"
    trace = json.loads(path.read_text())
    assert trace["#meta"]["format"] == "ITF" and trace["#meta"]["property"] == kills
    assert trace["#meta"]["mutant"] == MUTANT
    assert [s["#meta"]["index"] for s in trace["states"]] == list(range(len(steps)))
    assert [s["#meta"]["action"] for s in trace["states"]] == [step.action for step in steps]
    assert trace["states"][0]["#meta"]["action"] is None
    for state in trace["states"]:
        assert set(state) - {"#meta"} == set(trace["vars"]) == {"site", "network", "vault", "plan", "vm"}
    last, flat = trace["states"][-1], describe(steps[-1].state, violated.config)
    [[name, web]] = last["vm"]["#map"]
    assert name == "web" and web["protection"] == flat["vm[web].protection"] == "PlannedFailoverPendingCommit"
    assert dict(web["power"]["#map"])["primary"] == flat["vm[web].power[primary]"]
    assert web["unsent"] == {"#bigint": flat["vm[web].unsent"]}
    assert web["snapshot"] is False and dict(last["site"]["#map"])["primary"] == "Online"
    assert set(trace["#meta"]["varTypes"]) == set(trace["vars"])


def test_itf_writes_nothing_when_every_property_holds(tmp_path, result):
    assert write_itf(result, tmp_path) == []


def test_itf_trace_of_a_single_state(result):
    trace = itf_trace(result.exploration.path_to(result.exploration.initial[0]), result.config)
    assert len(trace["states"]) == 1 and trace["states"][0]["#meta"] == {"index": 0, "action": None}


def test_check_command_writes_the_exports(tmp_path, capsys):
    graph, itf = tmp_path / "g.graphml", tmp_path / "itf"
    code = main(["check", "--config", "single_vm", "--mutant", MUTANT, "--quiet",
                 "--export-graph", str(graph), "--itf", str(itf)])
    assert code == 1
    assert nx.read_graphml(graph).number_of_nodes() > 0
    assert [p.name for p in itf.iterdir()] == [f"{MUTANTS[MUTANT].kills}.itf.json"]
    err = capsys.readouterr().err
    assert f"wrote {graph}" in err


def test_check_command_refuses_an_unknown_graph_format_before_exploring(tmp_path, capsys):
    assert main(["check", "--config", "single_vm", "--export-graph", str(tmp_path / "g.png")]) == 2
    assert "must end in .graphml or .json" in capsys.readouterr().err
    assert not (tmp_path / "g.png").exists()
