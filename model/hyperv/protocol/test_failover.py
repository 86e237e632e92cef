"""Test failover (DR drill) of one VM (REQ-31).

A test VM is created on the replica site from a recovery point, on an isolated
network; production and replication go on untouched. One drill per VM at a
time; cleanup deletes the test VM and discards its changes.

>>> TestFailoverState.RUNNING.value
'TestFailoverRunning'
"""
from enum import StrEnum

from ...checker.tables import MachineSpec, transition as t

__all__ = ["TestFailoverState", "TEST_FAILOVER"]


class TestFailoverState(StrEnum):
    __test__ = False  # not a pytest test class

    NONE = "NoTestFailover"
    RUNNING = "TestFailoverRunning"


T = TestFailoverState
TEST_FAILOVER = MachineSpec(
    name="test_failover", states=TestFailoverState, initial=T.NONE, scope="vm", field="test",
    transitions=(
        t("test_failover", T.NONE, T.RUNNING,
          ["vault_reachable", "replica_vmm_up", "replica_host_up", "replica_has_recovery_point",
           "phase_allows_test_failover", "plan_permits_failover"]),
        t("cleanup_test_failover", T.RUNNING, T.NONE,
          ["vault_reachable", "replica_vmm_up", "vm_not_locked_by_plan"]),
    ),
    system_names={"NoTestFailover": "ReplicationMode None (no test VM)",
                  "TestFailoverRunning": "test VM with ReplicationMode TestReplica"},
    doc="DR drill on the replica site: create the test VM, then clean it up.")
