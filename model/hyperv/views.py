"""Views of the composed state: what operators and Hyper-V see, derived, never stored.

Which site sends and which holds the replica, whether hosts and VMM servers
are up, Hyper-V's ``ReplicationMode`` per side, the replication direction,
``ReplicationHealth`` (REQ-17, 21, 22), how many faults are in effect, and
"home" (every VM protected on its original primary, nothing failed).

>>> from hvr_model.hyperv.config import load_config
>>> from hvr_model.hyperv.state import initial_world
>>> w = initial_world(load_config("default"))
>>> replication_mode(w, 0, 0), direction(w, 0), is_home(w)
('None', None, False)
"""
from __future__ import annotations

from .environment import HOST_UP, VMM_UP, NetworkStatus, SiteStatus, VaultStatus
from .protocol.protection import COMMITTED, PENDING_COMMIT, ProtectionState
from .protocol.recovery_plan import PlanStatus
from .protocol.replication import RESYNC_PHASES, Health, ReplicationPhase
from .protocol.test_failover import TestFailoverState
from .protocol.vm_role import ActiveSite, VmPower
from .state import VmState, World

__all__ = ["source_site", "replica_site", "host_up", "vmm_up", "link_up", "reachable", "runs_at_source", "replication_mode", "direction", "is_protected",
           "replication_health", "active_faults", "vm_at_home", "is_home"]


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


def link_up(world: World) -> bool:
    """Replication can flow: the network is connected and both sites' hosts are up (REQ-01)."""
    return world.network is NetworkStatus.CONNECTED and host_up(world, 0) and host_up(world, 1)


def reachable(world: World, site: int) -> bool:
    """ASR can act on a VM on ``site``: its host and its VMM server are up (REQ-02)."""
    return host_up(world, site) and vmm_up(world, site)


def runs_at_source(vm: VmState) -> bool:
    """A copy of the VM runs on its source site."""
    return vm.power[source_site(vm)] is not VmPower.OFF


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
                    R.INITIAL_REPLICATION_IN_PROGRESS, R.SUSPENDED, R.PREPARED_FOR_FAILOVER):
        return Health.WARNING
    if vm.protection in COMMITTED | PENDING_COMMIT:
        return Health.WARNING  # failed over but not yet reverse-replicated
    if vm.missed_cycles:
        # REQ-22: health is computed over the statistics window, which still holds a missed cycle.
        return Health.WARNING
    return Health.NORMAL


def vm_at_home(vm) -> bool:
    """Protected, active and serving on the primary site, replicating normally."""
    return (vm.protection is ProtectionState.PROTECTED and vm.active is ActiveSite.PRIMARY_SITE
            and vm.phase is ReplicationPhase.REPLICATING and vm.test is TestFailoverState.NONE
            and vm.power == (VmPower.SERVING, VmPower.OFF))


def is_home(w, config=None) -> bool:
    """Every VM at home, nothing failed, no plan running."""
    return (w.sites == (SiteStatus.ONLINE, SiteStatus.ONLINE) and w.network is NetworkStatus.CONNECTED
            and w.vault is VaultStatus.REACHABLE and w.plan_status is PlanStatus.IDLE
            and all(vm_at_home(vm) for vm in w.vms))
