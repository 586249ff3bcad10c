"""Recovery after a feed reconnect: resync over REST until it works, then report the stream up.

When a socket comes back the feeds report the stream as ``resync``: pushes flow again, but what
happened while it was down is only known after a REST snapshot (orders, positions, balance and
missed fills for the private stream; tickers for the public one). During an outage that snapshot
often fails (the socket can reconnect a moment before the REST side answers, or the venue flaps),
and a single failed attempt used to leave the stream in ``resync`` for good. :class:`StreamResync`
retries it with exponential backoff until it succeeds, runs it again when another reconnect
arrives while it is running, gives up quietly when the socket drops again (the next reconnect asks
anew), and reports ``up`` only after a snapshot taken while the socket was connected.

The timing is a plain value (:class:`RecoveryTiming`) so tests can make it fast.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.events import Severity
from core.resilience.breaker import CircuitOpen
from core.resilience.errors import VenueError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RecoveryTiming:
    """How fast the engine notices an outage and comes back from it (seconds)."""

    watchdog_s: float = 0.5
    """Interval of the feed watchdog (silent books, dead sockets)."""
    reconnect_backoff_s: tuple[float, float] = (1.0, 10.0)
    """First and longest wait between attempts to rebuild a dead socket (the longest is how late,
    at worst, the console notices that the venue is back)."""
    resync_backoff_s: tuple[float, float] = (0.5, 30.0)
    """First and longest wait between attempts of the REST resync after a reconnect."""
    ack_timeout_s: float = 5.0
    """How long a rebuilt socket may take to have its subscriptions acknowledged."""
    reconcile_backoff_s: tuple[float, float] = (2.0, 30.0)
    """First and longest wait before the background reconciliation asks the venue again about
    orders whose outcome is unknown (it keeps asking until each one is settled)."""
    start_retry_s: tuple[float, float] = (1.0, 30.0)
    """First and longest wait before a start-up request that failed after its retries is tried
    again (each request on its own, so a flaky venue slows start-up down but cannot stop it)."""
    start_patience_s: float = 600.0
    """How long start-up keeps trying one request before it gives up and reports the failure."""


class StreamResync:
    """Runs one resync task per stream; see the module docstring.

    ``resync(stream)`` does the REST work and raises :class:`VenueError` when the venue did not
    answer; ``connected(stream)`` says whether the stream's socket is up; ``report(stream, state,
    detail)`` publishes the stream's state; ``log_line`` writes the log pane.
    """

    def __init__(
        self,
        *,
        resync: Callable[[str], Awaitable[None]],
        connected: Callable[[str], bool],
        report: Callable[[str, str, str], None],
        log_line: Callable[[str, Severity], None],
        timing: RecoveryTiming,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._resync = resync
        self._connected = connected
        self._report = report
        self._log_line = log_line
        self.timing = timing
        self._sleep = sleep
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._again: set[str] = set()
        self._stopped = False
        self.attempts: dict[str, int] = {}
        """Resync attempts per stream since the engine started (failed and successful)."""

    def request(self, stream: str) -> None:
        """A socket reconnected: resync ``stream`` (again, if a resync is already running)."""
        if self._stopped:
            return  # a feed thread's late report after shutdown
        task = self._tasks.get(stream)
        if task is not None and not task.done():
            self._again.add(stream)
            return
        self._tasks[stream] = asyncio.create_task(self._run(stream), name=f"engine-resync-{stream}")

    def pending(self, stream: str) -> bool:
        """True while a resync of ``stream`` is running or waiting to retry."""
        task = self._tasks.get(stream)
        return task is not None and not task.done()

    async def stop(self) -> None:
        """Cancel every resync task (engine shutdown); later requests are ignored."""
        self._stopped = True
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _run(self, stream: str) -> None:
        first, longest = self.timing.resync_backoff_s
        delay = first
        while True:
            self._again.discard(stream)
            if not self._connected(stream):
                log.info("%s resync abandoned: the socket is down again; its reconnect resyncs", stream)
                return
            failure, wait = await self._attempt(stream)
            if failure is None:
                if stream in self._again:
                    continue  # another reconnect happened meanwhile: snapshot again
                if self._connected(stream):
                    self._report(stream, "up", "resynced over REST")
                    self._log_line(f"{stream} stream resynced over REST after reconnect", Severity.INFO)
                return
            # An open endpoint circuit names when it allows a trial: asking sooner only fails.
            pause = max(delay, wait)
            self._report(stream, "resync", f"REST resync failed ({failure}); retry in {pause:.1f}s")
            self._log_line(f"{stream} resync failed: {failure}; retrying in {pause:.1f}s", Severity.WARN)
            await self._sleep(pause)
            delay = min(delay * 2, longest)

    async def _attempt(self, stream: str) -> tuple[str | None, float]:
        """One resync: (None, 0) when it worked, else (why it failed, the least wait before a retry)."""
        self.attempts[stream] = self.attempts.get(stream, 0) + 1
        try:
            await self._resync(stream)
        except CircuitOpen as err:
            return str(err), err.retry_in_s
        except VenueError as err:
            return str(err), 0.0
        except Exception as exc:
            # A bug in the resync must not leave the stream stuck: log it in full and retry.
            log.exception("%s resync raised unexpectedly", stream)
            return f"{type(exc).__name__}: {exc}", 0.0
        return None, 0.0
