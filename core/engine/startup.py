"""Start-up and shutdown: time sync, instruments, fees, tickers, the account, journal
reconciliation and restored breakers, then the feeds and the background loops; and back down.

Each start-up request is tried again with backoff until it works (:meth:`Startup.call`):
sustained venue faults slow start-up down, visibly, but cannot stop it. A venue made of parts
(both venues at once) starts with the parts that answer; one that is down is held and admitted
later by itself (:mod:`core.engine.admission`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

from core.clock import Clock
from core.config import Settings
from core.engine.account_sync import AccountSync
from core.engine.admission import LateAdmission
from core.engine.algo_resume import resume_algos
from core.engine.algos import AlgoRunner
from core.engine.deadman import DeadMansSwitchKeeper
from core.engine.failsafe import FailSafe
from core.engine.guards import Guards
from core.engine.health import Health
from core.engine.link import Tasks, VenueLink
from core.engine.loops import Loops
from core.engine.panic import PanicRunner
from core.engine.pretrade import PreTrade
from core.engine.publisher import Publisher
from core.engine.reconcile import Reconciler
from core.engine.resync import RecoveryTiming
from core.engine.streams import Streams
from core.events import Severity
from core.journal.journal import Journal
from core.metrics import Metrics
from core.observability.stack import ObservabilityStack
from core.orders.executor import OrderExecutor
from core.resilience.breaker import CircuitOpen
from core.resilience.errors import VenueError, should_retry
from core.store import MarketStore
from core.venues.base import Venue

log = logging.getLogger(__name__)

CLOCK_SKEW_MS = 500
"""A clock offset beyond this corrects request signing (and is said in the log pane)."""


StartCall = Callable[[str, str, Callable[[], Any]], Awaitable[Any]]
"""``(what, method, fn)``: one start-up request (:meth:`Startup.call`, or one try at admission)."""


async def _nothing() -> None:
    """A shutdown step with nothing to do."""


@dataclass(slots=True)
class EngineParts:
    """The collaborators start-up drives (built by the facade)."""

    journal: Journal
    obs: ObservabilityStack
    metrics: Metrics
    executor: OrderExecutor
    pretrade: PreTrade
    account: AccountSync
    reconciler: Reconciler
    guards: Guards
    health: Health
    streams: Streams
    loops: Loops
    failsafe: FailSafe
    panic: PanicRunner
    algos: AlgoRunner
    deadman: DeadMansSwitchKeeper


class Startup:
    """Starts and stops the engine."""

    def __init__(
        self,
        *,
        settings: Settings,
        clock: Clock,
        venue: Venue,
        store: MarketStore,
        link: VenueLink,
        tasks: Tasks,
        parts: EngineParts,
        publisher: Publisher,
        timing: RecoveryTiming,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.venue = venue
        self.store = store
        self.link = link
        self.tasks = tasks
        self.parts = parts
        self.out = publisher
        self.timing = timing
        self.admission = LateAdmission(
            venue=venue,
            link=link,
            parts=parts,
            publisher=publisher,
            tasks=tasks,
            retry_s=timing.start_retry_s,
            load_market=self._admit_market,
        )
        """The parts of the venue held at start-up, admitted once they answer."""
        self._metrics_asked = False

    async def start(self, *, feeds: bool = True, metrics: bool = True) -> None:
        """Sync time, load instruments and the account, reconcile the journal, start feeds; with
        ``metrics`` start the metrics/health server first, else the caller starts it
        (:meth:`start_metrics`) when it suits it."""
        p = self.parts
        self._journal_start()
        if metrics:
            await self.start_metrics()
        await self.admission.probe()
        await self._sync_time()
        await self._load_market()
        await self.call("account sync", "", p.account.refresh_account)
        await p.reconciler.reconcile_journal()
        p.guards.restore()
        if p.reconciler.unchecked_orders:
            p.reconciler.schedule()
        if feeds:
            await p.streams.start()
            self.tasks.spawn(p.loops.watchdog(), "engine-watchdog")
            p.streams.reseed_candles()
        self.tasks.spawn(p.loops.housekeeping(), "engine-housekeeping")
        await p.deadman.start()  # a failure is its published state, never a failed start
        if p.deadman.enabled:
            self.tasks.spawn(p.deadman.run(), "engine-deadman")
        await self._resume_algos()
        await self._load_day()
        self.admission.spawn()
        self.link.started = True
        p.obs.publish_health(p.health.snapshot())
        self.out.log_line(
            f"engine started: mode={self.settings.mode.value} venue={self.venue.rest_url} "
            f"symbols={','.join(self.link.symbols)}"
        )

    async def start_metrics(self) -> None:
        """Start the metrics/health server (if ``[metrics] enabled``); a second call does nothing,
        whether the first is still binding or done. A taken port is said in the log pane, never a
        failed start."""
        if self._metrics_asked:
            return
        self._metrics_asked = True
        try:
            await self.parts.obs.start()
        except OSError as exc:
            m = self.settings.metrics
            why = os.strerror(exc.errno) if exc.errno else str(exc)
            self.out.log_line(
                f"metrics/health server not started on {m.host}:{m.port}: {why} (set [metrics] port)",
                Severity.WARN,
            )

    async def _resume_algos(self) -> None:
        """Algos the last session left running carry on (after the account sync and the journal's
        reconciliation), then the algo tick loop starts."""
        p = self.parts
        venue = self.venue

        async def find_order(symbol: str, link_id: str) -> Any:
            return await p.executor.call("open_orders", partial(venue.find_order, symbol, link_id))

        resumed = await resume_algos(p.algos, p.journal, find_order, p.account.backfill_fills)
        if resumed:
            self.out.log_line(f"{resumed} algo{'' if resumed == 1 else 's'} resumed from the journal")
        self.tasks.spawn(p.algos.run(), "engine-algos")

    async def _load_day(self) -> None:
        """Today's earlier fills and realised PnL from the venue (after the algos' own backfill,
        which hands their fills to them). A failure leaves the day's figures to this session's
        fills, said in the log pane; it never stops start-up."""
        try:
            await self.parts.account.load_day()
        except VenueError as err:
            self.out.log_line(
                f"today's earlier fills not loaded ({err}); the fills pane shows this session's only",
                Severity.WARN,
            )

    def _journal_start(self) -> None:
        journal = self.parts.journal
        mode = self.settings.mode.value
        previous = journal.query(kinds=["start"])
        if previous and previous[-1].data.get("mode") != mode:
            journal.record("mode_change", previous=previous[-1].data.get("mode"), mode=mode)
            self.out.log_line(
                f"mode changed since the last session: {previous[-1].data.get('mode')} -> {mode}"
            )
        journal.record("start", mode=mode, rest_url=self.venue.rest_url)

    async def _load_market(self) -> None:
        """Instruments (one request per symbol), the account's fee rates, a first ticker each
        (a held part's symbols wait for its admission)."""
        held = set(self.admission.held_symbols())
        symbols = tuple(s for s in self.link.symbols if s not in held)
        await self._instruments(symbols, self.call)
        instruments = self.parts.pretrade.instruments
        missing = [s for s in symbols if s not in instruments]
        if missing:
            self.out.log_line(f"symbols not listed by the venue: {', '.join(missing)}", Severity.WARN)
            self.link.symbols = tuple(s for s in self.link.symbols if s in instruments or s in held)
        await self._fees_and_tickers(tuple(s for s in symbols if s in instruments), self.call)

    async def _admit_market(self, symbols: tuple[str, ...]) -> None:
        """A part admitted late: its instruments, the fee rates again, its first tickers (each
        request with its own retries only: a part that fails again is held again)."""

        async def once(_what: str, method: str, fn: Callable[[], Any]) -> Any:
            return await self.parts.executor.call(method, fn)

        await self._instruments(symbols, once)
        listed = tuple(s for s in symbols if s in self.parts.pretrade.instruments)
        if len(listed) < len(symbols):
            missing = ", ".join(s for s in symbols if s not in listed)
            self.out.log_line(f"symbols not listed by the venue: {missing}", Severity.WARN)
        await self._fees_and_tickers(listed, once)

    async def _instruments(self, symbols: tuple[str, ...], call: StartCall) -> None:
        instruments = self.parts.pretrade.instruments
        for sym in symbols:  # one request each: a flaky venue retries one symbol, not all
            insts = await call(f"instruments {sym}", "instruments", partial(self.venue.instruments, (sym,)))
            instruments |= {i.symbol: i for i in insts}

    async def _fees_and_tickers(self, symbols: tuple[str, ...], call: StartCall) -> None:
        try:
            self.parts.pretrade.fees = await self.parts.executor.call("fee_rates", self.venue.fee_rates)
        except VenueError as err:
            self.out.log_line(f"fee rates unavailable ({err}); using defaults", Severity.WARN)
        for sym in symbols:
            ticker = await call(f"ticker {sym}", "tickers", partial(self.venue.ticker, sym))
            if ticker is not None:
                self.store.put_ticker(replace(ticker, ts_ms=ticker.ts_ms or self.out.now_ms()))

    async def stop(self) -> None:
        """Stop feeds and background tasks; exchange-side orders stay where they are (unless the
        venue's dead-man's switch is armed: the venue cancels them once the streams are gone for
        its window).

        Every step runs whatever the one before did: a task that died of an exception, a feed
        that fails to close or a journal that cannot write never leaves sockets or the journal open.
        A running panic is stopped first (it would otherwise keep trying until flat).
        """
        p = self.parts
        p.panic.stop("the engine is stopping")
        await p.failsafe.astep("stop.algos", p.algos.shutdown)
        tasks = self.tasks.take()
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:  # a task that died earlier: its failure was the past, shutdown goes on
                log.exception("background task %s had failed", task.get_name())
        steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("stream resync", p.streams.stop_resync),
            ("feeds", p.streams.stop_feeds),
            ("metrics server", p.obs.stop),
        ]
        for name, step in steps:
            await p.failsafe.astep(f"stop.{name}", step)
        open_orders = len(p.account.state.orders)
        p.failsafe.step("stop.journal", partial(p.journal.record, "stop", open_orders=open_orders))
        p.journal.close()
        self.link.started = False

    async def call(self, what: str, method: str, fn: Callable[[], Any]) -> Any:
        """One start-up step, tried again with backoff until it works (each request already has
        its own retries).

        ``method`` names the venue method for the executor; ``""`` means ``fn`` is itself an
        engine coroutine function (its requests are retried inside). A failure that retrying
        cannot cure (a rejection such as a bad key) or one lasting ``start_patience_s`` is raised.
        """
        first, longest = self.timing.start_retry_s
        delay = first
        give_up = self.clock.monotonic() + self.timing.start_patience_s
        while True:
            try:
                if not method:
                    return await fn()
                return await self.parts.executor.call(method, fn)
            except VenueError as err:
                curable = isinstance(err, CircuitOpen) or should_retry(err, idempotent=True)
                if not curable or self.clock.monotonic() + delay > give_up:
                    raise
                pause = max(delay, err.retry_in_s) if isinstance(err, CircuitOpen) else delay
                self.out.log_line(
                    f"start: {what} failed ({err}); trying again in {pause:.1f}s", Severity.WARN
                )
                await asyncio.sleep(pause)
                delay = min(delay * 2, longest)

    async def _sync_time(self) -> None:
        executor = self.parts.executor

        async def measured() -> tuple[int, int, int]:  # one attempt: a retry's wait is no round trip
            sent = self.out.now_ms()
            server = await executor.call("server_time", self.venue.server_time_ms, attempts=1)
            return sent, server, self.out.now_ms()

        before, server_ms, after = await self.call("server time", "", measured)
        offset = server_ms - (before + after) / 2
        self.link.time_offset_ms = offset
        self.link.venue_reachable = True
        if abs(offset) > CLOCK_SKEW_MS:
            self.venue.set_clock_offset(int(offset))
            self.out.log_line(f"clock offset {offset:.0f} ms vs venue; signing corrected", Severity.WARN)
        self.parts.metrics.set_time_offset(offset)
