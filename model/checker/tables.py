"""Declarative machine tables, validated when they are built, and their compilation.

Every machine of a model is one :class:`MachineSpec`: an Enum of states and a
tuple of ``transitions``-style rows (trigger, source, dest, conditions, after).
That table is the single source of truth: :func:`build_machine` turns it into a
real :class:`transitions.Machine`, and :func:`compile_table` reads the compiled
machine back into a plain lookup used by the explorer, so no Machine object is
created per explored state.

A table is checked as soon as it is built (as python-statemachine checks a
class when it is created): a row naming a state outside the Enum, a malformed
row, or an unknown scope raises :class:`TableError` at import time.
:func:`validate_vocabulary` checks the names the rows use against the model's
guards, effects and events (each guard with its requirement, each event with
its kind).

Conditions name guards and ``after`` names effects; both are looked up by name
when the model is composed (:mod:`hvr_model.checker.product`).

>>> from enum import StrEnum
>>> class Light(StrEnum):
...     OFF = "Off"
...     ON = "On"
>>> LIGHT = MachineSpec("light", Light, Light.OFF, (transition("switch", Light.OFF, Light.ON, ["powered"]),
...                                                 transition("switch", Light.ON, Light.OFF)),
...                     scope="system", field="light")
>>> [str(t.dest) for t in compile_table(LIGHT)["switch"][Light.OFF]]
['On']
>>> MachineSpec("light", Light, Light.OFF, (transition("switch", Light.OFF, "Dim"),), scope="system", field="light")
Traceback (most recent call last):
...
hvr_model.checker.tables.TableError: machine light, row 0 (switch): unknown state 'Dim' (states: Light.OFF, Light.ON)
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field as dataclass_field
from enum import StrEnum
from typing import Any

from transitions import Machine

__all__ = ["MachineSpec", "CompiledTransition", "TableError", "build_machine", "compile_table", "transition",
           "validate_vocabulary", "SCOPES", "KEEP_STATE"]

#: Scopes a model may use to say which instance of a machine an event drives (the checker only
#: carries the word; the model's own binding of events reads it).
SCOPES = ("vm", "site", "system")
#: A row's ``dest`` that keeps the state (an internal step that only runs effects).
KEEP_STATE = "="
_ROW_KEYS = frozenset({"trigger", "source", "dest", "conditions", "after"})


class TableError(ValueError):
    """A machine table, or the names its rows use, is malformed; the message names the row."""


@dataclass(frozen=True)
class MachineSpec:
    """One state machine of a model, as data; validated when it is built.

    Parameters
    ----------
    name : str
        The machine's name (unique within a model).
    states : type[StrEnum]
        Its states.
    initial : StrEnum
        The initial state, a member of ``states``.
    transitions : tuple of dict
        Rows as made by :func:`transition`.
    scope : {"vm", "site", "system"}, default "system"
        Which instance an event drives (see :data:`SCOPES`); read by the model's binding.
    field : str, default ""
        Where its state lives in the composed state (the model decides what that means).
    doc : str
        One sentence on what the machine is.
    system_names : dict
        The names the modelled system uses for some states (shown in diagrams).

    Raises
    ------
    TableError
        A row with unknown keys, a missing trigger, a state outside ``states``, conditions or
        effects that are not lists of names, or an unknown scope.
    """

    name: str
    states: type[StrEnum]
    initial: StrEnum
    transitions: tuple[dict[str, Any], ...]
    scope: str = "system"
    field: str = ""
    doc: str = ""
    system_names: dict[str, str] = dataclass_field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise TableError(f"machine {self.name}: unknown scope {self.scope!r} (scopes: {', '.join(SCOPES)})")
        if not isinstance(self.initial, self.states):
            raise TableError(f"machine {self.name}: initial state {self.initial!r} is not one of its states")
        for i, row in enumerate(self.transitions):
            _check_row(self, i, row)

    @property
    def triggers(self) -> frozenset[str]:
        """The events this machine takes part in."""
        return frozenset(t["trigger"] for t in self.transitions)

    def names(self, key: str) -> Iterable[tuple[int, dict[str, Any], str]]:
        """``(row index, row, name)`` for every name a row lists under ``key`` ("conditions" or "after")."""
        for i, row in enumerate(self.transitions):
            for name in row[key]:
                yield i, row, name


def _where(spec: MachineSpec, i: int, row: Mapping[str, Any]) -> str:
    return f"machine {spec.name}, row {i} ({row.get('trigger', '?')})"


def _check_row(spec: MachineSpec, i: int, row: Mapping[str, Any]) -> None:
    where = _where(spec, i, row)
    if not isinstance(row, Mapping) or set(row) - _ROW_KEYS or not {"trigger", "source", "dest"} <= set(row):
        raise TableError(f"{where}: a row has the keys trigger, source, dest, conditions, after")
    if not isinstance(row["trigger"], str) or not row["trigger"]:
        raise TableError(f"{where}: the trigger must be a non-empty event name")
    sources = row["source"] if isinstance(row["source"], (list, tuple)) else [row["source"]]
    for state in [*sources, *([] if row["dest"] == KEEP_STATE else [row["dest"]])]:
        if not isinstance(state, spec.states):
            known = ", ".join(f"{spec.states.__name__}.{s.name}" for s in spec.states)
            hint = " (name the Enum member, not its value)" if state in frozenset(spec.states) else ""
            raise TableError(f"{where}: unknown state {state!r}{hint} (states: {known})")
    for key in ("conditions", "after"):
        names = row.get(key, [])
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) and n for n in names):
            raise TableError(f"{where}: {key} must be a list of names")
        if len(set(names)) != len(names):
            raise TableError(f"{where}: {key} names {sorted(n for n in names if names.count(n) > 1)[0]!r} twice")


def validate_vocabulary(machines: Iterable[MachineSpec], *, guards: Mapping[str, str | None],
                        effects: Iterable[str], events: Mapping[str, str | None],
                        need_requirements: bool = True) -> None:
    """Check every name the rows use: guards (with a requirement), known effects, events with a kind.

    Parameters
    ----------
    machines : iterable of MachineSpec
    guards : mapping
        Guard name -> the requirement it implements (``None`` or empty counts as missing).
    effects : iterable of str
        The effect names the model defines.
    events : mapping
        Event name -> its kind (``None`` or empty counts as missing).
    need_requirements : bool
        Whether every guard a row names must cite a requirement (traceability).

    Raises
    ------
    TableError
        Naming the machine, the row and the unknown or undocumented name.

    >>> validate_vocabulary([], guards={}, effects=(), events={})
    """
    if not isinstance(guards, Mapping) or not isinstance(events, Mapping) or isinstance(effects, str):
        raise TypeError("validate_vocabulary: guards and events are mappings (name -> requirement, "
                        "name -> kind), effects an iterable of names")
    effects = frozenset(effects)
    for spec in machines:
        for i, row in enumerate(spec.transitions):
            if not events.get(row["trigger"]):
                raise TableError(f"{_where(spec, i, row)}: event {row['trigger']!r} is not declared with a kind")
        _check_names(spec, "conditions", lambda n: n in guards, "unknown guard")
        if need_requirements:
            _check_names(spec, "conditions", lambda n: bool(guards[n]), "guard with no requirement")
        _check_names(spec, "after", lambda n: n in effects, "unknown effect")


def _check_names(spec: MachineSpec, key: str, known: Callable[[str], bool], what: str) -> None:
    for i, row, name in spec.names(key):
        if not known(name):
            raise TableError(f"{_where(spec, i, row)}: {what} {name!r}")


@dataclass(frozen=True)
class CompiledTransition:
    """One compiled edge: destination state, guard names and effect names."""

    source: StrEnum
    dest: StrEnum
    conditions: tuple[str, ...]
    effects: tuple[str, ...]


def transition(trigger, source, dest, conditions=(), after=()) -> dict[str, Any]:
    """A row of a machine table in the ``transitions`` dict format.

    ``dest="="`` keeps the state (an internal step that only runs effects).

    >>> transition("go", "A", "B", ["ready"])["conditions"]
    ['ready']
    """
    if isinstance(conditions, str) or isinstance(after, str):
        raise TableError(f"row {trigger}: conditions and after are lists of names, not one string")
    return {"trigger": trigger, "source": source, "dest": dest,
            "conditions": list(conditions), "after": list(after)}


def build_machine(spec: MachineSpec) -> Machine:
    """A ``transitions.Machine`` built from the table (no auto transitions)."""
    return Machine(model=None, states=spec.states, initial=spec.initial,
                   transitions=[dict(t) for t in spec.transitions],
                   auto_transitions=False, send_event=True, name=spec.name)


def compile_table(spec: MachineSpec) -> dict[str, dict[StrEnum, tuple[CompiledTransition, ...]]]:
    """``{trigger: {source: (CompiledTransition, ...)}}`` read from the built machine."""
    machine = build_machine(spec)
    table: dict[str, dict[StrEnum, tuple[CompiledTransition, ...]]] = {}
    for trigger, event in machine.events.items():
        by_source = {}
        for source, rows in event.transitions.items():
            # transitions names Enum states by member name; the compiled table uses the members.
            member = spec.states[source]
            by_source[member] = tuple(
                CompiledTransition(member, spec.states[row.dest if row.dest is not None else source],
                                   _guard_names(spec, row), tuple(row.after))
                for row in rows)
        table[trigger] = by_source
    return table


def _guard_names(spec: MachineSpec, row) -> tuple[str, ...]:
    if not all(c.target for c in row.conditions):
        raise TableError(f"machine {spec.name}: 'unless' is not supported, name a positive guard")
    return tuple(c.func for c in row.conditions)
