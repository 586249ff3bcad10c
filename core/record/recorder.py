"""The recorder: a venue's public streams, through the venue port, to a recording directory.

:class:`RecordingSink` is a :class:`~core.venues.base.FeedSink`: every book snapshot and delta
(with the venue's sequence ids), trade, ticker and candle becomes a record stamped with its receive
time; account events are not recorded (a recording is public data). :func:`record` builds the
configured venue through the registry (so the endpoint follows the mode rule), starts its feeds
and flushes the files every second until the time is up or it is told to stop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.clock import Clock, SystemClock
from core.record.format import BookRec, CandleRec, Record, RecordingWriter, TickerRec, TradeRec
from core.venues.base import BookDelta, BookSnapshot, FeedTiming

if TYPE_CHECKING:
    from core.config import Settings
    from core.market.candles import Candle
    from core.model import Balance, Fill, Order, Position, Ticker, Trade
    from core.venues.base import Feeds

log = logging.getLogger(__name__)

FLUSH_EVERY_S = 1.0
"""How often the files are made readable (what a killed recorder can lose at most)."""
MS_PER_MINUTE = 60_000
_TICKER_TIMES = ("ts_ms", "next_funding_ms")


def ticker_fields(ticker: Ticker) -> dict[str, Any]:
    """The ticker's reported fields: decimals as strings, zero (not reported) fields left out."""
    out: dict[str, Any] = {}
    for name in ticker.__dataclass_fields__:
        value = getattr(ticker, name)
        if name == "symbol" or not value:
            continue
        out[name] = str(value) if isinstance(value, Decimal) else value
    return out


class RecordingSink:
    """A :class:`~core.venues.base.FeedSink` writing the public events it receives."""

    def __init__(self, writer: RecordingWriter, now_ms: Callable[[], int]) -> None:
        self.writer = writer
        self._clock = now_ms
        self._last_ms = 0
        self._lock = threading.Lock()
        self.connections: list[tuple[str, str, str]] = []
        """Stream state changes as the feeds reported them (gaps in a recording show here)."""

    def now_ms(self) -> int:
        """The receive time: never earlier than the previous one (a clock step back is held)."""
        self._last_ms = max(self._last_ms, self._clock())
        return self._last_ms

    def _put(self, make: Callable[[int], Record]) -> None:
        """Stamp and write under one lock, so receive times rise in file order across feed threads."""
        with self._lock:
            self.writer.write(make(self.now_ms()))

    def _book(self, b: BookSnapshot | BookDelta, snapshot: bool) -> None:
        self._put(
            lambda t: BookRec(t, b.symbol, snapshot, b.ts_ms, b.seq, b.cross_seq, b.depth, b.bids, b.asks)
        )

    def book_snapshot(self, book: BookSnapshot) -> None:
        """Record a whole book."""
        self._book(book, True)

    def book_delta(self, delta: BookDelta) -> None:
        """Record changed levels."""
        self._book(delta, False)

    def ticker(self, ticker: Ticker) -> None:
        """Record the ticker's reported fields."""
        self._put(lambda t: TickerRec(t, ticker.symbol, ticker_fields(ticker)))

    def trade(self, trade: Trade) -> None:
        """Record a public trade."""
        tr = trade
        self._put(
            lambda t: TradeRec(t, tr.symbol, tr.ts_ms, tr.side.value, str(tr.price), str(tr.qty), tr.trade_id)
        )

    def candle(self, symbol: str, timeframe: str, candle: Candle) -> None:
        """Record the current (or just closed) candle."""
        c = candle
        self._put(
            lambda t: CandleRec(t, symbol, timeframe, c.start_ms, c.open, c.high, c.low, c.close, c.volume)
        )

    def order(self, order: Order) -> None:
        """Account events are not recorded."""

    def fill(self, fill: Fill) -> None:
        """Account events are not recorded."""

    def position(self, position: Position) -> None:
        """Account events are not recorded."""

    def balance(self, balance: Balance) -> None:
        """Account events are not recorded."""

    def connection(self, stream: str, state: str, detail: str) -> None:
        """Keep the stream's state change (and log it: a gap in the recording)."""
        self.connections.append((stream, state, detail))
        log.info("recorder: %s %s %s", stream, state, detail)


class RecordError(ValueError):
    """A recording that cannot start (the message says why)."""


@dataclass
class RecordResult:
    """What a recording run wrote."""

    out: Path
    counts: dict[str, dict[str, int]]
    start_ms: int | None
    end_ms: int | None


def record(
    settings: Settings,
    symbols: tuple[str, ...],
    out: Path,
    *,
    minutes: float | None = None,
    stop: threading.Event | None = None,
    clock: Clock | None = None,
    until: Callable[[RecordingWriter], bool] | None = None,
) -> RecordResult:
    """Record ``symbols``' public streams of the configured venue into ``out`` until ``minutes``
    have passed (on ``clock``), ``stop`` is set or ``until(writer)`` holds at a flush; the files
    are flushed every second."""
    from core.venues.registry import build_venue

    clk = clock or SystemClock()
    venue = build_venue(settings, now_ms=clk.now_ms)
    listed = {i.symbol for i in venue.instruments(symbols)}
    unlisted = [s for s in symbols if s not in listed]
    if unlisted:
        raise RecordError(f"the {settings.venue.name} venue does not list {', '.join(unlisted)}")
    writer = RecordingWriter(out, settings.venue.name, symbols)
    feeds: Feeds = venue.feeds(symbols, RecordingSink(writer, clk.now_ms), FeedTiming())
    done = stop or threading.Event()
    deadline = None if minutes is None else clk.now_ms() + int(minutes * MS_PER_MINUTE)
    feeds.start()
    try:
        while not done.wait(FLUSH_EVERY_S):
            writer.flush()
            feeds.check()
            if (deadline is not None and clk.now_ms() >= deadline) or (until is not None and until(writer)):
                break
    finally:
        feeds.stop()
        writer.close()
    return RecordResult(out, writer.counts, writer.start_ms, writer.end_ms)
