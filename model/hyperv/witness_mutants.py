"""Mutants only a reachability witness can catch: the situation an invariant speaks of never arises.

Each ``Sometimes`` or ``SometimesStep`` witness of :mod:`hvr_model.specs` says a
situation is reached (a VM runs on the recovery site, a job ends Failed...), so
that the invariant or step claim it witnesses is not true for nothing. Each
mutant here is a bug that removes one such situation: a guard that is too
strict, a row dropped, an effect that goes to the wrong place. The witness is
then violated (not reached in a complete exploration) while the claim it
witnesses turns vacuous, by design, rather than violated: it was never
exercised. A few also fail other claims (a plan that hangs deadlocks), and the
manifest pins every claim each one violates.

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.hyperv.mutants import MUTANTS, system_for
>>> MUTANTS["jobs_never_fail"].kills
'job_fails'
>>> system = system_for(load_config("single_vm"), mutant="jobs_never_fail")
>>> sorted({event.args.event for event in system.events} & set(_FAILED_JOBS))
[]
"""
from __future__ import annotations

from ..checker.mutation import (Patch, add_guard, change_rows, drop_effect, drop_rows, remove_source,
                                replace_guard)
from .guards import Args, Guards
from .protocol.protection import COMMITTED, ProtectionState as _P
from .protocol.recovery_plan import PlanKind as _K
from .protocol.replication import RESYNC_PHASES, ReplicationPhase as _R
from .protocol.vm_role import ActiveSite as _A
from .mutant_catalogue import register as _register

__all__: list[str] = []

_FAILED_JOBS = ("enable_protection_failed", "planned_failover_failed", "unplanned_failover_failed")
_CANCELLED_JOBS = ("planned_failover_cancelled", "unplanned_failover_cancelled")


def _in_turn(*patches: Patch) -> Patch:
    """One patch applying ``patches`` in order (one bug that touches several rows or guards)."""
    def patch(variant):
        for p in patches:
            variant = p(variant)
        return variant
    return patch


def _not_committed(w, a) -> bool:
    return w.vms[a.vm].protection not in COMMITTED


def _start_unless_committed(guards, w, a) -> bool:
    """Broken lock: a committed VM is held (like a plan's) until reverse replication."""
    return Guards.plan_permits_start(guards, w, a) and _not_committed(w, a)


def _shutdown_unless_committed(guards, w, a) -> bool:
    return Guards.vm_not_locked_by_plan_unless_shutdown(guards, w, a) and _not_committed(w, a)


def _one_group_short(guards, w, a) -> bool:
    """Off by one: the last group but one counts as the last."""
    return w.plan_group < len(guards.config.plan) - 2


def _whole_plan_started(guards, w, a) -> bool:
    """Broken group completion: it waits for every machine of the plan, not only the group's."""
    if w.plan_kind is _K.TEST:
        return True
    return all(guards.workload_running(w, Args(a.event, i)) for i in guards.plan_vms)


def _without_resync_phases(row: dict) -> dict:
    return {**row, "source": [s for s in row["source"] if s not in RESYNC_PHASES]}


# -- site roles and replication (REQ-04, 08, 09, 16, 21, 22) ---------------------------------------
_register("start_offered_only_on_primary_site",
          "The start action is offered only for a VM active on its primary site: after a failover the "
          "recovery site's copy is never started.",
          "vm_runs_on_recovery_site", remove_source("vm_role", ("start_vm",), _A.RECOVERY_SITE))
_register("disk_copy_marks_every_disk_copied",
          "Finishing one disk's copy marks every disk of the VM in sync (the effect a completed resync has): "
          "the disks still pending are never copied.",
          "disk_copied_while_another_waits",
          change_rows("replication", ("finish_disk_copy",), lambda r: {**r, "after": ["mark_all_disks_in_sync"]}))
_register("initial_replication_takes_no_snapshot",
          "Initial replication copies the disks without taking the VM snapshot first.",
          "snapshot_held", drop_effect("replication", "start_initial_replication", "take_snapshot"))
_register("resume_offered_only_when_suspended",
          "Resume is offered only for a suspended replication: one in Error waits for a resync even once "
          "the cause is fixed.",
          "resumed_from_error_with_pending_log", drop_rows("replication", "resume_replication", source=_R.ERROR),
          config="single_vm_faults")
_register("guest_paused_during_resync",
          "The guest takes no writes while a resynchronization runs or is suspended (its I/O is held).",
          "write_tracked_during_resync", change_rows("replication", ("guest_write",), _without_resync_phases))
_register("offline_initial_replication_sends_no_deltas",
          "Offline initial replication sends nothing before the import: the writes wait in the log.",
          "logs_held_until_import",
          drop_rows("replication", "replicate_delta", source=_R.INITIAL_REPLICATION_IN_PROGRESS),
          config="offline_initial_replication")
_register("failed_cycle_not_counted",
          "A failed replication cycle is not recorded in the health statistics' window.",
          "missed_cycle_forgotten_with_window", drop_effect("replication", "replication_fails", "miss_cycle"),
          config="two_site_outages")

# -- failover, jobs and drills (REQ-24, 25, 27, 30, 31, 38) ----------------------------------------
_register("unplanned_failover_needs_replication_down",
          "Unplanned failover is offered only once replication has failed (the path to the replica down), "
          "not whenever the operator decides.",
          "unplanned_failover_happens", add_guard("protection", "unplanned_failover", "replication_path_down"))
_register("planned_failover_recorded_as_unplanned",
          "A planned failover (ASR's job or Hyper-V's) is recorded as an unplanned one pending commit.",
          "planned_failover_happens",
          change_rows("protection", ("planned_failover", "planned_failover_on_replica"),
                      lambda r: {**r, "dest": _P.UNPLANNED_FAILOVER_PENDING_COMMIT}))
_register("planned_failover_job_refuses_running_source",
          "The ASR planned failover job refuses a running source VM instead of shutting it down itself.",
          "planned_failover_job_shuts_source_down", add_guard("protection", "planned_failover", "source_vm_off"))
_register("prepare_leaves_primary_replicating",
          "Hyper-V's prepare sends the last log but leaves the primary Replicating, not prepared: the "
          "failover on the replica never finds it prepared.",
          "primary_prepared_for_failover",
          change_rows("replication", ("prepare_planned_failover",), lambda r: {**r, "dest": "="}))
_register("jobs_never_fail",
          "Enable and failover jobs never end Failed: an error is not reported as a job outcome.",
          "job_fails", _in_turn(*(drop_rows("protection", job) for job in _FAILED_JOBS)))
_register("failover_jobs_never_cancelled",
          "A running failover job cannot be cancelled.",
          "failover_job_cancelled",
          _in_turn(*(drop_rows(machine, job) for machine in ("protection", "replication") for job in _CANCELLED_JOBS)))
_register("cancel_failover_needs_primary_host",
          "Hyper-V's Cancel Failover also needs the primary's host up, as if it acted on both sides.",
          "cancel_failover_while_primary_down", add_guard("protection", "cancel_failover", "replica_host_up"),
          config="two_site_outages")
_register("drill_needs_production_off",
          "A test failover is refused while the production VM runs, as Hyper-V's planned failover is.",
          "drill_while_production_runs", add_guard("test_failover", "test_failover", "source_vm_off"))
_register("commit_locks_vm_until_reverse_replication",
          "A committed VM stays locked until reverse replication: it can be neither started nor shut down.",
          "committed_vm_takes_other_steps",
          _in_turn(replace_guard("plan_permits_start", _start_unless_committed),
                   replace_guard("vm_not_locked_by_plan_unless_shutdown", _shutdown_unless_committed)))

# -- recovery plans (REQ-33, 34) -------------------------------------------------------------------
_register("plan_stops_one_group_early",
          "The plan counts its groups off by one: it completes after the last group but one, never booting "
          "the last.",
          "recovery_plan_boots_last_group", replace_guard("more_groups", _one_group_short), config="two_group_plan")
_register("plan_group_waits_for_whole_plan",
          "A plan group waits until every machine of the plan has started, not only its own: the next "
          "group's machines are never let start and the plan hangs.",
          "plan_group_of_several_machines_completes", replace_guard("current_group_started", _whole_plan_started),
          config="plan_group_of_two")

# -- data configurations (REQ-13, 29, 36, 37) ------------------------------------------------------
_register("planned_failover_only_from_primary_site",
          "Planned failover is offered only from the primary site: a failback must go unplanned.",
          "failback_returns_with_data",
          remove_source("vm_role", ("planned_failover", "planned_failover_on_replica"), _A.RECOVERY_SITE),
          config="data_failback")
_register("resume_offered_only_after_error",
          "Resume is offered only for a replication in Error: a suspended one stays paused until its log "
          "overflows into a resync.",
          "replication_resumed_with_writes_made_while_paused",
          drop_rows("replication", "resume_replication", source=_R.SUSPENDED), config="data_failback")
_register("replayed_log_never_arrives",
          "The replay fault is never injected (its row is dropped): no recorded log reaches the replica "
          "again, so the generation check is never exercised where it matters.",
          "earlier_generation_log_replayed", drop_rows("replication", "receive_replayed_log"),
          config="data_replay")
_register("resync_start_refused_to_operators",
          "Start-VMResynchronization is refused: under a manual policy a required resync can never start.",
          "operator_starts_resync", drop_rows("replication", "start_resynchronization"))
