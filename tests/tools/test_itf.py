"""ITF exports load in the independent readers (itf-py, Quint when installed) and replay against the model."""
import json
import os
import re
import shutil
import subprocess

import networkx as nx
import pytest

from hvr_model.conformance.itf import ItfMalformed, check_itf_data, check_itf_trace, itf_var_types
from hvr_model.conformance.traces import TraceMalformed
from hvr_model.hyperv.config import load_config
from hvr_model.hyperv.mutants import MUTANTS
from hvr_model.tools.exports import write_graph, write_itf
from hvr_model.tools.verification import check_config as check

itf_py = pytest.importorskip("itf_py")

#: (configuration, mutant, bounded): one per kind of trace; the data configurations are explored
#: only to 3,000 states (safety claims), which already gives their counterexamples.
MUTANT_RUNS = [("single_vm", "disks_copied_in_parallel", False),
               ("single_vm", "delta_cycle_can_ship_nothing", False),        # liveness: a lasso
               ("data_single_vm", "skipped_checksum", True),
               ("data_failback", "planned_failover_without_final_log_on_data", True)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """``{(mutant, property): path}`` of every ITF counterexample of :data:`MUTANT_RUNS`."""
    out = {}
    for config, mutant, bounded in MUTANT_RUNS:
        result = check(load_config(config), mutant, max_states=3000 if bounded else None, safety_only=bounded)
        for path in write_itf(result, tmp_path_factory.mktemp(mutant)):
            out[mutant, path.name.removesuffix(".itf.json")] = path
    return out


def _shape(value):
    """A value's type as a hashable shape; an empty list's element type is unknown (None)."""
    if isinstance(value, bool):
        return "Bool"
    if isinstance(value, str):
        return "Str"
    if isinstance(value, list):
        return ("Seq", _join([_shape(v) for v in value]))
    assert isinstance(value, dict), value
    if "#bigint" in value:
        return "Int"
    if "#map" in value:
        return ("Map", _join([_shape(k) for k, _ in value["#map"]]), _join([_shape(v) for _, v in value["#map"]]))
    assert not any(k.startswith("#") for k in value), value   # no #tup/#set/#unserializable written
    return ("Rec", tuple(sorted((k, _shape(v)) for k, v in value.items())))


def _join(shapes):
    out = None
    for s in shapes:
        out = _unify(out, s)
    return out


def _unify(a, b):
    if a is None or b is None:
        return a if b is None else b
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] and a[0] in ("Seq", "Map"):
        return (a[0], *(_unify(x, y) for x, y in zip(a[1:], b[1:])))
    if isinstance(a, tuple) and isinstance(b, tuple) and a[0] == b[0] == "Rec":
        assert [k for k, _ in a[1]] == [k for k, _ in b[1]], (a, b)
        return ("Rec", tuple((k, _unify(x, y)) for (k, x), (_, y) in zip(a[1], b[1])))
    assert a == b, (a, b)
    return a


def test_every_mutant_run_exports_counterexamples(exported):
    for _, mutant, _ in MUTANT_RUNS:
        assert (mutant, MUTANTS[mutant].kills) in exported
    assert len(exported) >= 10


def test_itf_py_loads_every_export(exported):
    for (mutant, prop), path in exported.items():
        data = json.loads(path.read_text())
        trace = itf_py.trace_from_json(data)
        assert trace.vars == ["site", "network", "vault", "plan", "vm"]
        assert [s.meta["index"] for s in trace.states] == list(range(len(trace.states)))
        assert all(set(s.values) == set(trace.vars) for s in trace.states)
        assert set(trace.meta["varTypes"]) == set(trace.vars)
        web = trace.states[-1].values["vm"]["web"]
        assert isinstance(web.unsent, int) and isinstance(web.snapshot, bool) and isinstance(web.protection, str)
        assert set(web.power) == {"primary", "recovery"} and set(web.disk) <= {0, 1}
        assert "null" not in json.dumps([{k: v for k, v in s.items() if k != "#meta"} for s in data["states"]])


def test_every_variable_keeps_one_type_in_every_state(exported):
    for path in exported.values():
        data = json.loads(path.read_text())
        for var in data["vars"]:
            _join([_shape(s[var]) for s in data["states"]])


def test_a_data_configuration_has_typed_block_store_variables(exported):
    data = json.loads(exported["skipped_checksum", MUTANTS["skipped_checksum"].kills].read_text())
    assert "data: {" in data["#meta"]["varTypes"]["vm"]
    trace = itf_py.trace_from_json(data)
    first, last = trace.states[0].values["vm"]["web"].data, trace.states[-1].values["vm"]["web"].data
    assert first.history == [] and first.lost_writes == [] and isinstance(first.phase, str)
    assert all(isinstance(w.disk, int) and isinstance(w.data, str) for w in last.history)
    assert set(first.disk[0]) == {"primary", "recovery"}
    assert itf_var_types(load_config("single_vm"))["vm"].count("data:") == 0


def test_the_lasso_keeps_its_loop(exported):
    path = exported["delta_cycle_can_ship_nothing", "pending_log_is_replicated"]
    trace = itf_py.trace_from_json(json.loads(path.read_text()))
    assert trace.loop == 10 and len(trace.states) == 11 and trace.meta["lasso"] == "cycle of 1 steps"


def test_every_export_replays_against_its_model(exported):
    for (mutant, prop), path in exported.items():
        result = check_itf_trace(path)
        assert result.conforms, (mutant, prop, result.failure)
        data = json.loads(path.read_text())
        closing = data.get("loop") is not None and data["loop"] != len(data["states"]) - 1
        assert result.events == len(data["states"]) - 1 + closing


def test_a_state_the_model_does_not_reach_fails_at_its_index(exported):
    data = json.loads(exported["disks_copied_in_parallel", "one_disk_copied_at_a_time"].read_text())
    data["states"][2]["vault"] = "Unreachable"
    result = check_itf_data(data, "t.itf.json")
    assert not result.conforms and result.failure.line == 2
    assert "expected vault = Unreachable, the model has Reachable" in result.failure.reasons


def test_the_unmutated_model_refuses_the_mutant_s_trace(exported):
    data = json.loads(exported["disks_copied_in_parallel", "one_disk_copied_at_a_time"].read_text())
    data["#meta"]["mutant"] = None
    result = check_itf_data(data)
    assert not result.conforms and result.failure.line == len(data["states"]) - 1


@pytest.mark.parametrize("change, where", [
    (lambda d: d["states"][3]["#meta"].update(action="no_such_action(vm=web)"), "state 3: "),
    (lambda d: d["states"][1]["#meta"].update(index=7), "state 1: "),
    (lambda d: d["states"][2].pop("vault"), "state 2: "),
    (lambda d: d["#meta"].update(mutant="no_such_mutant"), "unknown mutant"),
    (lambda d: d["#meta"].pop("config"), "must name the configuration"),
    (lambda d: d.update(loop=99), "loop must be"),
])
def test_malformed_itf_is_bad_input_naming_the_state(exported, tmp_path, change, where):
    data = json.loads(exported["disks_copied_in_parallel", "one_disk_copied_at_a_time"].read_text())
    change(data)
    path = tmp_path / "bad.itf.json"
    path.write_text(json.dumps(data))
    with pytest.raises(TraceMalformed, match=where) as caught:
        check_itf_trace(path)
    assert isinstance(caught.value, ItfMalformed)


def test_not_json_and_not_a_regular_file_are_bad_input(tmp_path):
    (tmp_path / "x.itf.json").write_text("{not json")
    with pytest.raises(ItfMalformed):
        check_itf_trace(tmp_path / "x.itf.json")
    with pytest.raises(ItfMalformed):
        check_itf_trace(tmp_path)


def test_graph_attributes_of_a_data_configuration_are_typed(tmp_path):
    result = check(load_config("data_failback"), "planned_failover_without_final_log_on_data", max_states=2000)
    graphml = nx.read_graphml(write_graph(result.exploration, result.config, tmp_path / "g.graphml"))
    text = (tmp_path / "g.graphml").read_text()
    assert re.search(r'attr.name="vm\[web\]\.unsent" attr.type="(int|long)"', text)
    assert 'attr.name="vm[web].snapshot" attr.type="boolean"' in text
    lost = [d["vm[web].data.lost_writes"] for _, d in graphml.nodes(data=True) if "vm[web].data.lost_writes" in d]
    assert lost and all(type(v) is int for v in lost)
    assert all(type(d["vm[web].snapshot"]) is bool for _, d in graphml.nodes(data=True))
    data = json.loads(write_graph(result.exploration, result.config, tmp_path / "g.json").read_text())
    assert all(type(n["vm[web].unsent"]) is int and type(n["vm[web].held_logs"]) is bool for n in data["nodes"])


_QUINT_READER = """
const itf = require('@informalsystems/quint/dist/src/itf.js');
const fs = require('fs');
let states = 0;
for (const file of process.argv.slice(1)) {
  const trace = JSON.parse(fs.readFileSync(file, 'utf8'));
  states += itf.ofItfNormalized(trace).length;   // through Quint's runtime values: strict
}
console.log(states);
"""


def _node_path():
    """Where Quint's package is (HVR_QUINT_NODE_PATH, else npm's global folder); None without node or Quint."""
    if shutil.which("node") is None:
        return None
    folder = os.environ.get("HVR_QUINT_NODE_PATH")
    if folder is None and shutil.which("npm"):
        folder = subprocess.run(["npm", "root", "-g"], capture_output=True, text=True, timeout=60).stdout.strip()
    found = folder and subprocess.run(["node", "-e", "require.resolve('@informalsystems/quint/dist/src/itf.js')"],
                                      env={**os.environ, "NODE_PATH": folder}, capture_output=True, timeout=60)
    return folder if found and found.returncode == 0 else None


def test_quint_loads_every_export(exported):
    folder = _node_path()
    if folder is None:
        pytest.skip("Quint's ITF reader is not installed (npm install -g @informalsystems/quint, "
                    "or set HVR_QUINT_NODE_PATH to a node_modules folder holding it)")
    paths = [str(p) for p in exported.values()]
    run = subprocess.run(["node", "-e", _QUINT_READER, *paths], env={**os.environ, "NODE_PATH": folder},
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert int(run.stdout) == sum(len(json.loads(open(p).read())["states"]) for p in paths)
