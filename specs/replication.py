"""Initial replication, delta replication and resynchronization (REQ-08..20).

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.hyperv.state import initial_world
>>> cfg = load_config("default")
>>> one_disk_copied_at_a_time(initial_world(cfg), cfg), snapshot_exactly_during_initial_replication(initial_world(cfg), cfg)
(True, True)
"""
from __future__ import annotations

from hvr_model.hyperv.protocol.protection import ProtectionState
from hvr_model.hyperv.protocol.replication import DiskCopy, ReplicationPhase, RESYNC_PHASES, TRACKING_PHASES

from hvr_model.checker.properties import Always, AlwaysStep, Sometimes, SometimesStep
from hvr_model.hyperv.events import EVENTS

from .applicability import has_fault, takes_event, when

__all__ = ["one_disk_copied_at_a_time", "snapshot_exactly_during_initial_replication", "PROPERTIES"]

IR = ReplicationPhase.INITIAL_REPLICATION_IN_PROGRESS


def one_disk_copied_at_a_time(w, config) -> bool:
    """Initial replication copies a VM's disks one at a time (REQ-08)."""
    return all(vm.disks.count(DiskCopy.COPYING) <= 1 for vm in w.vms)


def protected_only_after_initial_replication(w, config) -> bool:
    """A VM counts as protected (failover-ready) only once every disk reached the replica (REQ-06, 08)."""
    return all(all(d is DiskCopy.COPIED for d in vm.disks) for vm in w.vms if vm.protection is ProtectionState.PROTECTED)


def _disk_copied_while_another_waits(w, config) -> bool:
    return any(DiskCopy.COPYING in vm.disks and DiskCopy.COPIED in vm.disks for vm in w.vms)


def snapshot_exactly_during_initial_replication(w, config) -> bool:
    """The VM snapshot exists exactly while initial replication runs (REQ-08)."""
    return all(vm.snapshot == (vm.phase is IR) for vm in w.vms)


def _snapshot_held(w, config) -> bool:
    return any(vm.snapshot for vm in w.vms)


def no_test_or_planned_failover_during_resync(before, after, args, config) -> bool:
    """Test and planned failover are refused while a resync runs (REQ-19)."""
    return before.vms[args.vm].phase not in RESYNC_PHASES


def _unplanned_failover_cancels_resync(before, after, args, config) -> bool:
    return before.vms[args.vm].phase in RESYNC_PHASES and after.vms[args.vm].phase is ReplicationPhase.DISABLED


def cancelled_resync_is_required_again(before, after, args, config) -> bool:
    """Cancelling a resynchronization leaves the VM waiting for one again, nothing sent (REQ-19)."""
    vm = after.vms[args.vm]
    return vm.phase is ReplicationPhase.WAITING_FOR_START_RESYNCHRONIZE and vm.unsent == 0


def _taken(before, after, args, config) -> bool:
    return True


def resync_completion_resets_recovery_points(before, after, args, config) -> bool:
    """After a resync the recovery points are built up again (REQ-20)."""
    vm = after.vms[args.vm]
    return not vm.older_points and vm.unsent == 0


def resume_after_error_keeps_pending_logs(before, after, args, config) -> bool:
    """Resuming after a fixed non-recoverable error continues from the pending logs, no resync (REQ-21)."""
    b, a = before.vms[args.vm], after.vms[args.vm]
    return b.phase is not ReplicationPhase.ERROR or (a.phase is ReplicationPhase.REPLICATING and a.unsent == b.unsent)


def _resumed_from_error_with_pending_log(before, after, args, config) -> bool:
    b = before.vms[args.vm]
    return b.phase is ReplicationPhase.ERROR and b.unsent > 0


def writes_are_tracked_while_replication_runs(before, after, args, config) -> bool:
    """Every guest write in a tracking phase, a resync's included, reaches the log (REQ-08, 16)."""
    b, a = before.vms[args.vm], after.vms[args.vm]
    if b.phase not in TRACKING_PHASES or b.unsent >= config.bounds.log_threshold:
        return True
    return a.unsent == b.unsent + 1


def _write_during_resync(before, after, args, config) -> bool:
    return before.vms[args.vm].phase in RESYNC_PHASES


def _churn_while_replicating(before, after, args, config) -> bool:
    return before.vms[args.vm].phase is ReplicationPhase.REPLICATING


def offline_vhd_change_requires_resync(before, after, args, config) -> bool:
    """A VHD changed while tracking was off makes the logs useless: a resync is required (REQ-16)."""
    vm = after.vms[args.vm]
    return vm.phase is ReplicationPhase.WAITING_FOR_START_RESYNCHRONIZE and vm.unsent == 0


def manual_resync_policy_waits_for_operator(before, after, args, config) -> bool:
    """Under a manual policy a required resync starts only when an operator starts it (REQ-18).

    A claim over every step from a state where a resync waits: whatever fires, a waiting VM
    that is resynchronizing after it was started by start_resynchronization on that VM.
    """
    for i, (b, a) in enumerate(zip(before.vms, after.vms)):
        if (b.phase is ReplicationPhase.WAITING_FOR_START_RESYNCHRONIZE and a.phase is ReplicationPhase.RESYNCHRONIZING
                and not (args.event == "start_resynchronization" and args.vm == i)):
            return False
    return True


def _resync_waits(w, config) -> bool:
    return any(vm.phase is ReplicationPhase.WAITING_FOR_START_RESYNCHRONIZE for vm in w.vms)


def _operator_starts_resync(before, after, args, config) -> bool:
    return True


_manual_policy = when(lambda c: c.policy.resynchronization == "manual",
                      "the policy lets the engine start a resync (resynchronization is not manual)")


def held_logs_only_during_offline_initial_replication(w, config) -> bool:
    """Deltas held on the replica exist only until the import merges them (REQ-09)."""
    return all(vm.phase is IR for vm in w.vms if vm.held_logs)


def _logs_held(w, config) -> bool:
    return any(vm.held_logs for vm in w.vms)


_RESYNC_FAULTS = ("site_outage", "host_crash", "non_recoverable_error", "log_corruption")


def _resync_can_start(config) -> bool:
    """An established relationship can need a resync: logs overflow (writes) or a fault."""
    return takes_event("guest_write")(config) or any(f in config.faults for f in _RESYNC_FAULTS)


_resync_can_start = when(_resync_can_start, "no VM takes guest writes and no fault can force a resync")


PROPERTIES = (
    Always("one_disk_copied_at_a_time", ("REQ-08",),
           "Initial replication copies the VHDs of a VM one at a time.",
           one_disk_copied_at_a_time, witness="disk_copied_while_another_waits"),
    Sometimes("disk_copied_while_another_waits", ("REQ-08",),
              "A VM with several disks is seen copying one after another is done.",
              _disk_copied_while_another_waits, applies=takes_event("enable_protection", min_disks=2)),
    Always("protected_only_after_initial_replication", ("REQ-06", "REQ-08"),
           "Protection is finalized (the VM failover-ready) only after initial replication copied every disk.",
           protected_only_after_initial_replication, witness="snapshot_held"),
    Always("snapshot_exactly_during_initial_replication", ("REQ-08",),
           "A VM's snapshot exists exactly while its initial replication is in progress.",
           snapshot_exactly_during_initial_replication, witness="snapshot_held"),
    Sometimes("snapshot_held", ("REQ-08",), "Initial replication does take a snapshot.", _snapshot_held,
              applies=takes_event("enable_protection")),
    AlwaysStep("no_test_or_planned_failover_during_resync", ("REQ-19",),
               "Test failover and planned failover are refused during resynchronization.",
               frozenset({"test_failover", "planned_failover"}), no_test_or_planned_failover_during_resync,
               witness="unplanned_failover_cancels_resync"),
    SometimesStep("unplanned_failover_cancels_resync", ("REQ-19",),
                  "Unplanned failover is allowed during resynchronization and cancels it.",
                  frozenset({"unplanned_failover"}), _unplanned_failover_cancels_resync,
                  applies=_resync_can_start),
    AlwaysStep("cancelled_resync_is_required_again", ("REQ-19",),
               "Cancelling a resynchronization returns the VM to waiting for one (resync required).",
               frozenset({"cancel_resynchronization"}), cancelled_resync_is_required_again,
               witness="resync_cancelled"),
    SometimesStep("resync_cancelled", ("REQ-19",), "A resynchronization is cancelled.",
                  frozenset({"cancel_resynchronization"}), _taken,
                  applies=takes_event("cancel_resynchronization") & _resync_can_start),
    AlwaysStep("resync_completion_resets_recovery_points", ("REQ-20",),
               "Completing a resync leaves no older recovery point and nothing unsent.",
               frozenset({"complete_resynchronization"}), resync_completion_resets_recovery_points,
               witness="unplanned_failover_cancels_resync"),
    AlwaysStep("resume_after_error_keeps_pending_logs", ("REQ-21",),
               "Resuming after a non-recoverable error continues from the pending logs, with no resync.",
               frozenset({"resume_replication"}), resume_after_error_keeps_pending_logs,
               witness="resumed_from_error_with_pending_log"),
    SometimesStep("resumed_from_error_with_pending_log", ("REQ-21",),
                  "Replication is resumed from Error with a log pending.", frozenset({"resume_replication"}),
                  _resumed_from_error_with_pending_log,
                  applies=has_fault("non_recoverable_error") & takes_event("guest_write")),
    AlwaysStep("writes_are_tracked_while_replication_runs", ("REQ-08", "REQ-16"),
               "Every guest write in a tracking phase, a resync's included, goes to the replication log.",
               frozenset({"guest_write"}), writes_are_tracked_while_replication_runs,
               witness="write_tracked_during_resync"),
    SometimesStep("write_tracked_during_resync", ("REQ-16",), "The guest writes while a resync runs.",
                  frozenset({"guest_write"}), _write_during_resync,
                  applies=takes_event("guest_write") & _resync_can_start),
    SometimesStep("churn_forces_resync_while_replicating", ("REQ-16",),
                  "Writes faster than the link fill the log past the limit while replicating: resync.",
                  frozenset({"logs_exceed_threshold"}), _churn_while_replicating,
                  applies=takes_event("guest_write")),
    AlwaysStep("offline_vhd_change_requires_resync", ("REQ-16",),
               "A VHD changed while tracking was off leaves the VM waiting for a resync, its logs dropped.",
               frozenset({"vhd_changed_offline"}), offline_vhd_change_requires_resync,
               witness="churn_forces_resync_while_replicating"),
    AlwaysStep("manual_resync_policy_waits_for_operator", ("REQ-18",),
               "Under a manual policy a required resync starts only when an operator starts it.",
               frozenset(EVENTS), manual_resync_policy_waits_for_operator, witness="operator_starts_resync",
               when=_resync_waits, applies=_manual_policy),
    SometimesStep("operator_starts_resync", ("REQ-18",),
                  "Under a manual policy an operator starts a required resync.",
                  frozenset({"start_resynchronization"}), _operator_starts_resync, applies=_manual_policy),
    Always("held_logs_only_during_offline_initial_replication", ("REQ-09",),
           "Deltas sent during an offline initial replication are held only until the import merges them.",
           held_logs_only_during_offline_initial_replication, witness="logs_held_until_import"),
    Sometimes("logs_held_until_import", ("REQ-09",), "A delta is held on the replica before the import.",
              _logs_held, applies=when(lambda c: c.policy.initial_replication == "offline",
                                       "the policy's initial replication is not offline")
              & takes_event("guest_write") & takes_event("enable_protection")),
)
