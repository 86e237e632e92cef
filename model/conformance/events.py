"""Structured events for implementations under test: :class:`Event`, a label with its parts.

An :class:`~hvr_model.conformance.implementation.Implementation` is handed each step as an
:class:`Event`. It is a ``str`` (the model's label, ``guest_write(vm=web, disk=0, block=0,
data=A)``), so an adapter written against labels keeps working, and it carries the parts
parsed: ``name``, ``vm``, ``site``, ``disk``, ``block``, ``data`` and ``options`` (such as
unplanned failover's ``shutdown_source``, REQ-25), so no adapter has to parse a label.
:meth:`hvr_model.Oracle.apply` accepts one too.

>>> from hvr_model import Oracle
>>> event = Oracle("data_single_vm").event("guest_write(vm=web, disk=0, block=0, data=A)")
>>> event.name, event.vm, event.disk, event.block, event.data, event == "guest_write(vm=web, disk=0, block=0, data=A)"
('guest_write', 'web', 0, 0, 'A', True)
"""
from __future__ import annotations

from types import MappingProxyType
from typing import Any, Mapping

from ..hyperv.config import Config
from ..hyperv.state import SITE_NAMES

__all__ = ["Event", "event_of"]


class Event(str):
    """One event of the model: the label (this string) and its parts.

    Attributes
    ----------
    name : str
        The event (``planned_failover``; a job that ended otherwise is its own event,
        e.g. ``planned_failover_failed``).
    vm, site : str or None
        The VM's and the site's names (``"primary"``, ``"recovery"``) when the event takes them.
    disk, block : int or None
        The disk index and block index (guest writes in data configurations).
    data : str or None
        The value a guest write puts in the block (data configurations).
    options : Mapping[str, Any]
        Other parameters, e.g. ``{"shutdown_source": True}`` (REQ-25).
    """

    name: str
    vm: str | None
    site: str | None
    disk: int | None
    block: int | None
    data: str | None
    options: Mapping[str, Any]

    def __new__(cls, label: str, name: str, vm: str | None = None, site: str | None = None,
                disk: int | None = None, block: int | None = None, data: str | None = None,
                options: Mapping[str, Any] | None = None) -> "Event":
        event = super().__new__(cls, label)
        event.name, event.vm, event.site, event.disk, event.block, event.data = name, vm, site, disk, block, data
        event.options = MappingProxyType(dict(options or {}))
        return event

    def __reduce__(self):        # pickles (to fuzz workers) as itself
        return Event, (str(self), self.name, self.vm, self.site, self.disk, self.block, self.data, dict(self.options))


def event_of(label: str, args, config: Config) -> Event:
    """The :class:`Event` of ``label`` from its binding ``args`` (``hvr_model.hyperv.guards.Args``)."""
    options = {} if args.shutdown_source is None else {"shutdown_source": args.shutdown_source}
    return Event(label, args.event, None if args.vm is None else config.vms[args.vm].name,
                 None if args.site is None else SITE_NAMES[args.site], args.disk, args.block, args.value, options)
