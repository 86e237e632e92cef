"""Mutation helpers: build a broken variant of a model from its tables, guards and effects.

A *variant* is the triple (machine tables, guard class, effect class) a model is
composed from. Each helper returns a *patch*: a function from a variant to a
new variant. Nothing is changed in place: tables are copied with the rows
changed, and a new effect is added by subclassing the effect class, so the
original model and any number of variants can be checked side by side (the
variant is chosen where the check is declared, as a TLC model config
substitutes one operator).

>>> from enum import StrEnum
>>> from hvr_model.checker.tables import MachineSpec, transition
>>> class Door(StrEnum):
...     SHUT = "Shut"
...     OPEN = "Open"
>>> DOOR = MachineSpec("door", Door, Door.SHUT, (transition("open", Door.SHUT, Door.OPEN, ["unlocked"]),),
...                    scope="system", field="door")
>>> broken = drop_guard("door", "open", "unlocked")(Variant((DOOR,), object, object))
>>> broken.machines[0].transitions[0]["conditions"], DOOR.transitions[0]["conditions"]
([], ['unlocked'])
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any, NamedTuple

from .tables import MachineSpec

__all__ = ["Variant", "Patch", "change_rows", "drop_guard", "add_guard", "drop_effect", "add_effect", "drop_rows",
           "remove_source", "extend_source", "replace_effect", "replace_guard", "subclass", "duplicate_rows"]


class Variant(NamedTuple):
    """The parts a model is composed from: tables, the guard class and the effect class."""

    machines: tuple[MachineSpec, ...]
    guards: type
    effects: type


Patch = Callable[[Variant], Variant]


def _patch_rows(machines, machine_name, match, change) -> tuple[MachineSpec, ...]:
    """Copy of ``machines`` where the rows of ``machine_name`` that ``match`` are changed."""
    patched = []
    for m in machines:
        if m.name == machine_name:
            m = replace(m, transitions=tuple(change(dict(row)) if match(row) else row for row in m.transitions))
        patched.append(m)
    return tuple(patched)


def _without(names, drop) -> list[str]:
    return [n for n in names if n != drop]


def _as_list(source) -> list:
    return list(source) if isinstance(source, (list, tuple)) else [source]


def change_rows(machine: str, triggers: Iterable[str], change: Callable[[dict], dict]) -> Patch:
    """Apply ``change`` (row dict -> row dict) to every row of ``triggers`` in ``machine``."""
    triggers = tuple(triggers)

    def patch(v: Variant) -> Variant:
        return v._replace(machines=_patch_rows(v.machines, machine, lambda r: r["trigger"] in triggers, change))
    return patch


def drop_guard(machine: str, trigger: str, guard: str) -> Patch:
    """Remove guard ``guard`` from every row of ``trigger`` in ``machine``."""
    return change_rows(machine, (trigger,), lambda r: {**r, "conditions": _without(r["conditions"], guard)})


def add_guard(machine: str, trigger: str, guard: str) -> Patch:
    """Add guard ``guard`` to every row of ``trigger`` in ``machine``."""
    return change_rows(machine, (trigger,), lambda r: {**r, "conditions": r["conditions"] + [guard]})


def drop_effect(machine: str, trigger: str, effect: str) -> Patch:
    """Remove effect ``effect`` from every row of ``trigger`` in ``machine``."""
    return change_rows(machine, (trigger,), lambda r: {**r, "after": _without(r["after"], effect)})


def add_effect(machine: str, trigger: str, effect: str) -> Patch:
    """Add effect ``effect`` (run last) to every row of ``trigger`` in ``machine``."""
    return change_rows(machine, (trigger,), lambda r: {**r, "after": r["after"] + [effect]})


def drop_rows(machine: str, trigger: str, source=None, dest=None) -> Patch:
    """Remove the rows of ``trigger`` (optionally only from ``source`` or to ``dest``)."""
    def keep(row) -> bool:
        return not (row["trigger"] == trigger and source in (None, row["source"]) and dest in (None, row["dest"]))

    def patch(v: Variant) -> Variant:
        return v._replace(machines=tuple(replace(m, transitions=tuple(r for r in m.transitions if keep(r)))
                                         if m.name == machine else m for m in v.machines))
    return patch


def remove_source(machine: str, triggers: Iterable[str], state) -> Patch:
    """Stop the rows of ``triggers`` from firing in ``state`` (rows left with no source are dropped)."""
    def without_state(row):
        return {**row, "source": [s for s in _as_list(row["source"]) if s != state]}

    def patch(v: Variant) -> Variant:
        changed = change_rows(machine, triggers, without_state)(v).machines
        return v._replace(machines=tuple(replace(m, transitions=tuple(r for r in m.transitions if r["source"]))
                                         for m in changed))
    return patch


def extend_source(machine: str, trigger: str, extra: Iterable) -> Patch:
    """Let the rows of ``trigger`` also fire from the states ``extra``."""
    extra = list(extra)
    return change_rows(machine, (trigger,), lambda r: {**r, "source": _as_list(r["source"]) + extra})


def subclass(base: type, name: str, **members: Any) -> type:
    """A new subclass of ``base`` with ``members`` added or replaced (``base`` is left as it is)."""
    return type(name, (base,), members)


def replace_effect(machine: str, trigger: str, old: str, new: str, implementation: Callable) -> Patch:
    """Swap effect ``old`` for ``new`` on ``trigger``; ``implementation(effects, state, args)`` is ``new``."""
    def patch(v: Variant) -> Variant:
        effects = subclass(v.effects, f"{v.effects.__name__}With_{new}",
                           **{new: lambda self, w, a: implementation(self, w, a)})
        rows = change_rows(machine, (trigger,), lambda r: {**r, "after": [new if e == old else e for e in r["after"]]})
        return rows(v)._replace(effects=effects)
    return patch


def duplicate_rows(machine: str, trigger: str, change: Callable[[dict], dict], source=None) -> Patch:
    """Add, after each row of ``trigger`` in ``machine`` (from ``source`` only, if given), a changed copy.

    The copy is a nondeterministic alternative to the row.

    The copy fires under the same action label, so a broken alternative (a step that makes no
    progress, or undoes some) can be chosen forever while fairness on the label is met: the
    kind of bug only a liveness claim catches.

    >>> from enum import StrEnum
    >>> from hvr_model.checker.tables import MachineSpec, transition
    >>> class Door(StrEnum):
    ...     SHUT = "Shut"
    ...     OPEN = "Open"
    >>> DOOR = MachineSpec("door", Door, Door.SHUT, (transition("open", Door.SHUT, Door.OPEN),),
    ...                    scope="system", field="door")
    >>> stuck = duplicate_rows("door", "open", lambda r: {**r, "dest": Door.SHUT})(Variant((DOOR,), object, object))
    >>> [(r["source"], r["dest"]) for r in stuck.machines[0].transitions]
    [(<Door.SHUT: 'Shut'>, <Door.OPEN: 'Open'>), (<Door.SHUT: 'Shut'>, <Door.SHUT: 'Shut'>)]
    """
    def rows(m: MachineSpec) -> tuple:
        out = []
        for row in m.transitions:
            out.append(row)
            if row["trigger"] == trigger and source in (None, row["source"]):
                out.append(change(dict(row)))
        return tuple(out)

    def patch(v: Variant) -> Variant:
        return v._replace(machines=tuple(replace(m, transitions=rows(m)) if m.name == machine else m
                                         for m in v.machines))
    return patch


def replace_guard(guard: str, implementation: Callable) -> Patch:
    """Give guard ``guard`` a broken body: ``implementation(guards, state, args) -> bool``.

    Every row that names the guard now asks the new body (a guard is one method, shared by
    the rows that name it, so a realistic bug in it shows wherever it is used).

    >>> class Guards:
    ...     def unlocked(self, w, a):
    ...         return w == "unlocked"
    >>> broken = replace_guard("unlocked", lambda guards, w, a: True)(Variant((), Guards, object))
    >>> broken.guards().unlocked("locked", None), Guards().unlocked("locked", None)
    (True, False)
    """
    def patch(v: Variant) -> Variant:
        if not callable(getattr(v.guards, guard, None)):
            raise AttributeError(f"no guard {guard!r} to replace")
        return v._replace(guards=subclass(v.guards, f"{v.guards.__name__}With_{guard}",
                                          **{guard: lambda self, w, a: implementation(self, w, a)}))
    return patch
