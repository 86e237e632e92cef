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
from hvr_model.hyperv.events import EVENTS
from hvr_model.hyperv.protocol.vm_role import VmPower
from hvr_model.hyperv.views import host_up, replica_site, replication_mode, runs_at_source

from hvr_model.checker.properties import Always, AlwaysStep, Sometimes, SometimesStep

from .applicability import has_fault, takes_event

__all__ = ["workload_serves_from_replica_only_after_commit", "unplanned_failover_leaves_vm_unprotected",
           "planned_failover_leaves_vm_protected", "prepared_primary_stays_off", "commit_is_final", "PROPERTIES"]

_FAILED_JOBS = frozenset({"enable_protection_failed", "planned_failover_failed", "unplanned_failover_failed"})
_CANCELLED_JOBS = frozenset({"planned_failover_cancelled", "unplanned_failover_cancelled"})


def _any_event(events):
    """Applicability: some VM takes one of ``events``."""
    tests = [takes_event(e) for e in sorted(events)]
    combined = tests[0]
    for test in tests[1:]:
        combined = combined | test
    return combined

P = ProtectionState
_PLANNED = (P.PLANNED_FAILOVER_PENDING_COMMIT, P.PLANNED_FAILOVER_COMMITTED)
_UNPLANNED = (P.UNPLANNED_FAILOVER_PENDING_COMMIT, P.UNPLANNED_FAILOVER_COMMITTED)


def workload_serves_from_replica_only_after_commit(w, config) -> bool:
    """A failed-over VM serves its workload only once the failover is committed (REQ-27)."""
    return all(VmPower.SERVING not in vm.power for vm in w.vms if vm.protection in PENDING_COMMIT)


def _replica_booted_before_commit(w, config) -> bool:
    return any(vm.protection in PENDING_COMMIT and VmPower.BOOTED in vm.power for vm in w.vms)


def unplanned_failover_leaves_vm_unprotected(w, config) -> bool:
    """After an unplanned failover nothing replicates and no site holds a replica (REQ-26).

    The old primary's pending log is kept until commit (a Cancel Failover resumes from it,
    REQ-30 b), but nothing sends it.
    """
    return all(vm.phase is ReplicationPhase.DISABLED
               and replication_mode(w, i, replica_site(vm)) == "None"
               for i, vm in enumerate(w.vms) if vm.protection in _UNPLANNED)


def planned_failover_leaves_vm_protected(w, config) -> bool:
    """After a planned failover nothing was left unsent, and the old primary awaits reverse replication."""
    return all(vm.unsent == 0 and not vm.unclosed_log and replication_mode(w, i, replica_site(vm)) == "Primary"
               for i, vm in enumerate(w.vms) if vm.protection in _PLANNED)


def _failed_over(kind):
    return lambda w, config: any(vm.protection in kind for vm in w.vms)


def planned_failover_leaves_source_shut_down(before, after, args, config) -> bool:
    """After a planned failover, ASR's job or Hyper-V's, the old source VM is off (REQ-24)."""
    vm = after.vms[args.vm]
    return vm.power[replica_site(vm)] is VmPower.OFF


def _planned_failover_of_running_source(before, after, args, config) -> bool:
    return runs_at_source(before.vms[args.vm])


def prepared_primary_stays_off(w, config) -> bool:
    """A primary prepared for Hyper-V's planned failover does not run (REQ-24)."""
    return not any(runs_at_source(vm) for vm in w.vms if vm.phase is ReplicationPhase.PREPARED_FOR_FAILOVER)


def _prepared(w, config) -> bool:
    return any(vm.phase is ReplicationPhase.PREPARED_FOR_FAILOVER for vm in w.vms)


def failed_job_changes_nothing(before, after, args, config) -> bool:
    """A failover or enable job that fails leaves the state as it was (REQ-24, REQ-38)."""
    return before == after


def _taken(before, after, args, config) -> bool:
    return True


def cancelled_failover_job_leaves_vm_unprotected(before, after, args, config) -> bool:
    """A failover job cancelled while it runs leaves the VM unprotected (REQ-30 a)."""
    vm = after.vms[args.vm]
    return (vm.protection is P.UNPROTECTED and vm.phase is ReplicationPhase.DISABLED
            and vm.active is before.vms[args.vm].active
            and all(replication_mode(after, args.vm, s) == "None" for s in (0, 1)))


def cancel_failover_keeps_relationship(before, after, args, config) -> bool:
    """Hyper-V's Cancel Failover: the original primary is the source again, the relationship and
    the recovery points stay, the failed-over copy is off (REQ-30 b)."""
    b, a = before.vms[args.vm], after.vms[args.vm]
    return (a.protection is P.PROTECTED and a.active is not b.active and a.phase is not ReplicationPhase.DISABLED
            and a.older_points == b.older_points and a.power[replica_site(a)] is VmPower.OFF)


def _cancel_while_primary_down(before, after, args, config) -> bool:
    return not host_up(before, replica_site(before.vms[args.vm]))


def reverse_replication_after_commit_keeps_active_site(before, after, args, config) -> bool:
    """Reverse replication follows a commit, needs the other site up, and keeps the active site (REQ-28)."""
    vm = before.vms[args.vm]
    other_up = host_up(before, replica_site(vm)) and before.network is NetworkStatus.CONNECTED
    return vm.protection in COMMITTED and other_up and after.vms[args.vm].active is vm.active


def drill_leaves_production_untouched(before, after, args, config) -> bool:
    """A test failover or its cleanup changes nothing of the VM but its drill (REQ-31).

    Production keeps running where it runs, protection and replication go on, nothing
    unsent is dropped: the test VM is a separate copy on the replica site.
    """
    return after.vms[args.vm]._replace(test=before.vms[args.vm].test) == before.vms[args.vm]


def _drill_while_production_runs(before, after, args, config) -> bool:
    return runs_at_source(before.vms[args.vm])


#: The only ways out of a committed failover (REQ-27, 28, 07): reverse replication makes the VM
#: protected from the site it now runs on; disabling protection removes the relationship. A later
#: failover back starts from Protected, so it needs a reverse replication first.
_LEAVE_COMMITTED = frozenset({"reverse_replicate", "disable_protection"})


def _some_vm_committed(w, config) -> bool:
    return any(vm.protection in COMMITTED for vm in w.vms)


def commit_is_final(before, after, args, config) -> bool:
    """A committed failover cannot be undone (REQ-27).

    On any step, a VM whose failover was committed stays committed and active where it is,
    except that reverse replication or disabling protection, on that VM, end the commit
    without moving its active site.
    """
    for i, (b, a) in enumerate(zip(before.vms, after.vms)):
        if b.protection not in COMMITTED:
            continue
        if a.active is not b.active:
            return False
        if a.protection is not b.protection and not (args.vm == i and args.event in _LEAVE_COMMITTED):
            return False
    return True


def _other_step_on_committed_vm(before, after, args, config) -> bool:
    return (args.vm is not None and before.vms[args.vm].protection in COMMITTED
            and args.event not in _LEAVE_COMMITTED)


def reverse_replication_syncs_as_the_failover_requires(before, after, args, config) -> bool:
    """After an unplanned failover the sides diverged: reverse replication starts a comparison-based
    resync; after a planned one they are equal and it replicates deltas at once (REQ-28)."""
    phase = after.vms[args.vm].phase
    if before.vms[args.vm].protection in _UNPLANNED:
        return phase is ReplicationPhase.RESYNCHRONIZING
    return phase is ReplicationPhase.REPLICATING


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
              _failed_over(_UNPLANNED), applies=takes_event("unplanned_failover")),
    Always("planned_failover_leaves_vm_protected", ("REQ-24", "REQ-26"),
           "After a planned failover no change is lost and the old primary is ready to replicate back.",
           planned_failover_leaves_vm_protected, witness="planned_failover_happens"),
    Sometimes("planned_failover_happens", ("REQ-24",), "Some VM fails over planned.", _failed_over(_PLANNED)),
    AlwaysStep("planned_failover_leaves_source_shut_down", ("REQ-24",),
               "After a planned failover (the ASR job or Hyper-V's own) the old source VM is off.",
               frozenset({"planned_failover", "planned_failover_on_replica"}),
               planned_failover_leaves_source_shut_down, witness="planned_failover_job_shuts_source_down"),
    SometimesStep("planned_failover_job_shuts_source_down", ("REQ-24",),
                  "The ASR planned failover job is started with the source VM running.",
                  frozenset({"planned_failover"}), _planned_failover_of_running_source,
                  applies=takes_event("planned_failover")),
    Always("prepared_primary_stays_off", ("REQ-24",),
           "A primary prepared for Hyper-V's planned failover stays off until the failover or a cancel.",
           prepared_primary_stays_off, witness="primary_prepared_for_failover"),
    Sometimes("primary_prepared_for_failover", ("REQ-24",), "Hyper-V's prepare step is taken on a primary.",
              _prepared, applies=takes_event("prepare_planned_failover")),
    AlwaysStep("failed_job_changes_nothing", ("REQ-24", "REQ-38"),
               "An enable or failover job that fails leaves everything as it was.",
               _FAILED_JOBS, failed_job_changes_nothing, witness="job_fails"),
    SometimesStep("job_fails", ("REQ-38",), "Some job ends Failed.", _FAILED_JOBS, _taken,
                  applies=_any_event(_FAILED_JOBS)),
    AlwaysStep("cancelled_failover_job_leaves_vm_unprotected", ("REQ-30",),
               "A failover job cancelled while it runs leaves the VM unprotected where it was.",
               _CANCELLED_JOBS, cancelled_failover_job_leaves_vm_unprotected, witness="failover_job_cancelled"),
    SometimesStep("failover_job_cancelled", ("REQ-30",), "Some failover job is cancelled.", _CANCELLED_JOBS,
                  _taken, applies=_any_event(_CANCELLED_JOBS)),
    AlwaysStep("cancel_failover_keeps_relationship", ("REQ-30",),
               "Cancel Failover returns the VM to its primary with the relationship and recovery points kept.",
               frozenset({"cancel_failover"}), cancel_failover_keeps_relationship,
               witness="cancel_failover_while_primary_down"),
    SometimesStep("cancel_failover_while_primary_down", ("REQ-30",),
                  "Cancel Failover is taken while the primary's host is down.",
                  frozenset({"cancel_failover"}), _cancel_while_primary_down,
                  applies=takes_event("cancel_failover") & (has_fault("site_outage") | has_fault("host_crash"))),
    AlwaysStep("reverse_replication_after_commit_keeps_active_site", ("REQ-28", "REQ-29"),
               "Reverse replication runs only after commit, with the other site up, and keeps the active site.",
               frozenset({"reverse_replicate"}), reverse_replication_after_commit_keeps_active_site,
               witness="reverse_replication_after_unplanned_failover"),
    AlwaysStep("drill_leaves_production_untouched", ("REQ-31",),
               "A test failover and its cleanup leave production, protection and replication as they were.",
               frozenset({"test_failover", "cleanup_test_failover"}), drill_leaves_production_untouched,
               witness="drill_while_production_runs"),
    SometimesStep("drill_while_production_runs", ("REQ-31",), "A test failover starts while production runs.",
                  frozenset({"test_failover"}), _drill_while_production_runs, applies=takes_event("test_failover")),
    AlwaysStep("commit_is_final", ("REQ-27", "REQ-28"),
               "A committed failover is never undone: only reverse replication or disabling protection "
               "ends it, and nothing moves the VM back to the other site before that.",
               frozenset(EVENTS), commit_is_final, witness="committed_vm_takes_other_steps", when=_some_vm_committed),
    SometimesStep("committed_vm_takes_other_steps", ("REQ-27",),
                  "A VM whose failover is committed is shut down or started again (steps that must not undo "
                  "the commit).", frozenset({"shutdown_vm", "start_vm"}), _other_step_on_committed_vm,
                  applies=takes_event("commit")),
    AlwaysStep("reverse_replication_syncs_as_the_failover_requires", ("REQ-28",),
               "Reverse replication resyncs by comparison after an unplanned failover and sends only deltas "
               "after a planned one.", frozenset({"reverse_replicate"}),
               reverse_replication_syncs_as_the_failover_requires,
               witness="reverse_replication_after_unplanned_failover"),
    SometimesStep("reverse_replication_after_unplanned_failover", ("REQ-28",),
                  "Reverse replication happens after an unplanned failover (with a resync).",
                  frozenset({"reverse_replicate"}), _reverse_after_unplanned,
                  applies=takes_event("unplanned_failover") & takes_event("reverse_replicate")),
)
