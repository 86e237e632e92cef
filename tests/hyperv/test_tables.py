"""Well-formedness of the declarative model: machine tables, events, guards, effects, mutants, configs.

These are structural claims about the tables themselves (not about behaviour):
each one would catch a typo or an orphan left behind by an edit elsewhere.
"""
from __future__ import annotations

import inspect
import random
from collections import Counter

import pytest
from transitions import Machine

from hvr_model.hyperv.system import MACHINES, System
from hvr_model.hyperv.config import FAULTS, ConfigError, config_names, load_config, parse_config
from hvr_model.hyperv.effects import Effects
from hvr_model.hyperv.events import OPTIONS, EVENTS, KINDS
from hvr_model.hyperv.guards import Guards
from hvr_model.checker.tables import build_machine, compile_table
from hvr_model.hyperv.mutants import MUTANTS
from hvr_model.specs.catalogue import ALL_PROPERTIES
from hvr_model.hyperv.state import VmState, World

MACHINE_IDS = [m.name for m in MACHINES]


def _sources(row) -> list:
    source = row["source"]
    return list(source) if isinstance(source, (list, tuple)) else [source]


def _public_methods(cls) -> set[str]:
    return {name for name, _ in inspect.getmembers(cls, inspect.isfunction) if not name.startswith("_")}


def _used(key: str) -> set[str]:
    return {name for m in MACHINES for row in m.transitions for name in row[key]}


# -- machines ------------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", MACHINES, ids=MACHINE_IDS)
def test_every_machine_builds_as_a_transitions_machine_without_auto_transitions(spec):
    machine = build_machine(spec)
    assert isinstance(machine, Machine)
    assert set(machine.states) == {state.name for state in spec.states}
    assert set(machine.events) == set(spec.triggers)            # no to_<state> auto triggers
    assert not any(name.startswith("to_") for name in machine.events)
    assert spec.initial in spec.states


@pytest.mark.parametrize("spec", MACHINES, ids=MACHINE_IDS)
def test_compiled_table_has_one_entry_per_row_source(spec):
    table = compile_table(spec)
    rows = sum(len(_sources(row)) for row in spec.transitions)
    assert sum(len(by_source[s]) for by_source in table.values() for s in by_source) == rows
    for trigger, by_source in table.items():
        for source, compiled in by_source.items():
            assert all(t.source is source and t.dest in spec.states for t in compiled)


def test_machine_names_are_unique_and_fields_exist_in_the_state():
    assert len(set(MACHINE_IDS)) == len(MACHINE_IDS)
    for spec in MACHINES:
        if spec.scope == "vm":
            assert spec.field in VmState._fields, spec.name
        elif spec.scope == "site":
            assert spec.field == "sites", spec.name
        else:
            assert spec.field in World._fields, spec.name


@pytest.mark.parametrize("spec", MACHINES, ids=MACHINE_IDS)
def test_every_state_is_entered_and_left_by_some_row(spec):
    """No dead states: each state has a row out of it, and each non-initial one a row into it."""
    left = {s for row in spec.transitions for s in _sources(row)}
    entered = {row["dest"] for row in spec.transitions if row["dest"] != "="}
    assert set(spec.states) - left == set(), "states with no row leaving them"
    assert set(spec.states) - entered - {spec.initial} == set(), "states no row enters"
    used = left | entered
    assert all(state in spec.states for state in used if state != "="), "a row names a foreign state"


# -- events --------------------------------------------------------------------------------------

def test_every_trigger_has_an_event_entry_and_every_event_is_used():
    triggers = set().union(*(m.triggers for m in MACHINES))
    assert triggers - set(EVENTS) == set(), "triggers without an EVENTS entry"
    assert set(EVENTS) - triggers == set(), "EVENTS entries no table uses"


def test_event_kinds_and_parameters_are_known():
    for name, spec in EVENTS.items():
        assert spec.kind in KINDS, name
        assert set(spec.params) <= {"vm", "site", "disk", *OPTIONS}, name
        assert not spec.options or "vm" in spec.params, name
        assert (spec.job is None) == (spec.operation is None), name
        assert spec.operation is None or EVENTS[spec.operation].asr_operation == spec.asr_operation, name
        assert "disk" not in spec.params or "vm" in spec.params, name
        assert spec.asr_operation is None or spec.kind == "orchestration", name


def test_environment_events_and_only_they_come_with_a_fault():
    for name, spec in EVENTS.items():
        if spec.kind == "environment":
            assert spec.fault in FAULTS, name
        else:
            assert spec.fault is None, name
    assert {spec.fault for spec in EVENTS.values() if spec.fault} == set(FAULTS)


def test_event_parameters_match_the_scope_of_every_machine_that_takes_it():
    """Per-VM events drive per-VM machines; shared machines never take part in per-VM events
    (the per-VM successor cache relies on per-VM events writing only their VM)."""
    for spec in MACHINES:
        for trigger in spec.triggers:
            params = EVENTS[trigger].params
            if spec.scope == "vm":
                assert "vm" in params, (spec.name, trigger)
            elif spec.scope == "site":
                assert params == ("site",), (spec.name, trigger)
            else:
                assert "vm" not in params and "site" not in params, (spec.name, trigger)


# -- guards and effects --------------------------------------------------------------------------

def test_every_guard_is_a_guards_method_and_every_public_guards_method_is_used():
    used, defined = _used("conditions"), _public_methods(Guards)
    assert used - defined == set(), "guards named in a table but not defined"
    assert defined - used == set(), "Guards methods no table uses"


def test_every_effect_is_an_effects_method_and_every_public_effects_method_is_used():
    used, defined = _used("after"), _public_methods(Effects)
    assert used - defined == set(), "effects named in a table but not defined"
    assert defined - used == set(), "Effects methods no table uses"


def test_no_row_uses_unless():
    assert all("unless" not in row for m in MACHINES for row in m.transitions)


# -- mutants ---------------------------------------------------------------------------------------

def test_every_mutant_names_an_existing_property_and_configuration():
    properties = {p.name for p in ALL_PROPERTIES}
    configs = set(config_names())
    assert MUTANTS
    for name, mutant in MUTANTS.items():
        assert mutant.name == name
        assert mutant.kills in properties, name
        assert mutant.config in configs, name


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_every_mutant_changes_an_event_its_configuration_takes(name):
    mutant = MUTANTS[name]
    config = load_config(mutant.config)
    machines, guards, effects = mutant.variant()
    changed = set()
    for original, patched in zip(MACHINES, machines):
        assert original.name == patched.name
        before, after = list(original.transitions), list(patched.transitions)
        changed |= {row["trigger"] for row in before if row not in after}
        changed |= {row["trigger"] for row in after if row not in before}
    # A guard given a broken body changes every row that asks it.
    rewritten = {n for n in vars(guards) if not n.startswith("__")} if guards is not Guards else set()
    changed |= {row["trigger"] for spec in machines for row in spec.transitions
                if rewritten & set(row["conditions"])}
    if effects.engine_class is not None:
        # A block-store mutant: the tables stay, the data path is a broken ReplicatedVm.
        from hvr_model.blockstore import ReplicatedVm
        assert changed == set() and issubclass(effects.engine_class, ReplicatedVm) and config.data
        assert set(vars(effects.engine_class)) - {"__module__", "__doc__", "__qualname__"}, name
        return
    assert changed, f"mutant {name} leaves every table as it is"
    System(config, machines, guards(config), effects(config))   # the mutant compiles, names resolve
    bound = {event.args.event for event in System(config).events}
    assert changed & bound, f"mutant {name} only touches events {sorted(changed)} not in {mutant.config}"
    for spec in machines:
        for row in spec.transitions:
            for guard in row["conditions"]:
                assert callable(getattr(guards, guard)), (name, guard)
            for effect in row["after"]:
                assert callable(getattr(effects, effect)), (name, effect)


# -- the per-VM successor cache --------------------------------------------------------------------

def test_successor_cache_agrees_with_uncached_successors_on_a_random_walk():
    system = System(load_config("default"))
    rng = random.Random(20240613)
    start = system.initial_states()[0]
    world, seen, checked = start, set(), 0
    for step in range(3000):
        cached = system.successors(world)
        assert Counter(cached) == Counter(system.successors_uncached(world)), world
        labels = [label for label, _ in cached]
        assert len(labels) == len(set(labels)), "an action label leads to two different states"
        seen.add(world)
        checked += 1
        if not cached or step % 150 == 149:
            world = start
        else:
            world = rng.choice(cached)[1]
    assert checked == 3000 and len(seen) > 500                   # the walk did go places


# -- configuration errors -------------------------------------------------------------------------

def _base() -> dict:
    return {"name": "t", "vms": [{"name": "a", "disks": 2}, {"name": "b"}],
            "policy": {"recovery_point_retention_hours": 4, "app_consistent_snapshot_hours": 2},
            "bounds": {"log_threshold": 2}, "faults": ["site_outage"],
            "recovery_plan": {"groups": [{"vms": ["a"]}, {"vms": ["b"], "post_action": "manual"}]}}


def test_the_base_configuration_of_the_error_cases_is_valid():
    config = parse_config(_base())
    assert [vm.name for vm in config.vms] == ["a", "b"] and len(config.plan) == 2
    assert config.group_of(1) == 1 and config.policy.app_consistent_snapshot_hours == 2


def _with(path: str, value):
    """The base configuration with the value at dotted ``path`` (list indexes as numbers) replaced."""
    raw = _base()
    keys = path.split(".")
    target = raw
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    last = keys[-1]
    target[int(last) if last.isdigit() else last] = value
    return raw


def _groups(n: int) -> dict:
    return {"groups": [{"vms": ["a"]}, {"vms": ["b"]}] + [{"vms": []}] * (n - 2)}


BAD = [
    # (what is wrong, the raw configuration, the key the error must name)
    ("unknown top-level key", _with("colour", "blue"), "colour"),
    ("unknown policy key", _with("policy.speed", 3), "policy.speed"),
    ("unknown VM key", _with("vms.0.memory", 4), "vms[0].memory"),
    ("unknown bounds key", _with("bounds.states", 9), "bounds.states"),
    ("disks of the wrong type", _with("vms.0.disks", "2"), "vms[0].disks"),
    ("a boolean for a number", _with("vms.1.disks", True), "vms[1].disks"),
    ("initially_protected not a boolean", _with("initially_protected", "yes"), "initially_protected"),
    ("faults not a list", _with("faults", "site_outage"), "faults"),
    ("policy not a table", _with("policy", 5), "policy"),
    ("no disks", _with("vms.0.disks", 0), "vms[0].disks"),
    ("too many disks", _with("vms.0.disks", 5), "vms[0].disks"),
    ("unknown copy frequency", _with("policy.copy_frequency", "1h"), "policy.copy_frequency"),
    ("retention past 24 h", _with("policy.recovery_point_retention_hours", 25),
     "policy.recovery_point_retention_hours"),
    ("log threshold 0", _with("bounds.log_threshold", 0), "bounds.log_threshold"),
    ("port 0", _with("policy.port", 0), "policy.port"),
    ("unknown fault", _with("faults", ["meteor"]), "faults[0]"),
    ("a fault twice", _with("faults", ["vault_outage", "vault_outage"]), "faults"),
    ("duplicate VM name", _with("vms.1.name", "a"), "vms[1].name"),
    ("no VMs", _with("vms", []), "vms"),
    ("an environment event excluded", _with("exclude", ["site_outage"]), "exclude[0]"),
    ("unknown mutant", _with("mutant", "no_such_mutant"), "mutant"),
    ("plan VM unknown", _with("recovery_plan.groups.1.vms", ["ghost"]), "recovery_plan.groups[1].vms[0]"),
    ("VM in two groups", _with("recovery_plan.groups.1.vms", ["b", "a"]), "recovery_plan.groups[1].vms[1]"),
    ("more than 7 groups", _with("recovery_plan", _groups(8)), "recovery_plan.groups"),
    ("no groups", _with("recovery_plan", {"groups": []}), "recovery_plan.groups"),
    ("unknown post action", _with("recovery_plan.groups.0.post_action", "pray"),
     "recovery_plan.groups[0].post_action"),
    ("app-consistent hours equal to retention", _with("policy.app_consistent_snapshot_hours", 4),
     "policy.app_consistent_snapshot_hours"),
    ("app-consistent hours above retention", _with("policy.recovery_point_retention_hours", 1),
     "policy.app_consistent_snapshot_hours"),
]


@pytest.mark.parametrize("what, raw, key", BAD, ids=[case[0] for case in BAD])
def test_config_error_names_the_key_at_fault(what, raw, key):
    with pytest.raises(ConfigError) as info:
        parse_config(raw)
    assert str(info.value).startswith(f"{key}:"), str(info.value)


def test_app_consistent_snapshots_need_retention():
    raw = _with("policy", {"app_consistent_snapshot_hours": 1})   # retention defaults to 0
    with pytest.raises(ConfigError, match=r"^policy\.app_consistent_snapshot_hours:"):
        parse_config(raw)


def test_excluding_a_plan_vms_failover_without_excluding_the_plan_kind_is_refused():
    raw = _with("vms.0.exclude", ["planned_failover"])
    with pytest.raises(ConfigError, match=r"^exclude:.*start_planned_recovery_plan"):
        parse_config(raw)
    raw["exclude"] = ["start_planned_recovery_plan"]
    assert "planned_failover" in parse_config(raw).vms[0].exclude


@pytest.mark.parametrize("name", config_names())
def test_every_shipped_configuration_loads_and_binds_its_faults(name):
    config = load_config(name)
    system = System(config)
    kinds = {event.args.event for event in system.events}
    fault_events = {e for e, spec in EVENTS.items() if spec.fault in config.faults}
    assert fault_events <= kinds
    assert not {e for e, spec in EVENTS.items() if spec.fault and spec.fault not in config.faults} & kinds
    assert not set(config.exclude) & kinds
