"""Synchronous-product composition of machine tables into one successor function.

An event is enabled when every machine that has its trigger in its table has a
row from its current state whose guards all hold (a synchronous product, as in
CSP); the event then moves every participant to its row's destination and runs
the rows' effects in table order.

The model supplies the *bound events* (one per action label: the event's
binding, handed to guards and effects, and for each participating machine
instance how to read and write its state in the composed state value), an
object whose methods are the guards ``(state, args) -> bool`` and one whose
methods are the effects ``(state, args) -> state``. The tables are compiled
once (:func:`hvr_model.checker.tables.compile_table`), so exploring creates no
``transitions.Machine`` per state.

>>> from enum import StrEnum
>>> from hvr_model.checker.tables import MachineSpec, compile_table, transition
>>> class Lamp(StrEnum):
...     OFF = "Off"
...     ON = "On"
>>> LAMP = MachineSpec("lamp", Lamp, Lamp.OFF, (transition("press", Lamp.OFF, Lamp.ON, ["powered"]),
...                                              transition("press", Lamp.ON, Lamp.OFF)),
...                    scope="system", field="lamp")
>>> class Guards:
...     def powered(self, state, args):
...         return True
>>> press = BoundEvent("press", Args("press"), (Participant(LAMP, compile_table(LAMP)["press"],
...                    read=lambda s: s, write=lambda s, new: new),))
>>> lamp = SynchronousProduct([Lamp.OFF], [press], Guards(), object(), {"powered": "REQ-1"})
>>> lamp.successors(Lamp.OFF), lamp.apply(Lamp.ON, "press")
([('press', <Lamp.ON: 'On'>)], <Lamp.OFF: 'Off'>)
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from itertools import product
from typing import Any, NamedTuple

from .errors import ModelError
from .tables import CompiledTransition, MachineSpec, TableError

__all__ = ["Args", "Participant", "BoundEvent", "Firing", "EventRefused", "SynchronousProduct"]


class Args(NamedTuple):
    """A minimal event binding: the event's name (models usually bind more, e.g. which VM)."""

    event: str


@dataclass(frozen=True)
class Participant:
    """One machine instance taking part in a bound event, with its rows for that event.

    ``read(state)`` gives the instance's current state, ``write(state, new)`` the
    composed state with the instance moved to ``new``. ``instance`` names the
    machine instance (e.g. ``("protection", 0)``): participants with the same
    instance read the same thing, so the product reads it once per state.
    """

    machine: MachineSpec
    rows: Mapping[Any, tuple[CompiledTransition, ...]]   # source state -> rows for this trigger
    read: Callable[[Any], Any]
    write: Callable[[Any, Any], Any]
    instance: Hashable | None = None


@dataclass(frozen=True)
class BoundEvent:
    """An event with its parameters bound: one action label of the state graph.

    ``args`` is handed to every guard and effect (its ``event`` attribute names
    the event); ``spec`` is the model's own declaration of the event (kind,
    requirements), or None.
    """

    label: str
    args: Any
    participants: tuple[Participant, ...]
    spec: Any = None


@dataclass(frozen=True)
class Firing:
    """One way an enabled event fires: the row chosen for each participant."""

    event: BoundEvent
    rows: tuple[CompiledTransition, ...]


class EventRefused(ValueError):
    """An event that is not enabled in the given state; ``reasons`` says why."""

    def __init__(self, label: str, reasons: list[str]):
        self.label, self.reasons = label, reasons
        super().__init__(f"{label} refused: {'; '.join(reasons)}")


class SynchronousProduct:
    """Machine tables composed over a state value: initial states, successors, refusals.

    Parameters
    ----------
    initial : sequence
        The initial states (hashable values).
    events : iterable of BoundEvent
        Every action of the model, in the order successors are listed.
    guards, effects : object
        Objects whose methods, looked up by the names the rows use, are the
        guards ``(state, args) -> bool`` and effects ``(state, args) -> state``.
    guard_requirements : mapping, optional
        Guard name -> the requirement it implements, cited in refusals; a ``(guard, event)``
        key overrides it for one event (a guard shared by events of different requirements).

    Raises
    ------
    TableError
        Two events with one label, or a row naming a guard or effect the objects lack.
    """

    def __init__(self, initial: Sequence, events: Iterable[BoundEvent], guards: Any, effects: Any,
                 guard_requirements: Mapping[str, str] | None = None):
        self._initial = list(initial)
        self.events = tuple(events)
        self.event_by_label = {e.label: e for e in self.events}
        if len(self.event_by_label) != len(self.events):
            raise TableError("two bound events share one label; labels name actions uniquely")
        self.guards, self.effects = guards, effects
        self.guard_requirements = guard_requirements or {}
        self._guard_fns: dict[str, Callable] = {}
        self._effect_fns: dict[str, Callable] = {}
        self._indexes: dict[int, _EventIndex] = {}
        self._resolve_names()

    def _resolve_names(self) -> None:
        """Every guard and effect a bound event's rows name is a method of the objects given."""
        for event in self.events:
            for p in event.participants:
                for row in (r for rows in p.rows.values() for r in rows):
                    for kind, names, owner in (("guard", row.conditions, self.guards),
                                               ("effect", row.effects, self.effects)):
                        missing = [n for n in names if not callable(getattr(owner, n, None))]
                        if missing:
                            raise TableError(f"machine {p.machine.name}, event {event.label}: {kind} "
                                             f"{missing[0]!r} is not a method of {type(owner).__name__}")

    def initial_states(self) -> list:
        return list(self._initial)

    def action(self, label: str) -> Any:
        """The binding (``args``) of the action ``label``."""
        return self.event_by_label[label].args

    def guard(self, name: str) -> Callable[[Any, Any], bool]:
        fn = self._guard_fns.get(name)
        if fn is None:
            fn = self._guard_fns[name] = getattr(self.guards, name)
        return fn

    def effect(self, name: str) -> Callable[[Any, Any], Any]:
        fn = self._effect_fns.get(name)
        if fn is None:
            fn = self._effect_fns[name] = getattr(self.effects, name)
        return fn

    def steps(self, w: Any, events: Sequence[BoundEvent] | None = None) -> Iterator[Firing]:
        """Every enabled (event, rows) pair in state ``w`` (among ``events``, default all), in event order.

        The machine states of the participants select the candidate rows through
        an index built once per combination of states (:class:`_EventIndex`);
        only the candidates' guards are evaluated in ``w``.
        """
        for event, rows, guards in self._index(self.events if events is None else events).candidates(w):
            a = event.args
            for guard in guards:
                if not guard(w, a):
                    break
            else:
                yield Firing(event, rows)

    def _index(self, events: Sequence[BoundEvent]) -> _EventIndex:
        index = self._indexes.get(id(events))
        if index is None or index.events is not events:
            events = events if isinstance(events, tuple) else tuple(events)
            # The index resolves guards on the guard object itself: a bound method of the
            # product would make a reference cycle and keep every cached state alive until a
            # full collection.
            guards = self.guards
            index = self._indexes[id(events)] = _EventIndex(events, lambda name: getattr(guards, name))
        return index

    def fire(self, w: Any, step: Firing) -> Any:
        """The state after ``step``: participants move, then effects run in table order."""
        a = step.event.args
        for p, row in zip(step.event.participants, step.rows):
            w = p.write(w, row.dest)
        for row in step.rows:
            for name in row.effects:
                w = self.effect(name)(w, a)
                if w is None:
                    raise ModelError(f"effect {name} of {step.event.label} returned None, not the next state")
        return w

    def successors(self, w: Any) -> list[tuple[str, Any]]:
        """``(action label, next state)`` for every enabled event."""
        return [(step.event.label, self.fire(w, step)) for step in self.steps(w)]

    def apply(self, w: Any, label: str) -> Any:
        """The state after event ``label``; :class:`EventRefused` says why if it is not enabled."""
        event = self.event_by_label.get(label)
        if event is None:
            raise EventRefused(label, [self._unknown(label)])
        steps = list(self.steps(w, (event,)))
        if not steps:
            raise EventRefused(label, self.refusal_reasons(w, event))
        return self.fire(w, steps[0])

    def _unknown(self, label: str) -> str:
        return "no such event in this model"

    def guard_requirement(self, guard: str, event: str | None) -> str | None:
        """The requirement ``guard`` implements for ``event``: a ``(guard, event)`` key of
        ``guard_requirements`` first, then ``guard`` alone."""
        return self.guard_requirements.get((guard, event)) or self.guard_requirements.get(guard)

    def refusal_reasons(self, w: Any, event: BoundEvent) -> list[str]:
        """Why ``event`` is not enabled in ``w``: a wrong machine state, or the guards that fail."""
        return [reason for reason, _ in self.refusal(w, event)]

    def refusal(self, w: Any, event: BoundEvent) -> list[tuple[str, str | None]]:
        """``(reason, requirement)`` pairs: each machine in the wrong state, or each failing guard."""
        out = []
        for p in event.participants:
            current = p.read(w)
            rows = p.rows.get(current)
            if not rows:
                needed = " or ".join(sorted(str(s) for s in p.rows))
                out.append((f"{p.machine.name} is {current}, {event.args.event} needs {needed}",
                            (getattr(event.spec, "requirements", ()) or (None,))[0]))
                continue
            failing = [[g for g in row.conditions if not self.guard(g)(w, event.args)] for row in rows]
            if all(failing):
                for guard in dict.fromkeys(failing[0]):
                    out.append((f"{p.machine.name} guard failed: {guard}",
                                self.guard_requirement(guard, event.args.event)))
        return out


class _EventIndex:
    """Candidate firings of a sequence of events, by the states of the machine instances they involve.

    The key of a state is the tuple of the current states of every distinct
    machine instance the events involve; for each key seen, the events whose
    every participant has rows there are listed once (in event order, with the
    row combinations and their guard functions), so a state costs one read per
    instance and one dictionary lookup before its guards.
    """

    def __init__(self, events: tuple[BoundEvent, ...], guard: Callable[[str], Callable]):
        self.events, self.guard = events, guard
        readers: dict = {}
        for event in events:
            for p in event.participants:
                readers.setdefault(p.instance if p.instance is not None else id(p), p.read)
        self.slots = {key: i for i, key in enumerate(readers)}
        self.readers = tuple(readers.values())
        self.cache: dict[tuple, list] = {}

    def key(self, w: Any) -> tuple:
        return tuple([read(w) for read in self.readers])

    def candidates(self, w: Any) -> list:
        key = self.key(w)
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = self._build(key)
        return found

    def _build(self, key: tuple) -> list:
        out = []
        for event in self.events:
            choices = []
            for p in event.participants:
                rows = p.rows.get(key[self.slots[p.instance if p.instance is not None else id(p)]])
                if not rows:
                    break
                choices.append(rows)
            else:
                for rows in product(*choices):
                    guards = tuple(self.guard(g) for row in rows for g in row.conditions)
                    out.append((event, rows, guards))
        return out
