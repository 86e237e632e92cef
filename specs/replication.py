"""Initial replication, delta replication and resynchronization (REQ-08..20).

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.hyperv.state import initial_world
>>> cfg = load_config("default")
>>> one_disk_copied_at_a_time(initial_world(cfg), cfg), snapshot_exactly_during_initial_replication(initial_world(cfg), cfg)
(True, True)
"""
from __future__ import annotations

from hvr_model.hyperv.protocol.replication import DiskCopy, ReplicationPhase, RESYNC_PHASES

from hvr_model.checker.properties import Always, AlwaysStep, Sometimes, SometimesStep

from .applicability import takes_event

__all__ = ["one_disk_copied_at_a_time", "snapshot_exactly_during_initial_replication", "PROPERTIES"]

IR = ReplicationPhase.INITIAL_REPLICATION_IN_PROGRESS


def one_disk_copied_at_a_time(w, config) -> bool:
    """Initial replication copies a VM's disks one at a time (REQ-08)."""
    return all(vm.disks.count(DiskCopy.COPYING) <= 1 for vm in w.vms)


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


def resync_completion_resets_recovery_points(before, after, args, config) -> bool:
    """After a resync the recovery points are built up again (REQ-20)."""
    vm = after.vms[args.vm]
    return not vm.older_points and vm.unsent == 0


_RESYNC_FAULTS = ("site_outage", "host_crash", "non_recoverable_error", "log_corruption")


def _resync_can_start(config) -> bool:
    """An established relationship can need a resync: logs overflow (writes) or a fault."""
    return takes_event("guest_write")(config) or any(f in config.faults for f in _RESYNC_FAULTS)


PROPERTIES = (
    Always("one_disk_copied_at_a_time", ("REQ-08",),
           "Initial replication copies the VHDs of a VM one at a time.",
           one_disk_copied_at_a_time, witness="disk_copied_while_another_waits"),
    Sometimes("disk_copied_while_another_waits", ("REQ-08",),
              "A VM with several disks is seen copying one after another is done.",
              _disk_copied_while_another_waits, applies=takes_event("enable_protection", min_disks=2)),
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
    AlwaysStep("resync_completion_resets_recovery_points", ("REQ-20",),
               "Completing a resync leaves no older recovery point and nothing unsent.",
               frozenset({"complete_resynchronization"}), resync_completion_resets_recovery_points,
               witness="unplanned_failover_cancels_resync"),
)
