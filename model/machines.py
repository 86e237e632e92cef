"""Declarative machine tables and their compilation.

Every machine of the model is one :class:`MachineSpec`: an Enum of states and a
list of ``transitions``-style dicts (trigger, source, dest, conditions, after).
That table is the single source of truth: :func:`build_machine` turns it into a
real :class:`transitions.Machine` (which validates it), and :func:`compile_table`
reads the compiled machine back into a plain lookup used by the explorer, so no
Machine object is created per explored state.

Conditions name guards (see :mod:`hvr_model.guards`) and ``after`` names
effects (see :mod:`hvr_model.effects`); both are looked up by name when the
model is composed.

>>> from hvr_model.protection import PROTECTION
>>> table = compile_table(PROTECTION)
>>> [str(t.dest) for t in table["commit"]["PlannedFailoverPendingCommit"]]
['PlannedFailoverCommitted']
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from transitions import Machine

__all__ = ["MachineSpec", "CompiledTransition", "build_machine", "compile_table", "transition"]

#: Scopes say which instance of a machine an event drives: one per VM, one per
#: site, or a single instance for the whole system.
SCOPES = ("vm", "site", "system")


@dataclass(frozen=True)
class MachineSpec:
    """One state machine of the model, as data.

    ``field`` is where its state lives in the composed state: the attribute of a
    VM record for scope ``vm``, an index in ``World.sites`` for ``site``, or an
    attribute of ``World`` for ``system``.
    """

    name: str
    states: type[StrEnum]
    initial: StrEnum
    transitions: tuple[dict[str, Any], ...]
    scope: str
    field: str
    doc: str = ""
    hyperv_names: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.scope not in SCOPES:
            raise ValueError(f"machine {self.name}: unknown scope {self.scope!r}")

    @property
    def triggers(self) -> frozenset[str]:
        """The events this machine takes part in."""
        return frozenset(t["trigger"] for t in self.transitions)


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
    return {"trigger": trigger, "source": source, "dest": dest,
            "conditions": list(conditions), "after": list(after)}


def build_machine(spec: MachineSpec) -> Machine:
    """A ``transitions.Machine`` built from the table (no auto transitions)."""
    return Machine(model=None, states=spec.states, initial=spec.initial,
                   transitions=[dict(t) for t in spec.transitions],
                   auto_transitions=False, send_event=True, name=spec.name)


def compile_table(spec: MachineSpec) -> dict[str, dict[str, tuple[CompiledTransition, ...]]]:
    """``{trigger: {source: (CompiledTransition, ...)}}`` read from the built machine."""
    machine = build_machine(spec)
    table: dict[str, dict[str, tuple[CompiledTransition, ...]]] = {}
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
        raise ValueError(f"machine {spec.name}: 'unless' is not supported, name a positive guard")
    return tuple(c.func for c in row.conditions)
