"""When a reachability claim applies: the configurations where its situation can arise at all.

A witness (``Sometimes``) the configuration cannot produce is reported as not
applicable instead of failing.

>>> from hvr_model.hyperv.config import load_config
>>> has_fault("site_outage")(load_config("single_vm")), has_plan(load_config("two_group_plan"))
(False, True)
"""
from __future__ import annotations

from typing import Any, Callable

__all__ = ["has_fault", "has_plan", "takes_event"]


def has_fault(name: str) -> Callable[[Any], bool]:
    """Applicability: the configuration injects fault ``name``."""
    return lambda config: name in config.faults


def has_plan(config) -> bool:
    """Applicability: the configuration has a recovery plan."""
    return bool(config.plan)


def takes_event(name: str, min_disks: int = 1) -> Callable[[Any], bool]:
    """Applicability: some VM (with at least ``min_disks`` disks) takes event ``name``."""
    def applies(config) -> bool:
        return name not in config.exclude and any(
            vm.disks >= min_disks and name not in vm.exclude for vm in config.vms)
    return applies
