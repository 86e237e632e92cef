"""The implementation under test: the adapter a DR product provides to be fuzzed against the model.

>>> from hvr_model.hyperv.config import load_config
>>> ref = ReferenceImplementation()
>>> ref.reset(load_config("data_single_vm"))
>>> ref.disks("web", "primary")
(b'\\x00', b'\\x00')
"""
from __future__ import annotations

from typing import Protocol, runtime_checkable

from ..hyperv.config import Config
from .events import Event
from .oracle import Oracle

__all__ = ["Implementation", "ReferenceImplementation"]


@runtime_checkable
class Implementation(Protocol):
    """The adapter a DR implementation provides to be fuzzed against the model.

    ``reset(config)`` starts from the configuration's initial state; ``perform(event)``
    carries out one event: an :class:`~hvr_model.conformance.events.Event`, which is the
    model's label (``begin_disk_copy(vm=web, disk=0)``) with its parts parsed (``event.name``,
    ``event.vm``, ``event.disk``, ...);
    ``disks(vm, site)`` returns the bytes of each of VM ``vm``'s disks on ``site``
    (``"primary"`` or ``"recovery"``), compared after every step in data configurations.
    """

    def reset(self, config: Config) -> None: ...

    def perform(self, event: Event) -> None: ...

    def disks(self, vm: str, site: str) -> tuple[bytes, ...]: ...


class ReferenceImplementation:
    """The default implementation: the model's own reference block store (via :class:`Oracle`)."""

    def __init__(self, mutant: str | None = None):
        self.mutant = mutant        # the reference follows the variant being fuzzed

    def reset(self, config: Config) -> None:
        self.oracle = Oracle(config, self.mutant)

    def perform(self, event: Event) -> None:
        self.oracle.apply(event)

    def disks(self, vm: str, site: str) -> tuple[bytes, ...]:
        return self.oracle.disks(vm, site)
