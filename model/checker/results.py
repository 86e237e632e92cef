"""What :func:`hvr_model.checker.checking.check` returns: a verdict per claim and one for the run.

A claim's verdict is one of :data:`hvr_model.checker.properties.VERDICTS`; the
run's verdict orders them the way a CI job must read them (TLC and stateright
report the same distinctions):

* ``violated``: some claim is violated (exit code 1 of the command line);
* ``error``: a spec raised while being evaluated (a bug in the spec: exit code 4);
* ``incomplete``: exploration stopped at a bound, or some claim could not be decided
  (``unknown``: no graph kept, unsound under symmetry), so not everything is proved
  (exit code 3);
* ``holds``: every claim was decided and holds (exit code 0); vacuous claims are
  listed apart as warnings.

>>> r = PropertyResult("no_loss", "always", "vacuous", ("REQ-12",), "nothing lost", reason="no data")
>>> r.holds is None, r.verdict
(True, 'vacuous')
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .exploration import Exploration, Step

__all__ = ["PropertyResult", "CheckResult", "ClaimProgress", "RUN_VERDICTS"]

#: A run's verdicts, most severe first.
RUN_VERDICTS = ("violated", "error", "incomplete", "holds")


@dataclass(frozen=True)
class PropertyResult:
    """The verdict on one claim.

    Attributes
    ----------
    verdict : str
        One of ``holds``, ``violated``, ``vacuous``, ``unknown``, ``error``.
    reason : str
        For ``vacuous``, ``unknown`` and ``error``: why (empty otherwise).
    counterexample : list of Step, optional
        A violated claim: the shortest path to the violation; for a liveness claim, the
        lasso's stem (its last state starts the cycle); for an ``error``, the path to the
        state the spec failed in, when known.
    cycle : list of Step, optional
        A violated liveness claim: the steps of the lasso's cycle, back to the stem's last
        state; empty when the fair behaviour stutters there forever.
    example : list of Step, optional
        A satisfied reachability claim: a witness path.
    """

    name: str
    kind: str
    verdict: str
    requirements: tuple[str, ...]
    doc: str
    counterexample: list[Step] | None = None
    example: list[Step] | None = None
    reason: str = ""
    cycle: list[Step] | None = None

    @property
    def holds(self) -> bool | None:
        """True (holds), False (violated) or None (vacuous, unknown or error)."""
        return {"holds": True, "violated": False}.get(self.verdict)


@dataclass(frozen=True)
class ClaimProgress:
    """Handed to the progress callback while claims are decided after exploration."""

    name: str
    index: int          # 1-based
    total: int
    seconds: float      # since the check started


@dataclass
class CheckResult:
    """What :func:`~hvr_model.checker.checking.check` found: the model, its exploration, one result per claim.

    ``seconds`` is the whole check (exploration and claims); ``exploration.seconds`` the search alone.
    """

    model: Any
    exploration: Exploration
    results: list[PropertyResult]
    seconds: float = 0.0

    @property
    def system(self) -> Any:
        """The model checked (the name the Hyper-V layer uses for its composed model)."""
        return self.model

    @property
    def config(self) -> Any:
        return getattr(self.model, "config", None)

    @property
    def mutant(self) -> str | None:
        """The name of the broken variant checked, if the model is one."""
        return getattr(self.model, "mutant", None)

    @property
    def verdict(self) -> str:
        """The run's verdict: ``violated``, ``error``, ``incomplete`` or ``holds`` (see the module docstring)."""
        if self.violated:
            return "violated"
        if self.errors:
            return "error"
        return "holds" if self.exploration.complete and not self.unknown else "incomplete"

    @property
    def holds(self) -> bool:
        """Every claim was decided (none unknown) and holds, none raised, the exploration was complete."""
        return self.verdict == "holds"

    def result(self, name: str) -> PropertyResult:
        return next(r for r in self.results if r.name == name)

    def _named(self, verdict: str) -> list[str]:
        return [r.name for r in self.results if r.verdict == verdict]

    @property
    def violated(self) -> list[str]:
        return self._named("violated")

    @property
    def vacuous(self) -> list[str]:
        return self._named("vacuous")

    @property
    def errors(self) -> list[str]:
        return self._named("error")

    @property
    def unknown(self) -> list[str]:
        return self._named("unknown")
