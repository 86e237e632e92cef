"""The two-phase-commit example runs on the checker layer alone and gives TLC's published counts."""
import subprocess
import sys

import pytest

from hvr_model.checker import check

from tests.examples import EXAMPLES, load_example

tpc = load_example("two_phase_commit")


@pytest.mark.parametrize("rms, states", [(3, 288), (5, 8_832)])
def test_check_gives_the_published_counts_and_the_claims_hold(rms, states):
    result = check(tpc.TwoPhaseCommit(rms), tpc.PROPERTIES)
    assert result.holds and result.exploration.states == states and result.exploration.complete


def test_a_broken_commit_rule_violates_tc_consistent():
    result = check(tpc.TwoPhaseCommit(3, commit_needs_all_prepared=False), tpc.PROPERTIES)
    assert result.violated == ["tc_consistent"]
    assert not tpc.tc_consistent(result.result("tc_consistent").counterexample[-1].state)


def test_the_example_as_a_script_loads_no_hyperv_module():
    code = (f"import runpy, sys; sys.argv = ['x', '3']; "
            f"runpy.run_path({str(EXAMPLES / 'two_phase_commit.py')!r}, run_name='not_main'); "
            f"print(sorted(m for m in sys.modules if m.startswith(('hvr_model.hyperv', 'hvr_model.blockstore'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    run = subprocess.run([sys.executable, str(EXAMPLES / "two_phase_commit.py"), "3"], capture_output=True, text=True)
    assert run.returncode == 0 and "288 states" in run.stdout
