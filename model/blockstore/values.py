"""The values the replicated-VM data path hands out or is built with, and its refusal.

:class:`GuestWrite` (one guest write, numbered in the order the guest wrote),
:class:`FailoverReport` (what a failover lost, REQ-24..29), :class:`Host` (a
Hyper-V host's server name, credential and replica-server policy, REQ-35, 36)
and :class:`DataPathError` (an operation the current phase does not allow).
"""
from __future__ import annotations

from dataclasses import dataclass

from . import hrl

__all__ = ["GuestWrite", "FailoverReport", "Host", "DataPathError"]


class DataPathError(RuntimeError):
    """An operation the data path cannot do in its current phase."""


@dataclass(frozen=True)
class GuestWrite:
    seq: int            # 1, 2, ... in the order the guest wrote on its current source
    disk: int
    block: int
    data: bytes


@dataclass(frozen=True)
class FailoverReport:
    kind: str                                   # "planned" or "unplanned"
    lost_writes: tuple[GuestWrite, ...]         # writes of the old source the new one does not hold
    point_id: int


@dataclass
class Host:
    """A Hyper-V host: its server name, its credential and, as a replica server, its policy."""

    server: str
    credential: hrl.Credential
    policy: hrl.ReplicaServerPolicy | None = None
