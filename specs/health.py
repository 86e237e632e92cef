"""Replication health over a monitoring window (REQ-22).

Health is computed over the statistics since the last reset: a missed cycle keeps the
VM's health at Warning after replication recovers, until the window moves on or an
operator resets the statistics (Reset-VMReplicationStatistics).

The rule is checked on the steps that recover (``warning_outlives_missed_cycle``): that
health shows Warning while the flag is set is how ``replication_health`` is written, which
no table mutant can break, so it is not a claim of its own.

>>> from hvr_model.hyperv.config import load_config
>>> _cycles_can_be_missed(load_config("single_vm_faults")), _cycles_can_be_missed(load_config("single_vm"))
(True, False)
"""
from __future__ import annotations

from hvr_model.checker.properties import AlwaysStep, SometimesStep
from hvr_model.hyperv.protocol.replication import Health, ReplicationPhase
from hvr_model.hyperv.views import replication_health

from .applicability import has_fault, takes_event

__all__ = ["warning_outlives_missed_cycle", "PROPERTIES"]


def warning_outlives_missed_cycle(before, after, args, config) -> bool:
    """Replication that recovers from a failed cycle stays at Warning: the window remembers it (REQ-22)."""
    return (not before.vms[args.vm].missed_cycles or after.vms[args.vm].phase is not ReplicationPhase.REPLICATING
            or replication_health(after, args.vm) is Health.WARNING)


def _window_cleared(before, after, args, config) -> bool:
    return before.vms[args.vm].missed_cycles


_cycles_can_be_missed = (takes_event("guest_write")
                         & (takes_event("monitoring_window_moves_on") | takes_event("reset_replication_statistics"))
                         & (has_fault("network_partition") | has_fault("site_outage") | has_fault("host_crash")))


PROPERTIES = (
    AlwaysStep("warning_outlives_missed_cycle", ("REQ-22",),
               "Replication that recovers after a failed cycle shows Warning until the window moves on.",
               frozenset({"retry_replication"}), warning_outlives_missed_cycle,
               witness="missed_cycle_forgotten_with_window"),
    SometimesStep("missed_cycle_forgotten_with_window", ("REQ-22",),
                  "The window moves past a missed cycle, or an operator resets the statistics.",
                  frozenset({"monitoring_window_moves_on", "reset_replication_statistics"}), _window_cleared,
                  applies=_cycles_can_be_missed),
)
