"""The LAN/VPN link between the sites' hosts (REQ-01; faults).

An environment machine: a partition stops replication (logs pile up, REQ-16)
and is repaired by the environment.

>>> NETWORK.initial.value
'Connected'
"""
from enum import StrEnum

from ...checker.tables import MachineSpec, transition as t

__all__ = ["NetworkStatus", "NETWORK"]


class NetworkStatus(StrEnum):
    CONNECTED = "Connected"
    PARTITIONED = "Partitioned"


N = NetworkStatus
NETWORK = MachineSpec(
    name="network", states=NetworkStatus, initial=N.CONNECTED, scope="system", field="network",
    transitions=(
        t("network_partition", N.CONNECTED, N.PARTITIONED, ["fault_budget_left"]),
        t("network_restored", N.PARTITIONED, N.CONNECTED),
    ),
    doc="The LAN/VPN link that carries replication between the sites' hosts.")
