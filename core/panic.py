"""Panic: cancel every order, stop every algo, close every position reduce-only, verify flat.

Each step is journaled and published as a :class:`~core.events.PanicProgress` event. Closing
orders go through the one order path (builder → risk chain → executor) as reduce-only market
orders, which pass every breaker (invariant 4). The run re-checks the venue over REST until it is
flat or ``timeout_s`` runs out, and retries through rate limits and 5xx on the way.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.api import PanicReport
from core.events import PanicProgress
from core.resilience.errors import VenueError

if TYPE_CHECKING:
    from core.engine import Engine

log = logging.getLogger(__name__)


@dataclass(slots=True)
class _Run:
    steps: list[str] = field(default_factory=list)
    cancelled: int = 0
    closed: int = 0


class PanicRunner:
    """Runs one panic at a time for an engine."""

    def __init__(
        self,
        engine: Engine,
        *,
        timeout_s: float = 30.0,
        poll_s: float = 0.3,
        stop_algos: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self.engine = engine
        self.timeout_s = timeout_s
        self.poll_s = poll_s
        self._stop_algos = stop_algos
        self._lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        """True while a panic is in progress."""
        return self._lock.locked()

    def _step(self, run: _Run, step: str, detail: str, *, done: bool = False, flat: bool = False) -> None:
        """Report one step. Auditing must never stop flattening: a failed write is logged, not raised."""
        eng = self.engine
        run.steps.append(f"{step}: {detail}")
        log.warning("panic %s: %s", step, detail)
        try:
            eng.journal.record("panic_step", step=step, detail=detail, done=done, flat=flat)
        except Exception:
            log.exception("panic: journal write failed for step %s", step)
        try:
            eng.publish(PanicProgress(eng.now_ms(), step, detail, done=done, flat=flat), wake=True)
        except Exception:
            log.exception("panic: publishing step %s failed", step)

    async def run(self) -> PanicReport:
        """Execute the panic; a second call while one runs waits for it and returns its result."""
        async with self._lock:
            return await self._run()

    async def _attempt(self, run: _Run, name: str, step: Awaitable[int], deadline: float) -> int:
        """One step, bounded by the panic's deadline; any failure is reported and survived."""
        left = max(0.1, deadline - time.monotonic())
        try:
            return await asyncio.wait_for(step, timeout=left)
        except TimeoutError:
            self._step(run, "retry", f"{name} did not finish before the panic deadline")
        except VenueError as err:
            self._step(run, "retry", f"{name} failed, will retry: {err}")
        except Exception as exc:
            log.exception("panic step %s failed", name)
            self._step(run, "retry", f"{name} failed, will retry: {type(exc).__name__}: {exc}")
        return 0

    async def _run(self) -> PanicReport:
        eng = self.engine
        started = time.monotonic()
        deadline = started + self.timeout_s
        run = _Run()
        self._step(run, "start", f"{len(eng.state.orders)} orders, {len(eng.state.positions)} positions")
        algos = await self._stop_algos() if self._stop_algos else 0
        self._step(run, "algos", f"{algos} algos stopped")

        flat = False
        remaining: list[str] = ["unknown: the venue never answered the flat check"]
        while time.monotonic() < deadline:
            # Every step runs every round: a failing cancel-all must not keep positions open.
            run.cancelled += await self._attempt(run, "cancel all", self._cancel_all(run), deadline)
            run.closed += await self._attempt(run, "close positions", self._close_all(run), deadline)
            try:
                left = max(0.1, deadline - time.monotonic())
                orders, positions = await asyncio.wait_for(eng.refresh_account(), timeout=left)
            except (TimeoutError, VenueError) as err:
                self._step(run, "retry", f"flat check failed, will retry: {err or 'timed out'}")
                await asyncio.sleep(self.poll_s)
                continue
            remaining = [f"order {o.order_link_id}" for o in orders] + [
                f"position {p.symbol} {p.size}" for p in positions if not p.is_flat
            ]
            if not remaining:
                flat = True
                break
            self._step(run, "verify", f"not flat yet: {', '.join(remaining)}")
            await asyncio.sleep(self.poll_s)
        duration = time.monotonic() - started
        verdict = (
            "FLAT: no open orders, no positions"
            if flat
            else f"NOT FLAT after {duration:.1f}s: {', '.join(remaining)}"
        )
        self._step(run, "done", verdict, done=True, flat=flat)
        eng.metrics_panic(duration, flat)
        return PanicReport(
            flat=flat,
            steps=tuple(run.steps),
            cancelled=run.cancelled,
            closed=run.closed,
            duration_s=duration,
            remaining=tuple(remaining) if not flat else (),
        )

    async def _cancel_all(self, run: _Run) -> int:
        eng = self.engine
        ids = await eng.executor.call("cancel_all", lambda: eng.venue.cancel_all(None), bypass_breaker=True)
        if ids:
            self._step(run, "cancel", f"cancelled {len(ids)} orders")
        return len(ids)

    async def _close_all(self, run: _Run) -> int:
        eng = self.engine
        positions = await eng.executor.call("positions", eng.venue.positions, bypass_breaker=True)
        closed = 0
        for pos in positions:
            if pos.is_flat:
                continue
            result = await eng.close_position(pos.symbol, position=pos, source="panic")
            detail = f"{pos.symbol} {pos.side} {pos.size}: {result.message}"
            self._step(run, "close", detail)
            if result.ok:
                closed += 1
        return closed
