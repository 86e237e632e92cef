"""The seed's procedures, step by step, through ``System.apply``.

Each test is one operational procedure (enable protection, fail over, commit,
reverse-replicate, fail back, drill, recovery plan...) written as the explicit
action labels an operator or the engine would produce, with the resulting state
checked at the points that matter: protection state, replication phase,
active site, power of each copy, snapshot, disk progress, ReplicationMode,
direction and health. Refusals are checked through the reasons
:class:`~hvr_model.hyperv.system.EventRefused` gives.

Every step is also checked against ``System.successors``: an event that
``apply`` accepts must be offered there, and one it refuses must not be.
"""
from __future__ import annotations

from hvr_model.hyperv.protocol.test_failover import TestFailoverState
from hvr_model.hyperv.events import EVENTS
from hvr_model.hyperv.protocol.protection import ProtectionState
from hvr_model.hyperv.protocol.recovery_plan import PlanKind, PlanStatus
from hvr_model.hyperv.protocol.replication import DiskCopy, Health, ReplicationPhase
from hvr_model.hyperv.protocol.vm_role import ActiveSite, VmPower
from hvr_model.hyperv.views import is_protected

from .scenario import Run
P = ProtectionState
R = ReplicationPhase
A = ActiveSite
T = TestFailoverState
S = PlanStatus
OFF, BOOTED, SERVING = VmPower.OFF, VmPower.BOOTED, VmPower.SERVING
PRIMARY, RECOVERY = 0, 1


#: EnableProtection for "web" (two disks) in single_vm, the seed's order: create the
#: relationship, initial replication (snapshot, disks one at a time), finalize.
PROTECT_WEB = ("enable_protection(vm=web)", "start_initial_replication(vm=web)",
               "begin_disk_copy(vm=web, disk=0)", "finish_disk_copy(vm=web, disk=0)",
               "begin_disk_copy(vm=web, disk=1)", "finish_disk_copy(vm=web, disk=1)",
               "complete_initial_replication(vm=web)", "finalize_protection(vm=web)")


def protected_web() -> Run:
    run = Run("single_vm").do(*PROTECT_WEB)
    assert run.vm("web").protection is P.PROTECTED and run.vm("web").phase is R.REPLICATING
    return run


# -- protection and replication ------------------------------------------------------------------

def test_enable_protection_then_initial_replication_then_delta():
    run = Run("single_vm")
    web = run.vm("web")
    assert (web.protection, web.phase, run.mode("web", PRIMARY), run.direction("web")) == \
        (P.UNPROTECTED, R.DISABLED, "None", None)

    run.do("enable_protection(vm=web)")
    web = run.vm("web")
    assert (web.protection, web.phase) == (P.ENABLING_PROTECTION, R.READY_FOR_INITIAL_REPLICATION)
    assert (run.mode("web", PRIMARY), run.mode("web", RECOVERY)) == ("Primary", "Replica")
    assert run.direction("web") == "PrimaryToRecovery"
    assert run.health("web") is Health.WARNING
    assert "initial_replication_complete" in run.refused("finalize_protection(vm=web)")

    run.do("start_initial_replication(vm=web)")
    web = run.vm("web")
    assert web.phase is R.INITIAL_REPLICATION_IN_PROGRESS and web.snapshot
    assert web.disks == (DiskCopy.PENDING, DiskCopy.PENDING)

    run.do("begin_disk_copy(vm=web, disk=0)")
    assert run.vm("web").disks == (DiskCopy.COPYING, DiskCopy.PENDING)
    assert "no_disk_copying" in run.refused("begin_disk_copy(vm=web, disk=1)")  # one disk at a time

    run.do("guest_write(vm=web)")                   # tracked in the log during the copy
    assert run.vm("web").unsent == 1
    run.do("finish_disk_copy(vm=web, disk=0)")
    assert "all_disks_copied" in run.refused("complete_initial_replication(vm=web)")
    run.do("begin_disk_copy(vm=web, disk=1)", "finish_disk_copy(vm=web, disk=1)")
    assert run.vm("web").disks == (DiskCopy.COPIED, DiskCopy.COPIED) and run.vm("web").snapshot

    run.do("complete_initial_replication(vm=web)")
    web = run.vm("web")
    assert web.phase is R.REPLICATING and not web.snapshot and web.unsent == 0
    assert web.protection is P.ENABLING_PROTECTION   # not failover-ready before finalize
    assert "replica_has_recovery_point" in run.refused("test_failover(vm=web)")

    run.do("finalize_protection(vm=web)")
    assert run.vm("web").protection is P.PROTECTED and run.health("web") is Health.NORMAL
    assert "log_pending" in run.refused("replicate_delta(vm=web)")

    run.do("guest_write(vm=web)")
    assert run.vm("web").unsent == 1
    run.do("replicate_delta(vm=web)")
    web = run.vm("web")
    assert web.unsent == 0 and web.phase is R.REPLICATING and web.power == (SERVING, OFF)
    assert run.direction("web") == "PrimaryToRecovery" and run.health("web") is Health.NORMAL


def test_suspend_then_resume_replication_sends_what_changed_meanwhile():
    run = protected_web().do("suspend_replication(vm=web)", "guest_write(vm=web)")
    assert run.vm("web").phase is R.SUSPENDED and run.vm("web").unsent == 1
    assert run.health("web") is Health.WARNING
    assert "replication is Suspended" in run.refused("replicate_delta(vm=web)")
    run.do("resume_replication(vm=web)", "replicate_delta(vm=web)")
    assert run.vm("web").phase is R.REPLICATING and run.vm("web").unsent == 0
    assert run.health("web") is Health.NORMAL


def test_disable_protection_then_protect_again():
    run = protected_web().do("disable_protection(vm=web)")
    web = run.vm("web")
    assert (web.protection, web.phase, web.disks) == (P.UNPROTECTED, R.DISABLED, (DiskCopy.PENDING,) * 2)
    assert run.mode("web", PRIMARY) == run.mode("web", RECOVERY) == "None" and run.direction("web") is None
    assert web.power == (SERVING, OFF)
    run.do(*PROTECT_WEB)
    assert run.vm("web").protection is P.PROTECTED


# -- failover, commit, reverse replication, failback ----------------------------------------------

def test_planned_failover_then_commit_then_reverse_replication_leaves_vm_protected_at_recovery_site():
    run = protected_web().do("guest_write(vm=web)")
    assert run.vm("web").unsent == 1

    run.do("shutdown_vm(vm=web)")
    assert run.vm("web").power == (OFF, OFF)
    run.do("planned_failover(vm=web)")
    web = run.vm("web")
    assert web.protection is P.PLANNED_FAILOVER_PENDING_COMMIT
    assert web.unsent == 0                                  # the last log was sent: no data loss
    assert web.active is A.RECOVERY_SITE and web.phase is R.DISABLED
    assert is_protected(web)                                # REQ-26: protected after a planned failover
    assert (run.mode("web", PRIMARY), run.mode("web", RECOVERY)) == ("Primary", "Replica")
    assert run.direction("web") is None and run.health("web") is Health.WARNING
    assert "PlannedFailoverPendingCommit" in run.refused("reverse_replicate(vm=web)")

    run.do("start_vm(vm=web)")
    assert run.vm("web").power == (OFF, BOOTED)             # running, not yet serving users
    run.do("commit(vm=web)")
    web = run.vm("web")
    assert web.protection is P.PLANNED_FAILOVER_COMMITTED and web.power == (OFF, SERVING)
    assert "commit" not in {label.split("(")[0] for label in run.enabled()}   # cannot be undone/redone

    run.do("reverse_replicate(vm=web)")
    web = run.vm("web")
    assert (web.protection, web.phase, web.active) == (P.PROTECTED, R.REPLICATING, A.RECOVERY_SITE)
    assert (run.mode("web", PRIMARY), run.mode("web", RECOVERY)) == ("Replica", "Primary")
    assert run.direction("web") == "RecoveryToPrimary" and run.health("web") is Health.NORMAL
    assert web.power == (OFF, SERVING)
    run.do("guest_write(vm=web)", "replicate_delta(vm=web)")   # delta-only, no resync needed
    assert run.vm("web").unsent == 0 and run.vm("web").phase is R.REPLICATING


def test_unplanned_failover_then_commit_leaves_vm_unprotected_at_recovery_site():
    run = protected_web().do("guest_write(vm=web)", "shutdown_vm(vm=web)", "unplanned_failover(vm=web)")
    web = run.vm("web")
    assert web.protection is P.UNPLANNED_FAILOVER_PENDING_COMMIT and web.active is A.RECOVERY_SITE
    assert web.unsent == 1 and web.phase is R.DISABLED       # not on the replica; the old primary keeps it
    assert "source_vm_off" not in run.refused("reverse_replicate(vm=web)")
    assert not is_protected(web)
    assert (run.mode("web", PRIMARY), run.mode("web", RECOVERY)) == ("None", "Replica")
    run.do("start_vm(vm=web)", "commit(vm=web)")
    web = run.vm("web")
    assert web.protection is P.UNPLANNED_FAILOVER_COMMITTED and web.power == (OFF, SERVING)
    assert run.direction("web") is None and run.health("web") is Health.WARNING
    run.do("reverse_replicate(vm=web)")                     # diverged: comparison-based sync
    assert run.vm("web").phase is R.RESYNCHRONIZING and run.health("web") is Health.CRITICAL
    assert run.direction("web") == "RecoveryToPrimary"


def test_cancel_failover_keeps_the_relationship_and_the_recovery_points():
    """REQ-30 b: Hyper-V's Cancel Failover on the replica; replication resumes from the primary."""
    run = protected_web().do("shutdown_vm(vm=web)", "planned_failover(vm=web)", "start_vm(vm=web)")
    assert run.vm("web").power == (OFF, BOOTED)
    run.do("cancel_failover(vm=web)")
    web = run.vm("web")
    assert (web.protection, web.active, web.power, web.phase) == (P.PROTECTED, A.PRIMARY_SITE, (OFF, OFF),
                                                                  R.REPLICATING)
    assert run.direction("web") == "PrimaryToRecovery" and run.mode("web", RECOVERY) == "Replica"
    run.do("start_vm(vm=web)", "planned_failover(vm=web)")   # another failover is allowed
    assert run.vm("web").protection is P.PLANNED_FAILOVER_PENDING_COMMIT


def test_unplanned_failover_commit_site_back_reverse_replication_planned_failover_back_reverse_replication_is_failback():
    run = Run("single_vm_faults")
    home = run.world
    assert run.vm("web").protection is P.PROTECTED and run.direction("web") == "PrimaryToRecovery"

    # Disaster: the primary site goes down with the VM running and a log unsent.
    run.do("guest_write(vm=web)", "site_outage(site=primary)")
    assert run.vm("web").power == (OFF, OFF)
    run.do("unplanned_failover(vm=web)", "start_vm(vm=web)", "commit(vm=web)")
    web = run.vm("web")
    assert (web.protection, web.active, web.power) == (P.UNPLANNED_FAILOVER_COMMITTED, A.RECOVERY_SITE,
                                                       (OFF, SERVING))
    assert web.unsent == 0 and not is_protected(web)
    reasons = run.refused("reverse_replicate(vm=web)")      # the primary site is still down
    assert "both_vmm_servers_up" in reasons and "replication_path_up" in reasons

    # The primary site comes back: reverse replication (a resync, the sides diverged).
    run.do("site_restored(site=primary)", "reverse_replicate(vm=web)")
    web = run.vm("web")
    assert (web.protection, web.phase, web.active) == (P.PROTECTED, R.RESYNCHRONIZING, A.RECOVERY_SITE)
    assert run.direction("web") == "RecoveryToPrimary"
    run.do("complete_resynchronization(vm=web)")
    assert run.vm("web").phase is R.REPLICATING and run.health("web") is Health.NORMAL

    # Failback: planned failover from the recovery site to the primary, no data loss.
    run.do("guest_write(vm=web)", "shutdown_vm(vm=web)", "planned_failover(vm=web)")
    web = run.vm("web")
    assert (web.protection, web.active, web.unsent) == (P.PLANNED_FAILOVER_PENDING_COMMIT, A.PRIMARY_SITE, 0)
    run.do("start_vm(vm=web)", "commit(vm=web)", "reverse_replicate(vm=web)")
    web = run.vm("web")
    assert (web.protection, web.phase, web.active, web.power) == (P.PROTECTED, R.REPLICATING,
                                                                  A.PRIMARY_SITE, (SERVING, OFF))
    assert (run.mode("web", PRIMARY), run.mode("web", RECOVERY)) == ("Primary", "Replica")
    assert run.direction("web") == "PrimaryToRecovery" and run.health("web") is Health.NORMAL
    assert run.world == home                                # back to the original roles, exactly


def test_unplanned_failover_to_an_older_recovery_point_then_commit_keeps_it():
    # single_vm_faults keeps older recovery points (retention 2 h): ChangePit before commit.
    run = Run("single_vm_faults")
    assert "older_recovery_point_exists" in run.do("shutdown_vm(vm=web)", "unplanned_failover(vm=web)") \
        .refused("change_recovery_point(vm=web)")
    run = Run("single_vm_faults").do("guest_write(vm=web)", "replicate_delta(vm=web)")
    assert run.vm("web").older_points
    run.do("shutdown_vm(vm=web)", "unplanned_failover(vm=web)", "change_recovery_point(vm=web)")
    assert run.vm("web").chosen_point == 1
    run.do("commit(vm=web)")
    web = run.vm("web")
    assert web.protection is P.UNPLANNED_FAILOVER_COMMITTED and not web.older_points
    assert "UnplannedFailoverCommitted" in run.refused("change_recovery_point(vm=web)")


# -- test failover (drill) ---------------------------------------------------------------------------

def test_test_failover_then_cleanup_leaves_production_untouched():
    drill = protected_web()
    baseline = protected_web().do("guest_write(vm=web)", "replicate_delta(vm=web)").world

    drill.do("test_failover(vm=web)")
    web = drill.vm("web")
    assert web.test is T.RUNNING and web.power == (SERVING, OFF) and web.active is A.PRIMARY_SITE
    assert (drill.mode("web", PRIMARY), drill.mode("web", RECOVERY)) == ("Primary", "TestReplica")
    assert "test_failover is TestFailoverRunning" in drill.refused("test_failover(vm=web)")  # one at a time
    assert "no_test_failover" in drill.refused("disable_protection(vm=web)")

    drill.do("guest_write(vm=web)", "replicate_delta(vm=web)")   # production and replication go on
    assert drill.vm("web").phase is R.REPLICATING and drill.health("web") is Health.NORMAL

    drill.do("cleanup_test_failover(vm=web)")
    assert drill.vm("web").test is T.NONE and drill.mode("web", RECOVERY) == "Replica"
    assert drill.world == baseline


# -- recovery plans ------------------------------------------------------------------------------------

def _planned_plan_to_boot_step() -> Run:
    run = Run("two_group_plan")
    run.do("start_planned_recovery_plan()")
    assert (run.world.plan_status, run.world.plan_kind) == (S.SHUTDOWN_STEP, PlanKind.PLANNED)
    assert "plan_permits_failover" in run.refused("planned_failover(vm=db)")
    run.do("complete_shutdown_step()")                      # ASR shuts the plan's VMs down itself (REQ-24)
    assert run.world.plan_status is S.FAILOVER_STEP
    assert run.vm("db").power == (OFF, OFF) and run.vm("app").power == (OFF, OFF)
    run.do("planned_failover(vm=db)")
    assert "plan_vms_failed_over" in run.refused("complete_failover_step()")
    run.do("planned_failover(vm=app)", "complete_failover_step()")
    assert (run.world.plan_status, run.world.plan_group) == (S.BOOT_STEP, 0)
    return run


def test_two_group_recovery_plan_boots_group_two_only_after_group_one():
    run = _planned_plan_to_boot_step()
    assert "plan_permits_start" in run.refused("start_vm(vm=app)")        # group 2 waits
    assert "current_group_started" in run.refused("group_script_succeeds()")
    run.do("start_vm(vm=db)")
    assert run.vm("db").power == (OFF, BOOTED)
    assert "plan_permits_start" in run.refused("start_vm(vm=app)")        # still: group 1 not done
    run.do("group_script_succeeds()")
    assert (run.world.plan_status, run.world.plan_group) == (S.BOOT_STEP, 1)
    run.do("start_vm(vm=app)")
    assert run.vm("app").power == (OFF, BOOTED)
    run.do("complete_boot_group()", "confirm_manual_action()", "close_recovery_plan()")
    assert (run.world.plan_status, run.world.plan_kind, run.world.plan_group) == (S.IDLE, PlanKind.NONE, 0)
    run.do("commit(vm=db)", "commit(vm=app)")
    for vm in ("db", "app"):
        assert run.vm(vm).protection is P.PLANNED_FAILOVER_COMMITTED
        assert run.vm(vm).power == (OFF, SERVING) and run.vm(vm).active is A.RECOVERY_SITE


def test_manual_action_pauses_the_plan_until_confirmed():
    run = _planned_plan_to_boot_step().do("start_vm(vm=db)", "group_script_succeeds()", "start_vm(vm=app)")
    run.do("complete_boot_group()")
    assert run.world.plan_status is S.AWAITING_MANUAL_ACTION
    plan_steps = {label for label in run.enabled()
                  if label.endswith("()") and EVENTS[label[:-2]].kind != "environment"}
    assert plan_steps == {"confirm_manual_action()"}
    assert "AwaitingManualAction" in run.refused("close_recovery_plan()")
    assert "vm_not_locked_by_plan" in run.refused("commit(vm=app)")   # plan VMs wait too
    run.do("confirm_manual_action()")
    assert run.world.plan_status is S.COMPLETED


def test_failing_script_stops_planned_plan_but_not_unplanned():
    planned = _planned_plan_to_boot_step().do("start_vm(vm=db)", "group_script_fails()")
    assert (planned.world.plan_status, planned.world.plan_group) == (S.STOPPED, 0)
    assert "plan_permits_start" in planned.refused("start_vm(vm=app)")

    unplanned = Run("two_group_plan").do(
        "start_unplanned_recovery_plan()", "complete_shutdown_step()", "unplanned_failover(vm=db)", "unplanned_failover(vm=app)",
        "complete_failover_step()", "start_vm(vm=db)", "group_script_fails()")
    assert (unplanned.world.plan_status, unplanned.world.plan_group) == (S.BOOT_STEP, 1)
    unplanned.do("start_vm(vm=app)", "complete_boot_group()", "confirm_manual_action()")
    assert unplanned.world.plan_status is S.COMPLETED
    assert unplanned.vm("app").protection is P.UNPLANNED_FAILOVER_PENDING_COMMIT


def test_stopped_plan_restarts_at_the_failed_group_and_completes():
    run = _planned_plan_to_boot_step().do("start_vm(vm=db)", "group_script_fails()")
    assert run.world.plan_status is S.STOPPED
    assert "vm_not_locked_by_plan" in run.refused("commit(vm=db)")      # still held by the plan
    run.do("restart_recovery_plan()")
    assert (run.world.plan_status, run.world.plan_group) == (S.BOOT_STEP, 0)
    run.do("group_script_succeeds()", "start_vm(vm=app)", "complete_boot_group()", "confirm_manual_action()",
           "close_recovery_plan()")
    assert run.world.plan_status is S.IDLE
    assert [run.vm(vm).power for vm in ("db", "app")] == [(OFF, BOOTED), (OFF, BOOTED)]


def test_test_recovery_plan_has_no_shutdown_step_and_leaves_production_running():
    run = Run("two_group_plan").do("start_test_recovery_plan()")
    assert (run.world.plan_status, run.world.plan_kind) == (S.FAILOVER_STEP, PlanKind.TEST)
    assert "plan_permits_failover" in run.refused("planned_failover(vm=db)")
    run.do("test_failover(vm=db)", "test_failover(vm=app)", "complete_failover_step()",
           "group_script_succeeds()", "complete_boot_group()", "confirm_manual_action()", "close_recovery_plan()")
    for vm in ("db", "app"):
        assert run.vm(vm).test is T.RUNNING and run.vm(vm).power == (SERVING, OFF)
        assert run.vm(vm).protection is P.PROTECTED
    run.do("cleanup_test_failover(vm=db)", "cleanup_test_failover(vm=app)")
    assert run.world == Run("two_group_plan").world


# -- refusals ----------------------------------------------------------------------------------------

def test_asr_planned_failover_job_shuts_the_running_source_down():
    """REQ-24: the ASR job shuts the source down itself, ships the last log and fails over."""
    run = protected_web().do("guest_write(vm=web)")
    run.do("planned_failover(vm=web)")
    web = run.vm("web")
    assert web.protection is P.PLANNED_FAILOVER_PENDING_COMMIT and web.power == (OFF, OFF) and web.unsent == 0


def test_hyperv_planned_failover_needs_the_operator_to_shut_down_then_prepare():
    """REQ-24: Hyper-V's own procedure: shut down, prepare on the primary, fail over on the replica."""
    run = protected_web().do("guest_write(vm=web)")
    assert "source_vm_off" in run.refused("prepare_planned_failover(vm=web)")
    assert "replication is Replicating" in run.refused("planned_failover_on_replica(vm=web)")
    run.do("shutdown_vm(vm=web)", "prepare_planned_failover(vm=web)")
    assert (run.vm("web").phase, run.vm("web").unsent) == (R.PREPARED_FOR_FAILOVER, 0)
    assert "not_prepared_for_failover" in run.refused("start_vm(vm=web)")
    run.do("planned_failover_on_replica(vm=web)")
    assert run.vm("web").protection is P.PLANNED_FAILOVER_PENDING_COMMIT and run.vm("web").active is A.RECOVERY_SITE


def test_cancel_prepared_failover_returns_the_primary_to_replicating():
    run = protected_web().do("shutdown_vm(vm=web)", "prepare_planned_failover(vm=web)",
                             "cancel_prepared_failover(vm=web)", "start_vm(vm=web)")
    assert run.vm("web").phase is R.REPLICATING and run.vm("web").power == (SERVING, OFF)


def test_failed_jobs_change_nothing_and_a_cancelled_failover_job_leaves_the_vm_unprotected():
    """REQ-38 and REQ-30 a."""
    run = Run("single_vm")
    before = run.world
    run.do("enable_protection_failed(vm=web)")
    assert run.world == before                                 # still unprotected
    run = protected_web()
    before = run.world
    run.do("planned_failover_failed(vm=web)", "unplanned_failover_failed(vm=web)")
    assert run.world == before
    run.do("planned_failover_cancelled(vm=web)")
    web = run.vm("web")
    assert (web.protection, web.phase, web.active, web.power) == (P.UNPROTECTED, R.DISABLED, A.PRIMARY_SITE,
                                                                  (OFF, OFF))
    assert run.mode("web", PRIMARY) == "None" and run.mode("web", RECOVERY) == "None"


def test_unplanned_failover_with_the_shutdown_option_shuts_down_and_synchronizes():
    """REQ-25: with the primary reachable nothing is lost."""
    run = Run("single_vm_faults").do("guest_write(vm=web)", "unplanned_failover(vm=web, shutdown_source=true)")
    web = run.vm("web")
    assert web.protection is P.UNPLANNED_FAILOVER_PENDING_COMMIT and web.power == (OFF, OFF) and web.unsent == 0
    down = Run("single_vm_faults").do("guest_write(vm=web)", "site_outage(site=primary)",
                                      "unplanned_failover(vm=web, shutdown_source=true)")
    assert down.vm("web").unsent == 1                          # unreachable: goes on with what was replicated


def test_unplanned_failover_with_the_source_running_is_refused():
    run = protected_web()
    assert "source_vm_off" in run.refused("unplanned_failover(vm=web)")


def test_reverse_replication_before_commit_is_refused():
    run = protected_web().do("shutdown_vm(vm=web)", "unplanned_failover(vm=web)")
    reasons = run.refused("reverse_replicate(vm=web)")
    assert "protection is UnplannedFailoverPendingCommit" in reasons
    run.do("commit(vm=web)", "reverse_replicate(vm=web)")
    assert run.vm("web").protection is P.PROTECTED


def test_test_failover_during_resync_is_refused_while_unplanned_failover_is_allowed_and_cancels_resync():
    run = protected_web().do("suspend_replication(vm=web)", "guest_write(vm=web)",
                             "logs_exceed_threshold(vm=web)")
    assert run.vm("web").phase is R.WAITING_FOR_START_RESYNCHRONIZE and run.health("web") is Health.CRITICAL
    run.do("start_resynchronization(vm=web)")
    assert run.vm("web").phase is R.RESYNCHRONIZING
    assert "phase_allows_test_failover" in run.refused("test_failover(vm=web)")
    run.do("shutdown_vm(vm=web)")
    assert "replication is Resynchronizing" in run.refused("planned_failover(vm=web)")

    run.do("unplanned_failover(vm=web)")
    web = run.vm("web")
    assert web.protection is P.UNPLANNED_FAILOVER_PENDING_COMMIT and web.phase is R.DISABLED
    assert web.active is A.RECOVERY_SITE and run.direction("web") is None


def test_resync_can_be_paused_continued_and_cancelled():
    run = protected_web().do("suspend_replication(vm=web)", "guest_write(vm=web)",
                             "logs_exceed_threshold(vm=web)", "start_resynchronization(vm=web)",
                             "suspend_resynchronization(vm=web)")
    assert run.vm("web").phase is R.RESYNCHRONIZE_SUSPENDED and run.health("web") is Health.CRITICAL
    assert "replication is ResynchronizeSuspended" in run.refused("complete_resynchronization(vm=web)")
    run.do("resume_resynchronization(vm=web)", "cancel_resynchronization(vm=web)")
    assert run.vm("web").phase is R.WAITING_FOR_START_RESYNCHRONIZE
    run.do("start_resynchronization(vm=web)", "complete_resynchronization(vm=web)")
    assert run.vm("web").phase is R.REPLICATING and run.health("web") is Health.NORMAL


def test_orchestration_is_refused_while_the_vault_is_down_but_replicate_delta_still_works():
    run = Run("single_vm_faults").do("vault_outage()", "guest_write(vm=web)")
    assert "vault_reachable" in run.refused("test_failover(vm=web)")
    assert "vault_reachable" in run.refused("disable_protection(vm=web)")
    assert "vault_reachable" in run.refused("start_planned_recovery_plan()")
    run.do("shutdown_vm(vm=web)")
    assert "vault_reachable" in run.refused("planned_failover(vm=web)")
    assert "vault_reachable" in run.refused("unplanned_failover(vm=web)")
    run.do("replicate_delta(vm=web)")                       # host to host, no vault needed
    assert run.vm("web").unsent == 0 and run.vm("web").phase is R.REPLICATING
    run.do("vault_restored()", "planned_failover(vm=web)", "start_vm(vm=web)", "vault_outage()")
    assert run.vm("web").protection is P.PLANNED_FAILOVER_PENDING_COMMIT
    assert "vault_reachable" in run.refused("commit(vm=web)")
    run.do("vault_restored()", "commit(vm=web)")
    assert run.vm("web").protection is P.PLANNED_FAILOVER_COMMITTED


def test_vm_operations_are_refused_while_the_vmm_server_they_need_is_down():
    run = Run("single_vm_faults").do("vmm_server_outage(site=recovery)")
    assert "replica_vmm_up" in run.refused("test_failover(vm=web)")
    run.do("shutdown_vm(vm=web)")
    assert "both_vmm_servers_up" in run.refused("planned_failover(vm=web)")
    assert "replica_vmm_up" in run.refused("unplanned_failover(vm=web)")
    run.do("vmm_server_restored(site=recovery)", "unplanned_failover(vm=web)", "vmm_server_outage(site=recovery)")
    assert "source_vmm_up" in run.refused("commit(vm=web)")   # the VM is now on the recovery site
    run.do("vmm_server_restored(site=recovery)", "commit(vm=web)")
    assert run.vm("web").protection is P.UNPLANNED_FAILOVER_COMMITTED


def test_enable_protection_needs_both_vmm_servers():
    run = Run("default").do("vmm_server_outage(site=primary)")
    assert "both_vmm_servers_up" in run.refused("enable_protection(vm=web)")
    run.do("vmm_server_restored(site=primary)", "enable_protection(vm=web)")
    assert run.vm("web").protection is P.ENABLING_PROTECTION
