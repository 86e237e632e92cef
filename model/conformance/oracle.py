"""The reference oracle: drive the model event by event and ask it what is allowed and why.

Other DR implementations use it to check their behaviour: create one from a
configuration, feed it the events their system performed, and compare states,
disk contents and properties.

>>> o = Oracle("single_vm")
>>> "enable_protection(vm=web)" in o.allowed()
True
>>> _ = o.apply("enable_protection", vm="web")
>>> o.protection("web"), o.phase("web"), o.roles("web")["direction"]
('EnablingProtection', 'ReadyForInitialReplication', 'PrimaryToRecovery')
>>> try:
...     o.apply("commit", vm="web")
... except Refused as refusal:
...     print(refusal.requirements)
['REQ-27']
"""
from __future__ import annotations

from ..checker.properties import Always
from ..hyperv.config import Config
from ..hyperv.describe import describe
from ..hyperv.events import EVENTS, JOB_OUTCOMES, canonical_event, job_event
from ..hyperv.guards import Args
from ..hyperv.state import SITE_NAMES, World
from ..hyperv.mutants import system_for
from ..hyperv.system import event_label
from ..hyperv.views import direction, replication_mode
from ..specs.catalogue import ALL_PROPERTIES
from .events import Event, event_of

__all__ = ["Oracle", "Refused", "UnknownEvent"]


class Refused(Exception):
    """An event the model does not allow now: which guards or states refuse it, and why (requirements)."""

    def __init__(self, label: str, reasons: list[str], requirements: list[str]):
        self.label, self.reasons, self.requirements = label, reasons, requirements
        super().__init__(f"{label} refused: {'; '.join(reasons)}")


class UnknownEvent(ValueError):
    """The event, or one of its parameters, does not exist in this configuration."""


class Oracle:
    """The model of one configuration, in one current state."""

    def __init__(self, config: Config | str, mutant: str | None = None):
        self.system = system_for(config, mutant)
        self.config = self.system.config
        self.state: World = self.system.initial_states()[0]

    # -- events --------------------------------------------------------------------------------
    def allowed(self) -> list[str]:
        """The labels of every event enabled now."""
        return sorted({label for label, _ in self.system.successors(self.state)})

    def label(self, event: str, **params) -> str:
        """The label of ``event`` with ``params`` (vm and site by name, disk, block, data, options).

        ``job`` ("Succeeded", "Failed", "Cancelled") names how the operation's job ended
        (REQ-30, 38); ``shutdown_source`` (bool) is unplanned failover's option (REQ-25).
        """
        name = canonical_event(event)
        if name is None:
            raise UnknownEvent(f"unknown event {event!r}")
        name = self._job_outcome(event, name, params.pop("job", None))
        takes = set(EVENTS[name].params)
        if name == "guest_write" and self.config.data is not None:
            takes |= {"disk", "block", "data"}
        if set(params) - takes:
            raise UnknownEvent(f"{event} takes {', '.join(sorted(takes)) or 'no parameters'}, "
                               f"not {', '.join(sorted(set(params) - takes))}")
        args = Args(name, self._vm(params.pop("vm", None)), self._site(params.pop("site", None)),
                    params.pop("disk", None), params.pop("block", None), params.pop("data", None),
                    shutdown_source=params.pop("shutdown_source", False) if "shutdown_source" in takes else None)
        label = event_label(name, self.config, args)
        if label not in self.system.event_by_label:
            raise UnknownEvent(f"{label} does not exist in configuration {self.config.name!r} "
                               f"(parameters: {', '.join(EVENTS[name].params) or 'none'})")
        return label

    @staticmethod
    def _job_outcome(event: str, name: str, job) -> str:
        if job is None:
            return name
        if job not in JOB_OUTCOMES:
            raise UnknownEvent(f"{event}: job must be one of {', '.join(JOB_OUTCOMES)}, got {job!r}")
        outcome = job_event(name, job)
        if outcome is None:
            known = [s.job for s in EVENTS.values() if s.operation == name]
            raise UnknownEvent(f"{event}: the model has no {job} job of this operation "
                               f"(it has: {', '.join(['Succeeded', *known])})")
        return outcome

    def _vm(self, name):
        if name is None:
            return None
        names = [vm.name for vm in self.config.vms]
        if name not in names:
            raise UnknownEvent(f"unknown VM {name!r} (known: {', '.join(names)})")
        return names.index(name)

    def _site(self, name):
        if name is None:
            return None
        if name not in SITE_NAMES:
            raise UnknownEvent(f"unknown site {name!r} (known: {', '.join(SITE_NAMES)})")
        return SITE_NAMES.index(name)

    def apply(self, event: str | Event, **params) -> World:
        """Perform ``event``; the new state, or :class:`Refused` (the state is then unchanged).

        ``event`` is an event name with its ``params`` (``apply("planned_failover", vm="web")``),
        or an :class:`~hvr_model.conformance.events.Event` (its label is applied as it is).
        """
        if isinstance(event, Event):
            return self.apply_label(str(event))
        return self.apply_label(self.label(event, **params))

    def event(self, label: str) -> Event:
        """The :class:`~hvr_model.conformance.events.Event` of ``label``: its name, VM, site, disk...

        Raises :class:`UnknownEvent` when the configuration has no such label.
        """
        bound = self.system.event_by_label.get(label)
        if bound is None:
            raise UnknownEvent(f"{label} does not exist in configuration {self.config.name!r}")
        return event_of(label, bound.args, self.config)

    def apply_label(self, label: str) -> World:
        bound = self.system.event_by_label.get(label)
        if bound is None:
            raise UnknownEvent(f"{label} does not exist in configuration {self.config.name!r}")
        steps = list(self.system.steps(self.state, (bound,)))
        if not steps:
            refusal = self.system.refusal(self.state, bound)
            raise Refused(label, [r for r, _ in refusal], sorted({q for _, q in refusal if q}))
        self.state = self.system.fire(self.state, steps[0])
        return self.state

    # -- reading the state -----------------------------------------------------------------------
    def _index(self, vm: str) -> int:
        index = self._vm(vm)
        if index is None:
            raise UnknownEvent("a VM name is needed")
        return index

    def protection(self, vm: str) -> str:
        return str(self.state.vms[self._index(vm)].protection)

    def phase(self, vm: str) -> str:
        return str(self.state.vms[self._index(vm)].phase)

    def roles(self, vm: str) -> dict:
        """Active site, ReplicationMode on each site and replication direction."""
        i = self._index(vm)
        active = SITE_NAMES[self.state.vms[i].active.index]
        modes = {site: replication_mode(self.state, i, s) for s, site in enumerate(SITE_NAMES)}
        return {"active": active, "mode": modes, "direction": direction(self.state, i)}

    def disks(self, vm: str, site: str) -> tuple[bytes, ...]:
        """The disk contents the reference block store expects on ``site`` (data configurations)."""
        data = self.state.vms[self._index(vm)].data
        if data is None:
            raise UnknownEvent(f"configuration {self.config.name!r} carries no data (add a [data] table)")
        images = data.images[self._site(site)]
        return tuple(b"".join(image.read(i) for i in range(len(image.blocks))) for image in images)

    def describe(self) -> dict[str, str]:
        """Every variable of the current state by path (see :func:`hvr_model.hyperv.describe.describe`)."""
        return describe(self.state, self.config)

    def properties(self) -> dict[str, bool]:
        """Every state invariant of specs/ on the current state."""
        return {p.name: bool(p.predicate(self.state, self.config)) for p in ALL_PROPERTIES
                if isinstance(p, Always)}
