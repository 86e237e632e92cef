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

import os

from collections import deque
from typing import Literal

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


#: Engine steps a partially observed log may leave out before an event (as ``trace check``).
DEFAULT_MAX_UNOBSERVED = 8


class Oracle:
    """The model of one configuration, in one current state.

    Parameters
    ----------
    config : Config, str or path
        The configuration (a shipped name or a TOML path are loaded).
    mutant : str, optional
        Check against a deliberately broken variant instead.
    observed : {"full", "partial"}
        ``"partial"``: the log being replayed may leave out Hyper-V engine events. Before an
        event the model refuses, the fewest unobserved engine steps (at most
        ``max_unobserved``) that make it allowed are assumed; ``assumed`` lists them.
    max_unobserved : int
        The bound of that search (default 8).

    >>> oracle = Oracle("single_vm", observed="partial")
    >>> _ = oracle.apply("enable_protection", vm="web")
    >>> _ = oracle.apply("complete_initial_replication", vm="web")     # the disk copies went unlogged
    >>> oracle.assumed[0][1]          # doctest: +NORMALIZE_WHITESPACE
    ['start_initial_replication(vm=web)', 'begin_disk_copy(vm=web, disk=0)', 'finish_disk_copy(vm=web, disk=0)',
     'begin_disk_copy(vm=web, disk=1)', 'finish_disk_copy(vm=web, disk=1)']
    """

    def __init__(self, config: Config | str | os.PathLike[str], mutant: str | None = None, *,
                 observed: Literal["full", "partial"] = "full",
                 max_unobserved: int = DEFAULT_MAX_UNOBSERVED):
        if observed not in ("full", "partial"):
            raise ValueError(f'observed must be "full" or "partial", got {observed!r}')
        self.system = system_for(config, mutant)
        self.config = self.system.config
        self.state: World = self.system.initial_states()[0]
        self.observed, self.max_unobserved = observed, max_unobserved
        #: ``(label, the engine steps assumed before it)`` for each event that needed some.
        self.assumed: list[tuple[str, list[str]]] = []

    # -- events --------------------------------------------------------------------------------
    def allowed(self) -> list[str]:
        """The labels of every event enabled now."""
        return sorted({label for label, _ in self.system.successors(self.state)})

    def label(self, event: str, **params: str | int | bool) -> str:
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

    def apply(self, event: str | Event, **params: str | int | bool) -> World:
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
        if not steps and self.observed == "partial":
            found, _ = self.search_unobserved(label, self.max_unobserved)
            if found is not None:
                self.state = found[1]
                self.assumed.append((label, found[0]))
                steps = list(self.system.steps(self.state, (bound,)))
        if not steps:
            refusal = self.system.refusal(self.state, bound)
            raise Refused(label, [r for r, _ in refusal], sorted({q for _, q in refusal if q}))
        self.state = self.system.fire(self.state, steps[0])
        return self.state

    def search_unobserved(self, label: str, bound: int):
        """Fewest unobserved engine steps (at most ``bound``) after which ``label`` is allowed.

        Returns ``((labels of the steps, the state they reach) or None, every state reached)``,
        breadth first; the oracle's state is not changed.
        """
        system = self.system
        engine = tuple(e for e in system.events if e.spec.kind == "engine")
        target = (system.event_by_label[label],)
        parent, queue = {self.state: None}, deque([(self.state, 0)])
        while queue:
            state, depth = queue.popleft()
            if depth and any(True for _ in system.steps(state, target)):
                return (_path(parent, state), state), list(parent)
            if depth == bound:
                continue
            for step in system.steps(state, engine):
                nxt = system.fire(state, step)
                if nxt not in parent:
                    parent[nxt] = (state, step.event.label)
                    queue.append((nxt, depth + 1))
        return None, list(parent)

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


def _path(parent, state) -> list[str]:
    labels = []
    while parent[state] is not None:
        state, label = parent[state]
        labels.append(label)
    return labels[::-1]
