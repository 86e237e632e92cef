"""Recovery plan: multi-VM failover in ordered groups (REQ-23, 32..34).

A plan runs a Shutdown step (not for test failover), in which ASR shuts the
machines down itself, a Failover step (every
machine of the plan), then its Boot groups in order: group N+1 starts only
once every machine of group N has failed over and started. A group may end with
a manual action (the plan waits for confirmation) or a script; a failing
script stops a planned failover but not an unplanned one, and a stopped plan
can be restarted.

The per-VM steps are the ordinary VM events (``shutdown_vm``,
``planned_failover``, ``start_vm``...) which the plan permits or refuses
through guards; the plan's own events move it from step to step.

>>> PlanStatus.BOOT_STEP.value
'BootStep'
"""
from enum import StrEnum

from ...checker.tables import MachineSpec, transition as t

__all__ = ["PlanStatus", "PlanKind", "RECOVERY_PLAN", "PLAN_RUNNING"]


class PlanStatus(StrEnum):
    IDLE = "Idle"
    SHUTDOWN_STEP = "ShutdownStep"
    FAILOVER_STEP = "FailoverStep"
    BOOT_STEP = "BootStep"
    AWAITING_MANUAL_ACTION = "AwaitingManualAction"
    STOPPED = "Stopped"
    COMPLETED = "Completed"


class PlanKind(StrEnum):
    NONE = "None"
    PLANNED = "PlannedFailover"
    UNPLANNED = "UnplannedFailover"
    TEST = "TestFailover"


S = PlanStatus
PLAN_RUNNING = frozenset(set(S) - {S.IDLE, S.COMPLETED})
_STEP = ["vault_reachable"]
_GROUP_DONE = _STEP + ["current_group_started"]

RECOVERY_PLAN = MachineSpec(
    name="recovery_plan", states=PlanStatus, initial=S.IDLE, scope="system", field="plan_status",
    transitions=(
        t("start_planned_recovery_plan", S.IDLE, S.SHUTDOWN_STEP, _STEP + ["plan_vms_protected"],
          after=["begin_planned_plan"]),
        t("start_unplanned_recovery_plan", S.IDLE, S.SHUTDOWN_STEP, _STEP + ["plan_vms_protected"],
          after=["begin_unplanned_plan"]),
        t("start_test_recovery_plan", S.IDLE, S.FAILOVER_STEP, _STEP + ["plan_vms_protected"],
          after=["begin_test_plan"]),
        # ASR shuts the plan's machines down itself (REQ-24); one that runs where it cannot be
        # reached holds the step.
        t("complete_shutdown_step", S.SHUTDOWN_STEP, S.FAILOVER_STEP, _STEP + ["plan_vms_can_be_shut_down"],
          after=["shut_down_plan_vms"]),
        t("complete_failover_step", S.FAILOVER_STEP, S.BOOT_STEP, _STEP + ["plan_vms_failed_over"]),
        t("complete_boot_group", S.BOOT_STEP, "=", _GROUP_DONE + ["group_has_no_post_action", "more_groups"],
          after=["next_group"]),
        t("complete_boot_group", S.BOOT_STEP, S.COMPLETED, _GROUP_DONE + ["group_has_no_post_action",
                                                                         "last_group"]),
        t("complete_boot_group", S.BOOT_STEP, S.AWAITING_MANUAL_ACTION,
          _GROUP_DONE + ["group_has_manual_action"]),
        t("confirm_manual_action", S.AWAITING_MANUAL_ACTION, S.BOOT_STEP, _STEP + ["more_groups"],
          after=["next_group"]),
        t("confirm_manual_action", S.AWAITING_MANUAL_ACTION, S.COMPLETED, _STEP + ["last_group"]),
        t("group_script_succeeds", S.BOOT_STEP, "=", _GROUP_DONE + ["group_has_script", "more_groups"],
          after=["next_group"]),
        t("group_script_succeeds", S.BOOT_STEP, S.COMPLETED, _GROUP_DONE + ["group_has_script", "last_group"]),
        t("group_script_fails", S.BOOT_STEP, S.STOPPED, _GROUP_DONE + ["group_has_script", "plan_is_planned"]),
        t("group_script_fails", S.BOOT_STEP, "=", _GROUP_DONE + ["group_has_script", "plan_is_not_planned",
                                                                "more_groups"], after=["next_group"]),
        t("group_script_fails", S.BOOT_STEP, S.COMPLETED, _GROUP_DONE + ["group_has_script",
                                                                        "plan_is_not_planned", "last_group"]),
        t("restart_recovery_plan", S.STOPPED, S.BOOT_STEP, _STEP),
        t("close_recovery_plan", S.COMPLETED, S.IDLE, _STEP, after=["end_plan"]),
    ),
    doc="One recovery plan: shutdown, failover, then boot groups in order.")
