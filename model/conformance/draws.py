"""Hypothesis runs whose draws depend on the seed alone.

Hypothesis (6.131 on) mixes into its draws constants it collects from the source of every
loaded local module, here our own model: an edit anywhere (a new module imported by the
command line) changed the derandomized fuzz runs, and a mutant the ci profile found at one
commit was missed at the next. :func:`seeded_draws_only` turns that collection off while a
run lasts.
"""
from __future__ import annotations

from contextlib import contextmanager

__all__ = ["seeded_draws_only"]


@contextmanager
def seeded_draws_only():
    """While it lasts, Hypothesis's draws depend on the seed alone, not on the literals of our source.

    Hypothesis (6.131 on) mixes into its draws constants it collects from the source of every
    loaded local module, here our own model: an edit anywhere (a new module imported by the
    command line) changed the derandomized runs, and a mutant the ci profile found at one commit
    was missed at the next. Constant collection has no public switch; where the internal hook is
    absent (another Hypothesis version) the runs are as Hypothesis makes them.
    """
    from hypothesis.internal.conjecture import providers
    collect = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    if collect is None or cache is None:
        yield
        return
    nothing = type(collect())()
    providers._get_local_constants = lambda: nothing
    cache.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = collect
        cache.cache.clear()
