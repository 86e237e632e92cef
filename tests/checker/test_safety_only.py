"""Safety-only exploration (fingerprints, no graph) agrees with the graph search on what it decides."""
import random

import numpy as np
import pytest

from hvr_model.checker import check, explore
from hvr_model.checker.fingerprints import FingerprintTable, fingerprint
from hvr_model.checker.safety import explore_fingerprints

from tests.examples import load_example

tpc = load_example("two_phase_commit")


@pytest.mark.parametrize("rms, symmetry", [(3, False), (5, False), (5, True)])
def test_counts_and_verdicts_match_the_graph_search(rms, symmetry):
    model = tpc.TwoPhaseCommit(rms)
    graph = check(model, tpc.PROPERTIES, symmetry=symmetry)
    safety = check(model, tpc.PROPERTIES, symmetry=symmetry, safety_only=True)
    assert (safety.exploration.states, safety.exploration.edges, safety.exploration.depth) == \
        (graph.exploration.states, graph.exploration.edges, graph.exploration.depth)
    assert [(r.name, r.holds) for r in safety.results] == [(r.name, r.holds) for r in graph.results]


def test_a_counterexample_is_rebuilt_as_a_shortest_run():
    model = tpc.TwoPhaseCommit(4, commit_needs_all_prepared=False)
    graph, safety = check(model, tpc.PROPERTIES), check(model, tpc.PROPERTIES, safety_only=True)
    path = safety.result("tc_consistent").counterexample
    assert len(path) == len(graph.result("tc_consistent").counterexample)
    assert path[0].state in model.initial_states() and not tpc.tc_consistent(path[-1].state)
    for before, step in zip(path, path[1:]):
        assert (step.action, step.state) in list(model.successors(before.state))


def test_step_claims_and_witnesses_are_decided_during_the_search():
    run = explore_fingerprints([0], lambda n: [("inc", n + 1)] if n < 5 else [("reset", 0)],
                               step_checks={"inc_small": ({"inc"}, lambda u, label, v: v < 4)},
                               reach={"five": lambda n: n == 5})
    assert [s.state for s in run.step_violations["inc_small"]] == [0, 1, 2, 3, 4]
    assert [s.state for s in run.witnesses["five"]][-1] == 5
    assert run.deadlocks == [] and run.complete


def test_the_fingerprint_table_agrees_with_a_set_under_growth_and_repeats():
    rng, table, seen = random.Random(7), FingerprintTable(16), set()
    for _ in range(150):
        keys = [rng.randrange(1, 3000) for _ in range(rng.randrange(1, 400))]
        new = table.insert(np.array(keys, dtype=np.uint64), np.array(keys, dtype=np.uint64)).tolist()
        expected, batch = [], set()
        for k in keys:
            expected.append(k not in seen and k not in batch)
            batch.add(k)
        assert new == expected
        seen |= batch
    assert len(table) == len(seen) and all(table.parent_of(k) == k for k in seen)
    assert fingerprint(0) != 0


@pytest.mark.parametrize("safety_only", [False, True])
def test_a_memory_budget_stops_the_search_as_incomplete(safety_only):
    result = check(tpc.TwoPhaseCommit(5), tpc.PROPERTIES, safety_only=safety_only, max_memory=1)
    assert not result.exploration.complete and "memory budget" in result.exploration.stopped


def test_max_states_is_reported_as_the_reason():
    assert explore([0], lambda n: [("inc", n + 1)], max_states=3).stopped == "max_states (3) reached"


def test_symmetry_refuses_an_asymmetric_invariant_in_every_mode():
    from hvr_model.checker import Always, ModelError
    from hvr_model.checker.parallel import WorkerError
    rm0 = Always("rm0_never_commits", (), "", lambda s, n: s.rm_state[0] != "committed")
    for options in ({}, {"safety_only": True}, {"workers": 2}):
        with pytest.raises((ModelError, WorkerError), match="not symmetric"):
            check(tpc.TwoPhaseCommit(3), [rm0], symmetry=True, **options)
