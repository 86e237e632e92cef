"""Recovery plans (REQ-32..34).

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.hyperv.state import initial_world
>>> cfg = load_config("default")
>>> recovery_plan_boots_groups_in_order(initial_world(cfg), cfg)
True
"""
from __future__ import annotations

from hvr_model.hyperv.protocol.protection import PENDING_COMMIT
from hvr_model.hyperv.protocol.recovery_plan import PlanKind, PlanStatus
from hvr_model.hyperv.protocol.vm_role import VmPower
from hvr_model.hyperv.views import source_site

from hvr_model.checker.properties import Always, AlwaysStep, Sometimes, SometimesStep

from .applicability import has_plan, takes_event, when

__all__ = ["recovery_plan_boots_groups_in_order", "PROPERTIES"]

_BOOTING = (PlanStatus.BOOT_STEP, PlanStatus.AWAITING_MANUAL_ACTION, PlanStatus.STOPPED)
#: The plan events that end a group's boot (REQ-33, 34).
_GROUP_DONE = frozenset({"complete_boot_group", "group_script_succeeds", "group_script_fails"})


def _running(vm) -> bool:
    return vm.power[source_site(vm)] is not VmPower.OFF


def recovery_plan_boots_groups_in_order(w, config) -> bool:
    """A failed-over plan VM runs only once the plan's boot step has reached its group (REQ-33)."""
    if w.plan_kind in (PlanKind.NONE, PlanKind.TEST):
        return True
    for i, vm in enumerate(w.vms):
        group = config.group_of(i)
        if group is None or vm.protection not in PENDING_COMMIT or not _running(vm):
            continue
        if w.plan_status is PlanStatus.COMPLETED:
            continue
        if w.plan_status not in _BOOTING or group > w.plan_group:
            return False
    return True


def _plan_boots_last_group(w, config) -> bool:
    return (w.plan_kind not in (PlanKind.NONE, PlanKind.TEST) and w.plan_status is PlanStatus.BOOT_STEP
            and w.plan_group == len(config.plan) - 1)


def group_completes_after_its_machines_start(before, after, args, config) -> bool:
    """A group's boot ends only once every machine of the group failed over and started (REQ-33)."""
    if before.plan_kind is PlanKind.TEST:
        return True
    group = before.plan_group
    return all(_running(vm) and vm.protection in PENDING_COMMIT
               for i, vm in enumerate(before.vms) if config.group_of(i) == group)


def _several_machines_group_completes(before, after, args, config) -> bool:
    return (before.plan_kind is not PlanKind.TEST and after.plan_status is not PlanStatus.STOPPED
            and len(config.plan[before.plan_group].vms) > 1)


_has_group_of_several = has_plan & when(lambda config: any(len(group.vms) > 1 for group in config.plan),
                                        "no group of the recovery plan holds two or more machines")


def manual_action_pauses_the_plan(before, after, args, config) -> bool:
    """A group whose post-action is manual ends by waiting for the operator's confirmation (REQ-34)."""
    manual = config.plan[before.plan_group].post_action == "manual"
    return not manual or (after.plan_status is PlanStatus.AWAITING_MANUAL_ACTION
                          and after.plan_group == before.plan_group)


def _group_with_manual_action_completes(before, after, args, config) -> bool:
    return config.plan[before.plan_group].post_action == "manual"


#: A failover plan can start (a test plan boots no group).
_plan_fails_over = has_plan & (takes_event("start_planned_recovery_plan") | takes_event("start_unplanned_recovery_plan"))

_has_manual_action = _plan_fails_over & when(lambda config: any(group.post_action == "manual" for group in config.plan),
                                             "no group of the recovery plan has a manual post-action")


def failing_script_stops_only_planned_failover(before, after, args, config) -> bool:
    """A failing group script stops a planned failover, never an unplanned or test one (REQ-34)."""
    stopped = after.plan_status is PlanStatus.STOPPED
    return stopped == (before.plan_kind is PlanKind.PLANNED)


PROPERTIES = (
    Always("recovery_plan_boots_groups_in_order", ("REQ-33",),
           "Group N+1 of a recovery plan starts only after group N.",
           recovery_plan_boots_groups_in_order, witness="recovery_plan_boots_last_group"),
    Sometimes("recovery_plan_boots_last_group", ("REQ-33",),
              "A failover plan reaches the boot of its last group.", _plan_boots_last_group,
              applies=_plan_fails_over),
    AlwaysStep("group_completes_after_its_machines_start", ("REQ-33",),
               "A plan group completes only after all its machines have failed over and started.",
               _GROUP_DONE, group_completes_after_its_machines_start, witness="recovery_plan_boots_last_group"),
    SometimesStep("plan_group_of_several_machines_completes", ("REQ-33",),
                  "A failover plan moves past a group that holds several machines (each must have started).",
                  _GROUP_DONE, _several_machines_group_completes, applies=_has_group_of_several),
    AlwaysStep("manual_action_pauses_the_plan", ("REQ-34",),
               "A group with a manual post-action ends by pausing the plan until the action is confirmed.",
               frozenset({"complete_boot_group"}), manual_action_pauses_the_plan,
               witness="group_with_manual_action_completes"),
    SometimesStep("group_with_manual_action_completes", ("REQ-34",),
                  "A plan group whose post-action is manual completes its boot.", frozenset({"complete_boot_group"}),
                  _group_with_manual_action_completes, applies=_has_manual_action),
    AlwaysStep("failing_script_stops_only_planned_failover", ("REQ-34",),
               "A failing script stops a planned-failover plan but not an unplanned or test one.",
               frozenset({"group_script_fails"}), failing_script_stops_only_planned_failover,
               witness="recovery_plan_boots_last_group"),
)
