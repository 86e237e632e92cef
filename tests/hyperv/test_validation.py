"""The Hyper-V tables are validated against the model's guards, effects and events when composed."""
import dataclasses

import pytest

from hvr_model.checker.tables import TableError
from hvr_model.hyperv.config import ConfigError, load_config, parse_config
from hvr_model.hyperv.effects import Effects
from hvr_model.hyperv.mutants import MUTANTS, system_for
from hvr_model.hyperv.system import MACHINES, System


def _with_row_change(machine: str, event: str, **change):
    return tuple(dataclasses.replace(m, transitions=tuple({**r, **change} if r["trigger"] == event else r
                                                          for r in m.transitions))
                 if m.name == machine else m for m in MACHINES)


@pytest.mark.parametrize("change, message", [
    (dict(conditions=["vault_reachable", "moon_is_full"]), "unknown guard 'moon_is_full'"),
    (dict(after=["send_flowers"]), "unknown effect 'send_flowers'"),
])
def test_a_table_naming_what_the_model_lacks_is_refused(change, message):
    with pytest.raises(TableError, match=message) as error:
        System(load_config("single_vm"), _with_row_change("protection", "commit", **change))
    assert "machine protection" in str(error.value) and "(commit)" in str(error.value)


def test_an_event_without_a_declared_kind_is_refused():
    machines = _with_row_change("protection", "commit", trigger="commit_twice")
    with pytest.raises(TableError, match="event 'commit_twice' is not declared with a kind"):
        System(load_config("single_vm"), machines)


def test_a_configuration_names_no_mutant():
    with pytest.raises(ConfigError, match="^mutant: a configuration names no mutant"):
        parse_config({"name": "x", "vms": [{"name": "a"}], "mutant": "disks_copied_in_parallel"})


def test_choosing_a_mutant_patches_nothing_shared():
    config = load_config("data_single_vm")
    for name in ("failed_over_vm_serves_before_commit", "non_atomic_apply"):
        broken = system_for(config, name)
        assert broken.mutant == name and type(broken.effects) is not Effects
    assert Effects.engine_class is None and not hasattr(Effects, "boot_serving")
    assert System(config).mutant is None and MACHINES == System(config).machines


def test_an_unknown_mutant_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown mutant 'nope'"):
        system_for(load_config("single_vm"), "nope")
    assert "disks_copied_in_parallel" in MUTANTS
