"""Machine tables are rejected when they are built: unknown states, guards, effects, events."""
from enum import StrEnum

import pytest

from hvr_model.checker.mutation import Variant, drop_guard, replace_effect
from hvr_model.checker.tables import MachineSpec, TableError, transition, validate_vocabulary


class Door(StrEnum):
    SHUT = "Shut"
    OPEN = "Open"


def door(*rows):
    return MachineSpec("door", Door, Door.SHUT, tuple(rows), scope="system", field="door")


DOOR = door(transition("open", Door.SHUT, Door.OPEN, ["unlocked"], after=["creak"]),
            transition("close", Door.OPEN, Door.SHUT))
VOCABULARY = dict(guards={"unlocked": "REQ-1"}, effects={"creak"}, events={"open": "operator", "close": "operator"})


def test_a_well_formed_table_passes():
    validate_vocabulary([DOOR], **VOCABULARY)


@pytest.mark.parametrize("row, message", [
    (transition("open", Door.SHUT, "Ajar"), "unknown state 'Ajar'"),
    (transition("open", ["Ajar", Door.SHUT], Door.OPEN), "unknown state 'Ajar'"),
    (transition("", Door.SHUT, Door.OPEN), "non-empty event name"),
    ({"trigger": "open", "source": Door.SHUT}, "a row has the keys"),
    ({**transition("open", Door.SHUT, Door.OPEN), "unless": ["x"]}, "a row has the keys"),
    ({**transition("open", Door.SHUT, Door.OPEN), "conditions": "unlocked"}, "conditions must be a list of names"),
])
def test_a_malformed_row_fails_when_the_table_is_built(row, message):
    with pytest.raises(TableError, match=message) as error:
        door(row)
    assert "machine door, row 0" in str(error.value)


def test_an_unknown_scope_or_initial_state_fails():
    with pytest.raises(TableError, match="unknown scope"):
        MachineSpec("door", Door, Door.SHUT, (), scope="galaxy", field="door")
    with pytest.raises(TableError, match="initial state"):
        MachineSpec("door", Door, "Ajar", (), scope="system", field="door")


@pytest.mark.parametrize("change, message", [
    (dict(guards={}), "unknown guard 'unlocked'"),
    (dict(guards={"unlocked": None}), "guard with no requirement 'unlocked'"),
    (dict(effects=set()), "unknown effect 'creak'"),
    (dict(events={"open": "operator"}), "event 'close' is not declared with a kind"),
    (dict(events={"open": "", "close": "operator"}), "event 'open' is not declared with a kind"),
])
def test_a_name_the_model_does_not_define_fails(change, message):
    with pytest.raises(TableError, match=message):
        validate_vocabulary([DOOR], **{**VOCABULARY, **change})


def test_a_patch_returns_new_tables_and_leaves_the_original():
    broken = drop_guard("door", "open", "unlocked")(Variant((DOOR,), object, object))
    assert broken.machines[0].transitions[0]["conditions"] == []
    assert DOOR.transitions[0]["conditions"] == ["unlocked"]


def test_a_replaced_effect_is_a_new_subclass_not_a_patched_instance():
    class Effects:
        def creak(self, state, args):
            return state

    broken = replace_effect("door", "open", "creak", "slam", lambda self, s, a: "slammed")(
        Variant((DOOR,), object, Effects))
    assert broken.effects is not Effects and issubclass(broken.effects, Effects)
    assert not hasattr(Effects, "slam") and broken.effects().slam(None, None) == "slammed"
    assert broken.machines[0].transitions[0]["after"] == ["slam"]
