"""The generic check(model, properties) on small hand-made models with known answers."""
from enum import StrEnum

import pytest

from hvr_model.checker import (Always, AlwaysStep, BoundEvent, GraphClaim, ModelError, Participant, Sometimes,
                               LeadsTo, SometimesStep, SynchronousProduct, TableError, check, compile_table,
                               transition)
from hvr_model.checker import MachineSpec
from hvr_model.checker.product import Args


class Counter:
    """Counts 0..limit; 'reset' goes back to 0."""

    def __init__(self, limit=3):
        self.config = limit

    def initial_states(self):
        return [0]

    def successors(self, n):
        return ([("inc", n + 1)] if n < self.config else []) + [("reset", 0)]


BELOW = Always("below_limit", (), "n <= limit", lambda n, limit: n <= limit)
REACHES = Sometimes("reaches_limit", (), "n == limit", lambda n, limit: n == limit)
STEPS_UP = AlwaysStep("inc_adds_one", (), "inc adds one", frozenset({"inc"}), lambda u, v, a, c: v == u + 1)
RESETS = SometimesStep("resets_from_limit", (), "reset at the limit", {"reset"}, lambda u, v, a, c: u == c)


def test_every_kind_holds_with_a_shortest_witness():
    result = check(Counter(), [BELOW, REACHES, STEPS_UP, RESETS])
    assert result.holds and [r.holds for r in result.results] == [True] * 4
    assert [s.action for s in result.result("reaches_limit").example] == [None, "inc", "inc", "inc"]
    assert [s.action for s in result.result("resets_from_limit").example][-1] == "reset"


def test_violations_come_with_a_shortest_counterexample():
    tight = Always("below_two", (), "n < 2", lambda n, c: n < 2)
    jumps = AlwaysStep("inc_stays_below_two", (), "", {"inc"}, lambda u, v, a, c: v < 2)
    result = check(Counter(), [tight, jumps])
    assert result.violated == ["below_two", "inc_stays_below_two"]
    assert [s.state for s in result.result("below_two").counterexample] == [0, 1, 2]
    assert [s.state for s in result.result("inc_stays_below_two").counterexample] == [0, 1, 2]


def test_a_claim_about_nothing_that_happens_is_vacuous_not_holding():
    never = Always("never_negative", (), "", lambda n, c: n >= 0, witness="goes_negative")
    goes_negative = Sometimes("goes_negative", (), "", lambda n, c: n < 0)
    no_such_event = AlwaysStep("jump_is_small", (), "", {"jump"}, lambda u, v, a, c: v - u < 2)
    result = check(Counter(), [never, goes_negative, no_such_event])
    assert [r.verdict for r in result.results] == ["vacuous", "violated", "vacuous"]
    assert result.result("never_negative").holds is None
    assert "goes_negative is violated" in result.result("never_negative").reason
    assert "(jump) fired" in result.result("jump_is_small").reason


def test_an_inapplicable_claim_gives_the_reason_of_its_applicability_test():
    from hvr_model.checker.properties import Applicability
    big = Applicability(lambda limit: limit > 5, "the limit is at most 5")
    claim = Always("below_limit", (), "", lambda n, limit: n <= limit, applies=big)
    assert [(r.verdict, r.reason) for r in check(Counter(), [claim]).results] == [("vacuous", "the limit is at most 5")]


def test_a_spec_that_raises_is_an_error_naming_it_not_a_violation():
    broken = Always("reads_a_missing_field", (), "", lambda n, c: n.unsent == 0)
    result = check(Counter(), [broken, BELOW])
    r = result.result("reads_a_missing_field")
    assert r.verdict == "error" and "AttributeError" in r.reason and "not a violation" in r.reason
    assert [s.state for s in r.counterexample] == [0]          # where it raised
    assert result.verdict == "error" and result.violated == [] and not result.holds
    assert check(Counter(), [broken], safety_only=True).result("reads_a_missing_field").verdict == "error"


def test_a_spec_that_raises_in_a_worker_stops_the_run_with_a_spec_error():
    from hvr_model.checker import SpecError
    broken = AlwaysStep("bad_step", (), "", {"inc"}, lambda u, v, a, c: v.missing)
    with pytest.raises(SpecError, match="spec bad_step raised AttributeError"):
        check(Counter(), [broken], workers=2)


def test_the_models_own_evaluation_errors_mean_does_not_hold():
    class Strict(Counter):
        evaluation_errors = (ZeroDivisionError,)
    divides = Always("divides", (), "", lambda n, c: 1 / (2 - n) > -5)
    assert check(Strict(), [divides]).violated == ["divides"]


def test_a_bounded_run_is_incomplete_and_never_holds():
    result = check(Counter(limit=50), [BELOW, REACHES, STEPS_UP], max_states=10)
    assert result.verdict == "incomplete" and not result.holds
    assert [r.verdict for r in result.results] == ["unknown"] * 3


def test_a_generator_of_properties_is_checked_whole():
    result = check(Counter(), (p for p in [BELOW, REACHES]))
    assert [r.name for r in result.results] == ["below_limit", "reaches_limit"]


def test_bad_property_lists_are_refused():
    with pytest.raises(ValueError, match="unique: below_limit"):
        check(Counter(), [BELOW, BELOW])
    with pytest.raises(TypeError, match="not a property"):
        check(Counter(), [object()])
    with pytest.raises(TypeError, match="collection of event names"):
        AlwaysStep("x", (), "", "inc", lambda *a: True)


def test_a_graph_claim_sees_the_compact_graph():
    def no_state_is_a_sink(exploration, model):
        sinks = [i for i in range(exploration.store.states) if not exploration.store.successors(i)]
        return (not sinks), None
    assert check(Counter(), [GraphClaim("no_sink", (), "", no_state_is_a_sink)]).holds


@pytest.mark.parametrize("successors, message", [
    (lambda n: [n + 1], r"yielded 1, not a \(label, next state\) pair"),
    (lambda n: [("a", [n])], "unhashable state"),
    (lambda n: [(7, n)], "labels are strings"),
])
def test_a_malformed_model_is_named_not_a_traceback_from_inside(successors, message):
    class Broken(Counter):
        def successors(self, n):
            return successors(n)
    with pytest.raises(ModelError, match=message):
        check(Broken(), [BELOW])


class Lamp(StrEnum):
    OFF = "Off"
    ON = "On"


LAMP = MachineSpec("lamp", Lamp, Lamp.OFF, (transition("press", Lamp.OFF, Lamp.ON, ["powered"], after=["hum"]),
                                             transition("press", Lamp.ON, Lamp.OFF)))


def _press(guards, effects):
    event = BoundEvent("press", Args("press"), (Participant(LAMP, compile_table(LAMP)["press"],
                                                            read=lambda s: s, write=lambda s, new: new),))
    return SynchronousProduct([Lamp.OFF], [event], guards, effects)


class Powered:
    def powered(self, state, args):
        return True


def test_a_product_names_a_missing_guard_or_effect_when_built():
    with pytest.raises(TableError, match="guard 'powered' is not a method of object"):
        _press(object(), object())
    with pytest.raises(TableError, match="effect 'hum' is not a method of object"):
        _press(Powered(), object())


def test_an_effect_that_returns_nothing_is_a_model_error():
    class Silent:
        def hum(self, state, args):
            pass
    with pytest.raises(ModelError, match="effect hum of press returned None"):
        _press(Powered(), Silent()).successors(Lamp.OFF)


def test_a_state_named_by_its_value_is_refused_with_a_hint():
    with pytest.raises(TableError, match="name the Enum member, not its value"):
        MachineSpec("lamp", Lamp, Lamp.OFF, (transition("press", "Off", Lamp.ON),))
    with pytest.raises(TableError, match="lists of names, not one string"):
        transition("press", Lamp.OFF, Lamp.ON, "powered")


def test_a_step_claim_with_when_checks_only_steps_from_those_states():
    seen = []

    def jumps_only_at_the_limit(u, v, a, limit):
        seen.append(u)
        return v == u + 1
    from_two = AlwaysStep("inc_from_two", (), "", {"inc"}, jumps_only_at_the_limit, when=lambda n, c: n >= 2)
    result = check(Counter(limit=4), [from_two])
    assert result.result("inc_from_two").verdict == "holds" and sorted(set(seen)) == [2, 3]
    never = AlwaysStep("inc_from_ten", (), "", {"inc"}, lambda u, v, a, c: False, when=lambda n, c: n >= 10)
    for safety_only in (False, True):      # no step started where 'when' holds: nothing was checked
        r = check(Counter(), [never], safety_only=safety_only).result("inc_from_ten")
        assert r.verdict == "vacuous" and "where its 'when' holds" in r.reason


def test_a_witness_that_names_no_reachability_claim_is_refused():
    typo = Always("below_limit", (), "", lambda n, c: True, witness="reaches_limt")
    with pytest.raises(ValueError, match="below_limit \\(witness 'reaches_limt'\\)"):
        check(Counter(), [typo, REACHES])


def _raise(config):
    raise KeyError("no such feature")


@pytest.mark.parametrize("make", [
    lambda: Always("broken_applies", (), "its applies raises", lambda n, c: True, applies=_raise),
    lambda: LeadsTo("broken_for_each", (), "its for_each raises", lambda n, c, x: True, lambda n, c, x: True,
                    for_each=_raise),
], ids=["applies", "for_each"])
def test_a_claim_whose_setup_raises_is_an_error_and_the_others_are_decided(make):
    claim = make()
    result = check(Counter(), [claim, Always("small", (), "n stays small", lambda n, c: n <= 3)])
    verdicts = {r.name: (r.verdict, r.reason) for r in result.results}
    assert verdicts[claim.name][0] == "error" and "KeyError" in verdicts[claim.name][1]
    assert verdicts["small"][0] == "holds" and result.verdict == "error"


def test_a_for_each_that_is_no_function_is_refused_when_the_claim_is_built():
    with pytest.raises(TypeError, match="for_each must be a function"):
        LeadsTo("l", (), "d", lambda n, c: True, lambda n, c: True, for_each=42)
