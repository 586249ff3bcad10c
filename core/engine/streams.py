"""The engine's side of the market and private streams: starting the feeds, handing their pushes
from the feed threads to the loop, connection states, the REST resync after a reconnect, and the
chart history fetched over REST (the kline stream pushes only the current candle)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from functools import partial
from typing import Any

from core.config import Settings
from core.engine.account_sync import AccountSync
from core.engine.health import Health
from core.engine.link import Tasks, VenueLink
from core.engine.publisher import Publisher
from core.engine.resync import RecoveryTiming, StreamResync
from core.events import Connectivity, Severity
from core.market.candles import TIMEFRAMES
from core.metrics import Metrics
from core.observability.baddata import BadDataTracker
from core.orders.executor import OrderExecutor
from core.resilience.errors import VenueError
from core.store import MarketStore
from core.venues.base import Venue
from core.venues.bybit.feeds import BybitFeeds

log = logging.getLogger(__name__)

CHART_HISTORY = 200
"""Candles fetched per symbol and timeframe at start (Bybit's default kline page)."""


class Streams:
    """Runs the feeds for the engine and keeps what they say flowing into the engine's state."""

    def __init__(
        self,
        *,
        settings: Settings,
        store: MarketStore,
        venue: Venue,
        executor: OrderExecutor,
        account: AccountSync,
        health: Health,
        link: VenueLink,
        publisher: Publisher,
        metrics: Metrics,
        bad_data: BadDataTracker,
        tasks: Tasks,
        timing: RecoveryTiming,
    ) -> None:
        self.settings = settings
        self.store = store
        self.venue = venue
        self.executor = executor
        self.account = account
        self.health = health
        self.link = link
        self.out = publisher
        self.metrics = metrics
        self.bad_data = bad_data
        self.tasks = tasks
        self.timing = timing
        self.resync: StreamResync | None = None
        self.candle_task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        """Connect the feeds (in a worker thread: pybit connects blocking) and fetch chart history."""
        self._loop = asyncio.get_running_loop()
        self.resync = StreamResync(
            resync=self._resync_stream,
            connected=self._stream_connected,
            report=self._report_stream,
            log_line=self.out.log_line,
            timing=self.timing,
        )
        self.link.feeds = BybitFeeds(
            self.settings,
            self.store,
            self.link.symbols,
            on_private=self._on_private_thread,
            on_state=self._on_state_thread,
            now_ms=self.out.now_ms,
            backoff_s=self.timing.reconnect_backoff_s,
            ack_timeout_s=self.timing.ack_timeout_s,
            bad_data=self.bad_data,
        )
        await asyncio.to_thread(self.link.feeds.start)

    async def stop_resync(self) -> None:
        """Cancel the running resyncs (engine shutdown)."""
        if self.resync is not None:
            await self.resync.stop()

    async def stop_feeds(self) -> None:
        """Close the sockets (in a worker thread)."""
        if self.link.feeds is not None:
            await asyncio.to_thread(self.link.feeds.stop)

    # --- feed threads -> loop ---------------------------------------------------------------
    def _on_private_thread(self, topic: str, data: list[dict[str, Any]]) -> None:
        """pybit thread: hand the push to the loop without blocking."""
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.account.apply_private, topic, data)

    def _on_state_thread(self, stream: str, state: str, detail: str) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self.apply_state, stream, state, detail)

    def apply_state(self, stream: str, state: str, detail: str) -> None:
        """A stream's connection state (on the loop): shown, counted, and resynced after a reconnect."""
        # The Connectivity event is what the console shows; the structured log gets its own line.
        self.out.publish(Connectivity(self.out.now_ms(), stream, state, detail), wake=True)
        if stream == "public" and state == "resync":
            self.reseed_candles()  # candles that closed while the socket was down
        level = logging.INFO if state in ("up", "resync") else logging.WARNING
        log.log(level, "%s: %s (%s)", stream, state, detail)
        if stream.startswith("book:") and state == "stale":
            self.metrics.book_resync(stream[5:], detail)
        if state == "resync" and stream in ("public", "private"):
            self.health.note_reconnect(stream)
            if self.resync is not None:
                self.resync.request(stream)

    # --- reconnect resync -------------------------------------------------------------------
    async def _resync_stream(self, stream: str) -> None:
        """The REST half of a reconnect (raises VenueError; :class:`StreamResync` retries it).

        Private: open orders, positions, balance, then the fills missed while the socket was down.
        Public: tickers (books resync themselves from the snapshot the resubscribe brings).
        """
        if stream == "private":
            await self.account.refresh_account()
            await self.account.backfill_fills()
            return
        for sym in self.link.symbols:
            ticker = await self.executor.call("tickers", partial(self.venue.ticker, sym))
            if ticker is not None:
                self.store.put_ticker(replace(ticker, ts_ms=ticker.ts_ms or self.out.now_ms()))

    def _stream_connected(self, stream: str) -> bool:
        return self.link.feeds is not None and self.link.feeds.is_connected(stream)

    def _report_stream(self, stream: str, state: str, detail: str) -> None:
        """A state the engine itself decides (resync retrying, resynced): published, not re-handled."""
        self.out.publish(Connectivity(self.out.now_ms(), stream, state, detail), wake=True)
        log.log(logging.INFO if state == "up" else logging.WARNING, "%s: %s (%s)", stream, state, detail)

    # --- chart history ----------------------------------------------------------------------
    def reseed_candles(self) -> None:
        """Fetch chart history in the background, unless a fetch is already running."""
        if self.candle_task is not None and not self.candle_task.done():
            return
        self.candle_task = self.tasks.spawn(self.seed_candles(), "engine-candles")

    async def seed_candles(self, limit: int = CHART_HISTORY) -> None:
        """Chart history over REST for every symbol and timeframe. Runs in the background after
        start; a failure only leaves a chart short."""
        for sym in self.link.symbols:
            for tf in TIMEFRAMES:
                try:
                    rows = await self.executor.call("kline", partial(self.venue.klines, sym, tf, limit))
                except VenueError as err:
                    self.out.log_line(f"chart history {sym} {tf} unavailable: {err}", Severity.WARN)
                    continue
                self.store.seed_candles(sym, tf, rows)
