"""Replication health over a monitoring window (REQ-22).

Health is computed over the statistics since the last reset: a missed cycle keeps the
VM's health at Warning after replication recovers, until the window moves on or an
operator resets the statistics (Reset-VMReplicationStatistics).

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.hyperv.state import initial_world
>>> cfg = load_config("single_vm_faults")
>>> missed_cycle_is_remembered(initial_world(cfg), cfg)
True
"""
from __future__ import annotations

from hvr_model.checker.properties import Always, AlwaysStep, SometimesStep
from hvr_model.hyperv.protocol.replication import Health, ReplicationPhase
from hvr_model.hyperv.views import replication_health

from .applicability import takes_event

__all__ = ["missed_cycle_is_remembered", "PROPERTIES"]


def missed_cycle_is_remembered(w, config) -> bool:
    """A VM whose window holds a missed cycle never shows Normal health (REQ-22)."""
    return all(replication_health(w, i) is not Health.NORMAL for i, vm in enumerate(w.vms) if vm.missed_cycles)


def warning_outlives_missed_cycle(before, after, args, config) -> bool:
    """Replication that recovers from a failed cycle stays at Warning: the window remembers it (REQ-22)."""
    return (not before.vms[args.vm].missed_cycles or after.vms[args.vm].phase is not ReplicationPhase.REPLICATING
            or replication_health(after, args.vm) is Health.WARNING)


def _window_cleared(before, after, args, config) -> bool:
    return before.vms[args.vm].missed_cycles


def _cycles_can_be_missed(config) -> bool:
    return (takes_event("guest_write")(config)
            and any(takes_event(e)(config) for e in ("monitoring_window_moves_on", "reset_replication_statistics"))
            and any(f in config.faults for f in ("network_partition", "site_outage", "host_crash")))


PROPERTIES = (
    Always("missed_cycle_is_remembered", ("REQ-22",),
           "While the statistics window holds a missed cycle, health is not Normal.",
           missed_cycle_is_remembered, witness="missed_cycle_forgotten_with_window"),
    AlwaysStep("warning_outlives_missed_cycle", ("REQ-22",),
               "Replication that recovers after a failed cycle shows Warning until the window moves on.",
               frozenset({"retry_replication"}), warning_outlives_missed_cycle,
               witness="missed_cycle_forgotten_with_window"),
    SometimesStep("missed_cycle_forgotten_with_window", ("REQ-22",),
                  "The window moves past a missed cycle, or an operator resets the statistics.",
                  frozenset({"monitoring_window_moves_on", "reset_replication_statistics"}), _window_cleared,
                  applies=_cycles_can_be_missed),
)
