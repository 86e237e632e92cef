"""The composed state: an immutable, hashable value.

``World`` holds the state of every machine instance (sites, network, vault,
recovery plan, and per VM its protection state, replication phase, active site
and drill) plus the extended variables those machines read and write (power of
each copy, per-disk initial-copy progress, snapshot, unsent log, ...).
All fields are tuples of str-valued enums, ints and bools, so states hash and
compare fast.

>>> from hvr_model.hyperv.config import load_config
>>> w = initial_world(load_config("default"))
>>> [str(d) for d in w.vms[1].disks]
['Pending', 'Pending']

Views derived from it (ReplicationMode, direction, health, "home") are in
:mod:`hvr_model.hyperv.views`.
"""
from __future__ import annotations

from typing import Any, NamedTuple

from ..blockstore import ReplicatedVm
from .config import Config
from .environment import NetworkStatus, SiteStatus, VaultStatus
from .events import EVENTS
from .protocol.protection import ProtectionState
from .protocol.recovery_plan import PlanKind, PlanStatus
from .protocol.replication import DiskCopy, ReplicationPhase
from .protocol.test_failover import TestFailoverState
from .protocol.vm_role import ActiveSite, VmPower

__all__ = ["VmState", "World", "initial_world", "with_vms", "update_vm", "SITE_NAMES"]

SITE_NAMES = ("primary", "recovery")


class VmState(NamedTuple):
    protection: ProtectionState
    phase: ReplicationPhase
    active: ActiveSite
    test: TestFailoverState
    power: tuple[VmPower, VmPower]       # per site: primary, recovery
    disks: tuple[DiskCopy, ...]          # initial-copy progress per disk
    snapshot: bool                       # VM snapshot held for initial replication
    unsent: int                          # log batches written but not yet replicated
    unclosed_log: bool                   # the source host crashed with the log open
    retries: int                         # recoverable-error retries so far (saturating)
    older_points: bool                   # the replica holds recovery points besides the latest
    chosen_point: int                    # 0 = latest recovery point, 1 = an older one (failover)
    diverged_replica: bool               # the replica has not yet been synced since a reverse replication
    source_needs_resync: bool            # failed over while a resync was due: a cancel brings it back
    held_logs: bool                      # offline initial replication: logs held on the replica until import
    missed_cycles: bool                  # the health statistics' window holds a missed cycle (REQ-22)
    data: Any = None                     # the reference block store (ReplicatedVm) in data configurations


class World(NamedTuple):
    sites: tuple[SiteStatus, SiteStatus]
    network: NetworkStatus
    vault: VaultStatus
    plan_status: PlanStatus
    plan_kind: PlanKind
    plan_group: int
    vms: tuple[VmState, ...]


def with_vms(w: World, vms: tuple[VmState, ...]) -> World:
    """``w`` with its VM records replaced (a faster ``w._replace(vms=vms)``: the successor hot path)."""
    return tuple.__new__(World, (w[0], w[1], w[2], w[3], w[4], w[5], vms))


def update_vm(w: World, index: int, **changes) -> World:
    """``w`` with fields of VM record ``index`` changed (what effects and machine moves write)."""
    vms = w.vms
    return with_vms(w, vms[:index] + (vms[index]._replace(**changes),) + vms[index + 1:])


def _replays_logs(config: Config, index: int) -> bool:
    """Whether the VM can take ``receive_replayed_log``: only then is a delta recorded to replay."""
    event = "receive_replayed_log"
    return (EVENTS[event].fault in config.faults and event not in config.exclude
            and event not in config.vms[index].exclude)


def _initial_data(config: Config, index: int, engine_class=None):
    if config.data is None:
        return None
    vm = config.vms[index]
    return (engine_class or ReplicatedVm)(vm.name, disks=vm.disks, blocks=config.data.blocks, block_size=1,
                        retention=config.policy.recovery_point_retention_hours,
                        authentication=config.policy.authentication,
                        wiretap=_replays_logs(config, index)).frozen()


def _initial_vm(disks: int, protected: bool, data=None) -> VmState:
    return VmState(
        protection=ProtectionState.PROTECTED if protected else ProtectionState.UNPROTECTED,
        phase=ReplicationPhase.REPLICATING if protected else ReplicationPhase.DISABLED,
        active=ActiveSite.PRIMARY_SITE, test=TestFailoverState.NONE,
        power=(VmPower.SERVING, VmPower.OFF),
        disks=(DiskCopy.COPIED if protected else DiskCopy.PENDING,) * disks,
        snapshot=False, unsent=0, unclosed_log=False, retries=0, older_points=False, chosen_point=0,
        diverged_replica=False, source_needs_resync=False, held_logs=False, missed_cycles=False, data=data)


def initial_world(config: Config, engine_class=None) -> World:
    """Both sites online, every VM serving on the primary site.

    In data configurations each VM carries a block store of ``engine_class``
    (default :class:`hvr_model.blockstore.ReplicatedVm`).
    """
    return World(sites=(SiteStatus.ONLINE, SiteStatus.ONLINE), network=NetworkStatus.CONNECTED,
                 vault=VaultStatus.REACHABLE, plan_status=PlanStatus.IDLE, plan_kind=PlanKind.NONE,
                 plan_group=0,
                 vms=tuple(_initial_vm(vm.disks, config.initially_protected, _initial_data(config, i, engine_class))
                           for i, vm in enumerate(config.vms)))
