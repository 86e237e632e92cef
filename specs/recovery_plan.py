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

from hvr_model.checker.properties import Always, AlwaysStep, Sometimes

from .applicability import has_plan

__all__ = ["recovery_plan_boots_groups_in_order", "PROPERTIES"]

_BOOTING = (PlanStatus.BOOT_STEP, PlanStatus.AWAITING_MANUAL_ACTION, PlanStatus.STOPPED)


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


def failing_script_stops_only_planned_failover(before, after, args, config) -> bool:
    """A failing group script stops a planned failover, never an unplanned or test one (REQ-34)."""
    stopped = after.plan_status is PlanStatus.STOPPED
    return stopped == (before.plan_kind is PlanKind.PLANNED)


PROPERTIES = (
    Always("recovery_plan_boots_groups_in_order", ("REQ-33",),
           "Group N+1 of a recovery plan starts only after group N.",
           recovery_plan_boots_groups_in_order, witness="recovery_plan_boots_last_group"),
    Sometimes("recovery_plan_boots_last_group", ("REQ-33",),
              "A failover plan reaches the boot of its last group.", _plan_boots_last_group, applies=has_plan),
    AlwaysStep("group_completes_after_its_machines_start", ("REQ-33",),
               "A plan group completes only after all its machines have failed over and started.",
               frozenset({"complete_boot_group", "group_script_succeeds", "group_script_fails"}),
               group_completes_after_its_machines_start, witness="recovery_plan_boots_last_group"),
    AlwaysStep("failing_script_stops_only_planned_failover", ("REQ-34",),
               "A failing script stops a planned-failover plan but not an unplanned or test one.",
               frozenset({"group_script_fails"}), failing_script_stops_only_planned_failover,
               witness="recovery_plan_boots_last_group"),
)
