"""The in-process venue's streams: the sim exchange's listeners delivering domain events.

:class:`InProcessFeeds` implements :class:`core.venues.base.Feeds` for
:class:`~core.venues.simulated.venue.SimulatedVenue`. It registers as the exchange's public and
private listener; every message the exchange publishes (during a market step or a request) is
translated with the Bybit adapter's codec and handed to the :class:`~core.venues.base.FeedSink`
synchronously, on the caller's thread. Books come as the Bybit feeds deliver them: the trading book
(``orderbook.50``) and, except in bar mode, the display book (``orderbook.1000``, its events
carrying their depth) for the ladder's coarse price groups. There is no socket, so the streams are "up" from
:meth:`InProcessFeeds.start` to :meth:`InProcessFeeds.stop` and the watchdog has nothing to do.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from core.market.books import BOOK_DEPTH, DISPLAY_DEPTH
from core.market.candles import TIMEFRAMES
from core.model import Ticker
from core.sim.exchange import PRIVATE_TOPICS, SimExchange
from core.venues.base import BookSnapshot, FeedSink
from core.venues.bybit import parse
from core.venues.bybit.parse import KLINE_INTERVALS, TIMEFRAME_OF
from core.venues.simulated.ticker_delta import apply_delta
from core.venues.values import BadValue, integer

log = logging.getLogger(__name__)

BAR_BOOK_DEPTH = 1
"""Bar mode's book topic: the top of book only (a backtest's driven book is rebuilt every bar)."""
STREAMS = ("public", "private")
DCP_CONN = "in-process-private"
"""The private stream's name in the exchange's disconnect-cancel-all book."""


class InProcessFeeds:
    """Public market data and the account's pushes of one in-process venue account."""

    def __init__(
        self,
        exchange: SimExchange,
        api_key: str,
        symbols: tuple[str, ...],
        sink: FeedSink,
        *,
        lock: threading.RLock | None = None,
        bar_mode: bool = False,
    ) -> None:
        """``bar_mode``: a backtest's streams, the top of book and tickers (no trade or kline
        topics): what the orders of a bar-by-bar run read (the book's top and age for the risk
        chain, the prices), without a deep book, a tape or candles formatted and parsed back."""
        self.exchange = exchange
        self.bar_mode = bar_mode
        self.book_depth = BAR_BOOK_DEPTH if bar_mode else BOOK_DEPTH
        self.display_depth = 0 if bar_mode else DISPLAY_DEPTH
        """The display book's depth (0: none, as in bar mode: a backtest draws no ladder)."""
        self.api_key = api_key
        self.symbols = symbols
        self.sink = sink
        self._counts: dict[str, int] = dict.fromkeys(STREAMS, 0)
        self.messages: Mapping[str, int] = self._counts
        """Messages delivered per stream (for metrics)."""
        self.bad_values = 0
        """Messages the codec refused (none from a sound sim: a count other than 0 is a bug)."""
        self._lock = lock or threading.RLock()
        self._ticker_state: dict[str, dict[str, Any]] = {}
        self._tickers: dict[str, Ticker] = {}
        self._running = False
        self._listening = False

    # --- topics -------------------------------------------------------------------------------
    def _topics(self) -> list[str]:
        out: list[str] = []
        for sym in self.symbols:
            out += [f"orderbook.{self.book_depth}.{sym}", f"tickers.{sym}"]
            if self.display_depth:
                out.append(f"orderbook.{self.display_depth}.{sym}")
            if not self.bar_mode:  # a backtest reads no tape and no candles from the venue
                out += [f"publicTrade.{sym}", *(f"kline.{KLINE_INTERVALS[tf]}.{sym}" for tf in TIMEFRAMES)]
        return out

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Subscribe to every topic and deliver each topic's first message (a snapshot)."""
        with self._lock:
            if not self._listening:
                self.exchange.add_public_listener(self._on_public)
                self.exchange.add_private_listener(self._on_private)
                self._listening = True
            self._running = True
            for topic in self._topics():
                self.exchange.set_topic_interest(topic, True)
            # The private stream is subscribed to dcp: the exchange's disconnect-cancel-all (when
            # a window is set) counts from the moment these feeds stop.
            self.exchange.dcp_alive(self.api_key, DCP_CONN)
            for stream in STREAMS:
                self.sink.connection(stream, "up", "in-process")
            for topic in self._topics():
                self._deliver_snapshot(topic)

    def stop(self) -> None:
        """Stop delivering (the exchange keeps its listeners; they go quiet)."""
        with self._lock:
            if not self._running:
                return
            self._running = False
            self.exchange.dcp_lost(self.api_key, DCP_CONN)
            for topic in self._topics():
                self.exchange.set_topic_interest(topic, False)

    def check(self) -> None:
        """Watchdog tick: nothing to rebuild in process."""

    def resubscribe_book(self, symbol: str) -> None:
        """Deliver a fresh snapshot of ``symbol``'s book."""
        with self._lock:
            if self._running and symbol in self.symbols:
                self._deliver_snapshot(f"orderbook.{self.book_depth}.{symbol}")
                if self.display_depth:
                    self._deliver_snapshot(f"orderbook.{self.display_depth}.{symbol}")

    def is_connected(self, stream: str) -> bool:
        """True while the feeds run."""
        return self._running and stream in STREAMS

    def _deliver_snapshot(self, topic: str) -> None:
        msg = self.exchange.public_snapshot(topic)
        if msg is not None:
            self._on_public(topic, msg)

    # --- public -------------------------------------------------------------------------------
    def _on_public(self, topic: str, msg: dict[str, object]) -> None:
        if not self._running:
            return
        kind, _, rest = topic.partition(".")
        symbol = rest.rpartition(".")[2]
        if symbol not in self.symbols:
            return
        self._counts["public"] += 1
        try:
            self._public_event(kind, rest, symbol, msg)
        except BadValue as bad:
            self.bad_values += 1
            log.warning("in-process %s message dropped: %s", topic, bad)

    def _public_event(self, kind: str, rest: str, symbol: str, msg: dict[str, object]) -> None:
        ts = integer(msg.get("ts"), "ts", self.exchange.now_ms())
        if kind == "orderbook":
            event = parse.book_frame(symbol, msg)
            if self.display_depth and rest.startswith(f"{self.display_depth}."):
                event = event._replace(depth=self.display_depth)
            if isinstance(event, BookSnapshot):
                self.sink.book_snapshot(event)
            else:
                self.sink.book_delta(event)
        elif kind == "tickers":
            self._on_ticker(symbol, msg, ts)
        elif kind == "publicTrade":
            for item in _items(msg):
                self.sink.trade(parse.trade(symbol, item))
        elif kind == "kline":
            timeframe = TIMEFRAME_OF.get(rest.partition(".")[0], "")
            for item in _items(msg):
                self.sink.candle(symbol, timeframe, parse.kline(item))

    def _on_ticker(self, symbol: str, msg: dict[str, object], ts: int) -> None:
        """Merge a snapshot or delta into a whole ticker (the sink always gets a complete one)."""
        data = parse.record(msg.get("data") or {}, "data")
        state = self._ticker_state.get(symbol)
        previous = self._tickers.get(symbol)
        if msg.get("type") == "snapshot" or state is None or previous is None:
            merged = {**data, "symbol": symbol}
            ticker = parse.ticker(merged, ts)
        else:  # a delta: only the fields it carries are parsed (the same readers as the codec's)
            merged = {**state, **data, "symbol": symbol}
            ticker = apply_delta(previous, data, ts)
        self._ticker_state[symbol] = merged
        self._tickers[symbol] = ticker
        self.sink.ticker(ticker)

    # --- private ------------------------------------------------------------------------------
    def _on_private(self, api_key: str, topic: str, items: list[dict[str, object]]) -> None:
        if not self._running or api_key != self.api_key or topic not in PRIVATE_TOPICS:
            return
        self._counts["private"] += 1
        for item in items:
            try:
                self._private_event(topic, item)
            except BadValue as bad:
                self.bad_values += 1
                log.warning("in-process %s push dropped: %s", topic, bad)

    def _private_event(self, topic: str, item: dict[str, object]) -> None:
        if topic == "order":
            self.sink.order(parse.order(item))
        elif topic == "execution":
            self.sink.fill(parse.fill(item))
        elif topic == "position":
            self.sink.position(parse.position(item))
        else:
            balance = parse.balance(item)
            if balance is not None:
                self.sink.balance(balance)


def _items(msg: dict[str, object]) -> list[Any]:
    data = msg.get("data")
    if not isinstance(data, list):
        raise BadValue("data", data, "is not an array")
    return data
