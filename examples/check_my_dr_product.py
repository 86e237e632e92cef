"""Check your own DR product against the model: the Oracle on its event log, and a pytest trace check.

Your orchestrator logs what it did (enable protection, failovers, commits...). Replay the
log through :class:`hvr_model.Oracle`: every event the model refuses is a divergence, named
with the requirement it breaks. The same check on a JSON Lines trace file is
:func:`hvr_model.assert_conforms`, one line in a pytest test.

Run it: ``python examples/check_my_dr_product.py`` prints the verdict on a correct log and on
a log where the product committed a failover that never happened.
"""
from __future__ import annotations

from hvr_model import Oracle, Refused

#: What a (made-up) DR product logged: (event, parameters), in order.
GOOD_LOG = [("guest_write", {"vm": "web"}), ("replicate_delta", {"vm": "web"}),
            ("planned_failover", {"vm": "web"}), ("start_vm", {"vm": "web"}), ("commit", {"vm": "web"})]
BAD_LOG = [("guest_write", {"vm": "web"}), ("commit", {"vm": "web"})]


def divergence(log, config: str = "single_vm_faults") -> str | None:
    """The first event of ``log`` the model refuses, explained, or None when the log conforms."""
    oracle = Oracle(config)
    for number, (event, params) in enumerate(log, 1):
        try:
            oracle.apply(event, **params)
        except Refused as refusal:
            return f"event {number} ({refusal}; breaks {', '.join(refusal.requirements)})"
    return None


def main() -> None:
    for name, log in (("good log", GOOD_LOG), ("bad log", BAD_LOG)):
        print(f"{name}: {divergence(log) or 'conforms to the model'}")


if __name__ == "__main__":
    main()
