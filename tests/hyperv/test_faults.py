"""Every fault of the requirements, then its repair, as scenarios driven through ``System.apply``.

A fault event only exists in a configuration that lists it in ``faults``:
single_vm_faults (one protected VM "web" with two disks, every fault, two at a
time, log threshold 2, two back-off retries) and default (two VMs, one fault at
a time) are used here, and data_replay for a recorded log replayed on real bytes.
"""
from __future__ import annotations

import pytest

from hvr_model.hyperv.system import EventRefused
from hvr_model.hyperv.events import EVENTS
from hvr_model.hyperv.protocol.protection import ProtectionState
from hvr_model.hyperv.protocol.replication import Health, ReplicationPhase
from hvr_model.hyperv.environment import NetworkStatus, SiteStatus, VaultStatus
from hvr_model.hyperv.protocol.vm_role import ActiveSite, VmPower
from hvr_model.hyperv.views import direction, replication_mode

from .scenario import Run
P = ProtectionState
R = ReplicationPhase
OFF, BOOTED, SERVING = VmPower.OFF, VmPower.BOOTED, VmPower.SERVING
PRIMARY, RECOVERY = 0, 1


def faults() -> Run:
    run = Run("single_vm_faults")
    web = run.vm()
    assert (web.protection, web.phase, web.power) == (P.PROTECTED, R.REPLICATING, (SERVING, OFF))
    return run


def test_fault_events_exist_only_in_configurations_that_list_the_fault():
    run = Run("single_vm")
    with pytest.raises(EventRefused, match="no such event in configuration 'single_vm'"):
        run.system.apply(run.world, "site_outage(site=primary)")
    no_faults = {label for label in run.system.event_by_label if EVENTS[label.split("(")[0]].kind == "environment"}
    assert no_faults == set()
    default = Run("default").system
    assert ("non_recoverable_error" in default.config.faults) == \
        ("non_recoverable_error(vm=web)" in default.event_by_label)
    assert "non_recoverable_error(vm=web)" in faults().system.event_by_label


# -- primary site ------------------------------------------------------------------------------------

def test_primary_site_down_then_up_leaves_log_unclosed_and_forces_resync():
    run = faults().do("guest_write(vm=web)", "site_outage(site=primary)")
    web = run.vm()
    assert run.world.sites == (SiteStatus.OFFLINE, SiteStatus.ONLINE)
    assert web.power == (OFF, OFF) and web.unclosed_log and web.unsent == 1
    assert "unplanned_failover(vm=web)" in run.enabled()         # possible meanwhile
    assert "active_host_up" in run.refused("start_vm(vm=web)")
    assert "source_host_up" in run.refused("detect_unclosed_log(vm=web)")

    run.do("site_restored(site=primary)")
    assert run.world.sites == (SiteStatus.ONLINE, SiteStatus.ONLINE) and run.vm().unclosed_log
    assert "log_closed_cleanly" in run.refused("planned_failover(vm=web)")   # the VM is off already
    run.do("start_vm(vm=web)")
    assert run.vm().power == (SERVING, OFF)
    run.do("detect_unclosed_log(vm=web)")
    web = run.vm()
    assert web.phase is R.WAITING_FOR_START_RESYNCHRONIZE and not web.unclosed_log and web.unsent == 0
    assert run.health() is Health.CRITICAL
    assert "replication is WaitingForStartResynchronize" in run.refused("replicate_delta(vm=web)")
    run.do("start_resynchronization(vm=web)", "complete_resynchronization(vm=web)")
    assert run.vm().phase is R.REPLICATING and run.health() is Health.NORMAL
    run.do("shutdown_vm(vm=web)", "planned_failover(vm=web)")      # clean again


def test_primary_site_down_unplanned_failover_runs_the_workload_on_the_recovery_site():
    run = faults().do("guest_write(vm=web)", "site_outage(site=primary)", "unplanned_failover(vm=web)")
    web = run.vm()
    assert web.protection is P.UNPLANNED_FAILOVER_PENDING_COMMIT and web.active is ActiveSite.RECOVERY_SITE
    assert web.unsent == 1 and web.unclosed_log                  # on the dead primary until commit (REQ-30 b)
    assert replication_mode(run.world, 0, PRIMARY) == "None" and direction(run.world, 0) is None
    run.do("start_vm(vm=web)", "commit(vm=web)")
    assert run.vm().unsent == 0 and not run.vm().unclosed_log   # committed: lost for good
    assert run.vm().power == (OFF, SERVING)
    run.do("site_restored(site=primary)")
    assert run.vm().power == (OFF, SERVING)                     # the old primary does not come back up
    assert "workload_off" in run.refused("start_vm(vm=web)")


def test_primary_site_down_while_the_vm_is_shut_down_leaves_no_unclosed_log():
    run = faults().do("shutdown_vm(vm=web)", "site_outage(site=primary)", "site_restored(site=primary)")
    assert not run.vm().unclosed_log
    assert "unclosed_log" in run.refused("detect_unclosed_log(vm=web)")


# -- secondary site ------------------------------------------------------------------------------------

def test_secondary_site_down_replication_retries_then_succeeds_when_back():
    run = faults().do("site_outage(site=recovery)", "guest_write(vm=web)")
    attempts = run.system.config.bounds.retry_attempts
    assert attempts >= 1, "single_vm_faults should distinguish back-off retries"
    assert run.vm().power == (SERVING, OFF)                     # production is not affected
    assert "replication_path_up" in run.refused("replicate_delta(vm=web)")
    reasons = run.refused("unplanned_failover(vm=web)")
    assert "replica_vmm_up" in reasons and "replica_host_up" in reasons

    run.do("replication_fails(vm=web)")
    assert (run.vm().phase, run.vm().retries, run.health()) == (R.RETRYING_AFTER_ERROR, 0, Health.WARNING)
    run.do("retry_replication(vm=web)")
    assert (run.vm().phase, run.vm().retries, run.health()) == (R.RETRYING_AFTER_ERROR, 1, Health.CRITICAL)
    for _ in range(attempts + 1):
        run.do("retry_replication(vm=web)")
    assert run.vm().retries == attempts                         # saturates at bounds.retry_attempts
    assert run.vm().unsent == 1

    run.do("site_restored(site=recovery)", "retry_replication(vm=web)")
    web = run.vm()
    # REQ-22: the missed cycles stay in the statistics window: Warning until it moves on.
    assert (web.phase, web.unsent, web.retries) == (R.REPLICATING, 0, 0) and run.health() is Health.WARNING
    run.do("monitoring_window_moves_on(vm=web)")
    assert run.health() is Health.NORMAL


PROTECT_WEB_DEFAULT = ("enable_protection(vm=web)", "start_initial_replication(vm=web)",
                       "begin_disk_copy(vm=web, disk=0)", "finish_disk_copy(vm=web, disk=0)",
                       "begin_disk_copy(vm=web, disk=1)", "finish_disk_copy(vm=web, disk=1)",
                       "complete_initial_replication(vm=web)", "finalize_protection(vm=web)")


def test_replication_that_keeps_failing_becomes_critical_in_the_default_configuration():
    run = Run("default").do(*PROTECT_WEB_DEFAULT, "network_partition()", "guest_write(vm=web)",
                            "replication_fails(vm=web)")
    assert run.health("web") is Health.WARNING
    run.do("retry_replication(vm=web)", "retry_replication(vm=web)")
    assert run.vm("web").phase is R.RETRYING_AFTER_ERROR
    assert run.health("web") is Health.CRITICAL


# -- network partition ---------------------------------------------------------------------------------

def test_network_partition_logs_pile_up_past_the_limit_then_resync():
    run = faults().do("guest_write(vm=web)", "replicate_delta(vm=web)")
    assert run.vm().older_points                                # retention keeps older points here
    run.do("network_partition()")
    assert run.world.network is NetworkStatus.PARTITIONED
    assert "log_at_limit" in run.refused("logs_exceed_threshold(vm=web)")   # below the limit: not yet
    run.do("guest_write(vm=web)")
    limit = run.system.config.bounds.log_threshold
    assert "replication_path_up" in run.refused("replicate_delta(vm=web)")
    run.do("replication_fails(vm=web)")
    while run.vm().unsent < limit:
        run.do("guest_write(vm=web)")
    run.do("guest_write(vm=web)")
    assert run.vm().unsent == limit                             # the abstraction saturates at the bound
    run.do("logs_exceed_threshold(vm=web)")
    web = run.vm()
    assert (web.phase, web.unsent) == (R.WAITING_FOR_START_RESYNCHRONIZE, 0) and run.health() is Health.CRITICAL
    assert "replication_path_up" in run.refused("start_resynchronization(vm=web)")
    run.do("network_restored()", "start_resynchronization(vm=web)")
    assert run.vm().phase is R.RESYNCHRONIZING
    run.do("complete_resynchronization(vm=web)")
    assert (run.vm().phase, run.vm().older_points) == (R.REPLICATING, False)   # points rebuilt from scratch
    assert run.health() is Health.WARNING                       # REQ-22: the missed cycle is still counted


def test_network_partition_while_suspended_logs_exceed_threshold():
    run = faults().do("suspend_replication(vm=web)", "network_partition()")
    while run.vm().unsent < run.system.config.bounds.log_threshold:
        run.do("guest_write(vm=web)")
    run.do("logs_exceed_threshold(vm=web)")
    assert run.vm().phase is R.WAITING_FOR_START_RESYNCHRONIZE


def test_network_partition_repaired_before_the_limit_needs_no_resync():
    run = faults().do("network_partition()", "guest_write(vm=web)", "replication_fails(vm=web)",
                      "network_restored()", "retry_replication(vm=web)")
    web = run.vm()
    assert (web.phase, web.unsent, web.older_points) == (R.REPLICATING, 0, True)


# -- host crash -------------------------------------------------------------------------------------

def test_primary_host_crash_while_the_vm_runs_forces_resync_after_restart():
    run = faults().do("host_crash(site=primary)")
    web = run.vm()
    assert run.world.sites[PRIMARY] is SiteStatus.HOST_CRASHED
    assert web.power == (OFF, OFF) and web.unclosed_log
    assert "active_host_up" in run.refused("start_vm(vm=web)")
    assert "unplanned_failover(vm=web)" in run.enabled()         # the VMM server is still up
    run.do("host_restart(site=primary)", "detect_unclosed_log(vm=web)")
    assert run.vm().phase is R.WAITING_FOR_START_RESYNCHRONIZE and run.health() is Health.CRITICAL
    run.do("start_vm(vm=web)", "start_resynchronization(vm=web)", "complete_resynchronization(vm=web)")
    assert run.vm().phase is R.REPLICATING and run.vm().power == (SERVING, OFF)


def test_recovery_host_crash_leaves_the_running_primary_untouched():
    run = faults().do("host_crash(site=recovery)")
    web = run.vm()
    assert web.power == (SERVING, OFF) and not web.unclosed_log
    run.do("guest_write(vm=web)", "replication_fails(vm=web)", "host_restart(site=recovery)",
           "retry_replication(vm=web)")
    assert run.vm().phase is R.REPLICATING


def test_log_left_open_by_a_host_crash_is_never_shipped():
    run = faults().do("guest_write(vm=web)", "host_crash(site=primary)", "host_restart(site=primary)")
    assert run.vm().unclosed_log and run.vm().unsent == 1
    assert "replicate_delta(vm=web)" not in run.enabled()


def test_log_left_open_by_a_host_crash_during_initial_replication_is_never_applied():
    run = faults().do("disable_protection(vm=web)", "enable_protection(vm=web)",
                      "start_initial_replication(vm=web)",
                      "begin_disk_copy(vm=web, disk=0)", "finish_disk_copy(vm=web, disk=0)",
                      "begin_disk_copy(vm=web, disk=1)", "finish_disk_copy(vm=web, disk=1)",
                      "guest_write(vm=web)", "host_crash(site=primary)", "host_restart(site=primary)")
    assert run.vm().phase is R.INITIAL_REPLICATION_IN_PROGRESS and run.vm().unsent == 1
    assert "complete_initial_replication(vm=web)" not in run.enabled()


# -- VMM server ----------------------------------------------------------------------------------------

def test_vmm_server_down_refuses_orchestration_on_that_site_while_replication_continues():
    run = faults().do("vmm_server_outage(site=primary)")
    assert run.world.sites[PRIMARY] is SiteStatus.VMM_SERVER_DOWN
    assert run.vm().power == (SERVING, OFF)                     # the host keeps running the VM
    run.do("guest_write(vm=web)", "replicate_delta(vm=web)")
    assert run.vm().unsent == 0 and run.vm().phase is R.REPLICATING
    assert "source_vmm_up" in run.refused("disable_protection(vm=web)")
    run.do("test_failover(vm=web)", "cleanup_test_failover(vm=web)")   # needs only the replica's VMM
    run.do("shutdown_vm(vm=web)")
    assert "both_vmm_servers_up" in run.refused("planned_failover(vm=web)")   # failback needs both
    run.do("vmm_server_restored(site=primary)", "planned_failover(vm=web)")
    assert run.vm().protection is P.PLANNED_FAILOVER_PENDING_COMMIT


# -- vault ---------------------------------------------------------------------------------------------

def test_vault_unreachable_refuses_all_orchestration_while_replication_continues():
    run = faults().do("guest_write(vm=web)")
    assert run.enabled_of_kind("orchestration")                 # some are offered with the vault up
    run.do("vault_outage()")
    assert run.world.vault is VaultStatus.UNREACHABLE
    assert run.enabled_of_kind("orchestration") == set()
    for label in ("test_failover(vm=web)", "disable_protection(vm=web)", "start_unplanned_recovery_plan()"):
        assert "vault_reachable" in run.refused(label)
    assert "replicate_delta(vm=web)" in run.enabled_of_kind("engine")
    run.do("replicate_delta(vm=web)", "shutdown_vm(vm=web)")
    assert run.vm().unsent == 0
    assert run.enabled_of_kind("orchestration") == set()
    run.do("vault_restored()")
    assert {"planned_failover(vm=web)", "unplanned_failover(vm=web)"} <= run.enabled_of_kind("orchestration")


def test_vault_unreachable_in_the_middle_of_a_plan_holds_the_plan():
    run = Run("two_group_plan").do("start_unplanned_recovery_plan()", "shutdown_vm(vm=db)",
                                   "shutdown_vm(vm=app)", "vault_outage()")
    assert "vault_reachable" in run.refused("complete_shutdown_step()")
    run.do("vault_restored()", "complete_shutdown_step()")
    assert str(run.world.plan_status) == "FailoverStep"


# -- non-recoverable error -------------------------------------------------------------------------

def test_non_recoverable_error_then_resume_from_the_pending_logs():
    """REQ-21: once the cause is fixed, resuming continues from the pending logs, no resync."""
    run = faults().do("guest_write(vm=web)", "non_recoverable_error(vm=web)")
    assert run.vm().phase is R.ERROR and run.health() is Health.CRITICAL
    assert "replication is Error" in run.refused("replicate_delta(vm=web)")
    assert "replication is Error" in run.refused("retry_replication(vm=web)")   # no automatic retry
    run.do("resume_replication(vm=web)")
    assert (run.vm().phase, run.vm().unsent) == (R.REPLICATING, 1)
    run.do("replicate_delta(vm=web)")
    assert run.vm().unsent == 0 and run.health() is Health.NORMAL


def test_non_recoverable_error_whose_log_passed_the_limit_needs_a_resync():
    run = faults().do("guest_write(vm=web)", "non_recoverable_error(vm=web)", "logs_exceed_threshold(vm=web)")
    assert (run.vm().phase, run.vm().unsent) == (R.WAITING_FOR_START_RESYNCHRONIZE, 0)
    run.do("auto_start_resynchronization(vm=web)", "complete_resynchronization(vm=web)")
    assert run.vm().phase is R.REPLICATING


def test_non_recoverable_error_still_allows_unplanned_failover_but_not_planned():
    run = faults().do("non_recoverable_error(vm=web)", "shutdown_vm(vm=web)")
    assert "replication is Error" in run.refused("planned_failover(vm=web)")
    run.do("unplanned_failover(vm=web)")
    assert run.vm().protection is P.UNPLANNED_FAILOVER_PENDING_COMMIT and run.vm().phase is R.DISABLED


# -- fault budget --------------------------------------------------------------------------------------

#: One label per independent fault, in the order the budget test injects them.
_FAULTS = ("vault_outage()", "network_partition()", "vmm_server_outage(site=recovery)",
           "site_outage(site=primary)", "site_outage(site=recovery)")


@pytest.mark.parametrize("config", ["default", "single_vm_faults", "two_site_outages"])
def test_fault_budget_bounds_concurrent_faults(config):
    run = Run(config)
    budget = run.system.config.bounds.max_concurrent_faults
    available = [label for label in _FAULTS if label in run.system.event_by_label]
    assert len(available) >= budget >= 1
    for label in available[:budget]:
        run.do(label)
    for label in available[budget:]:
        assert "fault_budget_left" in run.refused(label)
    if config == "two_site_outages":                            # a regional disaster: both sites down
        assert run.world.sites == (SiteStatus.OFFLINE, SiteStatus.OFFLINE)
        assert run.vm().power == (OFF, OFF)
        assert "replica_host_up" in run.refused("unplanned_failover(vm=web)")


# -- a recorded log replayed (data_replay, REQ-36, 37) -------------------------------------------------

def _protected_on_real_bytes() -> Run:
    run = Run("data_replay").do(
        "enable_protection(vm=web)", "start_initial_replication(vm=web)", "begin_disk_copy(vm=web, disk=0)",
        "finish_disk_copy(vm=web, disk=0)", "complete_initial_replication(vm=web)", "finalize_protection(vm=web)")
    assert run.vm().phase is R.REPLICATING and run.vm().data.recorded    # the first delta was recorded
    return run


def test_a_replayed_log_is_refused_and_changes_nothing_in_its_own_generation():
    run = _protected_on_real_bytes()
    before = run.world
    run.do("receive_replayed_log(vm=web)")
    assert run.world == before                                           # no resync: the row stays put


def test_a_log_replayed_after_a_resync_is_refused_and_the_next_delta_still_applies():
    run = _protected_on_real_bytes().do(
        "guest_write(vm=web, disk=0, block=0, data=A)", "receive_corrupted_log(vm=web)",
        "auto_start_resynchronization(vm=web)", "complete_resynchronization(vm=web)")
    data = run.vm().data
    stale = data.recorded[1][0].header
    assert stale.generation < data.replica_generation and stale.log_id == data.last_applied[0] + 1
    before = run.world
    run.do("receive_replayed_log(vm=web)")
    assert run.world == before and run.vm().data.refusal is None
    run.do("guest_write(vm=web, disk=0, block=0, data=A)", "replicate_delta(vm=web)")
    data = run.vm().data
    assert data.replica_disks() == data.source_disks() and data.refusal is None
