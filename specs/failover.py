"""Failover, commit and reverse replication (REQ-24..30).

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.hyperv.state import initial_world
>>> cfg = load_config("default")
>>> workload_serves_from_replica_only_after_commit(initial_world(cfg), cfg)
True
"""
from __future__ import annotations

from hvr_model.hyperv.protocol.protection import COMMITTED, PENDING_COMMIT, ProtectionState
from hvr_model.hyperv.protocol.replication import ReplicationPhase
from hvr_model.hyperv.environment import NetworkStatus
from hvr_model.hyperv.protocol.vm_role import VmPower
from hvr_model.hyperv.views import host_up, replica_site, replication_mode, source_site

from hvr_model.checker.properties import Always, AlwaysStep, Sometimes, SometimesStep

__all__ = ["workload_serves_from_replica_only_after_commit", "unplanned_failover_leaves_vm_unprotected",
           "planned_failover_leaves_vm_protected", "PROPERTIES"]

P = ProtectionState
_PLANNED = (P.PLANNED_FAILOVER_PENDING_COMMIT, P.PLANNED_FAILOVER_COMMITTED)
_UNPLANNED = (P.UNPLANNED_FAILOVER_PENDING_COMMIT, P.UNPLANNED_FAILOVER_COMMITTED)


def workload_serves_from_replica_only_after_commit(w, config) -> bool:
    """A failed-over VM serves its workload only once the failover is committed (REQ-27)."""
    return all(VmPower.SERVING not in vm.power for vm in w.vms if vm.protection in PENDING_COMMIT)


def _replica_booted_before_commit(w, config) -> bool:
    return any(vm.protection in PENDING_COMMIT and VmPower.BOOTED in vm.power for vm in w.vms)


def unplanned_failover_leaves_vm_unprotected(w, config) -> bool:
    """After an unplanned failover nothing replicates and no site holds a replica (REQ-26)."""
    return all(vm.phase is ReplicationPhase.DISABLED and vm.unsent == 0
               and replication_mode(w, i, replica_site(vm)) == "None"
               for i, vm in enumerate(w.vms) if vm.protection in _UNPLANNED)


def planned_failover_leaves_vm_protected(w, config) -> bool:
    """After a planned failover nothing was left unsent, and the old primary awaits reverse replication."""
    return all(vm.unsent == 0 and not vm.unclosed_log and replication_mode(w, i, replica_site(vm)) == "Primary"
               for i, vm in enumerate(w.vms) if vm.protection in _PLANNED)


def _failed_over(kind):
    return lambda w, config: any(vm.protection in kind for vm in w.vms)


def planned_failover_only_with_source_shut_down(before, after, args, config) -> bool:
    """Planned failover starts only once the source VM is shut down (REQ-24)."""
    vm = before.vms[args.vm]
    return vm.power[source_site(vm)] is VmPower.OFF


def reverse_replication_after_commit_keeps_active_site(before, after, args, config) -> bool:
    """Reverse replication follows a commit, needs the other site up, and keeps the active site (REQ-28)."""
    vm = before.vms[args.vm]
    other_up = host_up(before, replica_site(vm)) and before.network is NetworkStatus.CONNECTED
    return vm.protection in COMMITTED and other_up and after.vms[args.vm].active is vm.active


def _reverse_after_unplanned(before, after, args, config) -> bool:
    return before.vms[args.vm].protection is P.UNPLANNED_FAILOVER_COMMITTED


PROPERTIES = (
    Always("workload_serves_from_replica_only_after_commit", ("REQ-27",),
           "A failed-over VM is not used for production before its failover is committed.",
           workload_serves_from_replica_only_after_commit, witness="replica_booted_before_commit"),
    Sometimes("replica_booted_before_commit", ("REQ-27",),
              "A failed-over replica VM is started before commit.", _replica_booted_before_commit),
    Always("unplanned_failover_leaves_vm_unprotected", ("REQ-25", "REQ-26"),
           "After an unplanned failover the VM is not protected: nothing replicates, unsent data is gone.",
           unplanned_failover_leaves_vm_unprotected, witness="unplanned_failover_happens"),
    Sometimes("unplanned_failover_happens", ("REQ-25",), "Some VM fails over unplanned.",
              _failed_over(_UNPLANNED)),
    Always("planned_failover_leaves_vm_protected", ("REQ-24", "REQ-26"),
           "After a planned failover no change is lost and the old primary is ready to replicate back.",
           planned_failover_leaves_vm_protected, witness="planned_failover_happens"),
    Sometimes("planned_failover_happens", ("REQ-24",), "Some VM fails over planned.", _failed_over(_PLANNED)),
    AlwaysStep("planned_failover_only_with_source_shut_down", ("REQ-24",),
               "Planned failover is started only with the source VM shut down.",
               frozenset({"planned_failover"}), planned_failover_only_with_source_shut_down,
               witness="planned_failover_happens"),
    AlwaysStep("reverse_replication_after_commit_keeps_active_site", ("REQ-28", "REQ-29"),
               "Reverse replication runs only after commit, with the other site up, and keeps the active site.",
               frozenset({"reverse_replicate"}), reverse_replication_after_commit_keeps_active_site,
               witness="reverse_replication_after_unplanned_failover"),
    SometimesStep("reverse_replication_after_unplanned_failover", ("REQ-28",),
                  "Reverse replication happens after an unplanned failover (with a resync).",
                  frozenset({"reverse_replicate"}), _reverse_after_unplanned),
)
