"""One site (REQ-01, 02; faults): its Hyper-V host and VMM server, up or down.

An environment machine: its state changes only through faults and repairs
(see :mod:`hvr_model.hyperv.events`), never through protocol actions. Each
site has a VMM server and, in the model, one Hyper-V host; an outage of the
whole site takes both down.

>>> SiteStatus.VMM_SERVER_DOWN.value
'VmmServerDown'
>>> sorted(str(s) for s in HOST_UP)
['Online', 'VmmServerDown']
"""
from enum import StrEnum

from ...checker.tables import MachineSpec, transition as t

__all__ = ["SiteStatus", "SITE", "HOST_UP", "VMM_UP"]


class SiteStatus(StrEnum):
    ONLINE = "Online"
    VMM_SERVER_DOWN = "VmmServerDown"
    HOST_CRASHED = "HostCrashed"
    OFFLINE = "Offline"


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
