"""Bad input and faults at the command line: exit 2 (or 3, 4, 130) with one line, never a traceback,
nothing a user owns deleted or left half-written."""
import contextlib
import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from hvr_model.tools.cli import main

from tests.schema_check import assert_valid

GARBAGE = settings(max_examples=150, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
HEADER = '{"format": "hvr-model-trace", "version": 1, "config": "single_vm"}\n'


def run(*argv, **kw):
    return subprocess.run([sys.executable, "-m", "hvr_model", *argv], capture_output=True, text=True, **kw)


def quietly(argv) -> tuple[int, str, str]:
    """``main(argv)`` with its stdout and stderr captured (Hypothesis runs it many times)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(argv)
    return code, out.getvalue(), err.getvalue()


def assert_refused(code: int, err: str) -> None:
    assert code == 2, err
    assert err.startswith("hvr-model: error: ") and "Traceback" not in err, err
    assert len(err) < 2000, "a refusal never echoes the input back"


# -- random bytes and structured garbage through the config and trace readers (Hypothesis) -----------
@GARBAGE
@given(data=st.binary(max_size=600))
def test_random_bytes_as_a_configuration_exit_2(tmp_path, data):
    path = tmp_path / "garbage.toml"
    path.write_bytes(data)
    code, out, err = quietly(["check", "--config", str(path), "--max-states", "1", "--quiet"])
    assert_refused(code, err)
    assert out == ""


def _toml(value) -> str:
    """A TOML rendering of a JSON-like value (inline tables), enough for garbage."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


_SCALARS = st.one_of(st.booleans(), st.integers(-2**70, 2**70), st.text(max_size=12),
                     st.sampled_from(["web", "sql", "default", "site_outage", "5min", "automatic"]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                       st.dictionaries(st.sampled_from(["name", "disks", "exclude", "vms", "groups"]), inner,
                                       max_size=3)), max_leaves=12)
_KEYS = st.sampled_from(["name", "description", "vms", "policy", "bounds", "faults", "recovery_plan", "exclude",
                         "data", "symmetry", "initially_protected", "colour", "mutant"])


@GARBAGE
@given(table=st.dictionaries(_KEYS, _VALUES, max_size=6))
def test_structured_garbage_as_a_configuration_exits_2_unless_it_is_valid(tmp_path, table):
    path = tmp_path / "garbage.toml"
    path.write_text("".join(f"{json.dumps(k)} = {_toml(v)}\n" for k, v in table.items()))
    code, _, err = quietly(["check", "--config", str(path), "--max-states", "1", "--quiet"])
    if code != 3:        # a valid one explores a state and stops at the bound
        assert_refused(code, err)


@GARBAGE
@given(data=st.binary(max_size=600))
def test_random_bytes_after_a_header_as_a_trace_exit_2(tmp_path, data):
    path = tmp_path / "garbage.jsonl"
    path.write_bytes(HEADER.encode() + data)
    code, _, err = quietly(["trace", "check", str(path)])
    if data.strip(b" \t\r\n\f\v"):
        if code != 2:       # a byte string that happens to be blank lines or valid events
            assert code in (0, 1), err
        else:
            assert_refused(code, err)


_EVENT = st.fixed_dictionaries({"event": st.sampled_from(["enable_protection", "planned_failover", "commit",
                                                          "write", "no_such_event", 7, None])},
                               optional={"vm": st.one_of(st.sampled_from(["web", "ghost"]), st.integers()),
                                         "site": st.sampled_from(["primary", "recovery", "moon"]),
                                         "disk": st.one_of(st.integers(-2**64, 2**64), st.text(max_size=3)),
                                         "block": st.integers(-2**64, 2**64),
                                         "expect": _VALUES, "job": st.text(max_size=6), "extra": _VALUES})


@GARBAGE
@given(events=st.lists(st.one_of(_EVENT, _VALUES), min_size=1, max_size=4))
def test_structured_garbage_as_trace_events_never_crashes(tmp_path, events):
    path = tmp_path / "garbage.jsonl"
    path.write_text(HEADER + "".join(json.dumps(e) + "\n" for e in events))
    code, _, err = quietly(["trace", "check", str(path)])
    assert code in (0, 1, 2) and "Traceback" not in err, err
    if code == 2:
        assert_refused(code, err)


# -- files that are not files ------------------------------------------------------------------
@pytest.mark.parametrize("argv", [["check", "--config", "/dev/zero"], ["trace", "check", "/dev/zero"],
                                  ["check", "--config", "/"], ["trace", "check", "/"]])
def test_devices_and_folders_are_refused_at_once(argv):
    started = time.monotonic()
    code, _, err = quietly(argv)
    assert_refused(code, err)
    assert time.monotonic() - started < 5


def test_a_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / "pipe")
    proc = run("trace", "check", str(tmp_path / "pipe"), timeout=60)
    assert proc.returncode == 2 and "a FIFO" in proc.stderr and "Traceback" not in proc.stderr


def test_a_deeply_nested_trace_line_is_refused(tmp_path):
    (tmp_path / "deep.jsonl").write_text(HEADER + '{"event": "commit", "expect": ' + "[" * 1000 + "]" * 1000 + "}\n")
    code, _, err = quietly(["trace", "check", str(tmp_path / "deep.jsonl")])
    assert_refused(code, err)
    assert ":2" in err or "line 2" in err


# -- --json: an error is JSON too -------------------------------------------------------------
def test_json_mode_prints_a_json_error_object_on_bad_input():
    code, out, err = quietly(["check", "--config", "no_such_config", "--json"])
    assert code == 2 and "no shipped configuration" in err
    doc = json.loads(out)
    assert doc["exit_code"] == 2 and "no shipped configuration" in doc["error"]["message"]
    assert_valid("result", doc)


# -- outputs: validated before work, written together, nothing of the user's touched ------------
def test_a_report_and_an_unwritable_itf_write_nothing(tmp_path):
    (tmp_path / "afile").write_text("mine")
    code, out, err = quietly(["check", "--config", "single_vm", "--quiet", "--report", str(tmp_path / "R"),
                              "--itf", str(tmp_path / "afile")])
    assert_refused(code, err)
    assert out == "" and sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_an_export_into_a_missing_folder_makes_it(tmp_path):
    code, _, err = quietly(["check", "--config", "single_vm", "--quiet",
                            "--export-graph", str(tmp_path / "new" / "g.json")])
    assert code == 0, err
    assert json.loads((tmp_path / "new" / "g.json").read_text())["nodes"]


def test_no_counterexample_makes_no_itf_folder(tmp_path):
    code, _, err = quietly(["check", "--config", "single_vm", "--quiet", "--itf", str(tmp_path / "itf")])
    assert code == 0 and "no counterexample" in err and not (tmp_path / "itf").exists()


def test_without_graphviz_the_report_shows_dot_source_and_the_other_outputs_are_written(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "nowhere"))
    code, _, err = quietly(["check", "--config", "single_vm", "--mutant", "planned_failover_without_final_log",
                            "--quiet", "--report", str(tmp_path / "R"), "--itf", str(tmp_path / "itf")])
    assert code == 1 and "install the graphviz package" in err and "Traceback" not in err
    page = (tmp_path / "R" / "index.html").read_text()
    assert "digraph" in page and "<svg" not in page
    assert list((tmp_path / "itf").glob("*.itf.json"))


def test_fuzz_refuses_a_folder_as_its_trace_before_fuzzing(tmp_path):
    code, out, err = quietly(["fuzz", "--config", "single_vm", "--trace-out", str(tmp_path)])
    assert_refused(code, err)
    assert out == "" and "is a folder" in err


# -- interruptions --------------------------------------------------------------------------------
@pytest.mark.parametrize("signum, code, word", [(signal.SIGINT, 130, "interrupted"),
                                                (signal.SIGTERM, 143, "terminated")])
def test_an_interrupted_check_says_where_it_was_and_writes_nothing(tmp_path, signum, code, word):
    (tmp_path / "g.graphml").write_text("the earlier export")
    child = subprocess.Popen([sys.executable, "-m", "hvr_model", "check", "--config", "default",
                              "--export-graph", str(tmp_path / "g.graphml")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = child.stderr.readline()
    assert line.startswith("exploring:"), line
    child.send_signal(signum)
    _, err = child.communicate(timeout=60)
    assert child.returncode == code and "Traceback" not in err, err
    message = err.strip().splitlines()[-1]
    assert message.startswith(f"hvr-model: {word}: while checking default: ") and " states" in message
    assert (tmp_path / "g.graphml").read_text() == "the earlier export"
    assert [p.name for p in tmp_path.iterdir()] == ["g.graphml"]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_ctrl_c_to_the_process_group_stops_fuzzing_and_its_workers(tmp_path, workers):
    child = subprocess.Popen([sys.executable, "-m", "hvr_model", "fuzz", "--config", "single_vm_faults", "--profile",
                              "deep", "--max-states", "2000", "--workers", workers, "--trace-out", str(tmp_path / "t.jsonl")],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(4)       # into the Hypothesis runs (an interrupt in its gc callback used to be lost)
    os.killpg(child.pid, signal.SIGINT)         # what a terminal's Ctrl-C does
    _, err = child.communicate(timeout=60)
    assert child.returncode == 130 and "Traceback" not in err and "Exception ignored" not in err, err
    assert err.strip().splitlines()[-1].startswith("hvr-model: interrupted: while fuzzing single_vm_faults")
    assert list(tmp_path.iterdir()) == []


# -- found by the bad-input trial of this issue ----------------------------------------------------
MUTANT = ["--config", "single_vm", "--mutant", "disks_copied_in_parallel", "--quiet"]


def test_a_reader_that_stops_early_changes_neither_the_exit_code_nor_the_outputs(tmp_path):
    child = subprocess.Popen([sys.executable, "-m", "hvr_model", "check", *MUTANT, "--itf", str(tmp_path / "itf")],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    child.stdout.readline()
    child.stdout.close()                 # as `| head -1` does
    assert child.wait(timeout=60) == 1
    assert list((tmp_path / "itf").glob("*.itf.json"))


@pytest.mark.parametrize("flags", [
    ["--report", "{t}/X.json", "--export-graph", "{t}/X.json"],
    ["--itf", "{t}/Y", "--report", "{t}/Y"],
    ["--report", "{t}/Z", "--itf", "{t}/Z/index.html"],
    ["--itf", "{t}/col", "--export-graph", "{t}/col/one_disk_copied_at_a_time.itf.json"],
], ids=["report-and-graph", "itf-and-report", "itf-inside-report", "graph-onto-an-itf-file"])
def test_two_outputs_on_one_path_are_refused_and_nothing_is_written(tmp_path, flags):
    code, _, err = quietly(["check", *MUTANT, *[f.format(t=tmp_path) for f in flags]])
    assert_refused(code, err)
    assert list(tmp_path.iterdir()) == []


def test_a_folder_where_an_output_file_goes_is_refused_before_anything_is_renamed(tmp_path):
    (tmp_path / "itf" / "one_disk_copied_at_a_time.itf.json").mkdir(parents=True)
    (tmp_path / "g.json").write_text("earlier")
    code, _, err = quietly(["check", *MUTANT, "--itf", str(tmp_path / "itf"), "--export-graph", str(tmp_path / "g.json"),
                            "--report", str(tmp_path / "rep")])
    assert_refused(code, err)
    assert (tmp_path / "g.json").read_text() == "earlier" and not (tmp_path / "rep").exists()


def test_fuzz_never_overwrites_its_own_configuration(tmp_path):
    config = tmp_path / "my.toml"
    config.write_text('name = "my"\nvms = [{name = "web"}]\n')
    code, _, err = quietly(["fuzz", "--config", str(config), "--trace-out", str(config), "--examples", "2"])
    assert_refused(code, err)
    assert "input of this run" in err and config.read_text().startswith('name = "my"')


@pytest.mark.parametrize("argv", [["check", "--config", "c" * 300], ["check", "--config", "single_vm", "--report",
                                  "/tmp/" + "r" * 300], ["diagrams", "--out", "/tmp/" + "d" * 300],
                                  ["check", "--config", "single_vm", "--export-graph", "/tmp/a\0b.json"]])
def test_names_too_long_or_with_a_nul_are_bad_input(argv):
    code, _, err = quietly(argv)
    assert_refused(code, err)


def test_a_dotted_key_of_thousands_of_parts_is_refused_at_once(tmp_path):
    (tmp_path / "bomb.toml").write_text("a" + ".a" * 100_000 + " = 1\n")
    started = time.monotonic()
    code, _, err = quietly(["check", "--config", str(tmp_path / "bomb.toml")])
    assert_refused(code, err)
    assert "dotted key" in err and time.monotonic() - started < 5


@pytest.mark.parametrize("version", ["true", "1.0", '"1"'])
def test_a_trace_header_version_must_be_the_integer_1(tmp_path, version):
    (tmp_path / "t.jsonl").write_text('{"format": "hvr-model-trace", "version": %s, "config": "single_vm"}\n' % version)
    code, _, err = quietly(["trace", "check", str(tmp_path / "t.jsonl")])
    assert_refused(code, err)


def test_diagrams_never_replace_a_file_no_ledger_lists(tmp_path):
    (tmp_path / "machine_vault.dot").write_text("mine")
    code, _, err = quietly(["diagrams", "--out", str(tmp_path)])
    assert_refused(code, err)
    assert "not written by hvr-model diagrams" in err
    assert [p.name for p in tmp_path.iterdir()] == ["machine_vault.dot"]


def test_a_ledger_that_is_a_fifo_is_refused_not_read(tmp_path):
    os.mkfifo(tmp_path / ".hvr-model-diagrams")
    proc = run("diagrams", "--out", str(tmp_path), timeout=60)
    assert proc.returncode == 2 and "FIFO" in proc.stderr and "Traceback" not in proc.stderr


def test_a_dot_that_does_not_run_gives_the_report_with_dot_source(tmp_path, monkeypatch):
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "dot").write_text("#!/bin/sh\nexit 3\n")
    (fake / "dot").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake}:{os.environ['PATH']}")
    code, _, err = quietly(["check", "--config", "single_vm", "--quiet", "--report", str(tmp_path / "R")])
    assert code == 0 and "does not run" in err and "Traceback" not in err
    assert "digraph" in (tmp_path / "R" / "index.html").read_text()


def test_json_onto_a_full_device_is_one_line_and_no_traceback():
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "hvr_model", "check", "--config", "nope", "--json"],
                              stdout=full, stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_a_long_value_is_never_echoed_whole(tmp_path):
    (tmp_path / "c.toml").write_text(f'name = "x"\nvms = [{{name = "a"}}]\n"{"k" * 500_000}" = 1\n')
    code, _, err = quietly(["check", "--config", str(tmp_path / "c.toml")])
    assert_refused(code, err)


def test_fuzz_leaves_no_hypothesis_folder_behind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = quietly(["fuzz", "--config", "single_vm", "--examples", "2"])
    assert code == 0, err
    assert list(tmp_path.iterdir()) == []
