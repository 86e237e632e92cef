"""Leads-to and eventually under weak/strong fairness: small graphs with known answers, and a brute-force oracle."""
import itertools

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from hvr_model.checker.explorer import explore
from hvr_model.checker.liveness import Lasso, eventually, initial_mask, leads_to, open_triggers


def _graph(moves, initial=("s0",)):
    return explore(list(initial), lambda s: moves.get(s, [])).store


def _states(store, keep):
    return np.array([bool(keep(s)) for s in store.nodes])


def _labels(store, names=()):
    return np.array([name in names for name in store.label_names])


# A request is served by a worker that may be busy: "serve" is enabled only in "ready".
SERVICE = {"idle": [("request", "waiting")],
           "waiting": [("poll", "ready")],
           "ready": [("serve", "served"), ("lose", "waiting")],
           "served": [("reset", "idle")]}


def test_holds_under_weak_fairness():
    moves = {"s0": [("go", "s1")], "s1": [("go", "s2")], "s2": [("loop", "s2")]}
    store = _graph(moves)
    goal = _states(store, lambda s: s == "s2")
    assert eventually(store, goal, _labels(store, {"go"}), _labels(store)) is None


def test_without_fairness_the_behaviour_stutters_in_the_initial_state():
    moves = {"s0": [("go", "s1")], "s1": [("go", "s2")], "s2": []}
    store = _graph(moves)
    lasso = eventually(store, _states(store, lambda s: s == "s2"), _labels(store), _labels(store))
    assert lasso == Lasso(trigger=0, stem=[(None, 0)], cycle=[])
    assert lasso.loop_start == 0
    assert lasso.named(store) == ([(None, "s0")], [])


def test_a_fair_self_loop_is_a_cycle_and_an_unfair_one_is_not():
    moves = {"s0": [("boot", "s1")], "s1": [("idle", "s1"), ("go", "s2")], "s2": []}
    store = _graph(moves)
    goal = _states(store, lambda s: s == "s2")
    # "boot" and "go" fair, "idle" not: s1's only cycle, its self-loop, starves "go".
    assert eventually(store, goal, _labels(store, {"boot", "go"}), _labels(store)) is None
    # "go" unfair: s1's self-loop taken forever is fair (and so would be stuttering there).
    lasso = eventually(store, goal, _labels(store, {"boot", "idle"}), _labels(store))
    assert lasso.named(store) == ([(None, "s0"), ("boot", "s1")], [("idle", "s1")])
    # Nothing fair: the behaviour may stutter in the initial state.
    assert eventually(store, goal, _labels(store, {"idle"}), _labels(store)).named(store) == ([(None, "s0")], [])


def test_weak_fairness_allows_a_cycle_through_a_disabling_state_strong_fairness_does_not():
    store = _graph(SERVICE, initial=("idle",))
    trigger = _states(store, lambda s: s == "waiting")
    goal = _states(store, lambda s: s == "served")
    every = _labels(store, set(store.label_names))
    lasso = leads_to(store, trigger, goal, every, _labels(store))
    assert lasso.named(store) == ([(None, "idle"), ("request", "waiting")],
                                  [("poll", "ready"), ("lose", "waiting")])
    assert lasso.trigger == store.index["waiting"]
    assert leads_to(store, trigger, goal, every, _labels(store, {"serve"})) is None


def test_a_terminal_state_outside_the_goal_violates_even_under_full_fairness():
    moves = {"s0": [("go", "s1"), ("crash", "dead")], "s1": []}
    store = _graph(moves)
    every = _labels(store, set(store.label_names))
    lasso = eventually(store, _states(store, lambda s: s == "s1"), every, every)
    assert lasso.named(store) == ([(None, "s0"), ("crash", "dead")], [])


def test_a_trigger_that_never_occurs_is_vacuous():
    store = _graph(SERVICE, initial=("idle",))
    trigger = _states(store, lambda s: s == "nowhere")
    goal = _states(store, lambda s: s == "served")
    assert leads_to(store, trigger, goal, _labels(store), _labels(store)) is None
    assert open_triggers(trigger, goal) == 0
    assert open_triggers(_states(store, lambda s: s == "waiting"), goal) == 1


def test_a_trigger_inside_the_goal_needs_nothing():
    store = _graph(SERVICE, initial=("idle",))
    served = _states(store, lambda s: s == "served")
    assert leads_to(store, served, served, _labels(store), _labels(store)) is None


def test_the_least_violating_trigger_is_reported():
    moves = {"s0": [("a", "s1"), ("b", "s2")], "s1": [("done", "goal")], "s2": [("spin", "s3")],
             "s3": [("spin", "s2")]}
    store = _graph(moves)
    trigger = _states(store, lambda s: s in ("s1", "s2", "s3"))
    goal = _states(store, lambda s: s == "goal")
    fair = _labels(store, set(store.label_names))
    lasso = leads_to(store, trigger, goal, fair, fair)
    assert store.nodes[lasso.trigger] == "s2"
    assert lasso.named(store) == ([(None, "s0"), ("b", "s2")], [("spin", "s3"), ("spin", "s2")])


def test_arrays_of_the_wrong_length_are_refused():
    store = _graph(SERVICE, initial=("idle",))
    states, labels = np.zeros(store.states, bool), _labels(store)
    with pytest.raises(ValueError, match="trigger"):
        leads_to(store, np.zeros(2, bool), states, labels, labels)
    with pytest.raises(ValueError, match="strong"):
        leads_to(store, states, states, labels, labels[:-1])


def test_initial_mask_marks_the_initial_states():
    store = _graph({"a": [("x", "b")], "c": [("x", "b")]}, initial=("a", "c"))
    assert [store.nodes[i] for i in np.flatnonzero(initial_mask(store))] == ["a", "c"]


# -- random graphs against a brute-force oracle -------------------------------------------------

LABELS = ("a", "b", "c")


@st.composite
def _cases(draw):
    k = draw(st.integers(1, 7))
    edges = draw(st.sets(st.tuples(st.integers(0, k - 1), st.sampled_from(LABELS), st.integers(0, k - 1)),
                         max_size=14))
    trigger = draw(st.sets(st.integers(0, k - 1)))
    goal = draw(st.sets(st.integers(0, k - 1)))
    weak = draw(st.sets(st.sampled_from(LABELS)))
    strong = draw(st.sets(st.sampled_from(LABELS)))
    return k, sorted(edges), trigger, goal, weak, strong


def _oracle(store, trigger, goal, weak, strong) -> bool:
    """Violated iff some set of open states reachable from an open trigger carries a fair cycle."""
    n = store.states
    enabled = [{lab for lab, _ in store.successors(s)} for s in range(n)]
    inner = nx.DiGraph()
    inner.add_nodes_from(s for s in range(n) if not goal[s])
    inner.add_edges_from((s, t) for s in inner for _, t in store.successors(s) if not goal[t])
    region = set()
    for s in inner:
        if trigger[s]:
            region |= {s} | nx.descendants(inner, s)
    for size in range(1, len(region) + 1):
        for subset in itertools.combinations(sorted(region), size):
            inside = [(lab, t) for s in subset for lab, t in store.successors(s) if t in subset]
            if size > 1 and not nx.is_strongly_connected(inner.subgraph(subset)):
                continue
            taken = {lab for lab, _ in inside}
            if all(a in taken or any(a not in enabled[s] for s in subset) for a in weak) and \
               all(a in taken or all(a not in enabled[s] for s in subset) for a in strong):
                return True
    return False


def _assert_fair_lasso(store, lasso, trigger, goal, weak, strong):
    names = store.label_names
    assert lasso.stem[0][0] is None and initial_mask(store)[lasso.stem[0][1]]
    walk = lasso.stem + lasso.cycle
    for (_, u), (lid, v) in zip(walk, walk[1:]):
        assert store.has_transition(store.nodes[u], names[lid], store.nodes[v])
    ids = [s for _, s in lasso.stem]
    assert trigger[lasso.trigger] and not goal[lasso.trigger] and lasso.trigger in ids
    after = ids[ids.index(lasso.trigger):] + [s for _, s in lasso.cycle]
    assert not goal[after].any()
    if lasso.cycle:
        assert lasso.cycle[-1][1] == lasso.loop_start
    visited = {s for _, s in lasso.cycle} or {lasso.loop_start}
    taken = {names[lid] for lid, _ in lasso.cycle}
    enabled = {s: {lab for lab, _ in store.successors(s)} for s in visited}
    for a in weak:
        assert a in taken or any(a not in enabled[s] for s in visited), f"WF {a}"
    for a in strong:
        assert a in taken or all(a not in enabled[s] for s in visited), f"SF {a}"


@settings(max_examples=1000, deadline=None)
@given(_cases())
def test_agrees_with_brute_force_and_lassos_are_fair(case):
    k, edges, trigger_set, goal_set, weak, strong = case
    moves = {}
    for s, lab, t in edges:
        moves.setdefault(s, []).append((lab, t))
    store = explore([0], lambda s: moves.get(s, [])).store
    trigger = np.array([s in trigger_set for s in store.nodes])
    goal = np.array([s in goal_set for s in store.nodes])
    lasso = leads_to(store, trigger, goal, _labels(store, weak), _labels(store, strong))
    assert (lasso is not None) == _oracle(store, trigger, goal, weak, strong)
    if lasso is not None:
        _assert_fair_lasso(store, lasso, trigger, goal, weak, strong)
