"""The Hyper-V Replica / ASR system: the machine tables composed for one configuration.

The composition itself is the checker's synchronous product
(:class:`hvr_model.checker.product.SynchronousProduct`); this module binds the
model's events to its machine instances. Machines are chosen by scope: an
event bound to a VM drives that VM's per-VM machines; one bound to a site
drives that site's machine; system machines take part in the events they list.

The variant is chosen where the check is declared: :func:`system_for` in
:mod:`hvr_model.hyperv.mutants` builds a broken variant from new tables, guards
and effects; ``System`` itself knows nothing of mutants.

>>> from hvr_model.hyperv.config import load_config
>>> system = System(load_config("default"))
>>> w0 = system.initial_states()[0]
>>> "enable_protection(vm=sql)" in [label for label, _ in system.successors(w0)]
True
>>> system.apply(w0, "commit(vm=web)")
Traceback (most recent call last):
...
hvr_model.checker.product.EventRefused: commit(vm=web) refused: protection is Unprotected, commit needs PlannedFailoverPendingCommit or UnplannedFailoverPendingCommit
"""
from __future__ import annotations

from collections.abc import Iterator
from itertools import product
from operator import attrgetter

from ..blockstore import DataPathError
from ..checker.product import BoundEvent, EventRefused, Firing, Participant, SynchronousProduct
from ..checker.tables import MachineSpec, compile_table, validate_vocabulary
from .config import Config
from .effects import Effects
from .environment import NETWORK, SITE, VAULT
from .events import EVENTS, EventSpec
from .fairness import fairness
from .guards import GUARD_REQUIREMENTS, GUARD_REQUIREMENTS_BY_EVENT, Args, Guards
from .protocol import PROTECTION, RECOVERY_PLAN, REPLICATION, TEST_FAILOVER, VM_ROLE
from .state import SITE_NAMES, World, initial_world, update_vm, with_vms

__all__ = ["MACHINES", "System", "BoundEvent", "Participant", "Firing", "EventRefused", "event_label",
           "validate_model"]

#: Every machine of the model, in the order their effects run.
MACHINES: tuple[MachineSpec, ...] = (PROTECTION, REPLICATION, VM_ROLE, TEST_FAILOVER, SITE, NETWORK,
                                     VAULT, RECOVERY_PLAN)


def _methods(cls_or_obj) -> frozenset[str]:
    return frozenset(n for n in dir(cls_or_obj) if not n.startswith("_") and callable(getattr(cls_or_obj, n)))


def validate_model(machines=MACHINES, guards=Guards, effects=Effects) -> None:
    """Every guard, effect and event the tables name exists, with its requirement and kind.

    Raises :class:`hvr_model.checker.tables.TableError` naming the row.
    """
    validate_vocabulary(machines, guards={n: GUARD_REQUIREMENTS.get(n) for n in _methods(guards)},
                        effects=_methods(effects), events={n: s.kind for n, s in EVENTS.items()})


validate_model()


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
    if args.shutdown_source:
        parts.append("shutdown_source=true")
    return f"{name}({', '.join(parts)})"


class System(SynchronousProduct):
    """The composed model of one configuration: initial states and successors.

    Parameters
    ----------
    config : Config
    machines, guards, effects : optional
        The tables and the guard and effect objects; a mutant passes broken ones.
    mutant : str, optional
        The name of the broken variant these make up (reported with results).

    Raises
    ------
    TableError
        When the tables name a guard, effect or event the model does not define.
    """

    #: A data path refusal inside a claim means the claim does not hold in that state.
    evaluation_errors = (DataPathError,)

    #: Weak fairness per action, for liveness claims (:mod:`hvr_model.hyperv.fairness`).
    fairness = staticmethod(fairness)

    def __init__(self, config: Config, machines: tuple[MachineSpec, ...] = MACHINES,
                 guards: Guards | None = None, effects: Effects | None = None, mutant: str | None = None):
        guards = guards or Guards(config)
        effects = effects or Effects(config)
        validate_model(machines, guards, effects)
        self.config, self.machines, self.mutant = config, machines, mutant
        self.tables = {m.name: compile_table(m) for m in machines}
        super().__init__([initial_world(config, effects.engine_class)], self._bind_events(), guards, effects,
                         {**GUARD_REQUIREMENTS, **GUARD_REQUIREMENTS_BY_EVENT})
        # Per-VM events read and write only their VM, the sites, the link, the vault and the
        # plan (tests check this), so their outcome is cached on exactly that part of the state.
        self._vm_events = tuple(tuple(e for e in self.events if e.args.vm == i)
                                for i in range(len(config.vms)))
        self._shared_events = tuple(e for e in self.events if e.args.vm is None)
        self._local_cache: dict = {}
        self._vm_records: dict = {}
        self._classes = config.interchangeable_vms()

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
            for args in self._bindings(name, spec):
                participants = tuple(_participant(m, self.tables[m.name][name], args)
                                     for m in self._machines_with(name))
                yield BoundEvent(event_label(name, self.config, args), args, participants, spec)

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
            options = (False, True) if "shutdown_source" in spec.params else (None,)
            for disk, option in product(disks, options):
                yield Args(name, vm, site, disk, shutdown_source=option)

    def _data_writes(self, vm: int) -> Iterator[Args]:
        """In data configurations a guest write names its disk, block and value."""
        data = self.config.data
        for disk, block, value in product(range(self.config.vms[vm].disks), range(data.blocks), data.values):
            yield Args("guest_write", vm, None, disk, block, value)

    def _unknown(self, label: str) -> str:
        return f"no such event in configuration {self.config.name!r}"

    # -- exploring ---------------------------------------------------------------------------
    def successors(self, w: World) -> list[tuple[str, World]]:
        """``(action label, next state)`` for every enabled event."""
        out = [(step.event.label, self.fire(w, step)) for step in self.steps(w, self._shared_events)]
        shared = (w.sites, w.network, w.vault, w.plan_status, w.plan_kind, w.plan_group)
        for i, vm in enumerate(w.vms):
            key = (i, vm, shared)
            local = self._local_cache.get(key)
            if local is None:
                # Equal VM records are kept as one object: many states share them.
                records = self._vm_records
                local = self._local_cache[key] = [(step.event.label, records.setdefault(new, new))
                                                  for step in self.steps(w, self._vm_events[i])
                                                  for new in (self.fire(w, step).vms[i],)]
            before, after = w.vms[:i], w.vms[i + 1:]
            for label, new_vm in local:
                out.append((label, with_vms(w, before + (new_vm,) + after)))
        return out

    def canonical(self, w: World) -> World:
        """The representative of ``w`` under renaming of interchangeable VMs: their records sorted.

        Raises ``ValueError`` (at construction of the check) when the configuration has no
        interchangeable VMs; see :meth:`Config.interchangeable_vms`.
        """
        vms = w.vms
        for members in self._classes:
            records = sorted(vms[i] for i in members)
            if any(vms[i] is not r for i, r in zip(members, records)):
                vms = list(vms)
                for i, r in zip(members, records):
                    vms[i] = r
                vms = tuple(vms)
        return w if vms is w.vms else with_vms(w, vms)

    def successors_uncached(self, w: World) -> list[tuple[str, World]]:
        """Reference successor function without the per-VM cache (used to test the cache)."""
        return SynchronousProduct.successors(self, w)


def _participant(machine: MachineSpec, rows, a: Args) -> Participant:
    """Where the instance of ``machine`` that event ``a`` drives keeps its state."""
    if machine.scope == "vm":
        return Participant(machine, rows, read=lambda w: getattr(w.vms[a.vm], machine.field),
                           write=lambda w, dest: update_vm(w, a.vm, **{machine.field: dest}),
                           instance=(machine.name, a.vm))
    if machine.scope == "site":
        return Participant(machine, rows, read=lambda w: w.sites[a.site],
                           write=lambda w, dest: _set_site(w, a.site, dest), instance=(machine.name, a.site))
    return Participant(machine, rows, read=attrgetter(machine.field),
                       write=lambda w, dest: w._replace(**{machine.field: dest}), instance=machine.name)


def _set_site(w: World, index: int, dest) -> World:
    sites = list(w.sites)
    sites[index] = dest
    return w._replace(sites=tuple(sites))
