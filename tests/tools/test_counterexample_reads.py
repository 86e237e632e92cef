"""A counterexample ends with what the violated claim read, unchanged variables included."""
import json

from hvr_model.checker.checking import check
from hvr_model.checker.properties import Always
from hvr_model.tools import console
from hvr_model.tools.cli import main

from tests.schema_check import assert_valid

# planned_failover_without_final_log: the write at step 9 is still unsent at the failover (step 10),
# so the claim fails on vm[web].unsent = 1, which the last step's diff does not show.
MUTANT = ["check", "--config", "single_vm", "--mutant", "planned_failover_without_final_log"]


def test_text_shows_the_read_variable_that_did_not_change_at_the_last_step(capsys):
    assert main(MUTANT + ["--quiet"]) == 1
    out = capsys.readouterr().out
    block = out[out.index("counterexample for planned_failover_leaves_vm_protected"):]
    last_step = block[block.index("  10. planned_failover(vm=web)"):block.index("  the claim read")]
    assert "unsent" not in last_step
    assert ("  the claim read, in the last state:\n"
            "    vm[web].protection = PlannedFailoverPendingCommit\n"
            "    vm[web].unsent = 1\n") in block


def test_json_read_holds_the_same_variables_and_null_elsewhere(capsys):
    assert main(MUTANT + ["--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert_valid("result", doc)
    bad = next(p for p in doc["properties"] if p["name"] == "planned_failover_leaves_vm_protected")
    assert bad["read"] == {"vm[web].protection": "PlannedFailoverPendingCommit", "vm[web].unsent": "1"}
    assert "vm[web].unsent" not in bad["counterexample"][-1]["changes"]
    assert all(p["read"] is None for p in doc["properties"] if p["holds"] is not False)


def test_a_step_claim_shows_the_states_before_and_after(capsys):
    # writes_not_tracked: a guest write during initial replication leaves the log as it was.
    argv = ["check", "--config", "single_vm", "--mutant", "writes_not_tracked"]
    assert main(argv + ["--quiet"]) == 1
    out = capsys.readouterr().out
    assert ("  the claim read, in the states before and after the last step:\n"
            "    before  vm[web].phase = InitialReplicationInProgress\n"
            "    before  vm[web].unsent = 0\n"
            "    after   vm[web].unsent = 0\n") in out
    assert main(argv + ["--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert_valid("result", doc)
    bad = next(p for p in doc["properties"] if p["name"] == "writes_are_tracked_while_replication_runs")
    assert bad["read"] == {"before": {"vm[web].phase": "InitialReplicationInProgress", "vm[web].unsent": "0"},
                           "after": {"vm[web].unsent": "0"}}


def test_other_models_get_no_read_section():
    class Counter:
        config = 2

        def initial_states(self):
            return [0]

        def successors(self, n):
            return [("inc", n + 1)] if n < 3 else []
    result = check(Counter(), [Always("no_split_brain", (), "borrowed name", lambda n, c: n <= c)])
    r = result.result("no_split_brain")
    assert r.holds is False and r.counterexample
    assert console._claim_read(r, result) is None
