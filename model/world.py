"""The composed state: an immutable, hashable value.

``World`` holds the state of every machine instance (sites, network, vault,
recovery plan, and per VM its protection state, replication phase, active site
and drill) plus the extended variables those machines read and write (power of
each copy, per-disk initial-copy progress, snapshot, unsent log, ...).
All fields are tuples of str-valued enums, ints and bools, so states hash and
compare fast.

>>> from hvr_model.config import load_config
>>> w = initial_world(load_config("default"))
>>> [str(d) for d in w.vms[1].disks]
['Pending', 'Pending']
>>> replication_mode(w, 0, 0), direction(w, 0)
('None', None)
"""
from __future__ import annotations

from typing import Any, NamedTuple

from .config import Config
from .drill import TestFailoverState
from .protection import COMMITTED, PENDING_COMMIT, ProtectionState
from .recovery_plan import PlanKind, PlanStatus
from .replication import DiskCopy, Health, ReplicationPhase, RESYNC_PHASES
from .sites import HOST_UP, VMM_UP, ActiveSite, NetworkStatus, SiteStatus, VaultStatus, VmPower

__all__ = ["VmState", "World", "initial_world", "source_site", "replica_site", "host_up", "vmm_up",
           "replication_mode", "direction", "is_protected", "replication_health", "active_faults",
           "SITE_NAMES"]

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
    data: Any = None                     # the reference block store (ReplicatedVm) in data configurations


class World(NamedTuple):
    sites: tuple[SiteStatus, SiteStatus]
    network: NetworkStatus
    vault: VaultStatus
    plan_status: PlanStatus
    plan_kind: PlanKind
    plan_group: int
    vms: tuple[VmState, ...]


def _initial_data(config: Config, index: int, engine_class=None):
    if config.data is None:
        return None
    from .blockstore import ReplicatedVm
    vm = config.vms[index]
    return (engine_class or ReplicatedVm)(vm.name, disks=vm.disks, blocks=config.data.blocks, block_size=1,
                        retention=config.policy.recovery_point_retention_hours,
                        authentication=config.policy.authentication).frozen()


def _initial_vm(disks: int, protected: bool, data=None) -> VmState:
    return VmState(
        protection=ProtectionState.PROTECTED if protected else ProtectionState.UNPROTECTED,
        phase=ReplicationPhase.REPLICATING if protected else ReplicationPhase.DISABLED,
        active=ActiveSite.PRIMARY_SITE, test=TestFailoverState.NONE,
        power=(VmPower.SERVING, VmPower.OFF),
        disks=(DiskCopy.COPIED if protected else DiskCopy.PENDING,) * disks,
        snapshot=False, unsent=0, unclosed_log=False, retries=0, older_points=False, chosen_point=0,
        diverged_replica=False, data=data)


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


def source_site(vm: VmState) -> int:
    """Site index that runs the VM and sends its changes (0 primary, 1 recovery)."""
    return 0 if vm.active is ActiveSite.PRIMARY_SITE else 1


def replica_site(vm: VmState) -> int:
    """Site index that holds the VM's replica."""
    return 1 - source_site(vm)


def host_up(world: World, site: int) -> bool:
    return world.sites[site] in HOST_UP


def vmm_up(world: World, site: int) -> bool:
    return world.sites[site] in VMM_UP


def is_protected(vm: VmState) -> bool:
    """The VM has a replication relationship whose replica can take over (REQ-26).

    After a planned failover the old primary holds an identical copy and is
    prepared to receive reverse replication, so the VM counts as protected.
    """
    P = ProtectionState
    return vm.protection in (P.PROTECTED, P.PLANNED_FAILOVER_PENDING_COMMIT, P.PLANNED_FAILOVER_COMMITTED)


def replication_mode(world: World, vm_index: int, site: int) -> str:
    """Hyper-V ``ReplicationMode`` of the VM's copy on ``site``: None, Primary, Replica or TestReplica."""
    vm = world.vms[vm_index]
    if vm.protection is ProtectionState.UNPROTECTED:
        return "None"
    if vm.protection in PENDING_COMMIT | COMMITTED:
        # The failed-over replica runs in Replica mode until reverse replication; after a
        # planned failover the old primary stays Primary, prepared to receive it back.
        if site == source_site(vm):
            return "Replica"
        return "Primary" if is_protected(vm) else "None"
    if site == source_site(vm):
        return "Primary"
    return "TestReplica" if vm.test is TestFailoverState.RUNNING else "Replica"


def direction(world: World, vm_index: int) -> str | None:
    """PrimaryToRecovery or RecoveryToPrimary while replication runs, else None."""
    vm = world.vms[vm_index]
    if vm.phase is ReplicationPhase.DISABLED:
        return None
    return "PrimaryToRecovery" if source_site(vm) == 0 else "RecoveryToPrimary"


def active_faults(world: World) -> int:
    """How many environment faults are in effect now."""
    return (sum(s is not SiteStatus.ONLINE for s in world.sites)
            + (world.network is NetworkStatus.PARTITIONED) + (world.vault is VaultStatus.UNREACHABLE))


def replication_health(world: World, vm_index: int) -> Health:
    """ReplicationHealth of a VM, derived from its state (REQ-17, 21, 22)."""
    vm = world.vms[vm_index]
    R = ReplicationPhase
    if vm.protection is ProtectionState.UNPROTECTED:
        return Health.NOT_APPLICABLE
    if vm.phase in (R.ERROR, R.WAITING_FOR_START_RESYNCHRONIZE, *RESYNC_PHASES):
        return Health.CRITICAL
    if vm.phase is R.RETRYING_AFTER_ERROR:
        # The first failed cycle is a missed cycle; failing again means it cannot send.
        return Health.CRITICAL if vm.retries > 0 else Health.WARNING
    if vm.phase in (R.READY_FOR_INITIAL_REPLICATION, R.WAITING_FOR_INITIAL_REPLICATION,
                    R.INITIAL_REPLICATION_IN_PROGRESS, R.SUSPENDED):
        return Health.WARNING
    if vm.protection in COMMITTED | PENDING_COMMIT:
        return Health.WARNING  # failed over but not yet reverse-replicated
    return Health.NORMAL
