"""Protocol machines: what ASR, the Hyper-V Replica engine and operators do, one table each.

* :mod:`.protection`: ASR protection of a VM (REQ-05..07, 23..30)
* :mod:`.replication`: the Hyper-V Replica engine's ReplicationState (REQ-08..22)
* :mod:`.vm_role`: which site runs the workload (REQ-04)
* :mod:`.test_failover`: DR drills (REQ-31)
* :mod:`.recovery_plan`: multi-VM recovery plans (REQ-32..34)
"""
from .protection import PROTECTION
from .recovery_plan import RECOVERY_PLAN
from .replication import REPLICATION
from .test_failover import TEST_FAILOVER
from .vm_role import VM_ROLE

__all__ = ["PROTECTION", "REPLICATION", "VM_ROLE", "TEST_FAILOVER", "RECOVERY_PLAN"]

