"""Claims about the generic explorer (hvr_model.checker.explorer), checked on Lamport's two-phase commit.

Two-phase commit (examples/two_phase_commit.py) is a reference model with published TLC
state counts; the 3-RM figures that TLC does not publish (transitions, depth)
are pinned here after an independent hand-written BFS in this file agrees.
"""
from __future__ import annotations

from collections import deque

import networkx as nx
import pytest
from tests.examples import load_example

tp = load_example("two_phase_commit")

from hvr_model.checker.explorer import explore

from hvr_model.checker.exploration import Exploration, Progress, Step

TC = {"TCConsistent": tp.tc_consistent}


def two_phase(n: int, **variant) -> Exploration:
    return explore(tp.initial_states(n), tp.successors(n, **variant), invariants=TC)


def hand_bfs(initial, successors):
    """An independent BFS: (depth of every state, set of (state, label, next) transitions)."""
    depth = {s: 0 for s in initial}
    queue, transitions = deque(depth), set()
    while queue:
        state = queue.popleft()
        for label, nxt in successors(state):
            transitions.add((state, label, nxt))
            if nxt not in depth:
                depth[nxt] = depth[state] + 1
                queue.append(nxt)
    return depth, transitions


def assert_valid_path(path: list[Step], successors, initial) -> None:
    """The path starts at an initial state and each step is a transition of the model."""
    assert path[0].action is None and path[0].state in initial
    for before, after in zip(path, path[1:]):
        assert (after.action, after.state) in set(successors(before.state))


@pytest.fixture(scope="module")
def rm3() -> Exploration:
    return two_phase(3)


# --- two-phase commit: the published state counts ------------------------------------

def test_3_rms_reach_288_states_as_tlc_reports(rm3):
    assert rm3.states == 288 and rm3.complete


def test_5_rms_reach_8832_states_as_tlc_reports():
    result = two_phase(5)
    depth, transitions = hand_bfs(tp.initial_states(5), tp.successors(5))
    assert (result.states, result.edges, result.depth) == (8832, 58145, 16)
    assert (len(depth), len(transitions), max(depth.values())) == (8832, 58145, 16)


def test_3_rms_have_1145_transitions_and_depth_10_as_an_independent_bfs_finds(rm3):
    depth, transitions = hand_bfs(tp.initial_states(3), tp.successors(3))
    assert (len(depth), len(transitions), max(depth.values())) == (288, 1145, 10)
    assert (rm3.states, rm3.edges, rm3.depth) == (288, 1145, 10)
    assert all(rm3.depth_of(s) == d for s, d in depth.items())


def test_the_graph_holds_exactly_the_models_transitions(rm3):
    _, transitions = hand_bfs(tp.initial_states(3), tp.successors(3))
    graph = rm3.graph
    in_graph = {(u, label, v) for u, v, labels in graph.edges(data="actions") for label in labels}
    assert in_graph == transitions
    assert graph.number_of_nodes() == 288 and graph.number_of_edges() == 886  # state pairs
    assert all(graph.pred[v][u] is graph.succ[u][v] for u, v in graph.edges)


def test_the_graph_is_an_ordinary_networkx_digraph(rm3):
    graph, start = rm3.graph.copy(), rm3.initial[0]
    assert isinstance(graph, nx.DiGraph) and set(graph.edges) == set(rm3.graph.edges)
    assert nx.descendants(graph, start) | {start} == set(graph)
    assert sum(d for _, d in graph.in_degree) == graph.number_of_edges() == 886
    graph.nodes[start]["seen"] = True
    assert [n for n, seen in graph.nodes(data="seen") if seen] == [start]
    graph.remove_node(start)
    assert graph.number_of_nodes() == 287 and start in rm3.graph  # the copy is independent


def test_several_actions_can_label_one_edge(rm3):
    """Once Abort is sent, a working RM aborts alike by choice or on the message."""
    aborting = tp.State(("working",) * 3, "aborted", frozenset(), frozenset({tp.ABORT}))
    one_aborted = aborting._replace(rm_state=("aborted", "working", "working"))
    all_aborted = aborting._replace(rm_state=("aborted",) * 3)
    assert rm3.graph.edges[aborting, one_aborted]["actions"] == ("RMChooseToAbort(0)", "RMRcvAbortMsg(0)")
    assert rm3.graph.edges[all_aborted, all_aborted]["actions"] == (  # stuttering receives
        "RMRcvAbortMsg(0)", "RMRcvAbortMsg(1)", "RMRcvAbortMsg(2)")
    assert rm3.shortest_path(aborting, one_aborted)[-1] == Step("RMChooseToAbort(0)", one_aborted)


def test_two_phase_commit_is_consistent_and_deadlock_free(rm3):
    assert rm3.violations == {} and rm3.deadlocks == []


def test_no_initial_state_means_an_empty_exploration():
    result = explore([], lambda s: [("x", s)])
    assert (result.states, result.edges, result.depth, result.complete) == (0, 0, 0, True)
    assert result.graph.number_of_nodes() == 0


def test_initial_states_are_deduplicated_in_order():
    a, b = tp.initial_states(2)[0], tp.initial_states(3)[0]
    result = explore([b, a, b], lambda s: [])
    assert result.initial == (b, a) and result.deadlocks == [b, a]


# --- a broken protocol: counterexamples ------------------------------------------------

@pytest.fixture(scope="module")
def broken() -> Exploration:
    """TMCommit without waiting for every RM to be prepared."""
    return two_phase(3, commit_needs_all_prepared=False)


def test_committing_without_all_prepared_violates_tc_consistent(broken):
    assert list(broken.violations) == ["TCConsistent"]
    assert not tp.tc_consistent(broken.violations["TCConsistent"])


def test_the_counterexample_is_a_shortest_one_of_three_steps(broken):
    successors = tp.successors(3, commit_needs_all_prepared=False)
    depth, _ = hand_bfs(tp.initial_states(3), successors)
    shortest = min(d for s, d in depth.items() if not tp.tc_consistent(s))
    path = broken.path_to(broken.violations["TCConsistent"])
    assert shortest == 3 and len(path) == 4 and broken.depth_of(path[-1].state) == 3
    assert_valid_path(path, successors, broken.initial)
    assert [tp.tc_consistent(step.state) for step in path] == [True, True, True, False]
    assert {step.action.split("(")[0] for step in path[1:]} == {
        "TMCommit", "RMChooseToAbort", "RMRcvCommitMsg"}


def test_exploration_goes_on_after_a_violation(broken):
    depth, transitions = hand_bfs(tp.initial_states(3), tp.successors(3, commit_needs_all_prepared=False))
    assert (broken.states, broken.edges, broken.complete) == (len(depth), len(transitions), True)
    assert broken.states == 623  # more than 288: the broken TM reaches new states


def test_a_violated_initial_state_is_its_own_counterexample():
    result = explore([5], lambda n: [("dec", n - 1)] if n else [], invariants={"zero": lambda n: n == 0},
                     is_terminal=lambda n: n == 0)
    assert result.violations == {"zero": 5} and result.path_to(5) == [Step(None, 5)]


# --- deadlocks ---------------------------------------------------------------------------

DOOR = {"closed": [("open", "open"), ("lock", "locked")],
        "open": [("close", "closed"), ("slam", "jammed")],
        "locked": [("unlock", "closed"), ("retire", "retired")],
        "jammed": [], "retired": []}


def test_states_without_successor_are_deadlocks_in_bfs_order():
    assert explore(["closed"], DOOR.__getitem__).deadlocks == ["jammed", "retired"]


def test_terminal_states_are_not_deadlocks():
    result = explore(["closed"], DOOR.__getitem__, is_terminal=lambda s: s == "retired")
    assert result.deadlocks == ["jammed"]
    assert [(s.action, s.state) for s in result.path_to("jammed")] == [
        (None, "closed"), ("open", "open"), ("slam", "jammed")]


# --- edges, labels, shortest paths -------------------------------------------------------

def test_a_repeated_transition_counts_once_and_labels_accumulate():
    result = explore(["a"], lambda s: [("x", "b"), ("x", "b"), ("y", "b")] if s == "a" else [],
                     is_terminal=lambda s: s == "b")
    assert (result.states, result.edges, result.graph.number_of_edges()) == (2, 2, 1)
    assert result.graph.edges["a", "b"]["actions"] == ("x", "y")


def test_shortest_path_is_labelled_with_an_action_of_each_edge(rm3):
    start = rm3.initial[0]
    target = max(rm3.graph, key=rm3.depth_of)
    path = rm3.shortest_path(start, target)
    assert len(path) == rm3.depth_of(target) + 1 == len(rm3.path_to(target)) == 11
    assert_valid_path(path, tp.successors(3), rm3.initial)


def test_shortest_path_is_none_when_the_target_is_unreachable(rm3):
    committed = next(s for s in rm3.graph if s.rm_state == ("committed",) * 3)
    assert rm3.shortest_path(committed, rm3.initial[0]) is None
    assert rm3.shortest_path(committed, committed) == [Step(None, committed)]


def test_unreached_states_raise_key_error(rm3):
    stranger = tp.initial_states(4)[0]
    for query in (rm3.depth_of, rm3.path_to, lambda s: rm3.shortest_path(s, s)):
        with pytest.raises(KeyError):
            query(stranger)


# --- limits and progress -----------------------------------------------------------------

@pytest.mark.parametrize("limit, complete",
                         [(1, False), (100, False), (287, False), (288, True), (10_000, True)])
def test_max_states_stops_early_and_says_so(limit, complete):
    result = explore(tp.initial_states(3), tp.successors(3), max_states=limit)
    assert result.complete is complete
    assert result.states == result.graph.number_of_nodes() == min(limit, 288)


def test_a_stopped_search_keeps_a_consistent_graph():
    result = explore(tp.initial_states(5), tp.successors(5), max_states=1000)
    nodes = set(result.graph)
    assert len(nodes) == 1000 and result.depth < 16
    assert all(v in nodes for _, v in result.graph.edges)
    assert result.edges == sum(len(a) for _, _, a in result.graph.edges(data="actions"))


def test_max_states_must_be_positive():
    with pytest.raises(ValueError):
        explore([0], lambda n: [], max_states=0)


def test_progress_ends_with_the_final_totals():
    reports: list[Progress] = []
    result = explore(tp.initial_states(5), tp.successors(5), progress=reports.append,
                     progress_interval=0.0)
    assert len(reports) > 1  # one per chunk of 1024 expanded states, then the final one
    assert [r.states for r in reports] == sorted(r.states for r in reports)
    final = reports[-1]
    assert (final.states, final.edges, final.depth) == (8832, 58145, 16) == (
        result.states, result.edges, result.depth)
    assert final.seconds == result.seconds and final.states_per_second > 0


def test_progress_is_rate_limited():
    reports: list[Progress] = []
    explore(tp.initial_states(5), tp.successors(5), progress=reports.append, progress_interval=3600)
    assert len(reports) == 1 and reports[0].states == 8832
