"""Site roles (REQ-01..04): sites, the link between them, the vault, and which site runs each VM.

Each site has a VMM server and (in the model) one Hyper-V host. The status of a
site, the inter-site network and the Azure vault change only through
environment actions (faults and repairs, see :mod:`hvr_model.events`); the
active site of a VM changes only through failover (and its cancellation).

The ReplicationMode each side shows, and the replication direction, are
derived from these states (:func:`hvr_model.world.replication_mode`).

>>> SiteStatus.VMM_SERVER_DOWN.value
'VmmServerDown'
>>> ActiveSite.PRIMARY_SITE.index, ActiveSite.RECOVERY_SITE.index
(0, 1)
"""
from enum import StrEnum

from .machines import MachineSpec, transition as t

__all__ = ["SiteStatus", "NetworkStatus", "VaultStatus", "ActiveSite", "VmPower",
           "SITE", "NETWORK", "VAULT", "VM_ROLE", "HOST_UP", "VMM_UP"]


class SiteStatus(StrEnum):
    ONLINE = "Online"
    VMM_SERVER_DOWN = "VmmServerDown"
    HOST_CRASHED = "HostCrashed"
    OFFLINE = "Offline"


class NetworkStatus(StrEnum):
    CONNECTED = "Connected"
    PARTITIONED = "Partitioned"


class VaultStatus(StrEnum):
    REACHABLE = "Reachable"
    UNREACHABLE = "Unreachable"


class ActiveSite(StrEnum):
    """The site that runs a VM's production workload (the other one holds its replica)."""

    PRIMARY_SITE = "ActiveOnPrimarySite"
    RECOVERY_SITE = "ActiveOnRecoverySite"

    @property
    def index(self) -> int:
        return 0 if self is ActiveSite.PRIMARY_SITE else 1


class VmPower(StrEnum):
    """Power of a VM's copy on one site (extended state, not a machine)."""

    OFF = "Off"
    BOOTED = "Booted"        # running after a failover, not yet committed: not serving users
    SERVING = "Serving"      # running the production workload


HOST_UP = frozenset({SiteStatus.ONLINE, SiteStatus.VMM_SERVER_DOWN})
VMM_UP = frozenset({SiteStatus.ONLINE, SiteStatus.HOST_CRASHED})

S = SiteStatus
SITE = MachineSpec(
    name="site", states=SiteStatus, initial=S.ONLINE, scope="site", field="sites",
    transitions=(
        t("site_outage", S.ONLINE, S.OFFLINE, ["fault_budget_left"], after=["crash_workloads_on_site"]),
        t("site_restored", S.OFFLINE, S.ONLINE),
        t("vmm_server_outage", S.ONLINE, S.VMM_SERVER_DOWN, ["fault_budget_left"]),
        t("vmm_server_restored", S.VMM_SERVER_DOWN, S.ONLINE),
        t("host_crash", S.ONLINE, S.HOST_CRASHED, ["fault_budget_left"], after=["crash_workloads_on_site"]),
        t("host_restart", S.HOST_CRASHED, S.ONLINE),
    ),
    doc="One site: its Hyper-V host and VMM server, up or down.")

N = NetworkStatus
NETWORK = MachineSpec(
    name="network", states=NetworkStatus, initial=N.CONNECTED, scope="system", field="network",
    transitions=(
        t("network_partition", N.CONNECTED, N.PARTITIONED, ["fault_budget_left"]),
        t("network_restored", N.PARTITIONED, N.CONNECTED),
    ),
    doc="The LAN/VPN link that carries replication between the sites' hosts.")

V = VaultStatus
VAULT = MachineSpec(
    name="vault", states=VaultStatus, initial=V.REACHABLE, scope="system", field="vault",
    transitions=(
        t("vault_outage", V.REACHABLE, V.UNREACHABLE, ["fault_budget_left"]),
        t("vault_restored", V.UNREACHABLE, V.REACHABLE),
    ),
    doc="The Recovery Services vault in Azure: orchestration only, never data.")

A = ActiveSite
_SWAP = ((A.PRIMARY_SITE, A.RECOVERY_SITE), (A.RECOVERY_SITE, A.PRIMARY_SITE))
VM_ROLE = MachineSpec(
    name="vm_role", states=ActiveSite, initial=A.PRIMARY_SITE, scope="vm", field="active",
    transitions=tuple(t(trigger, src, dst) for trigger in ("planned_failover", "unplanned_failover",
                                                            "cancel_failover") for src, dst in _SWAP)
    + (
        t("start_vm", list(A), "=", ["workload_off", "active_host_up", "plan_permits_start"],
          after=["boot_workload"]),
        t("shutdown_vm", list(A), "=", ["workload_running", "vm_not_locked_by_plan_unless_shutdown"],
          after=["shut_down_workload"]),
    ),
    doc="Which site is active for one VM; start and shut down its workload there.")
