"""Composition: the machine tables compiled into one successor function.

An event is enabled when every machine that has its trigger in its table has a
row from its current state whose guards all hold (a synchronous product, as in
CSP); the event then moves every participant to its row's destination and runs
the rows' effects in table order. Machines are chosen by scope: an event bound
to a VM drives that VM's per-VM machines; one bound to a site drives that
site's machine; system machines take part in the events they list.

The tables are compiled once (:func:`hvr_model.machines.compile_table`); the
state is a plain :class:`~hvr_model.world.World` value, so exploring creates no
``transitions.Machine`` per state.

>>> from hvr_model.config import load_config
>>> system = System(load_config("default"))
>>> w0 = system.initial_states()[0]
>>> "enable_protection(vm=sql)" in [label for label, _ in system.successors(w0)]
True
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Callable, Iterator

from .config import Config
from .drill import TEST_FAILOVER
from .effects import Effects
from .events import EVENTS, EventSpec
from .guards import GUARD_REQUIREMENTS, Args, Guards
from .machines import CompiledTransition, MachineSpec, compile_table
from .protection import PROTECTION
from .recovery_plan import RECOVERY_PLAN
from .replication import REPLICATION
from .sites import NETWORK, SITE, VAULT, VM_ROLE
from .world import SITE_NAMES, World, initial_world

__all__ = ["MACHINES", "System", "BoundEvent", "Participant", "Step", "EventRefused", "event_label"]

#: Every machine of the model, in the order their effects run.
MACHINES: tuple[MachineSpec, ...] = (PROTECTION, REPLICATION, VM_ROLE, TEST_FAILOVER, SITE, NETWORK,
                                     VAULT, RECOVERY_PLAN)


@dataclass(frozen=True)
class Participant:
    """One machine instance taking part in a bound event."""

    machine: MachineSpec
    rows: dict[str, tuple[CompiledTransition, ...]]   # source state -> rows for this trigger

    def current(self, w: World, a: Args) -> str:
        m = self.machine
        if m.scope == "vm":
            return getattr(w.vms[a.vm], m.field)
        if m.scope == "site":
            return w.sites[a.site]
        return getattr(w, m.field)


@dataclass(frozen=True)
class BoundEvent:
    """An event with its parameters bound: one action label of the state graph."""

    label: str
    spec: EventSpec
    args: Args
    participants: tuple[Participant, ...]


@dataclass(frozen=True)
class Step:
    """One way an enabled event fires: the rows chosen for each participant."""

    event: BoundEvent
    rows: tuple[CompiledTransition, ...]


class EventRefused(ValueError):
    """An event that is not enabled in the given state; ``reasons`` says why."""

    def __init__(self, label: str, reasons: list[str]):
        self.label, self.reasons = label, reasons
        super().__init__(f"{label} refused: {'; '.join(reasons)}")


def event_label(name: str, config: Config, args: Args) -> str:
    """The action label: ``planned_failover(vm=sql)``, ``site_outage(site=primary)``."""
    parts = []
    if args.vm is not None:
        parts.append(f"vm={config.vms[args.vm].name}")
    if args.site is not None:
        parts.append(f"site={SITE_NAMES[args.site]}")
    if args.disk is not None:
        parts.append(f"disk={args.disk}")
    if args.block is not None:
        parts += [f"block={args.block}", f"data={args.value}"]
    return f"{name}({', '.join(parts)})"


class System:
    """The composed model of one configuration: initial states and successors."""

    def __init__(self, config: Config, machines: tuple[MachineSpec, ...] | None = None,
                 guards: Guards | None = None, effects: Effects | None = None):
        if machines is None and config.mutant:
            from .mutants import MUTANTS
            machines, guards, effects = MUTANTS[config.mutant].build(config)
        self.config = config
        self.machines = machines or MACHINES
        self.guards = guards or Guards(config)
        self.effects = effects or Effects(config)
        self.tables = {m.name: compile_table(m) for m in self.machines}
        self.events = tuple(self._bind_events())
        self.event_by_label = {e.label: e for e in self.events}
        # Per-VM events read and write only their VM, the sites, the link, the vault and the
        # plan (tests check this), so their outcome is cached on exactly that part of the state.
        self._vm_events = tuple(tuple(e for e in self.events if e.args.vm == i)
                                for i in range(len(config.vms)))
        self._shared_events = tuple(e for e in self.events if e.args.vm is None)
        self._local_cache: dict = {}
        self._guard_fns = {}
        self._effect_fns = {}

    # -- binding ----------------------------------------------------------------------------
    def _enabled_spec(self, name: str, spec: EventSpec) -> bool:
        if spec.fault is not None and spec.fault not in self.config.faults:
            return False
        if name in self.config.exclude:
            return False
        plan_event = any(m.name == RECOVERY_PLAN.name for m in self._machines_with(name))
        return not plan_event or bool(self.config.plan)

    def _machines_with(self, trigger: str) -> list[MachineSpec]:
        return [m for m in self.machines if trigger in self.tables[m.name]]

    def _bind_events(self) -> Iterator[BoundEvent]:
        for name, spec in EVENTS.items():
            if not self._machines_with(name) or not self._enabled_spec(name, spec):
                continue
            participants = tuple(Participant(m, self.tables[m.name][name]) for m in self._machines_with(name))
            for args in self._bindings(name, spec):
                yield BoundEvent(event_label(name, self.config, args), spec, args, participants)

    def _bindings(self, name: str, spec: EventSpec) -> Iterator[Args]:
        vms = range(len(self.config.vms)) if "vm" in spec.params else [None]
        sites = range(len(SITE_NAMES)) if "site" in spec.params else [None]
        for vm, site in product(vms, sites):
            if vm is not None and name in self.config.vms[vm].exclude:
                continue
            if name == "guest_write" and self.config.data is not None:
                yield from self._data_writes(vm)
                continue
            disks = range(self.config.vms[vm].disks) if "disk" in spec.params else [None]
            for disk in disks:
                yield Args(name, vm, site, disk)

    def _data_writes(self, vm: int) -> Iterator[Args]:
        """In data configurations a guest write names its disk, block and value."""
        data = self.config.data
        for disk, block, value in product(range(self.config.vms[vm].disks), range(data.blocks), data.values):
            yield Args("guest_write", vm, None, disk, block, value)

    # -- exploring ---------------------------------------------------------------------------
    def initial_states(self) -> list[World]:
        return [initial_world(self.config, self.effects.engine_class)]

    def guard(self, name: str) -> Callable[[World, Args], bool]:
        fn = self._guard_fns.get(name)
        if fn is None:
            fn = self._guard_fns[name] = getattr(self.guards, name)
        return fn

    def effect(self, name: str) -> Callable[[World, Args], World]:
        fn = self._effect_fns.get(name)
        if fn is None:
            fn = self._effect_fns[name] = getattr(self.effects, name)
        return fn

    def steps(self, w: World, events: tuple[BoundEvent, ...] | None = None) -> Iterator[Step]:
        """Every enabled (event, rows) pair in state ``w`` (among ``events``, default all)."""
        for event in self.events if events is None else events:
            choices = []
            for p in event.participants:
                rows = p.rows.get(p.current(w, event.args))
                if not rows:
                    break
                choices.append(rows)
            else:
                for rows in product(*choices):
                    if all(self.guard(g)(w, event.args) for row in rows for g in row.conditions):
                        yield Step(event, rows)

    def fire(self, w: World, step: Step) -> World:
        """The state after ``step``: participants move, then effects run in table order."""
        a = step.event.args
        for p, row in zip(step.event.participants, step.rows):
            w = _set_state(w, p.machine, a, row.dest)
        for row in step.rows:
            for name in row.effects:
                w = self.effect(name)(w, a)
        return w

    def successors(self, w: World) -> list[tuple[str, World]]:
        """``(action label, next state)`` for every enabled event."""
        out = [(step.event.label, self.fire(w, step)) for step in self.steps(w, self._shared_events)]
        shared = (w.sites, w.network, w.vault, w.plan_status, w.plan_kind, w.plan_group)
        for i, vm in enumerate(w.vms):
            key = (i, vm, shared)
            local = self._local_cache.get(key)
            if local is None:
                local = self._local_cache[key] = [(step.event.label, self.fire(w, step).vms[i])
                                                  for step in self.steps(w, self._vm_events[i])]
            for label, new_vm in local:
                vms = list(w.vms)
                vms[i] = new_vm
                out.append((label, w._replace(vms=tuple(vms))))
        return out

    def apply(self, w: World, label: str) -> World:
        """The state after event ``label``; :class:`EventRefused` says why if it is not enabled.

        >>> from hvr_model.config import load_config
        >>> system = System(load_config("single_vm"))
        >>> w = system.apply(system.initial_states()[0], "enable_protection(vm=web)")
        >>> str(w.vms[0].protection)
        'EnablingProtection'
        >>> system.apply(w, "commit(vm=web)")
        Traceback (most recent call last):
        ...
        hvr_model.compose.EventRefused: commit(vm=web) refused: protection is EnablingProtection, commit needs PlannedFailoverPendingCommit or UnplannedFailoverPendingCommit
        """
        event = self.event_by_label.get(label)
        if event is None:
            raise EventRefused(label, [f"no such event in configuration {self.config.name!r}"])
        steps = list(self.steps(w, (event,)))
        if not steps:
            raise EventRefused(label, self.refusal_reasons(w, event))
        return self.fire(w, steps[0])

    def refusal_reasons(self, w: World, event: BoundEvent) -> list[str]:
        """Why ``event`` is not enabled in ``w``: a wrong machine state, or the guards that fail."""
        return [reason for reason, _ in self.refusal(w, event)]

    def refusal(self, w: World, event: BoundEvent) -> list[tuple[str, str | None]]:
        """``(reason, requirement)`` pairs: each machine in the wrong state, or each failing guard."""
        out = []
        for p in event.participants:
            current = p.current(w, event.args)
            rows = p.rows.get(current)
            if not rows:
                needed = " or ".join(sorted(str(s) for s in p.rows))
                out.append((f"{p.machine.name} is {current}, {event.args.event} needs {needed}",
                            (event.spec.requirements or (None,))[0]))
                continue
            failing = [[g for g in row.conditions if not self.guard(g)(w, event.args)] for row in rows]
            if all(failing):
                for guard in dict.fromkeys(failing[0]):
                    out.append((f"{p.machine.name} guard failed: {guard}", GUARD_REQUIREMENTS.get(guard)))
        return out

    def successors_uncached(self, w: World) -> list[tuple[str, World]]:
        """Reference successor function without the per-VM cache (used to test the cache)."""
        return [(step.event.label, self.fire(w, step)) for step in self.steps(w)]


def _set_state(w: World, machine: MachineSpec, a: Args, dest: str) -> World:
    enum_dest = dest
    if machine.scope == "vm":
        vms = list(w.vms)
        vms[a.vm] = vms[a.vm]._replace(**{machine.field: enum_dest})
        return w._replace(vms=tuple(vms))
    if machine.scope == "site":
        sites = list(w.sites)
        sites[a.site] = enum_dest
        return w._replace(sites=tuple(sites))
    return w._replace(**{machine.field: enum_dest})
