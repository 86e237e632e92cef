"""When a claim applies: the configurations where its situation can arise at all.

A claim the configuration cannot exercise is reported as ``vacuous``, with the
reason these tests give, instead of holding (or failing) for nothing. Tests
combine with ``&`` and ``|`` (:class:`hvr_model.checker.properties.Applicability`).

>>> from hvr_model.hyperv.config import load_config
>>> has_fault("site_outage")(load_config("single_vm")), has_plan(load_config("two_group_plan"))
(False, True)
>>> (has_data & takes_event("guest_write")).why(load_config("single_vm"))
'the configuration has no [data] section (no real bytes are carried)'
"""
from __future__ import annotations

from hvr_model.checker.properties import Applicability

__all__ = ["has_fault", "has_plan", "has_data", "takes_event", "when", "always"]


def has_fault(name: str) -> Applicability:
    """Applicability: the configuration injects fault ``name``."""
    return Applicability(lambda config: name in config.faults, f"the configuration injects no {name} fault")


has_plan = Applicability(lambda config: bool(config.plan), "the configuration has no recovery plan")

has_data = Applicability(lambda config: config.data is not None,
                         "the configuration has no [data] section (no real bytes are carried)")

#: Applies everywhere (the neutral element of ``&``).
always = Applicability(lambda config: True, "")


def takes_event(name: str, min_disks: int = 1) -> Applicability:
    """Applicability: some VM (with at least ``min_disks`` disks) takes event ``name``."""
    def applies(config) -> bool:
        return name not in config.exclude and any(
            vm.disks >= min_disks and name not in vm.exclude for vm in config.vms)
    disks = f" with at least {min_disks} disks" if min_disks > 1 else ""
    return Applicability(applies, f"no VM{disks} takes event {name} in this configuration")


def when(test, reason: str) -> Applicability:
    """Applicability from any ``config -> bool`` test, with the reason it gives when it fails."""
    return Applicability(test, reason)
