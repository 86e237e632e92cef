"""Mutants of the behaviour the real system shows (REQ-09, 16, 18, 21, 22, 24, 25, 30, 38).

Each undoes one piece of fidelity (often the model's own earlier behaviour, which
disagreed with Microsoft's documents and operators' reports) and names the
property that must catch it.
"""
from __future__ import annotations

from ..checker.mutation import add_effect, change_rows, drop_effect, drop_guard, replace_effect
from .protocol.protection import ProtectionState as _P
from .protocol.replication import ReplicationPhase as _R
from .effects import _shut_down
from .views import replica_site
from .mutant_catalogue import register as _register

__all__: list[str] = []


def _shut_down_only(effects, w, a):
    """Broken option: the source is shut down but what it had not sent is never synchronized."""
    return _shut_down(w, a, replica_site(w.vms[a.vm]))


_register("planned_failover_job_leaves_source_running",
          "The ASR planned failover job fails over without shutting the source VM down.",
          "planned_failover_leaves_source_shut_down",
          drop_effect("protection", "planned_failover", "shut_down_old_source"))
_register("prepare_with_source_running",
          "Hyper-V's prepare for planned failover does not need the primary VM off.",
          "prepared_primary_stays_off", drop_guard("replication", "prepare_planned_failover", "source_vm_off"))
_register("start_prepared_primary",
          "A primary prepared for Hyper-V's planned failover can be started again.",
          "prepared_primary_stays_off", drop_guard("vm_role", "start_vm", "not_prepared_for_failover"))
_register("failed_job_shuts_source_down",
          "A planned failover job that fails has already shut the source VM down.",
          "failed_job_changes_nothing", add_effect("protection", "planned_failover_failed", "shut_down_workload"))
_register("cancelled_job_keeps_protection",
          "A cancelled failover job leaves the VM shown as protected although replication stopped.",
          "cancelled_failover_job_leaves_vm_unprotected",
          change_rows("protection", ("planned_failover_cancelled", "unplanned_failover_cancelled"),
                      lambda r: {**r, "dest": _P.PROTECTED}))
_register("cancel_failover_unprotects",
          "Cancel Failover removes the replication relationship (the model's behaviour before REQ-30 b).",
          "cancel_failover_keeps_relationship",
          change_rows("protection", ("cancel_failover",), lambda r: {**r, "dest": _P.UNPROTECTED}))
_register("resume_after_error_resyncs",
          "Resuming after a fixed error drops the pending logs and forces a resync (before REQ-21's revision).",
          "resume_after_error_keeps_pending_logs",
          change_rows("replication", ("resume_replication",),
                      lambda r: {**r, "dest": _R.WAITING_FOR_START_RESYNCHRONIZE, "after": ["discard_logs"]}
                      if _R.ERROR in r["source"] else r), config="single_vm_faults")
_register("writes_not_tracked",
          "Guest writes do not reach the replication log (a resync's writes are lost to the next one).",
          "writes_are_tracked_while_replication_runs", drop_effect("replication", "guest_write", "append_to_log"))
_register("offline_vhd_change_ignored",
          "A VHD changed while tracking was off goes unnoticed: replication goes on from the old log.",
          "offline_vhd_change_requires_resync",
          change_rows("replication", ("vhd_changed_offline",), lambda r: {**r, "dest": "=", "after": []}),
          config="single_vm_faults")
_register("automatic_resync_under_manual_policy",
          "The engine starts a resync itself although the replication settings say manual.",
          "manual_resync_policy_waits_for_operator",
          drop_guard("replication", "auto_start_resynchronization", "automatic_resynchronization"))
_register("import_forgets_held_logs",
          "The import of an offline initial replication leaves the held deltas unmerged.",
          "held_logs_only_during_offline_initial_replication",
          drop_effect("replication", "complete_initial_replication", "merge_held_logs"),
          config="offline_initial_replication")
_register("window_cleared_on_recovery",
          "Health forgets a missed cycle as soon as replication recovers (before REQ-22's revision).",
          "warning_outlives_missed_cycle",
          add_effect("replication", "retry_replication", "reset_statistics"), config="two_site_outages")
_register("shutdown_option_skips_synchronization",
          "'Shut down source and synchronize' shuts the source down but does not send its last changes.",
          "shutdown_and_synchronize_loses_nothing",
          replace_effect("protection", "unplanned_failover", "shut_down_and_synchronize", "shut_down_only",
                         _shut_down_only), config="data_single_vm")
