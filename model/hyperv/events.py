"""Every event of the model, classified: who causes it and what it is bound to.

Protocol actions are what the system does: ASR orchestration (``orchestration``),
the Hyper-V Replica engine (``engine``) and an operator on a host
(``operator``). ``guest`` is the workload writing to its disks. Environment
actions (``environment``) are the faults and repairs of the world around it;
they are kept apart so a configuration can switch them on or off.

>>> EVENTS["planned_failover"].kind, EVENTS["planned_failover"].asr_operation
('orchestration', 'PlannedFailover')
>>> sorted(e for e, spec in EVENTS.items() if spec.fault == "site_outage")
['site_outage', 'site_restored']
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EventSpec", "EVENTS", "KINDS", "PROTOCOL_KINDS", "ALIASES", "OPTIONS", "JOB_OUTCOMES", "canonical_event",
           "job_event"]

KINDS = ("orchestration", "engine", "operator", "guest", "environment")
PROTOCOL_KINDS = frozenset({"orchestration", "engine", "operator"})


@dataclass(frozen=True)
class EventSpec:
    kind: str
    params: tuple[str, ...]           # bound over: vm, site, disk
    requirements: tuple[str, ...]
    asr_operation: str | None = None  # the ASR operation name, for orchestration events
    fault: str | None = None          # the config fault that enables this environment event
    doc: str = ""
    job: str | None = None            # "Failed" or "Cancelled": an unsuccessful job of ``operation``
    operation: str | None = None      # the event whose job this one ends (with ``job``)

    @property
    def options(self) -> tuple[str, ...]:
        """Boolean options of the operation (bound over False and True; see :data:`OPTIONS`)."""
        return tuple(p for p in self.params if p in OPTIONS)


#: Options an operation may take, as event parameters (False when a trace leaves them out).
OPTIONS = {"shutdown_source": "ASR unplanned failover: shut the source VM down and synchronize its "
                              "latest data first, when the primary is reachable (REQ-25)"}

#: Job outcomes a trace may record (``"job"``); Succeeded is the event itself.
JOB_OUTCOMES = ("Succeeded", "Failed", "Cancelled")


def _e(kind, params, reqs, asr=None, fault=None, doc="", job=None, operation=None):
    return EventSpec(kind, tuple(params), tuple(reqs), asr, fault, doc, job, operation)


def _job(operation: str, outcome: str, reqs, doc: str) -> EventSpec:
    base = EVENTS[operation]
    # The options are the job's, not its outcome's: a failed or cancelled job takes none.
    params = tuple(p for p in base.params if p not in OPTIONS)
    return _e(base.kind, params, reqs, base.asr_operation, doc=doc, job=outcome, operation=operation)


_VM = ("vm",)
EVENTS: dict[str, EventSpec] = {
    # ASR orchestration (needs the vault and the VMM servers involved).
    "enable_protection": _e("orchestration", _VM, ["REQ-06"], "EnableProtection"),
    "finalize_protection": _e("orchestration", _VM, ["REQ-06"], "EnableProtection"),
    "disable_protection": _e("orchestration", _VM, ["REQ-07"], "DisableProtection"),
    "planned_failover": _e("orchestration", _VM, ["REQ-24", "REQ-26"], "PlannedFailover",
                           doc="the ASR job: shuts the source VM down, ships the last log, fails over"),
    "unplanned_failover": _e("orchestration", ("vm", "shutdown_source"), ["REQ-25", "REQ-26"],
                             "UnplannedFailover"),
    "change_recovery_point": _e("orchestration", _VM, ["REQ-27"], "ChangePit"),
    "commit": _e("orchestration", _VM, ["REQ-27"], "Commit"),
    "reverse_replicate": _e("orchestration", _VM, ["REQ-28", "REQ-29"], "ReverseReplicate"),
    "test_failover": _e("orchestration", _VM, ["REQ-31"], "TestFailover"),
    "cleanup_test_failover": _e("orchestration", _VM, ["REQ-31"], "TestFailoverCleanup"),
    "start_planned_recovery_plan": _e("orchestration", (), ["REQ-23", "REQ-33"], "PlannedFailover"),
    "start_unplanned_recovery_plan": _e("orchestration", (), ["REQ-23", "REQ-33"], "UnplannedFailover"),
    "start_test_recovery_plan": _e("orchestration", (), ["REQ-23", "REQ-33"], "TestFailover"),
    "complete_shutdown_step": _e("orchestration", (), ["REQ-33"]),
    "complete_failover_step": _e("orchestration", (), ["REQ-33"]),
    "complete_boot_group": _e("orchestration", (), ["REQ-33", "REQ-34"]),
    "confirm_manual_action": _e("orchestration", (), ["REQ-34"]),
    "group_script_succeeds": _e("orchestration", (), ["REQ-34"]),
    "restart_recovery_plan": _e("orchestration", (), ["REQ-34"]),
    "close_recovery_plan": _e("orchestration", (), ["REQ-33"]),
    # Hyper-V Replica engine.
    "start_initial_replication": _e("engine", _VM, ["REQ-08", "REQ-09"]),
    "begin_disk_copy": _e("engine", ("vm", "disk"), ["REQ-08"]),
    "finish_disk_copy": _e("engine", ("vm", "disk"), ["REQ-08"]),
    "complete_initial_replication": _e("engine", _VM, ["REQ-08"]),
    "replicate_delta": _e("engine", _VM, ["REQ-10", "REQ-01"]),
    "replication_fails": _e("engine", _VM, ["REQ-11", "REQ-21"]),
    "retry_replication": _e("engine", _VM, ["REQ-21"]),
    "logs_exceed_threshold": _e("engine", _VM, ["REQ-16"]),
    "detect_unclosed_log": _e("engine", _VM, ["REQ-16"]),
    "complete_resynchronization": _e("engine", _VM, ["REQ-18", "REQ-20"]),
    "auto_start_resynchronization": _e("engine", _VM, ["REQ-18"],
                                       doc="the engine starts a resync itself (automatic or scheduled policy)"),
    "monitoring_window_moves_on": _e("engine", _VM, ["REQ-22"],
                                     doc="the statistics window no longer holds a missed cycle"),
    # An operator on the Hyper-V hosts.
    "start_vm": _e("operator", _VM, ["REQ-04", "REQ-33"]),
    "shutdown_vm": _e("operator", _VM, ["REQ-24", "REQ-33"]),
    "suspend_replication": _e("operator", _VM, ["REQ-13"]),
    "resume_replication": _e("operator", _VM, ["REQ-13"]),
    "start_resynchronization": _e("operator", _VM, ["REQ-18"]),
    "suspend_resynchronization": _e("operator", _VM, ["REQ-19"]),
    "resume_resynchronization": _e("operator", _VM, ["REQ-19"]),
    "cancel_resynchronization": _e("operator", _VM, ["REQ-19"]),
    "reset_replication_statistics": _e("operator", _VM, ["REQ-22"], doc="Reset-VMReplicationStatistics"),
    "prepare_planned_failover": _e("operator", _VM, ["REQ-24"],
                                   doc="Hyper-V: Start-VMFailover -Prepare on the primary (VM off)"),
    "planned_failover_on_replica": _e("operator", _VM, ["REQ-24"],
                                      doc="Hyper-V: Start-VMFailover on the replica after the prepare"),
    "cancel_prepared_failover": _e("operator", _VM, ["REQ-24", "REQ-30"],
                                   doc="Hyper-V: Stop-VMFailover on the primary (undo the prepare)"),
    "cancel_failover": _e("operator", _VM, ["REQ-30"],
                          doc="Hyper-V: Stop-VMFailover on a failed-over, uncommitted replica"),
    # The guest workload.
    "guest_write": _e("guest", _VM, ["REQ-08", "REQ-10"]),
    # Environment: faults and their repair.
    "site_outage": _e("environment", ("site",), ["REQ-25"], fault="site_outage"),
    "site_restored": _e("environment", ("site",), ["REQ-29"], fault="site_outage"),
    "vmm_server_outage": _e("environment", ("site",), ["REQ-02"], fault="vmm_server_outage"),
    "vmm_server_restored": _e("environment", ("site",), ["REQ-02"], fault="vmm_server_outage"),
    "host_crash": _e("environment", ("site",), ["REQ-16"], fault="host_crash"),
    "host_restart": _e("environment", ("site",), ["REQ-16"], fault="host_crash"),
    "network_partition": _e("environment", (), ["REQ-16", "REQ-21"], fault="network_partition"),
    "network_restored": _e("environment", (), ["REQ-21"], fault="network_partition"),
    "vault_outage": _e("environment", (), ["REQ-01"], fault="vault_outage"),
    "vault_restored": _e("environment", (), ["REQ-01"], fault="vault_outage"),
    "non_recoverable_error": _e("environment", _VM, ["REQ-21"], fault="non_recoverable_error"),
    "group_script_fails": _e("environment", (), ["REQ-34"], fault="group_script_fails"),
    "vhd_changed_offline": _e("environment", _VM, ["REQ-16"], fault="offline_disk_change",
                              doc="a VHD changed while tracking was off (edited offline, restored "
                                  "from backup, checkpoint reverted)"),
    "receive_corrupted_log": _e("environment", _VM, ["REQ-16", "REQ-37"], fault="log_corruption",
                                doc="a log damaged on the way reaches the replica"),
    "receive_replayed_log": _e("environment", _VM, ["REQ-36", "REQ-37"], fault="log_replay",
                               doc="an authentic log recorded earlier on the link (the first delta of "
                                   "its generation) reaches the replica again: refused, replication "
                                   "carries on"),
}

# Jobs that end unsuccessfully (REQ-30 a, REQ-38): each is its own event, so tables and
# counterexamples tell them apart; a trace writes them as the operation with "job".
EVENTS.update({
    "enable_protection_failed": _job("enable_protection", "Failed", ["REQ-38"],
                                     "enabling fails (authentication, authorization or certificate "
                                     "error): the VM stays unprotected"),
    "planned_failover_failed": _job("planned_failover", "Failed", ["REQ-24", "REQ-38"],
                                    "the job cannot shut the source down or its preconditions break: "
                                    "nothing changes"),
    "unplanned_failover_failed": _job("unplanned_failover", "Failed", ["REQ-38"],
                                      "the job's preconditions break while it runs: nothing changes"),
    "planned_failover_cancelled": _job("planned_failover", "Cancelled", ["REQ-30"],
                                       "the job is cancelled after it stopped replication: unprotected"),
    "unplanned_failover_cancelled": _job("unplanned_failover", "Cancelled", ["REQ-30"],
                                         "the job is cancelled after it stopped replication: unprotected"),
})


def job_event(operation: str, outcome: str) -> str | None:
    """The event for ``operation`` ending with job ``outcome``, or None if the model has none.

    >>> job_event("planned_failover", "Cancelled"), job_event("commit", "Failed")
    ('planned_failover_cancelled', None)
    """
    if outcome == "Succeeded":
        return operation
    return next((n for n, s in EVENTS.items() if s.operation == operation and s.job == outcome), None)


#: ASR operation names in snake_case, where they differ from the model's event names.
ALIASES = {"test_failover_cleanup": "cleanup_test_failover", "change_pit": "change_recovery_point"}


def canonical_event(name: str) -> str | None:
    """The model's event name for ``name`` (itself or an ASR alias), or None if unknown.

    >>> canonical_event("change_pit"), canonical_event("commit"), canonical_event("reboot")
    ('change_recovery_point', 'commit', None)
    """
    name = ALIASES.get(name, name)
    return name if name in EVENTS else None
