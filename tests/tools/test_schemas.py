"""The published JSON Schemas: current, valid, and what the model writes and reads validates against them."""
import contextlib
import io
import json
import random
import tomllib
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from hvr_model.checker.inputs import InputError
from hvr_model.conformance.fuzz_traces import trace_lines
from hvr_model.hyperv.config import FAULTS, ConfigError, config_names, load_config, parse_config
from hvr_model.hyperv.events import ALIASES, EVENTS
from hvr_model.hyperv.mutants import system_for
from hvr_model.tools import guard
from hvr_model.tools.cli import main
from hvr_model.tools.schemas import (INTEGER_RANGES, SCHEMA_FOLDER, SCHEMA_NAMES, build, render, schema,
                                     stale_schemas, write_schemas)

from tests.schema_check import assert_valid, errors

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "model" / "hyperv" / "configs"
TRACES = sorted((ROOT / "specs" / "traces").glob("*.jsonl"))
REGENERATE = "regenerate them with: python -m hvr_model.tools.schemas (then commit model/schemas/)"
HEADER = {"format": "hvr-model-trace", "version": 1, "config": "single_vm"}


# -- the files: current, valid schemas, found by name -----------------------------------------------------
def test_the_shipped_schemas_are_the_generated_ones():
    assert stale_schemas() == [], f"stale schema files in {SCHEMA_FOLDER}: {REGENERATE}"
    assert sorted(p.name for p in SCHEMA_FOLDER.iterdir()) == sorted(f"{n}.schema.json" for n in SCHEMA_NAMES)


def test_write_schemas_writes_only_what_changed(tmp_path):
    assert [p.name for p in write_schemas(tmp_path)] == [f"{n}.schema.json" for n in SCHEMA_NAMES]
    assert write_schemas(tmp_path) == [] and stale_schemas(tmp_path) == []
    (tmp_path / "trace.schema.json").write_text("{}")
    assert stale_schemas(tmp_path) == ["trace"]


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_each_schema_is_a_valid_draft_2020_12_schema_read_from_the_package(name):
    Draft202012Validator.check_schema(schema(name))
    assert schema(name) == build(name) == json.loads(render(name))
    assert schema(name)["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_an_unknown_schema_name_is_bad_input():
    with pytest.raises(InputError, match="unknown schema 'configs' .known: config, trace, result"):
        schema("configs")


# -- configurations ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", config_names())
def test_every_shipped_configuration_validates(name):
    assert_valid("config", tomllib.loads((CONFIGS / f"{name}.toml").read_text()))


@pytest.mark.parametrize("raw, where", [
    ({"name": "x", "vms": [{"name": "a"}], "faults": ["meteor"]}, "faults/0"),
    ({"name": "x", "vms": [{"name": "a"}], "colour": "red"}, "(root)"),
    ({"name": "x", "vms": [{"name": "a", "disks": "two"}]}, "vms/0/disks"),
    ({"name": "x", "vms": [{"name": "a", "disks": 9}]}, "vms/0/disks"),
    ({"name": "x", "vms": [{"name": "a"}], "policy": {"copy_frequency": "1min"}}, "policy/copy_frequency"),
    ({"name": "x", "vms": [{"name": "a"}], "faults": ["host_crash", "host_crash"]}, "faults"),
    ({"name": "x", "vms": [{"name": "a"}], "exclude": ["site_outage"]}, "exclude/0"),
    ({"name": "x", "vms": [{"name": "a", "exclude": ["start_planned_recovery_plan"]}]}, "vms/0/exclude/0"),
    ({"name": "x", "vms": [{"name": "a"}], "data": {"values": ["AB"]}}, "data/values/0"),
    ({"name": "x", "vms": [{"name": "a"}], "mutant": "m"}, "(root)"),
    ({"name": "x"}, "(root)"),
])
def test_the_config_schema_refuses_what_parse_config_refuses(raw, where):
    assert any(e.startswith(f"{where}:") for e in errors("config", raw)), errors("config", raw)
    with pytest.raises(ConfigError):
        parse_config(raw)


def _with(path: str, value: int) -> dict:
    """A minimal configuration with the integer at ``path`` (``table.key``) set to ``value``."""
    table, key = path.split(".")
    raw = {"name": "x", "vms": [{"name": "a"}]}
    if table == "vms":
        raw["vms"][0][key] = value
    else:
        raw[table] = {key: value}
    if path == "policy.app_consistent_snapshot_hours":
        raw["policy"]["recovery_point_retention_hours"] = 24    # REQ-05: less than the retention
    return raw


@pytest.mark.parametrize("path", INTEGER_RANGES)
def test_the_integer_ranges_of_the_schema_are_those_parse_config_enforces(path):
    low, high = INTEGER_RANGES[path]
    for value, valid in ((low - 1, False), (low, True), (high, True), (high + 1, False)):
        raw = _with(path, value)
        assert (errors("config", raw) == []) is valid, (path, value)
        try:
            parse_config(raw)
            accepted = True
        except ConfigError:
            accepted = False
        assert accepted is valid, (path, value)


def test_every_fault_and_every_protocol_event_is_accepted_by_both():
    raw = {"name": "x", "vms": [{"name": "a"}], "faults": list(FAULTS)}
    assert_valid("config", raw)
    parse_config(raw)
    enum = schema("config")["properties"]["exclude"]["items"]["enum"]
    assert enum == [n for n, e in EVENTS.items() if e.kind != "environment"]


# -- trace lines ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", TRACES, ids=[p.name for p in TRACES])
def test_every_line_of_every_shipped_trace_validates(path):
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            found = errors("trace", json.loads(line))
            assert not found, f"{path.name}:{n}: {found}"


@pytest.mark.parametrize("config", ["single_vm_faults", "data_single_vm", "two_group_plan"])
def test_traces_written_by_the_fuzzer_validate(config):
    system, rng = system_for(config), random.Random(7)
    state, labels = system.initial_states()[0], []
    for _ in range(40):
        moves = system.successors(state)
        if not moves:
            break
        label, state = rng.choice(moves)
        labels.append(label)
    for line in trace_lines(load_config(config), labels, comment="random walk"):
        assert_valid("trace", line)


@pytest.mark.parametrize("line, where", [
    ({"event": "commit", "vm": "web", "colour": "red"}, "(root)"),
    ({"event": "reboot", "vm": "web"}, "event"),
    ({"event": "commit"}, "(root)"),                                   # commit takes a VM
    ({"event": "begin_disk_copy", "vm": "web"}, "(root)"),             # ... and a disk here
    ({"event": "network_partition", "vm": "web"}, "(root)"),            # a shared fault takes none
    ({"event": "commit", "vm": "web", "job": "Failed"}, "job"),        # no failed commit in the model
    ({"event": "planned_failover", "vm": "web", "error": "boom"}, "(root)"),   # error needs job Failed
    ({"event": "site_outage", "site": "tertiary"}, "site"),
    ({"event": "begin_disk_copy", "vm": "web", "disk": -1}, "disk"),
    ({"event": "commit", "vm": "web", "expect": {"vm[web].phase": 3}}, "expect/vm[web].phase"),
    (HEADER | {"version": 2}, "version"),
    (HEADER | {"observed": "some"}, "observed"),
    (HEADER | {"mutant": "m"}, "(root)"),
])
def test_the_trace_schema_refuses_a_malformed_line(line, where):
    found = errors("trace", line)
    assert found, line
    assert any(e.startswith(f"{where}:") for e in found), found


def test_aliases_and_job_outcomes_validate():
    assert_valid("trace", HEADER)
    for line in ({"event": "change_pit", "vm": "web"}, {"event": "test_failover_cleanup", "vm": "web"},
                 {"event": "planned_failover", "vm": "web", "job": "Failed", "error": "the VM is on"},
                 {"event": "unplanned_failover", "vm": "web", "job": "Cancelled"},
                 {"event": "unplanned_failover", "vm": "web", "shutdown_source": True},
                 {"event": "guest_write", "vm": "web", "disk": 0, "block": 1, "data": "A"},
                 {"event": "start_planned_recovery_plan", "comment": "go"}):
        assert_valid("trace", line)
    assert set(schema("trace")["$defs"]["event"]["properties"]["event"]["enum"]) == set(EVENTS) | set(ALIASES)


# -- check --json -----------------------------------------------------------------------------------------
def _json(argv) -> tuple[int, dict]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = main(argv + ["--json"])
    return code, json.loads(out.getvalue())


@pytest.mark.parametrize("argv, code", [
    (["--config", "single_vm"], 0),                                                      # holds, vacuous claims
    (["--config", "single_vm", "--mutant", "planned_failover_without_final_log"], 1),    # a state claim's read
    (["--config", "single_vm", "--mutant", "writes_not_tracked"], 1),                    # a step claim's read
    (["--config", "single_vm", "--mutant", "delta_cycle_can_ship_nothing"], 1),          # a lasso
    (["--config", "single_vm_faults", "--max-states", "300"], 3),                        # incomplete
    (["--config", "single_vm", "--safety-only"], 3),                                     # unknown claims
    (["--config", "data_single_vm", "--max-states", "200", "--safety-only"], 3),
    (["--config", "no_such_config"], 2),                                                 # the error object
], ids=["holds", "state-read", "step-read", "lasso", "max-states", "safety-only", "data", "bad-input"])
def test_check_json_validates_against_the_result_schema(argv, code):
    got, doc = _json(["check", *argv])
    assert got == code
    assert_valid("result", doc)


def _guarded_json(command, capsys) -> dict:
    code = guard.guarded(command, as_json=True)
    doc = json.loads(capsys.readouterr().out)
    assert doc["exit_code"] == code
    return doc


def _raise(exc):
    def command():
        raise exc
    return command


@pytest.mark.parametrize("exc, kind", [(InputError("bad"), "error"), (MemoryError(), "incomplete"),
                                       (ZeroDivisionError("x"), "internal error"),
                                       (KeyboardInterrupt(), "interrupted"), (guard.Terminated(), "terminated")])
def test_every_error_object_validates(exc, kind, capsys):
    doc = _guarded_json(_raise(exc), capsys)
    assert doc["error"]["kind"] == kind
    assert_valid("result", doc)


def test_the_result_schema_refuses_what_the_output_never_holds():
    _, doc = _json(["check", "--config", "single_vm", "--mutant", "writes_not_tracked"])
    assert errors("result", doc | {"colour": "red"})
    assert errors("result", doc | {"holds": True})                       # a violated run never holds
    claim = doc["properties"][0]
    for wrong in ({"verdict": "fine"}, {"verdict": "holds", "holds": None}, {"verdict": "vacuous", "vacuous": None},
                  {"kind": "sometimes-maybe"}, {"requirements": ["R5"]}):
        assert errors("result", doc | {"properties": [claim | wrong]}), wrong
    assert errors("result", {"error": {"kind": "oops", "message": "m"}, "exit_code": 2})
    assert errors("result", {"error": {"kind": "error", "message": "m"}, "exit_code": 0})


@pytest.mark.parametrize("name", ["config", "trace", "result"])
def test_the_schema_command_prints_the_shipped_schema(name, capsys):
    from hvr_model.tools.cli import main
    assert main(["schema", name]) == 0
    assert json.loads(capsys.readouterr().out) == schema(name)
