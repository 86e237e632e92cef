"""The command line as a user meets it: exit codes, the report, JSON, bad input."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from hvr_model.tools.cli import main

from tests.schema_check import assert_valid


def run(*argv):
    return subprocess.run([sys.executable, "-m", "hvr_model", *argv], capture_output=True, text=True)


def test_check_single_vm_holds_and_prints_the_properties_table(capsys):
    assert main(["check", "--config", "single_vm", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "configuration single_vm: 254 states" in out
    assert "no_split_brain" in out and "decided properties hold" in out
    assert "total " in out and "exploration " in out      # the whole check's time, not only the search's


def test_data_claims_are_vacuous_not_holding_where_the_config_has_no_data(capsys):
    assert main(["check", "--config", "single_vm", "--json"]) == 0     # vacuous is a warning, not a failure
    doc = json.loads(capsys.readouterr().out)
    assert_valid("result", doc)
    claims = {p["name"]: p for p in doc["properties"]}
    data = claims["source_disks_replay_their_history"]
    assert data["verdict"] == "vacuous" and data["holds"] is None and "[data]" in data["vacuous"]
    assert claims["recovery_plan_boots_groups_in_order"]["vacuous"].startswith("its witness recovery_plan_boots")
    assert claims["no_split_brain"]["verdict"] == "holds" and claims["no_split_brain"]["vacuous"] is None


def test_a_step_claim_whose_events_never_fire_is_vacuous(capsys):
    # (data_overwrite's corrupted_log_is_never_applied is the same case: its manifest entry pins it vacuous)
    assert main(["check", "--config", "single_vm", "--json"]) == 0
    claim = next(p for p in json.loads(capsys.readouterr().out)["properties"]
                 if p["name"] == "offline_vhd_change_requires_resync")
    assert claim["verdict"] == "vacuous" and "vhd_changed_offline" in claim["vacuous"]
    assert "fired" in claim["vacuous"]


def test_vacuous_claims_are_listed_as_warnings_in_text(capsys):
    assert main(["check", "--config", "single_vm", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "warnings: vacuous claims" in out
    assert "  source_disks_replay_their_history: the configuration has no [data] section" in out


def test_check_of_a_mutant_exits_1_with_a_numbered_counterexample(capsys):
    code = main(["check", "--config", "single_vm", "--mutant", "planned_failover_without_final_log", "--quiet"])
    out = capsys.readouterr().out
    assert code == 1
    assert "counterexample for planned_failover_leaves_vm_protected" in out
    assert "10. planned_failover(vm=web)" in out   # the ASR job shuts the source down itself
    assert "vm[web].unsent: 0 -> 1" in out


def test_json_output_follows_the_documented_schema(capsys):
    assert main(["check", "--config", "single_vm", "--mutant", "disks_copied_in_parallel", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert_valid("result", doc)
    assert {"config", "mutant", "complete", "states", "edges", "depth", "seconds", "holds",
            "properties"} <= set(doc)
    assert doc["config"] == "single_vm" and doc["holds"] is False and doc["states"] == 262
    bad = next(p for p in doc["properties"] if p["name"] == "one_disk_copied_at_a_time")
    assert bad["holds"] is False and bad["kind"] == "always"
    steps = bad["counterexample"]
    assert steps[0]["action"] is None and "changes" not in steps[0]
    assert steps[-1]["action"].startswith("begin_disk_copy(vm=web")
    assert steps[-1]["state"]["vm[web].disk[0]"] == "Copying" == steps[-1]["state"]["vm[web].disk[1]"]


def test_max_states_stops_early_and_reports_incomplete(capsys):
    # exit 3: a bounded run proves nothing, so it must not look like success to CI.
    assert main(["check", "--config", "single_vm_faults", "--max-states", "500", "--json"]) == 3
    doc = json.loads(capsys.readouterr().out)
    assert_valid("result", doc)
    assert doc["complete"] is False and doc["states"] == 500
    assert doc["verdict"] == "incomplete" and doc["holds"] is False
    graph_claims = [p for p in doc["properties"] if p["kind"] == "graph"]
    assert graph_claims and all(p["verdict"] == "unknown" and "incomplete" in p["unknown"] for p in graph_claims)
    invariants = [p for p in doc["properties"] if p["kind"] == "always" and p["verdict"] != "vacuous"]
    assert invariants and all(p["verdict"] == "unknown" for p in invariants)   # never "holds" on a bounded run


def test_max_states_in_text_never_says_all_hold(capsys):
    assert main(["check", "--config", "single_vm_faults", "--max-states", "500", "--quiet"]) == 3
    out = capsys.readouterr().out
    assert "INCOMPLETE" in out and "hold" not in out.rsplit("\n\n", 1)[-1]


def test_help_documents_the_exit_codes():
    proc = run("check", "--help")
    assert proc.returncode == 0
    for line in ("0  every property holds", "1  a property is violated", "2  bad input", "3  incomplete",
                 "4  internal error"):
        assert line in proc.stdout


def test_progress_is_shown_on_stderr():
    proc = run("check", "--config", "single_vm")
    assert proc.returncode == 0
    assert "exploring:" in proc.stderr and "states/s" in proc.stderr


@pytest.mark.parametrize("toml, key", [
    ('name = "x"\nvms = [{name = "a"}]\ncolour = "red"\n', "colour: unknown key"),
    ('name = "x"\nvms = [{name = "a", disks = "two"}]\n', "vms[0].disks: expected an integer"),
    ('name = "x"\nvms = [{name = "a", disks = 9}]\n', "vms[0].disks: must be between 1 and 4"),
    ('name = "x"\nvms = [{name = "a"}]\nfaults = ["meteor"]\n', "faults[0]: must be one of"),
    ('name = "x"\nvms = [{name = "a"}]\n[policy]\ncopy_frequency = "1min"\n', "policy.copy_frequency"),
    ('name = "x"\nvms = [{name = "a"}]\n[recovery_plan]\ngroups = [{vms = ["b"]}]\n',
     "recovery_plan.groups[0].vms[0]: unknown VM"),
    ('name = "x"\nvms = [\n', "not valid TOML"),
    ('name = "x"\nvms = [{name = "a"}]\nexclude = ["confirm_manual_action"]\n[recovery_plan]\n'
     'groups = [{vms = ["a"], post_action = "manual"}]\n', "the recovery plan needs confirm_manual_action"),
    ('name = "x"\nvms = [{name = "a", exclude = ["start_vm"]}]\n[recovery_plan]\ngroups = [{vms = ["a"]}]\n',
     "excludes start_vm, so its boot group could never complete"),
])
def test_bad_config_is_refused_naming_the_key_with_exit_2(tmp_path, toml, key):
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    before = path.read_text()
    proc = run("check", "--config", str(path))
    assert proc.returncode == 2
    assert key in proc.stderr and "Traceback" not in proc.stderr
    assert proc.stdout == "" and path.read_text() == before


@pytest.mark.parametrize("argv, message", [
    (["check", "--config", "no_such_config"], "no shipped configuration or file named"),
    (["check", "--mutant", "no_such_mutant"], "unknown mutant"),
    (["check", "--max-states", "0"], "must be at least 1"),
    (["check", "--max-states", "many"], "not an integer"),
    (["explode"], "invalid choice"),
    ([], "required"),
])
def test_bad_arguments_exit_2_without_traceback(argv, message):
    proc = run(*argv)
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_configs_and_mutants_are_listed(capsys):
    assert main(["configs"]) == 0
    assert "default" in capsys.readouterr().out
    assert main(["mutants"]) == 0
    assert "planned_failover_without_final_log" in capsys.readouterr().out


def test_a_memory_budget_stops_the_run_cleanly_with_exit_3_and_advice(capsys):
    assert main(["check", "--config", "single_vm_faults", "--max-memory", "1", "--quiet"]) == 3
    out = capsys.readouterr().out
    assert "INCOMPLETE (memory budget (1 MiB) reached" in out and "--safety-only" in out


def test_safety_only_gives_the_graph_verdicts_on_every_safety_claim(capsys):
    assert main(["check", "--config", "single_vm", "--mutant", "disks_copied_in_parallel", "--json"]) == 1
    graph = json.loads(capsys.readouterr().out)
    assert main(["check", "--config", "single_vm", "--mutant", "disks_copied_in_parallel", "--json",
                 "--safety-only"]) == 1
    safety = json.loads(capsys.readouterr().out)
    assert_valid("result", safety)
    assert (safety["states"], safety["edges"], safety["depth"]) == (graph["states"], graph["edges"], graph["depth"])
    for g, s in zip(graph["properties"], safety["properties"]):
        if g["kind"] in ("graph", "leads-to", "eventually") and s["verdict"] != "vacuous":
            # a liveness claim vacuous for want of a trigger is only known from the graph
            assert s["verdict"] == "unknown" and s["unknown"].startswith("not checked in safety-only mode")
        else:
            assert (g["verdict"], g["vacuous"]) == (s["verdict"], s["vacuous"]), g["name"]
            assert (g["counterexample"] is None) == (s["counterexample"] is None)
            if g["counterexample"]:
                assert len(g["counterexample"]) == len(s["counterexample"])


def test_safety_only_has_no_graph_outputs(tmp_path, capsys):
    assert main(["check", "--config", "single_vm", "--safety-only", "--report", str(tmp_path / "r")]) == 2
    assert "--safety-only" in capsys.readouterr().err and not (tmp_path / "r").exists()


def test_symmetry_needs_interchangeable_vms(capsys):
    assert main(["check", "--config", "single_vm", "--symmetry", "--quiet"]) == 2
    assert "no interchangeable VMs" in capsys.readouterr().err
    # every safety claim decided; the liveness claims are not under symmetry: incomplete, exit 3
    assert main(["check", "--config", "identical_vms", "--symmetry", "--quiet"]) == 3
    assert "could not be decided in this mode" in capsys.readouterr().out


def test_an_unexpected_failure_is_one_line_and_exit_4(monkeypatch, capsys):
    import hvr_model.tools.cli as cli
    monkeypatch.setattr(cli, "_configs", lambda args: 1 / 0)
    assert main(["configs"]) == 4
    err = capsys.readouterr().err
    assert err.startswith("hvr-model: internal error: ZeroDivisionError") and "Traceback" not in err
    assert main(["configs", "--debug"]) == 4 and "Traceback" in capsys.readouterr().err


def test_a_liveness_violation_is_a_lasso_in_text_json_and_itf(tmp_path, capsys):
    argv = ["check", "--config", "single_vm", "--mutant", "delta_cycle_can_ship_nothing"]
    assert main(argv + ["--quiet", "--itf", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert "counterexample for pending_log_is_replicated (for vm web)" in out
    assert "then repeats forever (a fair cycle back to step 9" in out and "replicate_delta(vm=web)" in out
    itf = json.loads((tmp_path / "pending_log_is_replicated.itf.json").read_text())
    # stem 0..9, then the cycle's one step back to the state of step 9; it goes on from states[10]
    assert itf["loop"] == 10 and len(itf["states"]) == 11 and itf["#meta"]["lasso"] == "cycle of 1 steps"
    assert itf["states"][10]["#meta"]["action"] == "replicate_delta(vm=web)"
    assert main(argv + ["--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert_valid("result", doc)
    claim = next(p for p in doc["properties"] if p["name"] == "pending_log_is_replicated")
    assert claim["kind"] == "leads-to" and [s["action"] for s in claim["cycle"]] == ["replicate_delta(vm=web)"]
    assert claim["instance"] == "for vm web"


def test_an_output_path_that_cannot_be_written_is_bad_input_before_any_work(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    for flag in ("--itf", "--report"):
        proc = run("check", "--config", "single_vm", "--quiet", flag, str(a_file))
        assert proc.returncode == 2 and "is a file, not a folder" in proc.stderr and "Traceback" not in proc.stderr
        assert proc.stdout == "" and a_file.read_text() == "x"


def test_version_is_the_installed_distributions(capsys):
    import hvr_model
    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"hvr-model {hvr_model.__version__}"
    assert hvr_model.__version__ != "0+unknown"


def test_configs_show_whole_descriptions(capsys):
    assert main(["configs"]) == 0
    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith("two_group_plan"))
    assert line.rstrip().endswith("the plan's ordering in isolation.")


def test_the_package_is_typed_and_licensed():
    from importlib import resources
    assert resources.files("hvr_model").joinpath("py.typed").is_file()
    assert "Permission is hereby granted" in (Path(__file__).parents[2] / "LICENSE").read_text()


def test_trace_check_replays_an_itf_trace_this_tool_exported(tmp_path, capsys):
    assert main(["check", "--config", "single_vm", "--mutant", "disks_copied_in_parallel", "--quiet",
                 "--itf", str(tmp_path)]) == 1
    exported, = tmp_path.glob("*.itf.json")
    capsys.readouterr()
    assert main(["trace", "check", str(exported)]) == 0
    assert "conforms to configuration single_vm" in capsys.readouterr().out
    (tmp_path / "bad.itf.json").write_text('{"#meta": {}, "vars": [], "states": 5}')
    assert main(["trace", "check", str(tmp_path / "bad.itf.json")]) == 2
