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
    PREPARED_FOR_FAILOVER = "PreparedForFailover"
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
RESYNC_PHASES = (R.RESYNCHRONIZING, R.RESYNCHRONIZE_SUSPENDED)
#: Phases after initial replication in which writes pile up in the log until it is sent, and a
#: log problem (unclosed, past the limit) forces a resync (REQ-16, 21).
DELTA_PHASES = (R.REPLICATING, R.SUSPENDED, R.RETRYING_AFTER_ERROR, R.ERROR)
#: Phases in which the tracker records guest writes in the replication log (REQ-08, 16: writes
#: made during a resync are tracked too, so a long resync can overflow again).
TRACKING_PHASES = (R.INITIAL_REPLICATION_IN_PROGRESS, *DELTA_PHASES, *RESYNC_PHASES)
_NOT_TRACKING = tuple(p for p in R if p not in TRACKING_PHASES)
#: Phases of an established relationship (initial replication done, not failed over).
_ESTABLISHED = (*DELTA_PHASES, R.PREPARED_FOR_FAILOVER, R.WAITING_FOR_START_RESYNCHRONIZE, *RESYNC_PHASES)

#: REQ-21: recoverable errors are retried after 1, 2, 4, 8, 10 minutes, then every 30.
RETRY_BACKOFF_MINUTES = (1, 2, 4, 8, 10)


def retry_delay_minutes(attempt: int) -> int:
    """Minutes before retry number ``attempt`` (0-based) of a recoverable error."""
    return RETRY_BACKOFF_MINUTES[attempt] if attempt < len(RETRY_BACKOFF_MINUTES) else 30


_SHIP = ["log_pending", "log_closed_cleanly", "replication_path_up"]
_TO_RESYNC = ["discard_logs", "reset_retries"]
#: The relationship removed: disable protection, or a failover job cancelled after it stopped replication.
_REMOVE_RELATIONSHIP = ["delete_snapshot", "discard_logs", "reset_disk_copies", "reset_retries"]

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
      ["all_disks_copied", "log_closed_cleanly", "replication_path_up"],
      after=["merge_held_logs", "ship_logs", "delete_snapshot"]),
    # Offline initial replication: deltas go over the link from the export on; the replica holds
    # them until the import and merges them then (REQ-09).
    t("replicate_delta", R.INITIAL_REPLICATION_IN_PROGRESS, "=", ["offline_initial_replication"] + _SHIP,
      after=["hold_logs_on_replica"]),
    # Guest writes go to the replication log while it is tracked.
    t("guest_write", list(TRACKING_PHASES), "=", ["workload_running", "write_budget_left", "log_below_limit"],
      after=["append_to_log", "write_block"]),
    # Past the modelled bound the log keeps growing, but the abstraction saturates.
    t("guest_write", list(TRACKING_PHASES), "=", ["workload_running", "write_budget_left", "log_at_limit"],
      after=["write_block"]),
    t("guest_write", list(_NOT_TRACKING), "=", ["workload_running", "write_budget_left"], after=["write_block"]),
    # Delta replication: each interval the log is switched, sent and merged (REQ-10, 11, 21).
    t("replicate_delta", R.REPLICATING, "=", _SHIP, after=["ship_logs", "add_recovery_point"]),
    # An invalid log reaching the replica is refused, never applied; a resync follows (REQ-16, 37).
    t("receive_corrupted_log", R.REPLICATING, R.WAITING_FOR_START_RESYNCHRONIZE, _SHIP,
      after=["deliver_corrupted_log"] + _TO_RESYNC),
    # A recorded authentic log replayed (after a resync its ids are the ones the restarted chain
    # expects) is refused for its generation and changes nothing: no resync (REQ-36, 37).
    t("receive_replayed_log", R.REPLICATING, "=", ["replication_path_up"], after=["deliver_replayed_log"]),
    t("replication_fails", R.REPLICATING, R.RETRYING_AFTER_ERROR, ["log_pending", "replication_path_down"],
      after=["reset_retries", "miss_cycle"]),
    t("retry_replication", R.RETRYING_AFTER_ERROR, R.REPLICATING, ["log_closed_cleanly", "replication_path_up"],
      after=["ship_logs", "add_recovery_point", "reset_retries"]),
    t("retry_replication", R.RETRYING_AFTER_ERROR, "=", ["replication_path_down"], after=["back_off"]),
    t("suspend_replication", [R.REPLICATING, R.RETRYING_AFTER_ERROR], R.SUSPENDED, ["source_host_up"],
      after=["reset_retries"]),
    t("resume_replication", R.SUSPENDED, R.REPLICATING, ["source_host_up"]),
    # REQ-21: once the cause of a non-recoverable error is fixed, resuming continues from the
    # pending logs; a resync follows only if they were lost (unclosed) or grew past the limit.
    t("non_recoverable_error", [R.REPLICATING, R.SUSPENDED, R.RETRYING_AFTER_ERROR], R.ERROR,
      ["source_host_up"], after=["reset_retries"]),
    t("resume_replication", R.ERROR, R.REPLICATING, ["source_host_up", "log_closed_cleanly"]),
    # Conditions that force a resynchronization (REQ-16, 17). The log passes the limit while it is
    # not sent, and while replicating when the guest writes faster than the link takes (churn),
    # and during a resync, whose writes are tracked too.
    t("logs_exceed_threshold", [*DELTA_PHASES, *RESYNC_PHASES], R.WAITING_FOR_START_RESYNCHRONIZE,
      ["log_at_limit"], after=_TO_RESYNC),
    t("detect_unclosed_log", [*DELTA_PHASES, *RESYNC_PHASES], R.WAITING_FOR_START_RESYNCHRONIZE,
      ["unclosed_log", "source_host_up"], after=_TO_RESYNC),
    # A crash during the initial copy: the copy cannot finish from an open log, a resync completes it.
    t("detect_unclosed_log", R.INITIAL_REPLICATION_IN_PROGRESS, R.WAITING_FOR_START_RESYNCHRONIZE,
      ["unclosed_log", "source_host_up"], after=["discard_logs", "delete_snapshot"]),
    # A VHD changed while tracking was off: the log no longer describes the disk (REQ-16).
    t("vhd_changed_offline", [*DELTA_PHASES, R.PREPARED_FOR_FAILOVER], R.WAITING_FOR_START_RESYNCHRONIZE,
      ["workload_off", "source_host_up"], after=_TO_RESYNC),
    # Resynchronization (REQ-18..20): the engine starts it (automatic or scheduled policy), or an
    # operator does.
    t("auto_start_resynchronization", R.WAITING_FOR_START_RESYNCHRONIZE, R.RESYNCHRONIZING,
      ["automatic_resynchronization", "replication_path_up"]),
    t("start_resynchronization", R.WAITING_FOR_START_RESYNCHRONIZE, R.RESYNCHRONIZING,
      ["replication_path_up"]),
    t("suspend_resynchronization", R.RESYNCHRONIZING, R.RESYNCHRONIZE_SUSPENDED, ["source_host_up"]),
    t("resume_resynchronization", R.RESYNCHRONIZE_SUSPENDED, R.RESYNCHRONIZING, ["replication_path_up"]),
    t("cancel_resynchronization", list(RESYNC_PHASES), R.WAITING_FOR_START_RESYNCHRONIZE, ["source_host_up"],
      after=["discard_logs"]),
    t("complete_resynchronization", R.RESYNCHRONIZING, R.REPLICATING, ["replication_path_up"],
      after=["ship_logs", "reset_recovery_points", "mark_all_disks_in_sync", "resync_data"]),
    # Health statistics (REQ-22): a missed cycle is remembered until the window moves on or an
    # operator resets the statistics.
    t("monitoring_window_moves_on", R.REPLICATING, "=", ["cycles_missed_in_window"],
      after=["reset_statistics"]),
    t("reset_replication_statistics", list(_ESTABLISHED), "=", ["cycles_missed_in_window", "source_host_up"],
      after=["reset_statistics"]),
    # Hyper-V's own planned failover (REQ-24): the operator shuts the VM down and prepares on the
    # primary (the last log is sent), then fails over on the replica, or undoes the prepare.
    t("prepare_planned_failover", R.REPLICATING, R.PREPARED_FOR_FAILOVER,
      ["source_vm_off", "source_host_up", "log_closed_cleanly", "replication_path_up", "no_test_failover",
       "vm_not_locked_by_plan"],
      after=["ship_final_log"]),
    t("cancel_prepared_failover", R.PREPARED_FOR_FAILOVER, R.REPLICATING, ["source_host_up"]),
    t("planned_failover_on_replica", R.PREPARED_FOR_FAILOVER, R.DISABLED, [], after=["reset_statistics"]),
    # The engine's side of ASR operations.
    t("disable_protection", list(R), R.DISABLED, [], after=_REMOVE_RELATIONSHIP),
    # A failover ends the relationship's statistics: the reversed one starts its own (REQ-22).
    t("planned_failover", R.REPLICATING, R.DISABLED, [], after=["reset_statistics"]),
    # The replica fails over; the old primary keeps its pending log until commit, so a cancel
    # (REQ-30 b) resumes from it.
    t("unplanned_failover", [*DELTA_PHASES, R.PREPARED_FOR_FAILOVER], R.DISABLED, [],
      after=["reset_retries", "reset_statistics"]),
    t("unplanned_failover", [R.WAITING_FOR_START_RESYNCHRONIZE, *RESYNC_PHASES], R.DISABLED, [],
      after=["reset_retries", "reset_statistics", "note_source_needs_resync"]),
    # A cancelled failover job had stopped replication before it began (REQ-30 a).
    t("planned_failover_cancelled", R.REPLICATING, R.DISABLED, [],
      after=_REMOVE_RELATIONSHIP),
    t("unplanned_failover_cancelled", list(_ESTABLISHED), R.DISABLED, [],
      after=_REMOVE_RELATIONSHIP),
    # Hyper-V's Cancel Failover keeps the relationship: the primary replicates again (REQ-30 b).
    t("cancel_failover", R.DISABLED, R.REPLICATING, ["source_log_usable"]),
    t("cancel_failover", R.DISABLED, R.WAITING_FOR_START_RESYNCHRONIZE, ["source_needs_resync"],
      after=_TO_RESYNC),
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
