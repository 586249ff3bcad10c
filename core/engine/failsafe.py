"""The engine's fail-safes: one bad value or one full disk must not stop it from reducing risk.

* **Loops survive.** :meth:`FailSafe.step` runs one step of a background loop (housekeeping,
  watchdog): an exception is logged with its reason, counted (``trade_console_loop_errors``) and
  shown once per streak in the log pane, and the loop goes on. A loop never dies of one bad value.
* **The journal failing is loud.** When SQLite refuses writes the journal reports it here: an
  ERROR line in the log pane, an ``AlertRaised`` (``journal_unwritable``) and the alert metric,
  while risk-reducing actions keep going out (recorded to the journal's fallback file) and the
  risk chain's ``journal`` check refuses risk-increasing ones. Recovery is announced the same way.
* **Bad venue data is counted.** Every value the adapters reject feeds ``trade_console_bad_values``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from core.engine.publisher import Publisher
from core.events import AlertRaised, Severity
from core.journal.journal import Journal
from core.metrics import Metrics
from core.observability.baddata import BadDataTracker

log = logging.getLogger(__name__)

JOURNAL_ALERT = "journal_unwritable"
REPEAT_EVERY = 60
"""A failing loop step is logged with its traceback once per this many consecutive failures."""


class FailSafe:
    """Wires the journal and bad-data tracker to its alerts, and keeps its loops alive."""

    def __init__(
        self, journal: Journal, metrics: Metrics, bad_data: BadDataTracker, publisher: Publisher
    ) -> None:
        self.journal = journal
        self.metrics = metrics
        self.out = publisher
        self.streaks: dict[str, int] = {}
        """Consecutive failures per loop step (0 after a success)."""
        journal.on_state = self.on_journal_state
        journal.on_refused = metrics.journal_write_failure
        bad_data.on_bad = metrics.bad_value

    # --- loops ------------------------------------------------------------------------------
    def step(self, name: str, fn: Callable[[], object]) -> bool:
        """Run one step of a background loop; a failure is reported and survived. True if it ran."""
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - reported with its reason; the loop must go on
            self.failed(name, exc)
            return False
        self.streaks[name] = 0
        return True

    async def astep(self, name: str, fn: Callable[[], Awaitable[object]]) -> bool:
        """:meth:`step` for an async step (cancellation still stops the loop)."""
        try:
            await fn()
        except Exception as exc:  # noqa: BLE001 - reported with its reason; the loop must go on
            self.failed(name, exc)
            return False
        self.streaks[name] = 0
        return True

    def failed(self, name: str, exc: BaseException) -> None:
        """Report one failed loop step: counted always, logged loudly at the start of a streak."""
        n = self.streaks.get(name, 0) + 1
        self.streaks[name] = n
        self.metrics.loop_error(name.partition(".")[0])
        if n == 1 or n % REPEAT_EVERY == 0:
            log.error("%s failed (%d in a row); the loop goes on", name, n, exc_info=exc)
        if n == 1:
            self.out.log_line(
                f"{name} failed: {type(exc).__name__}: {exc}; the loop goes on (see the log)", Severity.ERROR
            )

    # --- the journal ------------------------------------------------------------------------
    def on_journal_state(self, reason: str) -> None:
        """The journal stopped (``reason``) or resumed ("") taking writes: say so loudly."""
        out = self.out
        path = self.journal.fallback.path
        if reason:
            message = (
                f"JOURNAL UNWRITABLE: {reason}. Cancels, reduce-only closes and panic still go out "
                f"and are recorded to {path}; risk-increasing orders are refused until it takes writes again"
            )
            out.log_line(message, Severity.ERROR)
        else:
            message = "journal takes writes again; the records its fallback file kept are now in it"
            out.log_line(message, Severity.WARN)
        out.publish(AlertRaised(out.now_ms(), JOURNAL_ALERT, message, bool(reason)), wake=True)
        self.metrics.set_alert(JOURNAL_ALERT, bool(reason))


__all__ = ["JOURNAL_ALERT", "FailSafe"]
