"""A configuration driven event by event, for scenario tests (tests/hyperv/test_procedures.py, test_faults.py).

Every step is checked twice: ``System.apply`` must accept it and ``System.successors``
must offer it; a refusal must come with reasons and must not be offered.
"""
from __future__ import annotations

import pytest

from hvr_model.hyperv.system import EventRefused, System
from hvr_model.hyperv.config import load_config
from hvr_model.hyperv.events import EVENTS
from hvr_model.hyperv.protocol.replication import Health
from hvr_model.hyperv.views import direction, replication_health, replication_mode


class Run:
    """One configuration driven label by label, with readable accessors for the checks."""

    def __init__(self, config: str):
        self.system = System(load_config(config))
        self.world = self.system.initial_states()[0]
        self.names = [vm.name for vm in self.system.config.vms]

    def enabled(self) -> set[str]:
        return {label for label, _ in self.system.successors(self.world)}

    def enabled_of_kind(self, kind: str) -> set[str]:
        return {label for label in self.enabled() if EVENTS[label.split("(")[0]].kind == kind}

    def do(self, *labels: str) -> "Run":
        for label in labels:
            assert label in self.enabled(), f"{label} is not offered by successors()"
            self.world = self.system.apply(self.world, label)
        return self

    def refused(self, label: str) -> str:
        """The refusal reasons of ``label`` (joined); the state does not change."""
        assert label not in self.enabled(), f"{label} is offered by successors() but should be refused"
        with pytest.raises(EventRefused) as info:
            self.system.apply(self.world, label)
        assert info.value.label == label and info.value.reasons
        return "; ".join(info.value.reasons)

    def index(self, vm: str) -> int:
        return self.names.index(vm)

    def vm(self, name: str = "web"):
        return self.world.vms[self.index(name)]

    def mode(self, vm: str, site: int) -> str:
        return replication_mode(self.world, self.index(vm), site)

    def direction(self, vm: str):
        return direction(self.world, self.index(vm))

    def health(self, vm: str = "web") -> Health:
        return replication_health(self.world, self.index(vm))
