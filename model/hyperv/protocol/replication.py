"""Replication phase of one VM, as the Hyper-V Replica engine runs it (REQ-08..22).

State names are Hyper-V's ``ReplicationState`` values where one exists; the two
error states split Hyper-V's ``Error`` into the recoverable case (retried with
back-off, REQ-21) and the non-recoverable one (an administrator must act).
Health (Normal/Warning/Critical) is derived, see :func:`replication_health`.

>>> ReplicationPhase.REPLICATING.value
'Replicating'
>>> retry_delay_minutes(0), retry_delay_minutes(4), retry_delay_minutes(9)
(1, 10, 30)
"""
from enum import StrEnum

from ...checker.tables import MachineSpec, transition as t

__all__ = ["ReplicationPhase", "DiskCopy", "Health", "REPLICATION", "TRACKING_PHASES",
           "DELTA_PHASES", "RESYNC_PHASES", "retry_delay_minutes", "RETRY_BACKOFF_MINUTES"]


class ReplicationPhase(StrEnum):
    DISABLED = "Disabled"
    READY_FOR_INITIAL_REPLICATION = "ReadyForInitialReplication"
    WAITING_FOR_INITIAL_REPLICATION = "WaitingForInitialReplication"
    INITIAL_REPLICATION_IN_PROGRESS = "InitialReplicationInProgress"
    REPLICATING = "Replicating"
    SUSPENDED = "Suspended"
    RETRYING_AFTER_ERROR = "RetryingAfterError"
    ERROR = "Error"
    WAITING_FOR_START_RESYNCHRONIZE = "WaitingForStartResynchronize"
    RESYNCHRONIZING = "Resynchronizing"
    RESYNCHRONIZE_SUSPENDED = "ResynchronizeSuspended"


class DiskCopy(StrEnum):
    """Progress of one disk during initial replication."""

    PENDING = "Pending"
    COPYING = "Copying"
    COPIED = "Copied"


class Health(StrEnum):
    NOT_APPLICABLE = "NotApplicable"   # no replication relationship
    NORMAL = "Normal"
    WARNING = "Warning"
    CRITICAL = "Critical"


R = ReplicationPhase
#: Phases in which the tracker records guest writes in the replication log.
TRACKING_PHASES = (R.INITIAL_REPLICATION_IN_PROGRESS, R.REPLICATING, R.SUSPENDED, R.RETRYING_AFTER_ERROR)
#: Phases after initial replication in which a log problem forces a resync.
DELTA_PHASES = (R.REPLICATING, R.SUSPENDED, R.RETRYING_AFTER_ERROR)
RESYNC_PHASES = (R.RESYNCHRONIZING, R.RESYNCHRONIZE_SUSPENDED)
_NOT_TRACKING = tuple(p for p in R if p not in TRACKING_PHASES)

#: REQ-21: recoverable errors are retried after 1, 2, 4, 8, 10 minutes, then every 30.
RETRY_BACKOFF_MINUTES = (1, 2, 4, 8, 10)


def retry_delay_minutes(attempt: int) -> int:
    """Minutes before retry number ``attempt`` (0-based) of a recoverable error."""
    return RETRY_BACKOFF_MINUTES[attempt] if attempt < len(RETRY_BACKOFF_MINUTES) else 30


TRANSITIONS = (
    # Enabling protection creates the relationship; the initial copy starts now
    # (online) or later (scheduled or offline, REQ-05, REQ-09).
    t("enable_protection", R.DISABLED, R.READY_FOR_INITIAL_REPLICATION, ["online_initial_replication"]),
    t("enable_protection", R.DISABLED, R.WAITING_FOR_INITIAL_REPLICATION, ["deferred_initial_replication"]),
    t("start_initial_replication", [R.READY_FOR_INITIAL_REPLICATION, R.WAITING_FOR_INITIAL_REPLICATION],
      R.INITIAL_REPLICATION_IN_PROGRESS, ["source_host_up"], after=["take_snapshot"]),
    t("begin_disk_copy", R.INITIAL_REPLICATION_IN_PROGRESS, "=",
      ["disk_pending", "no_disk_copying", "log_closed_cleanly", "copy_path_up"], after=["mark_disk_copying"]),
    t("finish_disk_copy", R.INITIAL_REPLICATION_IN_PROGRESS, "=",
      ["disk_copying", "log_closed_cleanly", "copy_path_up"], after=["mark_disk_copied"]),
    t("complete_initial_replication", R.INITIAL_REPLICATION_IN_PROGRESS, R.REPLICATING,
      ["all_disks_copied", "log_closed_cleanly", "replication_path_up"], after=["ship_logs", "delete_snapshot"]),
    # Guest writes go to the replication log while it is tracked.
    t("guest_write", list(TRACKING_PHASES), "=", ["workload_running", "write_budget_left", "log_below_limit"],
      after=["append_to_log", "write_block"]),
    # Past the modelled bound the log keeps growing, but the abstraction saturates.
    t("guest_write", list(TRACKING_PHASES), "=", ["workload_running", "write_budget_left", "log_at_limit"],
      after=["write_block"]),
    t("guest_write", list(_NOT_TRACKING), "=", ["workload_running", "write_budget_left"], after=["write_block"]),
    # Delta replication: each interval the log is switched, sent and merged (REQ-10, 11, 21).
    t("replicate_delta", R.REPLICATING, "=", ["log_pending", "log_closed_cleanly", "replication_path_up"],
      after=["ship_logs", "add_recovery_point"]),
    # An invalid log reaching the replica is refused, never applied; a resync follows (REQ-16, 37).
    t("receive_corrupted_log", R.REPLICATING, R.WAITING_FOR_START_RESYNCHRONIZE,
      ["log_pending", "log_closed_cleanly", "replication_path_up"],
      after=["deliver_corrupted_log", "discard_logs", "reset_retries"]),
    t("replication_fails", R.REPLICATING, R.RETRYING_AFTER_ERROR, ["log_pending", "replication_path_down"],
      after=["reset_retries"]),
    t("retry_replication", R.RETRYING_AFTER_ERROR, R.REPLICATING, ["log_closed_cleanly", "replication_path_up"],
      after=["ship_logs", "add_recovery_point", "reset_retries"]),
    t("retry_replication", R.RETRYING_AFTER_ERROR, "=", ["replication_path_down"], after=["back_off"]),
    t("suspend_replication", [R.REPLICATING, R.RETRYING_AFTER_ERROR], R.SUSPENDED, ["source_host_up"],
      after=["reset_retries"]),
    t("resume_replication", R.SUSPENDED, R.REPLICATING, ["source_host_up"]),
    # Conditions that force a resynchronization (REQ-16, 17).
    # Logs pile up only while they are not being sent (suspended, or retrying after an error).
    t("logs_exceed_threshold", [R.SUSPENDED, R.RETRYING_AFTER_ERROR], R.WAITING_FOR_START_RESYNCHRONIZE,
      ["log_at_limit"], after=["discard_logs", "reset_retries"]),
    t("detect_unclosed_log", list(DELTA_PHASES), R.WAITING_FOR_START_RESYNCHRONIZE,
      ["unclosed_log", "source_host_up"], after=["discard_logs", "reset_retries"]),
    # A crash during the initial copy: the copy cannot finish from an open log, a resync completes it.
    t("detect_unclosed_log", R.INITIAL_REPLICATION_IN_PROGRESS, R.WAITING_FOR_START_RESYNCHRONIZE,
      ["unclosed_log", "source_host_up"], after=["discard_logs", "delete_snapshot"]),
    t("non_recoverable_error", list(DELTA_PHASES), R.ERROR, ["source_host_up"], after=["reset_retries"]),
    t("repair_replication", R.ERROR, R.WAITING_FOR_START_RESYNCHRONIZE, ["source_host_up"],
      after=["discard_logs"]),
    # Resynchronization (REQ-18..20).
    t("start_resynchronization", R.WAITING_FOR_START_RESYNCHRONIZE, R.RESYNCHRONIZING,
      ["replication_path_up"]),
    t("suspend_resynchronization", R.RESYNCHRONIZING, R.RESYNCHRONIZE_SUSPENDED, ["source_host_up"]),
    t("resume_resynchronization", R.RESYNCHRONIZE_SUSPENDED, R.RESYNCHRONIZING, ["replication_path_up"]),
    t("cancel_resynchronization", list(RESYNC_PHASES), R.WAITING_FOR_START_RESYNCHRONIZE, ["source_host_up"]),
    t("complete_resynchronization", R.RESYNCHRONIZING, R.REPLICATING, ["replication_path_up"],
      after=["ship_logs", "reset_recovery_points", "mark_all_disks_in_sync", "resync_data"]),
    # The engine's side of ASR operations.
    t("disable_protection", list(R), R.DISABLED, [], after=["delete_snapshot", "discard_logs",
                                                            "reset_disk_copies", "reset_retries"]),
    t("planned_failover", R.REPLICATING, R.DISABLED, []),
    t("unplanned_failover", [p for p in R if p not in (R.DISABLED, R.READY_FOR_INITIAL_REPLICATION,
                                                       R.WAITING_FOR_INITIAL_REPLICATION,
                                                       R.INITIAL_REPLICATION_IN_PROGRESS)],
      R.DISABLED, [], after=["discard_logs", "reset_retries"]),
    t("reverse_replicate", R.DISABLED, R.REPLICATING, ["after_planned_failover"]),
    t("reverse_replicate", R.DISABLED, R.RESYNCHRONIZING, ["after_unplanned_failover"],
      after=["mark_replica_diverged"]),
)

REPLICATION = MachineSpec(
    name="replication", states=ReplicationPhase, initial=R.DISABLED, transitions=TRANSITIONS,
    scope="vm", field="phase",
    system_names={p.value: p.value for p in R} | {
        "RetryingAfterError": "Replicating (health Warning/Critical, retrying: no Hyper-V state of its own)",
    },
    doc="Hyper-V Replica engine for one VM: initial copy, delta cycles, resync, errors.")
