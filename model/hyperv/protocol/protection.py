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

TRANSITIONS = (
    t("enable_protection", P.UNPROTECTED, P.ENABLING_PROTECTION,
      _ORCHESTRATE + ["both_vmm_servers_up", "replication_path_up", "vm_not_locked_by_plan"]),
    t("finalize_protection", P.ENABLING_PROTECTION, P.PROTECTED,
      _ORCHESTRATE + ["source_vmm_up", "initial_replication_complete"]),
    t("disable_protection", [P.ENABLING_PROTECTION, P.PROTECTED, P.PLANNED_FAILOVER_COMMITTED,
                             P.UNPLANNED_FAILOVER_COMMITTED], P.UNPROTECTED,
      _ORCHESTRATE + ["source_vmm_up", "no_test_failover", "vm_not_locked_by_plan"],
      after=["remove_relationship"]),
    t("planned_failover", P.PROTECTED, P.PLANNED_FAILOVER_PENDING_COMMIT,
      _ORCHESTRATE + ["both_vmm_servers_up", "source_vm_off", "replication_path_up", "log_closed_cleanly",
                      "no_test_failover", "plan_permits_failover"],
      after=["ship_final_log", "fail_over_to_replica"]),
    t("unplanned_failover", P.PROTECTED, P.UNPLANNED_FAILOVER_PENDING_COMMIT,
      _ORCHESTRATE + ["replica_vmm_up", "replica_host_up", "source_vm_off", "no_test_failover",
                      "replica_has_consistent_point", "plan_permits_failover"],
      after=["discard_unsent_log", "fail_over_to_replica"]),
    t("change_recovery_point", P.UNPLANNED_FAILOVER_PENDING_COMMIT, "=",
      _ORCHESTRATE + ["source_vmm_up", "older_recovery_point_exists", "vm_not_locked_by_plan"],
      after=["select_other_recovery_point"]),
    t("commit", [P.PLANNED_FAILOVER_PENDING_COMMIT], P.PLANNED_FAILOVER_COMMITTED,
      _ORCHESTRATE + ["source_vmm_up", "vm_not_locked_by_plan"],
      after=["keep_chosen_recovery_point", "serve_booted_workload", "commit_data"]),
    t("commit", [P.UNPLANNED_FAILOVER_PENDING_COMMIT], P.UNPLANNED_FAILOVER_COMMITTED,
      _ORCHESTRATE + ["source_vmm_up", "vm_not_locked_by_plan"],
      after=["keep_chosen_recovery_point", "serve_booted_workload", "commit_data"]),
    t("cancel_failover", [P.PLANNED_FAILOVER_PENDING_COMMIT, P.UNPLANNED_FAILOVER_PENDING_COMMIT],
      P.UNPROTECTED, _ORCHESTRATE + ["source_vmm_up", "replica_vmm_up", "vm_not_locked_by_plan"],
      after=["power_off_failed_over_vm", "keep_chosen_recovery_point", "cancel_failover_data"]),
    t("reverse_replicate", [P.PLANNED_FAILOVER_COMMITTED, P.UNPLANNED_FAILOVER_COMMITTED], P.PROTECTED,
      _ORCHESTRATE + ["both_vmm_servers_up", "replication_path_up", "vm_not_locked_by_plan"],
      after=["reverse_replicate_data"]),
)

PROTECTION = MachineSpec(
    name="protection", states=ProtectionState, initial=P.UNPROTECTED, transitions=TRANSITIONS,
    scope="vm", field="protection", system_names=HYPERV_REPLICATION_STATE,
    doc="ASR protection state of one VM: enable, failover, commit, reverse replication.")
