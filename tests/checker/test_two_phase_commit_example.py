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


@pytest.mark.parametrize("rms, states", [(5, 314), (7, 920)])
def test_symmetry_reduction_gives_the_published_canonical_counts(rms, states):
    result = check(tpc.TwoPhaseCommit(rms), tpc.PROPERTIES, symmetry=True)
    assert result.holds and result.exploration.states == states


def test_verdicts_are_the_same_with_and_without_symmetry_and_paths_are_real_runs():
    model = tpc.TwoPhaseCommit(4, commit_needs_all_prepared=False)
    plain, reduced = check(model, tpc.PROPERTIES), check(model, tpc.PROPERTIES, symmetry=True)
    assert plain.violated == reduced.violated == ["tc_consistent"]
    path = reduced.result("tc_consistent").counterexample
    assert len(path) == len(plain.result("tc_consistent").counterexample)
    assert path[0].state in model.initial_states()
    for before, step in zip(path, path[1:]):
        assert (step.action, step.state) in list(model.successors(before.state))
    assert not tpc.tc_consistent(path[-1].state)


def test_an_invariant_that_tells_the_rms_apart_is_refused_under_symmetry():
    from hvr_model.checker import Always, ModelError
    first_never_commits = Always("rm0_never_commits", (), "", lambda s, n: s.rm_state[0] != "committed")
    assert not check(tpc.TwoPhaseCommit(3), [first_never_commits]).holds
    with pytest.raises(ModelError, match="not symmetric"):
        check(tpc.TwoPhaseCommit(3), [first_never_commits], symmetry=True)
