"""LeadsTo and Eventually through the generic check(): fairness from the model and the claim, lassos, vacuity."""
from hvr_model.checker import Eventually, LeadsTo, check


class Server:
    """A request is served, unless the server keeps napping."""

    config = None
    fair = {"serve", "wake"}

    def initial_states(self):
        return ["idle"]

    def successors(self, state):
        return {"idle": [("request", "waiting")],
                "waiting": [("serve", "served"), ("nap", "napping")],
                "napping": [("wake", "waiting")],
                "served": [("reset", "idle")]}[state]

    def fairness(self, label):
        return "weak" if label in self.fair else None


def _served(state, config):
    return state == "served"


def _waiting(state, config):
    return state == "waiting"


def test_without_fairness_the_request_may_wait_forever_by_stuttering():
    class Unfair(Server):
        fair = set()
    r = check(Unfair(), [LeadsTo("served", (), "", _waiting, _served)]).results[0]
    assert r.verdict == "violated"
    assert [s.action for s in r.counterexample] == [None, "request"] and r.cycle == []


def test_weak_fairness_of_serve_is_defeated_by_a_nap_cycle_strong_fairness_is_not():
    r = check(Server(), [LeadsTo("served", (), "", _waiting, _served)]).results[0]
    assert r.verdict == "violated" and [s.action for s in r.cycle] == ["nap", "wake"]
    strong = LeadsTo("served_strongly", (), "", _waiting, _served, strong={"serve"})
    assert check(Server(), [strong]).results[0].verdict == "holds"


def test_an_interruption_discharges_the_claim():
    class Canceller(Server):
        """No naps; an operator may cancel a waiting request (unfair: may or may not happen)."""

        def successors(self, state):
            moves = [m for m in super().successors(state) if m[0] != "nap"]
            return moves + [("cancel", "idle")] if state == "waiting" else moves
    plain = LeadsTo("served", (), "", _waiting, _served)
    r = check(Canceller(), [plain]).results[0]
    assert r.verdict == "violated" and [s.action for s in r.cycle] == ["cancel", "request"]
    excused = LeadsTo("served_unless_cancelled", (), "", _waiting, _served, unless={"cancel"})
    assert check(Canceller(), [excused]).results[0].verdict == "holds"


def test_a_trigger_that_never_holds_is_vacuous_and_a_bounded_run_unknown():
    never = LeadsTo("never", (), "", lambda s, c: s == "broken", _served)
    assert check(Server(), [never]).results[0].verdict == "vacuous"
    bounded = check(Server(), [LeadsTo("served", (), "", _waiting, _served)], max_states=2)
    assert bounded.results[0].verdict == "unknown" and bounded.verdict == "incomplete"


def test_for_each_decides_every_instance():
    class Pair(Server):
        config = ("a", "b")

        def initial_states(self):
            return [("idle", "idle")]

        def successors(self, state):
            for i, part in enumerate(state):
                for label, nxt in Server.successors(self, part):
                    if i == 1 and label == "serve":   # b is never served
                        continue
                    yield f"{label}({self.config[i]})", state[:i] + (nxt,) + state[i + 1:]

        def fairness(self, label):
            return "strong" if label.startswith("serve") else "weak" if label.startswith("wake") else None
    claim = LeadsTo("each_served", (), "", lambda s, c, i: s[i] == "waiting", lambda s, c, i: s[i] == "served",
                    for_each=lambda config: range(len(config)))
    r = check(Pair(), [claim]).results[0]
    assert r.verdict == "violated" and r.reason == "for 1"
