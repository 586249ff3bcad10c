"""Panic: cancel every order, stop every algo, close every position reduce-only, verify flat.

Each step is journaled and published as a :class:`~core.events.PanicProgress` event. Closing
orders go through the one order path (builder → risk chain → executor) as reduce-only market
orders, which pass every breaker (invariant 4).

A panic does not give up. It runs rounds (cancel all, close every position, re-check the venue
over REST) until the venue says the account is flat, or until the trader stops it
(:meth:`PanicRunner.stop`, the panic screen's ``s``). Between failing rounds it backs off, from
``poll_s`` to ``backoff_max_s``; every failure and every wait is a progress step, and after
``timeout_s`` (and again every ``timeout_s``) a loud step says it is still not flat and still
trying. Under sustained REST faults a panic that stopped at a deadline left positions open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from core.api import CommandResult, PanicReport
from core.engine.publisher import Publisher
from core.events import PanicProgress, Severity
from core.journal.journal import Journal
from core.metrics import Metrics
from core.model import Order, Position
from core.resilience.errors import VenueError

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_STEPS_KEPT = 500
"""Steps the report keeps (the journal and the progress events have every one)."""


class PanicCommands(Protocol):
    """What a panic needs to do its work: the commands it runs and the account it watches."""

    def open_counts(self) -> tuple[int, int]:
        """(working orders, positions) the engine knows of now."""
        ...

    async def cancel_all_orders(self) -> list[str]:
        """Cancel every working order on the venue; the ids cancelled."""
        ...

    async def venue_positions(self) -> list[Position]:
        """The positions as the venue has them now."""
        ...

    async def close_position(self, symbol: str, *, position: Position, source: str) -> CommandResult:
        """Close ``position`` reduce-only at market through the one order path."""
        ...

    async def refresh_account(self) -> tuple[list[Order], list[Position]]:
        """Re-read open orders, positions and balance from the venue (and adopt them)."""
        ...

    def settle_unknown(self) -> None:
        """Reconcile, by client order id, any order whose send was cut off."""
        ...


class Stoppable(Protocol):
    """Something else that trades and must stop before a panic flattens (the running strategies)."""

    name: str
    """What the panic's progress step calls it (``strategies``)."""

    async def stop_all(self, reason: str) -> int:
        """Stop everything it runs (journaled); how many it stopped."""
        ...


class _Stopped(Exception):
    """The trader stopped the panic while a step was running."""


@dataclass(slots=True)
class _Run:
    steps: deque[str] = field(default_factory=lambda: deque(maxlen=MAX_STEPS_KEPT))
    cancelled: int = 0
    closed: int = 0
    rounds: int = 0
    failed: bool = False
    """Whether a step of the current round failed (the next round then waits longer)."""


class PanicRunner:
    """Runs one panic at a time; every step is journaled and published."""

    def __init__(
        self,
        commands: PanicCommands,
        journal: Journal,
        publisher: Publisher,
        metrics: Metrics,
        *,
        timeout_s: float = 30.0,
        poll_s: float = 0.3,
        backoff_max_s: float = 5.0,
        stop_algos: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self.commands = commands
        self.journal = journal
        self.out = publisher
        self.metrics = metrics
        self.timeout_s = timeout_s
        """After this long without being flat (and again every as long) a loud progress step."""
        self.poll_s = poll_s
        """Wait before the next round when the last one worked (and the first backoff)."""
        self.backoff_max_s = backoff_max_s
        """Longest wait between rounds while steps keep failing."""
        self._stop_algos = stop_algos
        self.stoppables: list[Stoppable] = []
        """Stopped right after the algos, before any order is touched (each a progress step)."""
        self._lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._stop_reason = ""
        self.unreached: Callable[[], tuple[str, ...]] = tuple
        """Parts of the venue that are down now (:mod:`core.engine.admission`): not flattened."""

    @property
    def running(self) -> bool:
        """True while a panic is in progress."""
        return self._lock.locked()

    def stop(self, reason: str = "stopped by the trader") -> bool:
        """Stop the running panic now (a running step is abandoned; what it sent is reconciled by
        orderLinkId). Returns False when no panic is running."""
        if not self.running:
            return False
        self._stop_reason = reason
        self._stop.set()
        return True

    def request_stop(self, reason: str = "stopped by the trader") -> bool:
        """:meth:`stop`, journaled and logged when a panic was running."""
        stopping = self.stop(reason)
        if stopping:
            self.journal.record("panic_stop", reason=reason)
            self.out.log_line(f"panic stop requested: {reason}", Severity.WARN)
        return stopping

    def _step(self, run: _Run, step: str, detail: str, *, done: bool = False, flat: bool = False) -> None:
        """Report one step. Auditing must never stop flattening: a failed write is logged, not raised."""
        run.steps.append(f"{step}: {detail}")
        log.warning("panic %s: %s", step, detail)
        try:
            self.journal.record("panic_step", step=step, detail=detail, done=done, flat=flat)
        except Exception:
            log.exception("panic: journal write failed for step %s", step)
        try:
            self.out.publish(PanicProgress(self.out.now_ms(), step, detail, done=done, flat=flat), wake=True)
        except Exception:
            log.exception("panic: publishing step %s failed", step)

    async def run(self) -> PanicReport:
        """Execute the panic; a second call while one runs waits for it and returns its result."""
        async with self._lock:
            self._stop.clear()
            try:
                return await self._run()
            finally:
                self._stop.clear()

    async def _unless_stopped(self, step: Awaitable[T]) -> T:
        """Await ``step``, abandoning it (and raising :class:`_Stopped`) if the trader stops the panic."""
        task = asyncio.ensure_future(step)
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        raise _Stopped

    async def _attempt(self, run: _Run, name: str, step: Awaitable[int]) -> int:
        """One step; any failure is reported (the round then backs off) and survived."""
        try:
            return await self._unless_stopped(step)
        except _Stopped:
            raise
        except VenueError as err:
            self._step(run, "retry", f"{name} failed, will retry: {err}")
        except Exception as exc:
            log.exception("panic step %s failed", name)
            self._step(run, "retry", f"{name} failed, will retry: {type(exc).__name__}: {exc}")
        run.failed = True
        return 0

    async def _run(self) -> PanicReport:
        started = time.monotonic()
        run = _Run()
        orders, positions = self.commands.open_counts()
        self._step(run, "start", f"{orders} orders, {positions} positions")
        if unreached := self.unreached():
            self._step(run, "unreached", f"{', '.join(unreached)} down: its orders and positions NOT reached")
        remaining: list[str] = ["unknown: the venue never answered the flat check"]
        flat = stopped = False
        algos = 0
        try:
            algos = await self._unless_stopped(self._stop_algos()) if self._stop_algos else 0
            self._step(run, "algos", f"{algos} algos stopped")
            for other in self.stoppables:
                stopped_n = await self._attempt(run, f"stop {other.name}", other.stop_all("panic"))
                self._step(run, other.name, f"{stopped_n} {other.name} stopped")
            flat, remaining = await self._rounds(run, started, remaining)
        except _Stopped:
            stopped = True
        duration = time.monotonic() - started
        if flat:
            verdict = "FLAT: no open orders, no positions"
            if unreached := self.unreached():
                verdict = f"FLAT where reachable; NOT REACHED (down): {', '.join(unreached)}"
        elif stopped:
            verdict = f"STOPPED ({self._stop_reason}) after {duration:.1f}s, NOT FLAT: {', '.join(remaining)}"
            self.commands.settle_unknown()  # a close cut off mid-send is settled by orderLinkId
        else:  # pragma: no cover - the rounds end only flat or stopped
            verdict = f"NOT FLAT after {duration:.1f}s: {', '.join(remaining)}"
        self._step(run, "done", verdict, done=True, flat=flat)
        self.metrics.panic_run(duration, flat)
        return PanicReport(
            flat=flat,
            steps=tuple(run.steps),
            cancelled=run.cancelled,
            closed=run.closed,
            duration_s=duration,
            remaining=() if flat else tuple(remaining),
            stopped=stopped,
            algos_stopped=algos,
        )

    async def _rounds(self, run: _Run, started: float, remaining: list[str]) -> tuple[bool, list[str]]:
        """Rounds until flat (raises :class:`_Stopped` when stopped). Returns (flat, what is left)."""
        delay = self.poll_s
        warn_at = started + self.timeout_s
        while True:
            run.rounds += 1
            run.failed = False
            # Every step runs every round: a failing cancel-all must not keep positions open.
            run.cancelled += await self._attempt(run, "cancel all", self._cancel_all(run))
            run.closed += await self._attempt(run, "close positions", self._close_all(run))
            left = await self._flat_check(run)
            if left is not None:
                remaining = left
                if not left:
                    return True, []
                self._step(run, "verify", f"not flat yet: {', '.join(left)}")
            now = time.monotonic()
            if now >= warn_at:
                warn_at = now + self.timeout_s
                self._step(
                    run,
                    "still trying",
                    f"NOT FLAT after {now - started:.0f}s and {run.rounds} rounds; panic keeps trying "
                    f"until flat (s on the panic screen stops it): {', '.join(remaining)}",
                )
            delay = min(delay * 2, self.backoff_max_s) if run.failed else self.poll_s
            if run.failed:
                self._step(run, "wait", f"round {run.rounds} had failures; next round in {delay:.1f}s")
            await self._unless_stopped(asyncio.sleep(delay))

    async def _flat_check(self, run: _Run) -> list[str] | None:
        """What the venue still holds (empty: flat), or None when it could not be asked."""
        try:
            orders, positions = await self._unless_stopped(self.commands.refresh_account())
        except _Stopped:
            raise
        except Exception as exc:
            if not isinstance(exc, VenueError):
                log.exception("panic flat check failed")
            self._step(run, "retry", f"flat check failed, will retry: {exc}")
            run.failed = True
            return None
        return [f"order {o.order_link_id}" for o in orders] + [
            f"position {p.symbol} {p.size}" for p in positions if not p.is_flat
        ]

    async def _cancel_all(self, run: _Run) -> int:
        ids = await self.commands.cancel_all_orders()
        if ids:
            self._step(run, "cancel", f"cancelled {len(ids)} orders")
        return len(ids)

    async def _close_all(self, run: _Run) -> int:
        positions = await self.commands.venue_positions()
        closed = 0
        for pos in positions:
            if pos.is_flat:
                continue
            result = await self.commands.close_position(pos.symbol, position=pos, source="panic")
            detail = f"{pos.symbol} {pos.side} {pos.size}: {result.message}"
            self._step(run, "close", detail)
            if result.ok:
                closed += 1
            else:
                run.failed = True
        return closed
