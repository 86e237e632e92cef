"""Partitioned exploration over processes and Ray actors gives the one-process counts and verdicts."""
import functools

import pytest

from hvr_model.checker import check
from hvr_model.checker.checking import safety_checks
from hvr_model.checker.parallel import WorkerError, explore_parallel
from hvr_model.hyperv import load_config
from hvr_model.hyperv.mutants import system_for
from hvr_model.tools.manifest import manifest_entries
from hvr_model.tools.verification import check_config

from tests.examples import load_example

tpc = load_example("two_phase_commit")


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_processes_give_the_published_counts(workers):
    result = check(tpc.TwoPhaseCommit(5), tpc.PROPERTIES, workers=workers)
    assert result.holds and (result.exploration.states, result.exploration.edges) == (8_832, 58_145)


def test_a_counterexample_across_partitions_is_a_shortest_run():
    model = tpc.TwoPhaseCommit(4, commit_needs_all_prepared=False)
    alone, parallel = check(model, tpc.PROPERTIES), check(model, tpc.PROPERTIES, workers=2)
    path = parallel.result("tc_consistent").counterexample
    assert parallel.violated == ["tc_consistent"]
    assert len(path) == len(alone.result("tc_consistent").counterexample)
    for before, step in zip(path, path[1:]):
        assert (step.action, step.state) in list(model.successors(before.state))


def test_the_hyperv_model_with_workers_matches_safety_only_one_process():
    one = check_config("single_vm", "disks_copied_in_parallel", safety_only=True)
    two = check_config("single_vm", "disks_copied_in_parallel", workers=2)
    assert (two.exploration.states, two.exploration.edges, two.exploration.depth) == \
        (one.exploration.states, one.exploration.edges, one.exploration.depth)
    assert [(r.name, r.verdict, r.reason) for r in two.results] == \
        [(r.name, r.verdict, r.reason) for r in one.results]


def test_a_failing_worker_is_reported_with_its_traceback():
    with pytest.raises(WorkerError, match="RuntimeError: no model here"):
        explore_parallel(_FailsInWorker, safety_checks([]), workers=2)


class _FailsInWorker:
    def initial_states(self):
        return [0]

    def successors(self, n):
        raise RuntimeError("no model here")


def _pinned(config: str) -> tuple[int, int]:
    """The manifest's state and edge counts of ``config`` (its default symmetry, no mutant)."""
    entry = next(e for e in manifest_entries() if e.config == config and not e.mutant and e.symmetry is None)
    return entry.states, entry.edges


@pytest.mark.slow
def test_ray_actors_give_the_same_counts_and_verdicts():
    pytest.importorskip("ray")
    make = functools.partial(system_for, load_config("single_vm_faults"))
    result = check(make(), [], workers=2, backend="ray", make_model=make)
    assert (result.exploration.states, result.exploration.edges) == _pinned("single_vm_faults")
    mutant = check_config("single_vm", "disks_copied_in_parallel", workers=2, backend="ray")
    assert "one_disk_copied_at_a_time" in mutant.violated
    # Two VMs, symmetry: separate interpreters must fingerprint equal states alike.
    symmetric = check_config("identical_vms", workers=2, backend="ray")
    # no violation; liveness and whole-graph claims are left undecided (no graph in workers): incomplete
    assert symmetric.violated == [] and symmetric.verdict == "incomplete"
    assert symmetric.exploration.states == _pinned("identical_vms")[0]
