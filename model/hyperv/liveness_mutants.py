"""Mutants only a liveness claim can catch: a step that can be taken forever without progress.

Each adds a broken alternative under the same action label
(:func:`hvr_model.checker.mutation.duplicate_rows`), or removes the engine's own
way out and leaves only an operator's: every state can still get home (so
``recoverable_to_home``, an AG EF claim, holds), and mostly no single state or
step is wrong, so only "eventually, under fairness" tells the difference
(``boot_group_can_repeat`` also breaks a step claim: a manual group booted again
skips its confirmation).
"""
from __future__ import annotations

from ..checker.mutation import drop_rows, duplicate_rows
from .protocol.recovery_plan import PlanStatus as _S
from .protocol.replication import ReplicationPhase as _R
from .mutant_catalogue import register as _register

__all__: list[str] = []


_register("delta_cycle_can_ship_nothing",
          "A replication cycle may roll the log over without sending it, every time.",
          "pending_log_is_replicated",
          duplicate_rows("replication", "replicate_delta", lambda r: {**r, "after": []}, source=_R.REPLICATING))
_register("resynchronization_can_start_over",
          "A resynchronization may copy everything, then ask for another one instead of returning to "
          "Replicating, every time.",
          "resynchronization_completes",
          duplicate_rows("replication", "complete_resynchronization",
                         lambda r: {**r, "dest": _R.WAITING_FOR_START_RESYNCHRONIZE}),
          config="two_site_outages")
_register("boot_group_can_repeat",
          "A recovery plan may boot the same group again instead of moving to the next one, every time.",
          "recovery_plan_ends",
          duplicate_rows("recovery_plan", "complete_boot_group", lambda r: {**r, "dest": "=", "after": []},
                         source=_S.BOOT_STEP),
          config="two_group_plan")
_register("monitoring_window_never_moves_on",
          "The health statistics' window never moves on: only an operator's reset clears a missed cycle.",
          "health_returns_to_normal", drop_rows("replication", "monitoring_window_moves_on"),
          config="two_site_outages")
