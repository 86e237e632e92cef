"""Every property of the model, in one catalogue.

>>> names = [p.name for p in ALL_PROPERTIES]
>>> "no_split_brain" in names and "recoverable_to_home" in names
True
>>> unpaired = [p.name for p in ALL_PROPERTIES if getattr(p, "witness", None) == ""]
>>> unpaired
[]
"""
from __future__ import annotations

from . import data, failover, graph, health, liveness, recovery_plan, replication, roles

__all__ = ["ALL_PROPERTIES", "by_name"]

ALL_PROPERTIES = (roles.PROPERTIES + replication.PROPERTIES + health.PROPERTIES + failover.PROPERTIES
                  + recovery_plan.PROPERTIES + data.PROPERTIES + graph.PROPERTIES + liveness.PROPERTIES)


def by_name(name: str):
    """The property called ``name``."""
    for prop in ALL_PROPERTIES:
        if prop.name == name:
            return prop
    raise KeyError(name)
