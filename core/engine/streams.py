"""The engine's side of the market and private streams: building the books and the venue's feeds
(delivering to :class:`~core.engine.feed_sink.EngineFeedSink`), connection states, the REST
resync after a reconnect, and the chart history fetched over REST (the kline stream pushes only
the current candle)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from functools import partial

from core.config import Settings
from core.engine.account_sync import AccountSync
from core.engine.feed_sink import BOOK_STREAM, EngineFeedSink
from core.engine.health import Health
from core.engine.link import Tasks, VenueLink
from core.engine.publisher import Publisher
from core.engine.resync import RecoveryTiming, StreamResync
from core.events import Connectivity, Severity
from core.market.books import BookKeeper
from core.market.candles import TIMEFRAMES
from core.metrics import Metrics
from core.orders.executor import OrderExecutor
from core.resilience.errors import VenueError
from core.store import MarketStore
from core.venues.base import FeedTiming, Venue

log = logging.getLogger(__name__)


class LoopEvents:
    """What the feed sink hands to the loop: account events to the account sync, stream states to
    :meth:`Streams.apply_connection` (the feed sink's ``account``)."""

    def __init__(self, account: AccountSync, connection: Callable[[str, str, str], None]) -> None:
        self.apply_order = account.apply_order
        self.apply_fill = account.apply_fill
        self.apply_position = account.apply_position
        self.apply_balance = account.apply_balance
        self.apply_connection = connection


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
        self.tasks = tasks
        self.timing = timing
        self.resync: StreamResync | None = None
        self.candle_task: asyncio.Task[None] | None = None
        self.events = LoopEvents(account, self.apply_connection)
        """What the feed sink applies on the loop."""

    async def start(self) -> None:
        """Build the books and the venue's streams for our symbols, then connect them (in a worker
        thread: a venue's client may connect blocking)."""
        self.resync = StreamResync(
            resync=self._resync_stream,
            connected=self._stream_connected,
            report=self._report_stream,
            log_line=self.out.log_line,
            timing=self.timing,
        )
        stale_after_s = self.settings.risk.book_stale_s
        books = BookKeeper(self.link.symbols, self.store, now_ms=self.out.now_ms, stale_after_s=stale_after_s)
        sink = EngineFeedSink(self.store, books, self.events, asyncio.get_running_loop())
        books.on_state = sink.hand_state
        timing = FeedTiming(
            reconnect_backoff_s=self.timing.reconnect_backoff_s,
            ack_timeout_s=self.timing.ack_timeout_s,
            stale_after_s=stale_after_s,
        )
        feeds = self.venue.feeds(self.link.symbols, sink, timing)
        books.resubscribe = feeds.resubscribe_book
        self.link.books, self.link.feeds = books, feeds
        await asyncio.to_thread(feeds.start)

    async def stop_resync(self) -> None:
        """Cancel the running resyncs (engine shutdown)."""
        if self.resync is not None:
            await self.resync.stop()

    async def stop_feeds(self) -> None:
        """Close the sockets (in a worker thread)."""
        if self.link.feeds is not None:
            await asyncio.to_thread(self.link.feeds.stop)

    def apply_connection(self, stream: str, state: str, detail: str) -> None:
        """A stream's new state (on the loop): shown, logged, and a reconnect resynced over REST."""
        # The Connectivity event is what the console shows; the structured log gets its own line.
        self.out.publish(Connectivity(self.out.now_ms(), stream, state, detail), wake=True)
        if stream == "public" and state == "resync":
            self.reseed_candles()  # candles that closed while the socket was down
        level = logging.INFO if state in ("up", "resync") else logging.WARNING
        log.log(level, "%s: %s (%s)", stream, state, detail)
        if stream.startswith(BOOK_STREAM) and state == "stale":
            self.metrics.book_resync(stream[len(BOOK_STREAM) :], detail)
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

    async def seed_candles(self) -> None:
        """Chart history over REST for every symbol and timeframe (``ui.chart_history`` candles
        each). Runs in the background after start; a failure only leaves a chart short."""
        limit = self.settings.ui.chart_history
        for sym in self.link.symbols:
            for tf in TIMEFRAMES:
                try:
                    rows = await self.executor.call("kline", partial(self.venue.klines, sym, tf, limit))
                except VenueError as err:
                    self.out.log_line(f"chart history {sym} {tf} unavailable: {err}", Severity.WARN)
                    continue
                self.store.seed_candles(sym, tf, rows)
