"""The Recovery Services vault in Azure (REQ-01; faults).

An environment machine: while the vault is unreachable orchestration (jobs,
recovery plans) is refused, but replication between the hosts goes on.

>>> VAULT.initial.value
'Reachable'
"""
from enum import StrEnum

from ...checker.tables import MachineSpec, transition as t

__all__ = ["VaultStatus", "VAULT"]


class VaultStatus(StrEnum):
    REACHABLE = "Reachable"
    UNREACHABLE = "Unreachable"


V = VaultStatus
VAULT = MachineSpec(
    name="vault", states=VaultStatus, initial=V.REACHABLE, scope="system", field="vault",
    transitions=(
        t("vault_outage", V.REACHABLE, V.UNREACHABLE, ["fault_budget_left"]),
        t("vault_restored", V.UNREACHABLE, V.REACHABLE),
    ),
    doc="The Recovery Services vault in Azure: orchestration only, never data.")
