"""The engine's runtime: start-up, shutdown, feeds, account sync and the background loops.

Split from :mod:`core.engine` by responsibility: this half keeps the engine's picture of the
venue true (time sync, REST snapshots, WebSocket pushes, reconnect resyncs, fill backfills,
unknown-outcome reconciliation, periodic housekeeping); ``Engine`` itself is the command API
and the order path.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from core.engine_feeds import EngineFeedSink
from core.engine_resync import RecoveryTiming, StreamResync
from core.engine_support import EngineSupport
from core.events import Connectivity, Event, Severity
from core.market.books import BookKeeper
from core.market.candles import TIMEFRAMES
from core.market.timerange import TimeRange
from core.model import Balance, Fill, Instrument, Order, Position
from core.resilience.breaker import CircuitOpen
from core.resilience.errors import VenueError, should_retry
from core.venues.base import Feeds, FeedTiming

if TYPE_CHECKING:
    from decimal import Decimal

    from core.failsafe import FailSafe
    from core.panic import PanicRunner
    from core.sent_times import SentTimes
    from core.store import MarketStore

log = logging.getLogger(__name__)


async def _nothing() -> None:
    """A shutdown step with nothing to do."""


CHART_HISTORY = 200
"""Candles fetched per symbol and timeframe at start (Bybit's default kline page)."""


class EngineRuntime(EngineSupport):
    """Lifecycle and synchronisation half of :class:`core.engine.Engine`."""

    store: MarketStore
    _loop: asyncio.AbstractEventLoop | None
    _tasks: list[asyncio.Task[None]]
    recovery: RecoveryTiming = RecoveryTiming()
    """Watchdog, reconnect and resync timing (tests replace it before :meth:`start`)."""
    _resync: StreamResync | None = None
    books: BookKeeper | None = None
    """The local order books (built with the feeds at :meth:`start`)."""
    _reconcile_task: asyncio.Task[None] | None
    _candle_task: asyncio.Task[None] | None = None
    _sent_at: SentTimes
    _fees: dict[str, tuple[Decimal, Decimal]]
    _instruments: dict[str, Instrument]
    pnl_settling_since: int | None
    in_flight: set[str]
    failsafe: FailSafe
    panic_runner: PanicRunner

    # --- lifecycle --------------------------------------------------------------------------
    async def start(self, *, feeds: bool = True) -> None:
        """Sync time, load instruments and the account, reconcile the journal, start feeds."""
        self._loop = asyncio.get_running_loop()
        mode = self.settings.mode.value
        previous = self.journal.query(kinds=["start"])
        if previous and previous[-1].data.get("mode") != mode:
            self.journal.record("mode_change", previous=previous[-1].data.get("mode"), mode=mode)
            self.log_line(f"mode changed since the last session: {previous[-1].data.get('mode')} -> {mode}")
        self.journal.record("start", mode=mode, rest_url=self.venue.rest_url)
        try:
            await self.obs.start()
        except OSError as exc:
            self.log_line(f"metrics/health server not started: {exc}", Severity.WARN)
        await self._sync_time()
        for sym in self.symbols:  # one request each: a flaky venue retries one symbol, not all
            insts = await self._start_call(
                f"instruments {sym}", "instruments", partial(self.venue.instruments, (sym,))
            )
            self._instruments |= {i.symbol: i for i in insts}
        missing = [s for s in self.symbols if s not in self._instruments]
        if missing:
            self.log_line(f"symbols not listed by the venue: {', '.join(missing)}", Severity.WARN)
            self.symbols = tuple(s for s in self.symbols if s in self._instruments)
        try:
            self._fees = await self.executor.call("fee_rates", self.venue.fee_rates)
        except VenueError as err:
            self.log_line(f"fee rates unavailable ({err}); using defaults", Severity.WARN)
        for sym in self.symbols:
            ticker = await self._start_call(f"ticker {sym}", "tickers", partial(self.venue.ticker, sym))
            if ticker is not None:
                self.store.put_ticker(replace(ticker, ts_ms=ticker.ts_ms or self.now_ms()))
        await self._start_call("account sync", "", self.refresh_account)
        await self.reconcile_journal()
        self.restore_breakers()
        if self.unchecked_orders:
            self._schedule_reconcile()
        if feeds:
            self._resync = StreamResync(
                resync=self._resync_stream,
                connected=self._stream_connected,
                report=self._report_stream,
                log_line=self.log_line,
                timing=self.recovery,
            )
            self.feeds = self._build_feeds(self._loop)
            await asyncio.to_thread(self.feeds.start)
            self._tasks.append(asyncio.create_task(self._watchdog_loop(), name="engine-watchdog"))
            self._reseed_candles()
        self._tasks.append(asyncio.create_task(self._housekeeping_loop(), name="engine-housekeeping"))
        self.started = True
        self.obs.publish_health(self.health_snapshot())
        self.log_line(
            f"engine started: mode={self.settings.mode.value} venue={self.venue.rest_url} "
            f"symbols={','.join(self.symbols)}"
        )

    async def stop(self) -> None:
        """Stop feeds and background tasks; exchange-side orders stay where they are.

        Every step runs whatever the one before did: a task that died of an exception, a feed
        that fails to close or a journal that cannot write never leaves sockets or the journal open.
        A running panic is stopped first (it would otherwise keep trying until flat).
        """
        self.panic_runner.stop("the engine is stopping")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            try:
                await task
            except asyncio.CancelledError:
                pass
            except Exception:  # a task that died earlier: its failure was the past, shutdown goes on
                log.exception("background task %s had failed", task.get_name())
        self._tasks.clear()
        steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
            ("stream resync", self._resync.stop if self._resync is not None else _nothing),
            ("feeds", partial(asyncio.to_thread, self.feeds.stop) if self.feeds is not None else _nothing),
            ("metrics server", self.obs.stop),
        ]
        for name, step in steps:
            await self.failsafe.astep(f"stop.{name}", step)
        self.failsafe.step(
            "stop.journal", partial(self.journal.record, "stop", open_orders=len(self.state.orders))
        )
        self.journal.close()
        self.started = False

    async def _start_call(self, what: str, method: str, fn: Callable[[], Any]) -> Any:
        """One start-up step, tried again with backoff until it works (each request already has
        its own retries): sustained venue faults slow start-up down, visibly, but cannot stop it.

        ``method`` names the venue method for the executor; ``""`` means ``fn`` is itself an
        engine coroutine function (its requests are retried inside). A failure that retrying
        cannot cure (a rejection such as a bad key) or one lasting ``start_patience_s`` is raised.
        """
        first, longest = self.recovery.start_retry_s
        delay = first
        give_up = self.clock.monotonic() + self.recovery.start_patience_s
        while True:
            try:
                if not method:
                    return await fn()
                return await self.executor.call(method, fn)
            except VenueError as err:
                curable = isinstance(err, CircuitOpen) or should_retry(err, idempotent=True)
                if not curable or self.clock.monotonic() + delay > give_up:
                    raise
                pause = max(delay, err.retry_in_s) if isinstance(err, CircuitOpen) else delay
                self.log_line(f"start: {what} failed ({err}); trying again in {pause:.1f}s", Severity.WARN)
                await asyncio.sleep(pause)
                delay = min(delay * 2, longest)

    async def _sync_time(self) -> None:
        async def measured() -> tuple[int, int, int]:  # one attempt: a retry's wait is no round trip
            sent = self.now_ms()
            server = await self.executor.call("server_time", self.venue.server_time_ms, attempts=1)
            return sent, server, self.now_ms()

        before, server_ms, after = await self._start_call("server time", "", measured)
        self.time_offset_ms = server_ms - (before + after) / 2
        self.venue_reachable = True
        if abs(self.time_offset_ms) > 500:
            self.venue.set_clock_offset(int(self.time_offset_ms))
            self.log_line(
                f"clock offset {self.time_offset_ms:.0f} ms vs venue; signing corrected", Severity.WARN
            )
        self.metrics.set_time_offset(self.time_offset_ms)

    # --- account sync -------------------------------------------------------------------------
    async def refresh_account(self) -> tuple[list[Order], list[Position]]:
        """REST snapshot of open orders, positions and balance, adopted as the truth.

        Each request is marked (:meth:`core.account.AccountState.begin_snapshot`) just before it
        goes out, so whatever the engine hears after that (an ack, a push) is never overruled by
        a reply the venue may have produced earlier.
        """
        orders_since = self.state.begin_snapshot()
        orders = await self.executor.call("open_orders", self.venue.open_orders, bypass_breaker=True)
        positions_since = self.state.begin_snapshot()
        positions = await self.executor.call("positions", self.venue.positions, bypass_breaker=True)
        balance = await self.executor.call("balance", self.venue.balance, bypass_breaker=True)
        now = self.now_ms()
        events = self.state.replace_open_orders(orders, now, orders_since, keep=self.in_flight)
        events += self.state.replace_positions(positions, now, positions_since)
        self.wallet_guard.confirm(balance)
        if balance is not None:
            events += self.state.apply_balance(balance, now)
            self.pnl_settling_since = None
        for ev in events:
            self.publish(ev)
        self._update_breakers()
        if any(o.order_link_id not in self.in_flight for o in self.state.unacknowledged()):
            self._schedule_reconcile()  # an unknown outcome no snapshot may judge: ask by id
        return orders, positions

    def _build_feeds(self, loop: asyncio.AbstractEventLoop) -> Feeds:
        """The venue's streams for our symbols, delivering to the store, the books and the loop."""
        self.books = BookKeeper(
            self.symbols,
            self.store,
            now_ms=self.now_ms,
            stale_after_s=self.settings.risk.book_stale_s,
        )
        sink = EngineFeedSink(self.store, self.books, self, loop)
        self.books.on_state = sink.hand_state
        timing = FeedTiming(
            reconnect_backoff_s=self.recovery.reconnect_backoff_s,
            ack_timeout_s=self.recovery.ack_timeout_s,
            stale_after_s=self.settings.risk.book_stale_s,
        )
        feeds = self.venue.feeds(self.symbols, sink, timing)
        self.books.resubscribe = feeds.resubscribe_book
        return feeds

    # --- account events from the private stream (on the loop) --------------------------------
    def _adopt(self, events: list[Event]) -> None:
        for ev in events:
            self.publish(ev, wake=True)
        self._update_breakers()

    def apply_order(self, order: Order) -> None:
        """An order push: journaled and adopted."""
        self.journal.record(
            "order_update",
            symbol=order.symbol,
            order_link_id=order.order_link_id,
            status=order.status.value,
            filled=str(order.filled_qty),
            reject_reason=order.reject_reason,
        )
        self._adopt(self.state.apply_order(order, self.now_ms()))

    def apply_fill(self, fill: Fill) -> None:
        """An execution push: recorded once (state, journal, latency)."""
        now = self.now_ms()
        self.pnl_settling_since = self.pnl_settling_since or now
        self._adopt(self._take_fill(fill, now))

    def apply_position(self, position: Position) -> None:
        """A position push. A size change holds the daily-loss breaker until the wallet follows."""
        now = self.now_ms()
        prev = self.state.positions.get(position.symbol)
        if (prev.size if prev else 0) != position.size:
            # Realised PnL lands in the wallet push that follows; until then the wallet and
            # the positions disagree, and the daily-loss breaker must not judge them.
            self.pnl_settling_since = self.pnl_settling_since or now
        self._adopt(self.state.apply_position(position, now))

    def apply_balance(self, balance: Balance) -> None:
        """A wallet push."""
        self.pnl_settling_since = None
        self._adopt(self.state.apply_balance(balance, self.now_ms()))

    def apply_connection(self, stream: str, state: str, detail: str) -> None:
        """A stream's new state: shown, logged, and a reconnect resynced over REST."""
        # The Connectivity event is what the console shows; the structured log gets its own line.
        self.publish(Connectivity(self.now_ms(), stream, state, detail), wake=True)
        if stream == "public" and state == "resync":
            self._reseed_candles()  # candles that closed while the socket was down
        level = logging.INFO if state in ("up", "resync") else logging.WARNING
        log.log(level, "%s: %s (%s)", stream, state, detail)
        if stream.startswith("book:") and state == "stale":
            self.metrics.book_resync(stream[5:], detail)
        if state == "resync" and stream in ("public", "private"):
            self.note_reconnect(stream)
            if self._resync is not None:
                self._resync.request(stream)

    async def backfill_fills(self) -> int:
        """Fetch executions missed while a socket was down (explicit TimeRange, deduplicated)."""
        now = self.now_ms()
        since = max((f.ts_ms for f in self.state.fills), default=now - 3_600_000)
        window = TimeRange(min(since, now - 1), now + 1)
        fills = await self.executor.call("executions", partial(self.venue.executions, window))
        added = 0
        for fill in sorted(fills, key=lambda f: f.ts_ms):
            events = self._take_fill(fill, now, backfilled=True)
            added += bool(events)
            for ev in events:
                self.publish(ev)
        return added

    def _take_fill(self, fill: Fill, now: int, *, backfilled: bool = False) -> list[Event]:
        """Record an execution once: state, journal and place→fill latency; returns its events."""
        events = self.state.apply_fill(fill, now)
        if not events:
            return events
        self.store.put_fill(fill)
        data: dict[str, str | bool] = {
            "exec_id": fill.exec_id,
            "side": fill.side.value,
            "qty": str(fill.qty),
            "price": str(fill.price),
            "fee": str(fill.fee),
        }
        if backfilled:
            data["backfilled"] = True
        self.journal.record("fill", symbol=fill.symbol, order_link_id=fill.order_link_id, **data)
        sent = self._sent_at.pop(fill.order_link_id, None)
        if sent is not None:
            self.metrics.observe_place_fill(self.clock.monotonic() - sent)
        return events

    def _reseed_candles(self) -> None:
        """Fetch chart history in the background, unless a fetch is already running."""
        if self._candle_task is not None and not self._candle_task.done():
            return
        self._candle_task = asyncio.create_task(self.seed_candles(), name="engine-candles")
        self._track(self._candle_task)

    async def seed_candles(self, limit: int = CHART_HISTORY) -> None:
        """Chart history over REST for every symbol and timeframe (the kline stream pushes only
        the current candle). Runs in the background after start; a failure only leaves a chart short."""
        for sym in self.symbols:
            for tf in TIMEFRAMES:
                try:
                    rows = await self.executor.call("kline", partial(self.venue.klines, sym, tf, limit))
                except VenueError as err:
                    self.log_line(f"chart history {sym} {tf} unavailable: {err}", Severity.WARN)
                    continue
                self.store.seed_candles(sym, tf, rows)

    def _schedule_reconcile(self, delay_s: float | None = None) -> None:
        """Resolve unknown-outcome orders in the background, asking again with backoff until the
        venue has answered for every one of them (then one account sync adopts the result)."""
        if self._reconcile_task is not None and not self._reconcile_task.done():
            return
        first, longest = self.recovery.reconcile_backoff_s
        wait = first if delay_s is None else delay_s

        async def later() -> None:
            await asyncio.sleep(wait)
            try:
                await self.reconcile_journal()
                if not self.unchecked_orders:
                    await self.refresh_account()
            except VenueError as err:
                self.log_line(
                    f"reconcile failed: {err}; retrying in {min(wait * 2, longest):.0f}s", Severity.WARN
                )
            except Exception:  # a bug must not end the asking: the orders would stay unknown
                log.exception("reconcile raised unexpectedly; retrying")
            else:
                if not self.unchecked_orders:
                    return
                self.log_line(
                    f"reconcile: {self.unchecked_orders} order(s) could not be checked; "
                    f"asking again in {min(wait * 2, longest):.0f}s",
                    Severity.WARN,
                )
            self._reconcile_task = None
            self._schedule_reconcile(min(wait * 2, longest))

        self._reconcile_task = asyncio.create_task(later(), name="engine-reconcile")
        self._track(self._reconcile_task)

    def _track(self, task: asyncio.Task[None]) -> None:
        """Keep ``task`` for :meth:`stop`; tasks that already ended cleanly are let go."""
        self._tasks[:] = [t for t in self._tasks if not t.done() or (not t.cancelled() and t.exception())]
        self._tasks.append(task)

    async def _resync_stream(self, stream: str) -> None:
        """The REST half of a reconnect (raises VenueError; :class:`StreamResync` retries it).

        Private: open orders, positions, balance, then the fills missed while the socket was down.
        Public: tickers (books resync themselves from the snapshot the resubscribe brings).
        """
        if stream == "private":
            await self.refresh_account()
            await self.backfill_fills()
            return
        for sym in self.symbols:
            ticker = await self.executor.call("tickers", partial(self.venue.ticker, sym))
            if ticker is not None:
                self.store.put_ticker(replace(ticker, ts_ms=ticker.ts_ms or self.now_ms()))

    def _stream_connected(self, stream: str) -> bool:
        return self.feeds is not None and self.feeds.is_connected(stream)

    def _report_stream(self, stream: str, state: str, detail: str) -> None:
        """A state the engine itself decides (resync retrying, resynced): published, not re-handled."""
        self.publish(Connectivity(self.now_ms(), stream, state, detail), wake=True)
        log.log(logging.INFO if state == "up" else logging.WARNING, "%s: %s (%s)", stream, state, detail)

    async def _watchdog_loop(self) -> None:
        """Feed checks twice a second; a failing step is reported and the loop goes on."""
        while True:
            await asyncio.sleep(self.recovery.watchdog_s)
            feeds = self.feeds
            if feeds is None:
                continue
            books = self.books
            if books is not None:
                self.failsafe.step("watchdog.books", books.check)
            await self.failsafe.astep("watchdog.check", partial(asyncio.to_thread, feeds.check))
            self.failsafe.step("watchdog.ages", self._feed_age_metrics)

    def _feed_age_metrics(self) -> None:
        if self.books is not None:
            for stream, age in self.books.feed_ages_s().items():
                self.metrics.set_feed_age(f"orderbook.{stream}", age)

    async def _housekeeping_loop(self) -> None:
        """Once a second: marks, breakers, metrics, alerts; an account sync every 15 s.

        Each step is guarded on its own (:meth:`core.failsafe.FailSafe.step`): one that fails is
        logged and counted, and the others and the loop carry on.
        """
        ticks = 0
        safe = self.failsafe
        while True:
            await asyncio.sleep(1.0)
            ticks += 1
            safe.step("housekeeping.marks", self._remark_positions)
            safe.step("housekeeping.breakers", self._update_breakers)
            safe.step("housekeeping.rate_metrics", self._update_rate_metrics)
            safe.step("housekeeping.alerts", self.evaluate_alerts)
            if ticks % 15 == 0:
                await safe.astep("housekeeping.account_sync", self._periodic_sync)

    def _remark_positions(self) -> None:
        for sym in list(self.state.positions):
            mark = self.store.mark_price(sym)
            if mark is not None:
                self.state.mark(sym, mark)

    async def _periodic_sync(self) -> None:
        try:
            await self.refresh_account()
        except VenueError as err:
            self.log_line(f"periodic account sync failed: {err}", Severity.WARN)
