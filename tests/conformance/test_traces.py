"""Event-trace conformance (specs/traces.md): the example traces, the CLI, malformed files,
partial observation and its bound, the reference oracle API and ``assert_conforms``.

The example traces in specs/traces/ are checked against specs/traces/expected.toml, both
through :func:`hvr_model.conformance.traces.check_trace` and through ``python -m hvr_model trace check``.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from hvr_model.tools.cli import main
from hvr_model.hyperv.system import System
from hvr_model.hyperv.config import load_config
from hvr_model.conformance.oracle import Oracle, Refused, UnknownEvent
from hvr_model.conformance.testing import assert_conforms
from hvr_model.conformance.traces import TraceMalformed, TraceResult, check_trace, check_trace_text
from hvr_model.hyperv.state import World

TRACES = Path(__file__).resolve().parents[2] / "specs" / "traces"
EXPECTED = tomllib.loads((TRACES / "expected.toml").read_text())
EXAMPLES = sorted(p.name for p in TRACES.glob("*.jsonl"))
HEADER = {"format": "hvr-model-trace", "version": 1, "config": "single_vm", "observed": "full"}


def text_of(*lines, header=HEADER) -> str:
    """A trace as text: the header, then each line (a dict as JSON, a str as is)."""
    rows = [header, *lines] if header is not None else list(lines)
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


def run_cli(*argv):
    return subprocess.run([sys.executable, "-m", "hvr_model", "trace", "check", *argv],
                          capture_output=True, text=True, timeout=60)


def event_lines(name: str) -> list[dict]:
    return [json.loads(line) for line in (TRACES / name).read_text().splitlines() if line.strip()]


# -- the example traces ---------------------------------------------------------------------------

def test_every_example_trace_has_an_expectation_and_vice_versa():
    assert set(EXPECTED) == set(EXAMPLES)
    assert len([n for n in EXAMPLES if n.startswith("invalid_")]) >= 5
    for name, entry in EXPECTED.items():
        assert entry["conforms"] is not name.startswith("invalid_"), name
        assert ("line" in entry and "reason" in entry) is (not entry["conforms"]), name


def test_every_procedure_of_the_seed_has_a_valid_example():
    required = {"protection", "planned_failover_commit_reverse", "unplanned_failover", "failback",
                "test_failover", "recovery_plan", "partial_observation", "data_failback"}
    assert {f"{n}.jsonl" for n in required} <= set(EXAMPLES)


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_trace_gives_the_expected_verdict(name):
    expected = EXPECTED[name]
    result = check_trace(TRACES / name)
    assert isinstance(result, TraceResult)
    assert result.conforms is expected["conforms"]
    if expected["conforms"]:
        assert result.failure is None
        assert result.events == expected["events"] == len(event_lines(name)) - 1
        assert [line for line, _ in result.assumed] == expected.get("assumed", [])
    else:
        failure = result.failure
        assert failure.line == expected["line"]
        assert result.events == expected["line"] - 2           # every event before it was checked
        assert expected["reason"] in " ".join(failure.reasons), failure.reasons
        refused = event_lines(name)[expected["line"] - 1]       # the file has no blank lines
        assert failure.event.startswith(refused["event"] + "(")
        assert failure.requirements and all(r.startswith("REQ-") for r in failure.requirements)
        assert failure.allowed and failure.event not in failure.allowed
        assert failure.state["vm[web].protection"]


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_trace_through_the_cli(name):
    expected = EXPECTED[name]
    path = TRACES / name
    before = path.read_bytes()
    proc = run_cli(str(path))
    assert "Traceback" not in proc.stderr + proc.stdout
    assert path.read_bytes() == before
    if expected["conforms"]:
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert f"({expected['events']} events checked)" in proc.stdout
        assert ("assumed unobserved" in proc.stdout) is bool(expected.get("assumed"))
    else:
        assert proc.returncode == 1, proc.stdout + proc.stderr
        refused = event_lines(name)[expected["line"] - 1]["event"]
        assert f"{name} line {expected['line']}: {refused}(" in proc.stdout
        assert expected["reason"] in proc.stdout
        assert "requirements: REQ-" in proc.stdout
        assert "the model allowed:" in proc.stdout and "vm[web].protection = " in proc.stdout


def test_the_valid_examples_use_the_asr_aliases():
    events = {e.get("event") for name in EXAMPLES for e in event_lines(name)[1:]}
    assert {"test_failover_cleanup", "change_pit"} <= events


@pytest.mark.parametrize("trace, mutant", [
    ("invalid_reverse_before_commit.jsonl", "reverse_replication_before_commit"),
    ("invalid_prepare_planned_failover_source_running.jsonl", "prepare_with_source_running"),
    ("invalid_start_prepared_primary.jsonl", "start_prepared_primary"),
    ("invalid_test_failover_during_resync.jsonl", "test_failover_during_resync"),
])
def test_invalid_example_is_refused_by_exactly_the_guard_its_mutant_drops(trace, mutant):
    """Each operator mistake is accepted by the mutant that removes the guard it violates."""
    lines = event_lines(trace)
    config = load_config(lines[0]["config"])
    for variant, accepted in ((None, False), (mutant, True)):
        oracle = Oracle(config, variant)
        try:
            for line in lines[1:]:
                oracle.apply(line["event"], **{k: v for k, v in line.items()
                                               if k not in ("event", "expect", "comment")})
        except Refused as refusal:
            assert not accepted and refusal.label.startswith(lines[-1]["event"])
        else:
            assert accepted


# -- the checker's semantics ----------------------------------------------------------------------

def test_a_wrong_expectation_makes_the_trace_not_conform_at_its_line():
    text = text_of({"event": "enable_protection", "vm": "web", "expect": {"vm[web].protection": "Protected"}})
    result = check_trace_text(text)
    assert not result.conforms and result.failure.line == 2
    assert "EnablingProtection" in " ".join(result.failure.reasons)
    good = text_of({"event": "enable_protection", "vm": "web",
                    "expect": {"vm[web].protection": "EnablingProtection", "vm[web].direction": "PrimaryToRecovery"}})
    assert check_trace_text(good).conforms


def test_blank_lines_are_ignored_but_counted():
    text = text_of({"event": "enable_protection", "vm": "web"}, "", "   ", {"event": "commit", "vm": "web"})
    result = check_trace_text(text)
    assert (result.conforms, result.events, result.failure.line) == (False, 1, 5)


def test_aliases_are_the_same_event_as_the_model_names():
    trace = (TRACES / "unplanned_failover.jsonl").read_text()
    assert '"change_pit"' in trace
    canonical = trace.replace('"change_pit"', '"change_recovery_point"')
    a, b = check_trace_text(trace), check_trace_text(canonical)
    assert a.conforms and b.conforms and a.events == b.events
    # The alias is the real event: refused exactly where change_recovery_point is.
    early = text_of({"event": "change_pit", "vm": "web"}, header=HEADER | {"config": "single_vm_faults"})
    assert check_trace_text(early).failure.line == 2


def test_data_trace_expectations_are_checked_on_disk_contents():
    text = (TRACES / "data_failback.jsonl").read_text()
    assert '"vm[web].data.disk[0][primary]": "A"' in text
    wrong = text.replace('"vm[web].data.disk[0][primary]": "A"', '"vm[web].data.disk[0][primary]": "."', 1)
    result = check_trace_text(wrong)
    assert not result.conforms and result.failure.line == 2


# -- malformed files ------------------------------------------------------------------------------

EV = {"event": "enable_protection", "vm": "web"}
MALFORMED = {
    "not_json": ("{this is not json\n", 1, "not JSON"),
    "no_header": (text_of(EV, header=None), 1, "header"),
    "wrong_format": (text_of(EV, header=HEADER | {"format": "hvr-trace"}), 1, "header"),
    "wrong_version": (text_of(EV, header=HEADER | {"version": 2}), 1, "header"),
    "bad_observed": (text_of(EV, header=HEADER | {"observed": "sometimes"}), 1, "observed"),
    "unknown_config": (text_of(EV, header=HEADER | {"config": "no_such_config"}), 1, "no_such_config"),
    "unknown_event": (text_of(EV, {"event": "reboot", "vm": "web"}), 3, "reboot"),
    "unknown_vm": (text_of({"event": "enable_protection", "vm": "db"}), 2, "db"),
    "unknown_site": (text_of({"event": "enable_protection", "vm": "web"},
                             header=HEADER | {"config": "single_vm_faults"}) +
                     json.dumps({"event": "site_outage", "site": "moon"}) + "\n", 3, "moon"),
    "missing_parameter": (text_of({"event": "enable_protection"}), 2, "vm"),
    "extra_parameter": (text_of({"event": "enable_protection", "vm": "web", "site": "primary"}), 2, "site"),
    "unknown_parameter": (text_of({"event": "enable_protection", "vm": "web", "colour": "red"}), 2, "colour"),
    "wrong_type": (text_of(EV, {"event": "start_initial_replication", "vm": "web"},
                           {"event": "begin_disk_copy", "vm": "web", "disk": "0"}), 4, "disk"),
    "event_not_in_config": (text_of({"event": "site_outage", "site": "primary"}), 2, "site_outage"),
    "bad_expect_path": (text_of({"event": "enable_protection", "vm": "web",
                                 "expect": {"vm[web].colour": "Blue"}}), 2, "vm[web].colour"),
    "not_an_object": (text_of("[1, 2]"), 2, "object"),
    "empty_file": ("", 1, "empty"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_trace_is_refused_with_its_line(case, tmp_path, capsys):
    text, line, word = MALFORMED[case]
    with pytest.raises(TraceMalformed) as info:
        check_trace_text(text)
    assert isinstance(info.value, ValueError)
    assert info.value.line == line and word in info.value.reason, (info.value.line, info.value.reason)

    path = tmp_path / "trace.jsonl"
    path.write_text(text)
    assert main(["trace", "check", str(path)]) == 2
    out, err = capsys.readouterr()
    assert f"line {line}:" in err and word in err and "Traceback" not in out + err
    assert path.read_text() == text


@pytest.mark.parametrize("case", ["not_json", "unknown_config", "bad_expect_path", "empty_file"])
def test_malformed_trace_through_the_cli_process_exits_2_without_a_traceback(case, tmp_path):
    text, line, word = MALFORMED[case]
    path = tmp_path / "trace.jsonl"
    path.write_text(text)
    proc = run_cli(str(path))
    assert proc.returncode == 2
    assert f"line {line}:" in proc.stderr and word in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout and proc.stdout == ""
    assert path.read_text() == text


def test_a_malformed_line_anywhere_wins_over_an_earlier_refusal():
    text = text_of({"event": "commit", "vm": "web"}, EV, {"event": "reboot"})
    with pytest.raises(TraceMalformed) as info:
        check_trace_text(text)
    assert info.value.line == 4


def test_a_missing_file_exits_2():
    proc = run_cli("/nonexistent/trace.jsonl")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and "trace.jsonl" in proc.stderr


def test_data_parameter_on_an_event_that_takes_none_is_malformed():
    with pytest.raises(TraceMalformed):
        check_trace_text(text_of({"event": "enable_protection", "vm": "web", "data": "A"}))


def test_expect_may_name_a_path_that_describe_shows_later():
    lines = [HEADER | {"config": "data_single_vm"}, *event_lines("data_failback.jsonl")[1:13]]
    lines[-1] = lines[-1] | {"expect": {"vm[web].data.lost_writes": "0"}}
    assert lines[-1]["event"] == "planned_failover"
    assert check_trace_text(text_of(*lines[1:], header=lines[0])).conforms


# -- partial observation --------------------------------------------------------------------------

ENGINE_COPY = ["start_initial_replication(vm=web)", "complete_initial_replication(vm=web)"]


def test_partial_trace_conforms_only_thanks_to_assumed_engine_steps():
    result = check_trace(TRACES / "partial_observation.jsonl")
    assert result.conforms and result.events == 13
    (line1, steps1), (line2, steps2) = result.assumed
    assert line1 == 3 and len(steps1) == 6
    assert [steps1[0], steps1[-1]] == ENGINE_COPY
    assert sorted(steps1[1:-1]) == sorted(f"{op}(vm=web, disk={d})" for op in ("begin_disk_copy", "finish_disk_copy")
                                          for d in (0, 1))
    assert (line2, steps2) == (11, ["complete_resynchronization(vm=web)"])
    assert not any(e["event"] in ("start_initial_replication", "complete_resynchronization")
                   for e in event_lines("partial_observation.jsonl")[1:])


def test_the_same_trace_fully_observed_does_not_conform():
    text = (TRACES / "partial_observation.jsonl").read_text().replace('"observed": "partial"', '"observed": "full"', 1)
    result = check_trace_text(text)
    assert not result.conforms and result.failure.line == 3 and result.assumed == []
    assert "initial_replication_complete" in " ".join(result.failure.reasons)


@pytest.mark.parametrize("bound, conforms", [(0, False), (5, False), (6, True), (8, True)])
def test_the_bound_on_unobserved_steps_matters(bound, conforms):
    result = check_trace(TRACES / "partial_observation.jsonl", max_unobserved=bound)
    assert result.conforms is conforms
    if not conforms:
        assert result.failure.line == 3 and result.assumed == []


def test_the_bound_through_the_cli():
    path = str(TRACES / "partial_observation.jsonl")
    assert main(["trace", "check", path, "--max-unobserved", "0"]) == 1
    assert main(["trace", "check", path, "--max-unobserved", "6"]) == 0
    assert main(["trace", "check", path]) == 0


def test_partial_observation_assumes_only_engine_steps_and_only_when_needed():
    # An operator step (shutdown_vm) left out is not assumed: Hyper-V's prepare stays refused.
    lines = event_lines("hyperv_planned_failover.jsonl")
    header = lines[0] | {"observed": "partial"}
    assert check_trace_text(text_of(*lines[1:], header=header)).assumed == []   # nothing needed
    without_shutdown = [e for e in lines[1:] if e["event"] != "shutdown_vm"]
    result = check_trace_text(text_of(*without_shutdown, header=header))
    assert not result.conforms and "source_vm_off" in " ".join(result.failure.reasons)


def test_partial_observation_fills_gaps_instead_of_reporting_engine_steps_out_of_order():
    """Documented in specs/traces.md: order mistakes of the engine need a full trace."""
    copy_disk_0 = [EV, {"event": "start_initial_replication", "vm": "web"},
                   {"event": "begin_disk_copy", "vm": "web", "disk": 0},
                   {"event": "finish_disk_copy", "vm": "web", "disk": 0},
                   {"event": "complete_initial_replication", "vm": "web"}]     # disk 1 never copied
    full = check_trace_text(text_of(*copy_disk_0))
    assert not full.conforms and full.failure.line == 6
    assert "all_disks_copied" in " ".join(full.failure.reasons)
    partial = check_trace_text(text_of(*copy_disk_0, header=HEADER | {"observed": "partial"}))
    assert partial.conforms
    assert partial.assumed == [(6, ["begin_disk_copy(vm=web, disk=1)", "finish_disk_copy(vm=web, disk=1)"])]
    # The example "log out of order" is still caught in a partial trace: completing the initial
    # copy ships the pending log, so no engine path enables that replicate_delta.
    text = (TRACES / "invalid_log_out_of_order.jsonl").read_text().replace('"observed": "full"',
                                                                           '"observed": "partial"', 1)
    result = check_trace_text(text)
    assert not result.conforms and result.failure.line == 7 and result.assumed == []


# -- the reference oracle -------------------------------------------------------------------------

def test_oracle_allowed_is_what_the_model_offers():
    oracle = Oracle("single_vm")
    system = System(load_config("single_vm"))
    assert oracle.allowed() == sorted({label for label, _ in system.successors(system.initial_states()[0])})
    assert "enable_protection(vm=web)" in oracle.allowed() and "commit(vm=web)" not in oracle.allowed()


def test_oracle_apply_moves_the_state_and_reads_it_back():
    oracle = Oracle(load_config("single_vm"))                # a Config works as well as a name
    assert (oracle.protection("web"), oracle.phase("web")) == ("Unprotected", "Disabled")
    assert oracle.roles("web") == {"active": "primary", "mode": {"primary": "None", "recovery": "None"},
                                   "direction": None}
    world = oracle.apply("enable_protection", vm="web")
    assert isinstance(world, World) and world is oracle.state
    assert (oracle.protection("web"), oracle.phase("web")) == ("EnablingProtection", "ReadyForInitialReplication")
    assert oracle.roles("web") == {"active": "primary", "mode": {"primary": "Primary", "recovery": "Replica"},
                                   "direction": "PrimaryToRecovery"}
    for label in ["start_initial_replication(vm=web)", "begin_disk_copy(vm=web, disk=0)",
                  "finish_disk_copy(vm=web, disk=0)", "begin_disk_copy(vm=web, disk=1)",
                  "finish_disk_copy(vm=web, disk=1)", "complete_initial_replication(vm=web)",
                  "finalize_protection(vm=web)", "shutdown_vm(vm=web)", "planned_failover(vm=web)",
                  "start_vm(vm=web)", "commit(vm=web)"]:
        oracle.apply_label(label)
    oracle.apply("reverse_replicate", vm="web")
    assert (oracle.protection("web"), oracle.phase("web")) == ("Protected", "Replicating")
    assert oracle.roles("web") == {"active": "recovery", "mode": {"primary": "Replica", "recovery": "Primary"},
                                   "direction": "RecoveryToPrimary"}


def test_oracle_refusal_gives_reasons_and_requirements_and_changes_nothing():
    oracle = Oracle("single_vm")
    oracle.apply("enable_protection", vm="web")
    before = oracle.state
    with pytest.raises(Refused) as info:
        oracle.apply("commit", vm="web")
    assert info.value.label == "commit(vm=web)"
    assert info.value.reasons == ["protection is EnablingProtection, commit needs PlannedFailoverPendingCommit "
                                  "or UnplannedFailoverPendingCommit"]
    assert info.value.requirements == ["REQ-27"]
    assert oracle.state is before

    protected = Oracle("single_vm_faults")                  # starts protected, the VM running
    with pytest.raises(Refused) as info:
        protected.apply("unplanned_failover", vm="web")
    assert "protection guard failed: source_vm_off" in info.value.reasons
    assert info.value.requirements == ["REQ-25"]            # the unplanned failover's rule, not REQ-24
    protected.apply("planned_failover", vm="web")           # the ASR job shuts the source down itself
    assert protected.describe()["vm[web].power[primary]"] == "Off"


def test_oracle_aliases_and_unknown_names():
    oracle = Oracle("single_vm_faults")
    for label in ["guest_write(vm=web)", "replicate_delta(vm=web)", "shutdown_vm(vm=web)", "unplanned_failover(vm=web)"]:
        oracle.apply_label(label)
    oracle.apply("change_pit", vm="web")
    assert oracle.describe()["vm[web].chosen_point"] == "1"
    with pytest.raises(UnknownEvent):
        oracle.apply("reboot", vm="web")
    with pytest.raises(UnknownEvent):
        oracle.apply("commit", vm="db")
    with pytest.raises(UnknownEvent):
        oracle.apply("site_outage", site="moon")


def test_oracle_disks_follow_the_reference_block_store():
    oracle = Oracle("data_single_vm")
    oracle.apply("guest_write", vm="web", disk=0, block=0, data="A")
    assert oracle.disks("web", "primary") == (b"A", b"\x00")
    assert oracle.disks("web", "recovery") == (b"\x00", b"\x00")
    for label in ["enable_protection(vm=web)", "start_initial_replication(vm=web)",
                  "begin_disk_copy(vm=web, disk=0)", "finish_disk_copy(vm=web, disk=0)",
                  "begin_disk_copy(vm=web, disk=1)", "finish_disk_copy(vm=web, disk=1)",
                  "complete_initial_replication(vm=web)", "finalize_protection(vm=web)",
                  "guest_write(vm=web, disk=1, block=0, data=A)", "shutdown_vm(vm=web)"]:
        oracle.apply_label(label)
    assert oracle.disks("web", "recovery") == (b"A", b"\x00")    # the last write is not yet shipped
    oracle.apply("planned_failover", vm="web")
    assert oracle.disks("web", "recovery") == (b"A", b"A")       # planned failover loses nothing
    with pytest.raises(UnknownEvent):
        Oracle("single_vm").disks("web", "primary")             # no [data] table


def test_oracle_properties_hold_on_the_model_and_catch_a_mutant():
    oracle = Oracle("single_vm")
    props = oracle.properties()
    assert props and all(isinstance(v, bool) for v in props.values()) and all(props.values())
    assert {"no_split_brain", "workload_runs_only_on_active_site", "one_disk_copied_at_a_time"} <= set(props)

    broken = Oracle(load_config("single_vm_faults"), mutant="planned_failover_job_leaves_source_running")
    broken.apply("planned_failover", vm="web")                  # the source VM still runs
    assert broken.properties()["workload_runs_only_on_active_site"] is False


# -- the pytest helper ----------------------------------------------------------------------------

def test_assert_conforms_passes_on_a_valid_trace():
    result = assert_conforms(TRACES / "protection.jsonl")
    assert result.conforms and result.events == EXPECTED["protection.jsonl"]["events"]
    assert assert_conforms(TRACES / "partial_observation.jsonl").assumed


def test_assert_conforms_names_the_line_on_an_invalid_trace():
    with pytest.raises(AssertionError) as info:
        assert_conforms(TRACES / "invalid_reverse_before_commit.jsonl")
    message = str(info.value)
    assert "line 13" in message and "reverse_replicate(vm=web)" in message
    assert "UnplannedFailoverPendingCommit" in message and "REQ-28" in message
    with pytest.raises(AssertionError) as info:
        assert_conforms(TRACES / "partial_observation.jsonl", max_unobserved=0)
    assert "line 3" in str(info.value)


def test_a_partial_trace_refusal_names_the_unobserved_step_it_could_not_assume():
    """Issue 10 item 7: the engine step that would have led there, and why it could not be assumed."""
    lines = [{"event": "network_partition"}, {"event": "guest_write", "vm": "web"},
             {"event": "suspend_resynchronization", "vm": "web"}]
    header = {"format": "hvr-model-trace", "version": 1, "config": "single_vm_faults", "observed": "partial"}
    result = check_trace_text(text_of(*lines, header=header))
    assert not result.conforms and result.failure.line == 4
    assert any("could not assume auto_start_resynchronization(vm=web)" in r and "replication_path_up" in r
               for r in result.failure.reasons)


def test_a_relative_config_path_in_the_header_is_read_from_the_trace_folder(tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "site.toml").write_text('name = "site"\n[[vms]]\nname = "web"\n')
    (folder / "t.jsonl").write_text('{"format": "hvr-model-trace", "version": 1, "config": "site.toml"}\n'
                                    '{"event": "enable_protection", "vm": "web"}\n')
    assert check_trace(folder / "t.jsonl").conforms


def test_job_outcomes_and_options_are_event_parameters():
    oracle = Oracle("single_vm")
    assert oracle.label("enable_protection", vm="web", job="Failed") == "enable_protection_failed(vm=web)"
    assert oracle.label("unplanned_failover", vm="web", shutdown_source=True) == \
        "unplanned_failover(vm=web, shutdown_source=true)"
    with pytest.raises(UnknownEvent):
        oracle.label("commit", vm="web", job="Failed")
    with pytest.raises(UnknownEvent):
        oracle.label("commit", vm="web", job="Exploded")
