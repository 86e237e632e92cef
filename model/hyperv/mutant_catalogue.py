"""The catalogue every mutant module registers into: :data:`MUTANTS` and :func:`register`.

Kept apart from :mod:`hvr_model.hyperv.mutants` (which composes systems from it) so the
modules of mutants by theme (data path, fidelity, liveness, witnesses) register directly,
without importing the module that imports them.

>>> from hvr_model.hyperv.mutants import MUTANTS
>>> MUTANTS["disks_copied_in_parallel"].config
'single_vm'
"""
from __future__ import annotations

from dataclasses import dataclass

from ..checker.mutation import Patch, Variant
from .effects import Effects
from .guards import Guards
from .system import MACHINES

__all__ = ["Mutant", "MUTANTS", "register"]

#: Every mutant by name, in registration order.
MUTANTS: dict[str, "Mutant"] = {}


@dataclass(frozen=True)
class Mutant:
    name: str
    description: str
    kills: str                      # the property that must catch it
    patch: Patch                    # Variant -> Variant
    config: str = "single_vm"       # the shipped configuration it is checked on

    def variant(self) -> Variant:
        """The broken tables, guard class and effect class."""
        return self.patch(Variant(MACHINES, Guards, Effects))


def register(name: str, description: str, kills: str, patch: Patch, config: str = "single_vm") -> None:
    """Add a mutant to the catalogue.

    Raises
    ------
    ValueError
        A mutant of that name is registered already.
    """
    if name in MUTANTS:
        raise ValueError(f"mutant {name!r} is registered twice")
    MUTANTS[name] = Mutant(name, description, kills, patch, config)
