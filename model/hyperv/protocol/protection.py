"""VM protection state, as Azure Site Recovery sees it (REQ-05..07, 23..30).

ASR does not publish its protection-state names for VMM-to-VMM replication, so
these are the model's own (a *model decision*), each mapped to the Hyper-V
``ReplicationState`` the replica VM shows in that state
(:data:`HYPERV_REPLICATION_STATE`).

>>> ProtectionState.PROTECTED.value
'Protected'
>>> HYPERV_REPLICATION_STATE["UnplannedFailoverPendingCommit"]
'FailedOverWaitingCompletion'
"""
from enum import StrEnum

from ...checker.tables import MachineSpec, transition as t

__all__ = ["ProtectionState", "PROTECTION", "HYPERV_REPLICATION_STATE", "PENDING_COMMIT", "COMMITTED"]


class ProtectionState(StrEnum):
    UNPROTECTED = "Unprotected"
    ENABLING_PROTECTION = "EnablingProtection"
    PROTECTED = "Protected"
    PLANNED_FAILOVER_PENDING_COMMIT = "PlannedFailoverPendingCommit"
    UNPLANNED_FAILOVER_PENDING_COMMIT = "UnplannedFailoverPendingCommit"
    PLANNED_FAILOVER_COMMITTED = "PlannedFailoverCommitted"
    UNPLANNED_FAILOVER_COMMITTED = "UnplannedFailoverCommitted"


P = ProtectionState
PENDING_COMMIT = frozenset({P.PLANNED_FAILOVER_PENDING_COMMIT, P.UNPLANNED_FAILOVER_PENDING_COMMIT})
COMMITTED = frozenset({P.PLANNED_FAILOVER_COMMITTED, P.UNPLANNED_FAILOVER_COMMITTED})

HYPERV_REPLICATION_STATE = {
    "Unprotected": "Disabled",
    "EnablingProtection": "ReadyForInitialReplication / WaitingForInitialReplication / InitialReplicationInProgress",
    "Protected": "Replicating (or Suspended, Error, Resynchronizing... as the replication phase says)",
    "PlannedFailoverPendingCommit": "FailedOverWaitingCompletion",
    "UnplannedFailoverPendingCommit": "FailedOverWaitingCompletion",
    "PlannedFailoverCommitted": "FailedOver",
    "UnplannedFailoverCommitted": "FailedOver",
}

_ORCHESTRATE = ["vault_reachable"]
_UNPLANNED = _ORCHESTRATE + ["replica_vmm_up", "replica_host_up", "no_test_failover", "replica_has_consistent_point",
                             "plan_permits_failover"]
#: A job that started: the vault took it and nothing else holds the VM (REQ-38).
_JOB_STARTED = _ORCHESTRATE + ["no_test_failover", "vm_not_locked_by_plan"]
_UNPROTECT = ["remove_relationship"]

TRANSITIONS = (
    t("enable_protection", P.UNPROTECTED, P.ENABLING_PROTECTION,
      _ORCHESTRATE + ["both_vmm_servers_up", "replication_path_up", "vm_not_locked_by_plan"]),
    # REQ-38: enabling can fail (authentication, authorization, certificate): still unprotected.
    t("enable_protection_failed", P.UNPROTECTED, "=", _ORCHESTRATE + ["vm_not_locked_by_plan"]),
    t("finalize_protection", P.ENABLING_PROTECTION, P.PROTECTED,
      _ORCHESTRATE + ["source_vmm_up", "initial_replication_complete"]),
    t("disable_protection", [P.ENABLING_PROTECTION, P.PROTECTED, P.PLANNED_FAILOVER_COMMITTED,
                             P.UNPLANNED_FAILOVER_COMMITTED], P.UNPROTECTED,
      _ORCHESTRATE + ["source_vmm_up", "no_test_failover", "vm_not_locked_by_plan"],
      after=_UNPROTECT),
    # REQ-24: the ASR job shuts the source down itself, sends the last log, fails over.
    t("planned_failover", P.PROTECTED, P.PLANNED_FAILOVER_PENDING_COMMIT,
      _ORCHESTRATE + ["both_vmm_servers_up", "replication_path_up", "log_closed_cleanly",
                      "no_test_failover", "plan_permits_failover"],
      after=["shut_down_old_source", "ship_final_log", "fail_over_to_replica"]),
    # Hyper-V's own planned failover, after the prepare on the primary (REQ-24).
    t("planned_failover_on_replica", P.PROTECTED, P.PLANNED_FAILOVER_PENDING_COMMIT,
      ["replica_host_up", "no_test_failover", "vm_not_locked_by_plan"], after=["fail_over_to_replica"]),
    # REQ-25: from what was replicated; with "shut down source and synchronize" nothing is lost
    # when the primary is reachable. Never two live copies: a source that runs must be shut down.
    t("unplanned_failover", P.PROTECTED, P.UNPLANNED_FAILOVER_PENDING_COMMIT,
      _UNPLANNED + ["without_source_shutdown", "source_vm_off"], after=["fail_over_to_replica"]),
    t("unplanned_failover", P.PROTECTED, P.UNPLANNED_FAILOVER_PENDING_COMMIT,
      _UNPLANNED + ["with_source_shutdown", "source_vm_off_or_reachable"],
      after=["shut_down_and_synchronize", "fail_over_to_replica"]),
    # REQ-24, 38: a failover job that fails changes nothing.
    t("planned_failover_failed", P.PROTECTED, "=", _JOB_STARTED),
    t("unplanned_failover_failed", P.PROTECTED, "=", _JOB_STARTED),
    # REQ-30 a: a cancelled failover job leaves the VM unprotected (the planned job had shut the
    # source down first).
    t("planned_failover_cancelled", P.PROTECTED, P.UNPROTECTED,
      _JOB_STARTED + ["both_vmm_servers_up", "source_host_up"], after=["shut_down_workload"] + _UNPROTECT),
    t("unplanned_failover_cancelled", P.PROTECTED, P.UNPROTECTED,
      _JOB_STARTED + ["replica_vmm_up", "replica_host_up"], after=_UNPROTECT),
    t("change_recovery_point", P.UNPLANNED_FAILOVER_PENDING_COMMIT, "=",
      _ORCHESTRATE + ["source_vmm_up", "older_recovery_point_exists", "vm_not_locked_by_plan"],
      after=["select_other_recovery_point"]),
    t("commit", [P.PLANNED_FAILOVER_PENDING_COMMIT], P.PLANNED_FAILOVER_COMMITTED,
      _ORCHESTRATE + ["source_vmm_up", "vm_not_locked_by_plan"],
      after=["keep_chosen_recovery_point", "serve_booted_workload", "drop_old_source_log", "commit_data"]),
    t("commit", [P.UNPLANNED_FAILOVER_PENDING_COMMIT], P.UNPLANNED_FAILOVER_COMMITTED,
      _ORCHESTRATE + ["source_vmm_up", "vm_not_locked_by_plan"],
      after=["keep_chosen_recovery_point", "serve_booted_workload", "drop_old_source_log", "commit_data"]),
    # REQ-30 b: Hyper-V's Cancel Failover on the replica host alone; the relationship and the
    # recovery points stay, so the VM can fail over again (to another point, too).
    t("cancel_failover", [P.PLANNED_FAILOVER_PENDING_COMMIT, P.UNPLANNED_FAILOVER_PENDING_COMMIT],
      P.PROTECTED, ["active_host_up", "vm_not_locked_by_plan"],
      after=["power_off_failed_over_vm", "discard_failover_point", "cancel_failover_data"]),
    t("reverse_replicate", [P.PLANNED_FAILOVER_COMMITTED, P.UNPLANNED_FAILOVER_COMMITTED], P.PROTECTED,
      _ORCHESTRATE + ["both_vmm_servers_up", "replication_path_up", "vm_not_locked_by_plan"],
      after=["reverse_replicate_data"]),
)

PROTECTION = MachineSpec(
    name="protection", states=ProtectionState, initial=P.UNPROTECTED, transitions=TRANSITIONS,
    scope="vm", field="protection", system_names=HYPERV_REPLICATION_STATE,
    doc="ASR protection state of one VM: enable, failover, commit, reverse replication.")
