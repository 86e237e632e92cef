"""Which site runs each VM's workload (REQ-04), and the power of its copies.

The active site of a VM changes only through failover and its cancellation;
starting and shutting down the workload happen on the active site. The
ReplicationMode each side shows, and the replication direction, are derived
from this (:func:`hvr_model.hyperv.views.replication_mode`).

>>> ActiveSite.PRIMARY_SITE.index, ActiveSite.RECOVERY_SITE.index
(0, 1)
"""
from enum import StrEnum

from ...checker.tables import MachineSpec, transition as t

__all__ = ["ActiveSite", "VmPower", "VM_ROLE"]


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


A = ActiveSite
_SWAP = ((A.PRIMARY_SITE, A.RECOVERY_SITE), (A.RECOVERY_SITE, A.PRIMARY_SITE))
VM_ROLE = MachineSpec(
    name="vm_role", states=ActiveSite, initial=A.PRIMARY_SITE, scope="vm", field="active",
    transitions=tuple(t(trigger, src, dst) for trigger in ("planned_failover", "planned_failover_on_replica",
                                                            "unplanned_failover", "cancel_failover")
                  for src, dst in _SWAP)
    + (
        t("start_vm", list(A), "=", ["workload_off", "active_host_up", "plan_permits_start",
                                     "not_prepared_for_failover"],
          after=["boot_workload"]),
        t("shutdown_vm", list(A), "=", ["workload_running", "vm_not_locked_by_plan_unless_shutdown"],
          after=["shut_down_workload"]),
    ),
    doc="Which site is active for one VM; start and shut down its workload there.")
