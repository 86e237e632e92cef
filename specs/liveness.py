"""Liveness under fairness: what the system eventually does, not only what it never does.

Each claim is TLA+'s ``P ~> Q`` per VM (or for the plan), decided on the whole
graph under the fairness the model declares (:mod:`hvr_model.hyperv.fairness`:
the engine, the environment's repairs and a running job's own steps are weakly
fair; faults, operators and the guest are not). A goal includes "or it was
interrupted" where the requirement says so: a fault in effect, or the phase left
(a failover), and every claim is discharged by an interruption
(:data:`INTERRUPTIONS`: an operator's step, a fault, a failure the engine
detects), because a behaviour in which these keep coming back is fair and need
not make progress.

* ``pending_log_is_replicated`` (REQ-10): a VM replicating with changes logged
  ships them, unless interrupted.
* ``resynchronization_completes`` (REQ-18, REQ-19): a started resync completes,
  unless interrupted.
* ``recovery_plan_ends`` (REQ-33, REQ-34): a started recovery plan completes or
  stops: the plan's own operations (each VM's failover and start, modelled as the
  per-VM events) and the administrator's confirmation of a manual action are
  assumed weakly fair; a VM an operator holds (suspended, prepared for Hyper-V's
  own failover, in Error) holds the plan.
* ``health_returns_to_normal`` (REQ-21, REQ-22): once no fault is in
  effect, an established relationship's health returns to Normal, unless an
  operator or a failover takes it out of replication.

>>> [p.name for p in PROPERTIES]
['pending_log_is_replicated', 'resynchronization_completes', 'recovery_plan_ends', 'health_returns_to_normal']
"""
from __future__ import annotations

from hvr_model.checker.properties import LeadsTo
from hvr_model.hyperv.events import EVENTS
from hvr_model.hyperv.fairness import FAIRNESS
from hvr_model.hyperv.protocol.recovery_plan import PlanStatus
from hvr_model.hyperv.protocol.replication import Health, ReplicationPhase
from hvr_model.hyperv.protocol.protection import ProtectionState
from hvr_model.hyperv.views import active_faults, replication_health

from .applicability import has_plan, takes_event

__all__ = ["PROPERTIES"]

_R = ReplicationPhase

#: What interrupts progress: an operator's step, a fault, a failure the engine detects (all unfair:
#: they may happen again and again, and a claim cannot ask progress of a behaviour they keep
#: interrupting).
INTERRUPTIONS = frozenset(e for e, spec in EVENTS.items()
                          if spec.kind == "operator" or (spec.kind in ("environment", "engine") and not FAIRNESS[e]))

#: The operations a running recovery plan performs itself, each modelled as the per-VM event.
_PLAN_OPERATIONS = frozenset({"planned_failover", "unplanned_failover", "test_failover", "start_vm",
                              "confirm_manual_action"})
_PLAN_AT_REST = frozenset({PlanStatus.IDLE, PlanStatus.COMPLETED, PlanStatus.STOPPED})


class _Vm(int):
    """A VM's index that reads as its name in a verdict ("for vm web")."""

    name: str

    def __new__(cls, index: int, name: str):
        vm = super().__new__(cls, index)
        vm.name = name
        return vm

    def __repr__(self) -> str:
        return f"vm {self.name}"


def _each_vm(config) -> list[_Vm]:
    return [_Vm(i, vm.name) for i, vm in enumerate(config.vms)]


def _fault_in_effect(w) -> bool:
    return active_faults(w) > 0


def _changes_pending(w, config, i) -> bool:
    vm = w.vms[i]
    return vm.phase is _R.REPLICATING and vm.unsent > 0


def _changes_shipped(w, config, i) -> bool:
    vm = w.vms[i]
    return vm.unsent == 0 or vm.phase is not _R.REPLICATING or _fault_in_effect(w)


def _resynchronizing(w, config, i) -> bool:
    return w.vms[i].phase is _R.RESYNCHRONIZING


def _resync_over(w, config, i) -> bool:
    """Completed or interrupted: out of the resync the engine drives (waiting for a start it makes itself)."""
    phase = w.vms[i].phase
    engine_driven = phase is _R.RESYNCHRONIZING or (
        phase is _R.WAITING_FOR_START_RESYNCHRONIZE and config.policy.resynchronization != "manual")
    return not engine_driven or _fault_in_effect(w)


def _plan_running(w, config) -> bool:
    return w.plan_status not in _PLAN_AT_REST


#: Phases only an operator ends: a plan waits on a VM in one of them.
_HELD_BY_OPERATOR = frozenset({_R.SUSPENDED, _R.PREPARED_FOR_FAILOVER, _R.RESYNCHRONIZE_SUSPENDED, _R.ERROR})


def _plan_at_rest(w, config) -> bool:
    """Completed, stopped, or held: a fault in effect, or a VM an operator holds (suspended, prepared...)."""
    return (w.plan_status in _PLAN_AT_REST or _fault_in_effect(w)
            or any(vm.phase in _HELD_BY_OPERATOR for vm in w.vms))


#: Phases of an established relationship that the engine leaves by itself.
_SELF_HEALING = frozenset({_R.REPLICATING, _R.RETRYING_AFTER_ERROR})


def _window_moves_on(config, i) -> bool:
    """The configuration lets VM ``i``'s statistics window move on (else only an operator clears it)."""
    return "monitoring_window_moves_on" not in config.exclude + config.vms[i].exclude


def _unhealthy_without_fault(w, config, i) -> bool:
    vm = w.vms[i]
    return (vm.protection is ProtectionState.PROTECTED and vm.phase in _SELF_HEALING and not _fault_in_effect(w)
            and replication_health(w, i) is not Health.NORMAL and _window_moves_on(config, i))


def _healthy_or_out_of_hands(w, config, i) -> bool:
    vm = w.vms[i]
    return (replication_health(w, i) is Health.NORMAL or _fault_in_effect(w)
            or vm.protection is not ProtectionState.PROTECTED
            or vm.phase not in _SELF_HEALING)


PROPERTIES = (
    LeadsTo("pending_log_is_replicated", ("REQ-10",),
            "A VM replicating with changes in its log ships them, unless a fault or a phase change interrupts.",
            _changes_pending, _changes_shipped, unless=INTERRUPTIONS, for_each=_each_vm,
            applies=takes_event("guest_write")),
    LeadsTo("resynchronization_completes", ("REQ-18", "REQ-19"),
            "A started resynchronization completes, unless a fault, an operator or a failover interrupts it.",
            _resynchronizing, _resync_over, unless=INTERRUPTIONS, for_each=_each_vm),
    LeadsTo("recovery_plan_ends", ("REQ-33", "REQ-34"),
            "A started recovery plan completes or stops (an administrator confirms manual actions), unless a "
            "fault holds it.",
            _plan_running, _plan_at_rest, weak=_PLAN_OPERATIONS, unless=INTERRUPTIONS, applies=has_plan),
    LeadsTo("health_returns_to_normal", ("REQ-21", "REQ-22"),
            "With no fault in effect, a replicating VM's health returns to Normal (missed cycles leave the "
            "window, retries succeed), unless an operator or a failover takes it out of replication.",
            _unhealthy_without_fault, _healthy_or_out_of_hands, unless=INTERRUPTIONS, for_each=_each_vm,
            applies=takes_event("monitoring_window_moves_on")),
)
