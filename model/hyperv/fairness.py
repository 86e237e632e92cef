"""Which actions of the Hyper-V model are fair: what liveness claims may count on to happen.

TLA+'s weak fairness (WF): an action that stays enabled is eventually taken.
Declared per event (every action of the event, e.g. ``replicate_delta(vm=web)``,
is fair on its own), by who causes it (:mod:`hvr_model.hyperv.events`):

* the Hyper-V Replica engine runs by itself: its steps are weakly fair
  (replication every interval REQ-12, retries REQ-21, resynchronization when
  the policy starts it REQ-18, the statistics window moving on REQ-22), except
  the failures it detects (``replication_fails``, ``logs_exceed_threshold``):
  those are outcomes the environment imposes, not progress the engine makes;
* the environment's repairs are weakly fair (an outage ends: the faults of the
  requirements are transient); the faults themselves are not (they may or may
  not happen: an outage, a log damaged in transit or a recorded log replayed,
  ``receive_corrupted_log`` and ``receive_replayed_log``);
* ASR orchestration: the steps a running job or plan takes by itself
  (finishing protection, the plan's shutdown, failover and boot steps, a group
  script that runs) are weakly fair; the operations an administrator starts,
  and a job's failure or cancellation, are not;
* operators and the guest are unfair: a claim that needs an operator step says
  so (``LeadsTo(..., weak={"confirm_manual_action"})``).

No action is strongly fair by default; a claim can ask for it.

>>> fairness("replicate_delta(vm=web)"), fairness("site_outage(site=primary)"), fairness("site_restored(site=primary)")
('weak', None, 'weak')
>>> fairness("receive_replayed_log(vm=web)"), fairness("receive_corrupted_log(vm=web)")
(None, None)
>>> sorted(e for e, f in FAIRNESS.items() if f and EVENTS[e].kind == "orchestration")[:3]
['complete_boot_group', 'complete_failover_step', 'complete_shutdown_step']
"""
from __future__ import annotations

from .events import EVENTS

__all__ = ["FAIRNESS", "fairness"]

#: Engine steps that are failures detected, not progress.
_ENGINE_FAILURES = frozenset({"replication_fails", "logs_exceed_threshold"})

#: Environment events that end a fault.
_REPAIRS = frozenset({"site_restored", "vmm_server_restored", "host_restart", "network_restored", "vault_restored"})

#: Orchestration steps a running ASR job or recovery plan takes by itself.
_JOB_STEPS = frozenset({"finalize_protection", "complete_shutdown_step", "complete_failover_step",
                        "complete_boot_group", "group_script_succeeds"})


def _declared(name: str, kind: str) -> str | None:
    if kind == "engine":
        return None if name in _ENGINE_FAILURES else "weak"
    return "weak" if name in _REPAIRS | _JOB_STEPS else None


#: Event name -> "weak" or None.
FAIRNESS: dict[str, str | None] = {name: _declared(name, spec.kind) for name, spec in EVENTS.items()}


def fairness(label: str) -> str | None:
    """The fairness of an action label (``event(args)``): "weak" or None."""
    return FAIRNESS[label.split("(", 1)[0]]
