"""Full garbage collections at quiet moments, not behind a keypress; none at all during start-up.

From the process's start to the console's first full frame the collector is held
(:func:`hold_collections`, by the ``trade-console`` entry point, before anything is imported):
importing and composing build ~120k objects that all live for the whole session, and the
collections their allocations set off, the later ones walking all of them, are ~10 % of a
launch. The console releases it once start-up's heap is frozen (``console.startup_flow.settle_heap``), or
:data:`HOLD_MAX_S` after its screen mounts whatever happens (a venue that never answers, a live
gate left open); every other sub-command releases it before it runs.

CPython starts a full (oldest-generation) collection whenever enough objects have survived the
younger ones. In the console that is every few seconds at 2,000 book messages a second, and a
full collection walks every object created since start-up (the start-up heap itself is frozen,
see :func:`console.startup_flow.settle_heap`): ~25 ms on this class of machine, all of it on the UI
thread. A key pressed then waits for it: the slowest ticket opens in ``bench/ui.py`` were these.

:class:`GcPacer` turns the automatic full collections off and makes them itself, on a timer:
one is due every :data:`EVERY_S`; it runs at the first tick when no key has been pressed for
:data:`QUIET_S` and no modal is open (nobody is typing), and at the latest :data:`MAX_DEFER_S`
after the last one whatever happens, so unreachable cycles are never kept for long. Young
collections are untouched (they are short). Only the console's own process paces its collector
(``freeze_heap``); a test process hosting many apps keeps CPython's defaults.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

EVERY_S = 15.0
"""A full collection is due this long after the previous one."""
QUIET_S = 1.0
"""It waits until no key has been pressed for this long (and no modal is open) ..."""
MAX_DEFER_S = 60.0
"""... but never longer than this after the previous one."""
TICK_S = 0.5
"""How often the pacer looks."""
HOLD_MAX_S = 10.0
"""The longest the collector stays held after the console's screen mounts."""
NO_AUTOMATIC_FULL = 1_000_000
"""The collector's oldest-generation threshold while paced: its own full collections never come."""


def hold_collections() -> None:
    """No collections until :func:`release_collections` (start-up: see the module's text)."""
    gc.disable()


def release_collections() -> None:
    """Collections as usual again (a no-op when they were never held)."""
    gc.enable()


class GcPacer:
    """Decides when the full collection runs; the app calls :meth:`key` and :meth:`tick`."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        collect: Callable[[], object] | None = None,
    ) -> None:
        self._clock = clock
        self._collect = collect or gc.collect
        self._last_key = float("-inf")
        self._keys = 0
        self._last_full = clock()
        self.collections = 0
        """Full collections made so far (for tests and diagnostics)."""

    def take_over(self) -> None:
        """Turn CPython's automatic full collections off (young ones stay as they are)."""
        young, middle, _old = gc.get_threshold()
        gc.set_threshold(young, middle, NO_AUTOMATIC_FULL)

    def tick(self, *, modal_open: bool, keys: int) -> bool:
        """Collect now if one is due and nobody is typing (or it is overdue); True if it did.

        ``keys`` counts the keys delivered so far: a change since the last tick is typing.
        """
        now = self._clock()
        if keys != self._keys:
            self._keys, self._last_key = keys, now
        since = now - self._last_full
        if since < EVERY_S:
            return False
        quiet = not modal_open and now - self._last_key >= QUIET_S
        if not quiet and since < MAX_DEFER_S:
            return False
        self._collect()
        self._last_full = self._clock()
        self.collections += 1
        return True


def pace_collections(
    set_interval: Callable[[float, Callable[[], object]], object],
    modal_open: Callable[[], bool],
    keys: Callable[[], int],
) -> GcPacer:
    """Take the full collections over and tick the pacer on ``set_interval`` (the app's)."""
    pacer = GcPacer()
    pacer.take_over()
    set_interval(TICK_S, lambda: pacer.tick(modal_open=modal_open(), keys=keys()))
    return pacer


__all__ = [
    "EVERY_S",
    "HOLD_MAX_S",
    "MAX_DEFER_S",
    "QUIET_S",
    "TICK_S",
    "GcPacer",
    "hold_collections",
    "pace_collections",
    "release_collections",
]
