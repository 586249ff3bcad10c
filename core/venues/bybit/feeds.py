"""Bybit public and private WebSocket feeds on pybit, with a watchdog.

pybit's stream socket dies for good when a callback raises, on a failed subscribe ack, or after
10 fast reconnect attempts, and its order book neither sorts nor checks sequence gaps. So:

* every socket is built with ``callback_function=`` — pybit hands us raw frames and we run our
  own order book with ``u`` continuity checks (``core.market.orderbook``);
* every callback is wrapped: an exception is logged and counted, never raised into pybit;
* a frame that is not a JSON object is reported and dropped before pybit sees it (pybit's own
  decoding raises, which makes it close the socket for good: one garbled frame, no feed);
* a malformed frame (a topic that is not a string, ``data`` of the wrong type, a record with a bad
  value, a record of a symbol other than its topic's) is reported to the bad-data tracker (a log
  line, the ``trade_console_bad_values`` metric, ``/healthz``) and dropped; a book frame also
  marks the book stale;
* the callbacks only write the latest state into the :class:`~core.store.MarketStore` (books are
  published at most every ``publish_interval_s``) or hand private pushes to ``on_private``;
* :meth:`BybitFeeds.check` is the watchdog: it marks silent books stale, rebuilds dead or gapped
  sockets with exponential backoff, and reports reconnects so the engine resyncs over REST.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson
from pybit.unified_trading import WebSocket

from core.config import Settings
from core.market.candles import TIMEFRAMES
from core.market.orderbook import OrderBook
from core.model import Trade
from core.observability.baddata import BadDataTracker
from core.store import MarketStore
from core.venues.bybit import parse
from core.venues.bybit.parse import KLINE_INTERVALS, TIMEFRAME_OF
from core.venues.values import BadValue, integer, positive, text

log = logging.getLogger(__name__)

BOOK_DEPTH = 50
PRIVATE_TOPICS = ("order", "execution", "position", "wallet")
PUBLIC_SUBSCRIPTIONS = 4
"""Subscribe frames sent on the public socket: order books, tickers, trades, klines (all symbols each)."""


def _log_bad_frame(bad: BadValue) -> None:
    log.warning("websocket frame dropped: %s", bad)


def _ws_class(url: str, bad_frame: Callable[[BadValue], None] = _log_bad_frame) -> type[WebSocket]:
    """A pybit WebSocket that always connects to ``url`` (the mode's endpoint, nothing else) and
    hands frames that are not JSON objects to ``bad_frame`` instead of raising in pybit."""

    class _PinnedWebSocket(WebSocket):
        def _connect(self, _template: str) -> None:
            super()._connect(url)

        def _on_message(self, message: str | bytes) -> None:
            try:
                decoded = orjson.loads(message)
            except orjson.JSONDecodeError:
                bad_frame(BadValue("frame", message, "is not JSON"))
                return
            if not isinstance(decoded, dict):
                bad_frame(BadValue("frame", message, "is not a JSON object"))
                return
            if not self._is_custom_pong(decoded):
                self.callback(decoded)

    return _PinnedWebSocket


def _trade(symbol: str, t: Any) -> Trade:
    """One ``publicTrade`` item of ``symbol``'s topic; :class:`BadValue` naming the field otherwise."""
    item = parse.record(t, "trade")
    if item.get("s") != symbol:
        raise BadValue("s", item.get("s"), f"is not the topic's symbol {symbol}")
    if item.get("T") in (None, ""):
        raise BadValue("T", item.get("T"), "is missing")
    trade_id = item.get("i", "")
    return Trade(
        symbol=symbol,
        side=parse.side_of(item.get("S"), "S"),
        price=positive(item.get("p"), "p"),
        qty=positive(item.get("v"), "v"),
        ts_ms=integer(item.get("T"), "T"),
        trade_id=str(trade_id) if isinstance(trade_id, int) else text(trade_id, "i"),
    )


class BybitFeeds:
    """Owns the public and private sockets for a set of symbols."""

    def __init__(
        self,
        settings: Settings,
        store: MarketStore,
        symbols: tuple[str, ...],
        *,
        on_private: Callable[[str, list[dict[str, Any]]], None],
        on_state: Callable[[str, str, str], None],
        now_ms: Callable[[], int],
        publish_interval_s: float = 0.05,
        backoff_s: tuple[float, float] = (1.0, 30.0),
        ack_timeout_s: float = 5.0,
        bad_data: BadDataTracker | None = None,
    ) -> None:
        self.bad_data = bad_data or BadDataTracker()
        """Bad values the venue sent (NaN, Infinity, negative sizes): rejected here, reported there."""
        self.settings = settings
        self.store = store
        self.symbols = symbols
        self._on_private = on_private
        self._on_state = on_state
        self._now_ms = now_ms
        self._publish_interval = publish_interval_s
        self.books: dict[str, OrderBook] = {s: OrderBook(s, BOOK_DEPTH) for s in symbols}
        self._book_lock = threading.Lock()
        self._last_pub: dict[str, float] = dict.fromkeys(symbols, 0.0)
        self._dirty: set[str] = set()
        self._ticker_state: dict[str, dict[str, Any]] = {}
        self._last_msg_ms: dict[str, int] = {}
        self._public: WebSocket | None = None
        self._private: WebSocket | None = None
        self._public_acks = 0
        self._private_auths = 0
        self._private_acks = 0
        self._resync_on_acks = False
        self._subscribed = {"public": threading.Event(), "private": threading.Event()}
        self._rebuild: set[str] = set()
        self._backoff_first, self._backoff_max = backoff_s
        self._ack_timeout_s = ack_timeout_s
        self._backoff: dict[str, float] = {"public": self._backoff_first, "private": self._backoff_first}
        self._next_try: dict[str, float] = {"public": 0.0, "private": 0.0}
        self.callback_errors = 0
        self.reconnects: dict[str, int] = {"public": 0, "private": 0}
        self.messages: dict[str, int] = {"public": 0, "private": 0}
        self._stopped = False

    # --- lifecycle (blocking: call from a worker thread) -----------------------------------
    def start(self, timeout_s: float = 5.0) -> None:
        """Connect both sockets, subscribe, and wait until the venue acknowledged every topic.

        Acks arrive asynchronously (20–50 ms on Bybit); an order placed before the private
        topics are live would have its fills pushed to nobody.
        """
        self._build("public")
        self._build("private")
        for which, event in self._subscribed.items():
            if event.wait(timeout_s):
                self._on_state(which, "up", "connected")
            else:
                self._rebuild.add(which)  # the watchdog rebuilds it
                self._on_state(which, "down", f"subscriptions not acknowledged within {timeout_s:.0f}s")

    def stop(self) -> None:
        """Close both sockets."""
        self._stopped = True
        for ws in (self._public, self._private):
            if ws is not None:
                try:
                    ws.exit()
                except Exception as exc:  # noqa: BLE001 - closing a dead socket must not stop shutdown
                    log.warning("closing websocket failed: %s", type(exc).__name__)

    def _build(self, which: str) -> None:
        old = self._public if which == "public" else self._private
        if old is not None:
            try:
                old.exit()
            except Exception as exc:  # noqa: BLE001 - the old socket is being replaced anyway
                log.warning("closing old %s websocket failed: %s", which, type(exc).__name__)
        self._subscribed[which].clear()
        if which == "public":
            self._public_acks = 0
            ws = _ws_class(self.settings.ws_public_url, self._reporter("ws public"))(
                channel_type="linear",
                testnet=False,
                callback_function=self._wrap(self._on_public_msg),
            )
            self._public = ws
            ws.orderbook_stream(BOOK_DEPTH, list(self.symbols), self._unused)
            ws.ticker_stream(list(self.symbols), self._unused)
            ws.trade_stream(list(self.symbols), self._unused)
            # Every timeframe of every symbol in one subscribe frame: pybit formats "kline.{symbol}"
            # with each "interval.SYMBOL" pair, giving the topics kline_stream would.
            pairs = [f"{KLINE_INTERVALS[tf]}.{s}" for tf in TIMEFRAMES for s in self.symbols]
            ws.subscribe("kline.{symbol}", self._unused, pairs)
        else:
            self._private_auths = 0
            self._private_acks = 0
            key, secret = self.settings.credentials()
            ws = _ws_class(self.settings.ws_private_url, self._reporter("ws private"))(
                channel_type="private",
                testnet=False,
                api_key=key,
                api_secret=secret,
                callback_function=self._wrap(self._on_private_msg),
            )
            self._private = ws
            ws.order_stream(self._unused)
            ws.execution_stream(self._unused)
            ws.position_stream(self._unused)
            ws.wallet_stream(self._unused)

    def _reporter(self, stream: str, action: str = "frame dropped") -> Callable[[BadValue], None]:
        return self.bad_data.reporter(stream, action)

    @staticmethod
    def _unused(_msg: dict[str, Any]) -> None:
        """pybit requires a per-topic callback; ``callback_function`` receives every frame instead."""

    def _wrap(self, fn: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
        def safe(msg: dict[str, Any]) -> None:
            try:
                fn(msg)
            except Exception:
                self.callback_errors += 1
                log.exception("websocket callback failed; message dropped")

        return safe

    # --- public frames (pybit thread) ----------------------------------------------------
    def _on_public_msg(self, msg: dict[str, Any]) -> None:
        topic = msg.get("topic")
        if topic is None:
            if msg.get("op") == "subscribe":
                if not msg.get("success", True):
                    log.error("public subscribe refused: %s", msg.get("ret_msg"))
                self._public_acks += 1
                if self._public_acks >= PUBLIC_SUBSCRIPTIONS:
                    self._subscribed["public"].set()
                if self._public_acks > PUBLIC_SUBSCRIPTIONS and self._public_acks % PUBLIC_SUBSCRIPTIONS == 0:
                    # pybit resubscribed after its own reconnect
                    self.reconnects["public"] += 1
                    self._on_state("public", "resync", "reconnected")
            return
        self.messages["public"] += 1
        if not isinstance(topic, str):
            self.bad_data.report("ws public", BadValue("topic", topic, "is not a string"), "frame dropped")
            return
        kind, _, rest = topic.partition(".")
        if kind == "orderbook":
            symbol = rest.partition(".")[2]
            self._on_book(symbol, msg)
        elif kind == "tickers":
            self._on_ticker(rest, msg)
        elif kind == "publicTrade":
            self._on_trades(rest, msg)
        elif kind == "kline":
            interval, _, symbol = rest.partition(".")
            self._on_kline(TIMEFRAME_OF.get(interval, ""), symbol, msg)

    def _on_book(self, symbol: str, msg: dict[str, Any]) -> None:
        book = self.books.get(symbol)
        if book is None:
            return
        with self._book_lock:
            was_stale = book.stale
            bad_before = book.bad_values
            ok = book.apply_message(msg)
            self._last_msg_ms[symbol] = self._now_ms()
        if book.bad_values != bad_before and book.last_bad is not None:
            field, raw = book.last_bad
            bad = BadValue(field, raw, "is not a usable book level")
            self.bad_data.report(f"orderbook.{symbol}", bad, "book marked stale")
        if not ok and not was_stale:
            self._on_state(f"book:{symbol}", "stale", book.stale_reason)
            self._rebuild.add("public")
        elif was_stale and not book.stale:
            self._on_state(f"book:{symbol}", "up", "resynced from snapshot")
        now = time.monotonic()
        if now - self._last_pub[symbol] >= self._publish_interval:
            self._publish_book(symbol)
            self._last_pub[symbol] = now
        else:
            self._dirty.add(symbol)

    def _publish_book(self, symbol: str) -> None:
        with self._book_lock:
            view = self.books[symbol].view(BOOK_DEPTH)
        self.store.put_book(view)
        self._dirty.discard(symbol)

    def _on_ticker(self, symbol: str, msg: dict[str, Any]) -> None:
        """Merge a snapshot/delta and publish it; a merge with a bad value is not kept at all."""
        if symbol not in self.books:
            return  # not subscribed: nothing of ours, and no state kept for it
        try:
            data = parse.record(msg.get("data") or {}, "data")
            if data.get("symbol", symbol) != symbol:
                raise BadValue("symbol", data.get("symbol"), f"is not the topic's symbol {symbol}")
            state = self._ticker_state.get(symbol)
            merged = dict(data) if msg.get("type") == "snapshot" or state is None else {**state, **data}
            merged["symbol"] = symbol
            ticker = parse.ticker(merged, integer(msg.get("ts"), "ts", self._now_ms()))
        except BadValue as bad:  # the previous ticker (and merge state) stays
            self.bad_data.report(f"tickers.{symbol}", bad, "update dropped")
            return
        self._ticker_state[symbol] = merged
        self.store.put_ticker(ticker)

    def _items(self, stream: str, msg: dict[str, Any]) -> list[Any]:
        """The frame's ``data`` array; anything else is reported and gives nothing."""
        data = msg.get("data")
        if isinstance(data, list):
            return data
        self.bad_data.report(stream, BadValue("data", data, "is not an array"), "frame dropped")
        return []

    def _on_trades(self, symbol: str, msg: dict[str, Any]) -> None:
        if symbol not in self.books:
            return
        trades = []
        for t in self._items(f"publicTrade.{symbol}", msg):
            try:
                trades.append(_trade(symbol, t))
            except BadValue as bad:  # one bad trade print must not drop the others
                self.bad_data.report(f"publicTrade.{symbol}", bad, "trade dropped")
        self.store.put_trades(trades)

    def _on_kline(self, timeframe: str, symbol: str, msg: dict[str, Any]) -> None:
        if not timeframe or symbol not in self.books:
            return
        stream = f"kline.{KLINE_INTERVALS[timeframe]}.{symbol}"
        for item in self._items(stream, msg):
            try:
                candle = parse.kline(item)
            except BadValue as bad:  # the chart keeps the candle it had
                self.bad_data.report(stream, bad, "candle dropped")
                continue
            self.store.put_candle(symbol, timeframe, candle)

    # --- private frames (pybit thread) ---------------------------------------------------
    def _on_private_msg(self, msg: dict[str, Any]) -> None:
        topic = msg.get("topic")
        if topic is None:
            if msg.get("op") == "subscribe":
                self._private_acks += 1
                if self._private_acks >= len(PRIVATE_TOPICS):
                    self._subscribed["private"].set()
                    if self._resync_on_acks:
                        # pybit reconnected by itself: resync only now that pushes flow again,
                        # so nothing can change between the REST snapshot and the first push.
                        self._resync_on_acks = False
                        self.reconnects["private"] += 1
                        self._on_state("private", "resync", "reconnected")
            elif msg.get("op") == "auth":
                self._private_auths += 1
                if not msg.get("success", False):
                    self._on_state("private", "down", f"auth refused: {msg.get('ret_msg', '')}")
                elif self._private_auths > 1:
                    self._private_acks = 0
                    self._resync_on_acks = True
            return
        self.messages["private"] += 1
        if not isinstance(topic, str):
            self.bad_data.report("ws private", BadValue("topic", topic, "is not a string"), "frame dropped")
            return
        base = topic.split(".")[0]
        if base in PRIVATE_TOPICS:
            items = self._items(base, msg)
            if items:
                self._on_private(base, items)

    # --- watchdog (engine calls this periodically from a worker thread) ------------------
    def check(self) -> None:
        """Mark silent books stale, publish dirty books, rebuild dead sockets with backoff."""
        if self._stopped:
            return
        now_ms = self._now_ms()
        stale_after = int(self.settings.risk.book_stale_s * 1000)
        for symbol in self.symbols:
            if symbol in self._dirty:
                self._publish_book(symbol)
            last = self._last_msg_ms.get(symbol)
            book = self.books[symbol]
            if last is not None and now_ms - last > stale_after and not book.stale:
                with self._book_lock:
                    book.mark_stale(f"no book update for {(now_ms - last) / 1000:.1f}s")
                self._publish_book(symbol)
                self._on_state(f"book:{symbol}", "stale", book.stale_reason)
                self._rebuild.add("public")
        for which, ws in (("public", self._public), ("private", self._private)):
            dead = ws is None or ws.exited or not ws.is_connected()
            if dead or which in self._rebuild:
                self._try_rebuild(which, "socket down" if dead else "resubscribe for a fresh snapshot")

    def _try_rebuild(self, which: str, why: str) -> None:
        now = time.monotonic()
        if now < self._next_try[which]:
            return
        self._on_state(which, "resyncing", why)
        try:
            self._build(which)
        except Exception as exc:  # noqa: BLE001 - any connect failure is retried with backoff
            self._retry_later(which, now, type(exc).__name__)
            return
        if not self._subscribed[which].wait(self._ack_timeout_s):
            # Connected but not subscribed is not a working feed: never report it as back.
            self._rebuild.add(which)
            self._retry_later(which, now, f"subscriptions not acknowledged within {self._ack_timeout_s:g}s")
            return
        self._rebuild.discard(which)
        self._backoff[which] = self._backoff_first
        self._next_try[which] = now + self._backoff_first
        self.reconnects[which] += 1
        # Pushes flow again; the engine resyncs over REST and then reports the stream up.
        self._on_state(which, "resync", why)

    def _retry_later(self, which: str, now: float, why: str) -> None:
        self._backoff[which] = min(self._backoff[which] * 2, self._backoff_max)
        self._next_try[which] = now + self._backoff[which]
        self._on_state(which, "down", f"{why}; retry in {self._backoff[which]:g}s")

    def is_connected(self, which: str) -> bool:
        """True while the ``public`` or ``private`` socket is up (and has not given up)."""
        ws = self._public if which == "public" else self._private
        return ws is not None and not ws.exited and ws.is_connected()

    def feed_ages_s(self) -> dict[str, float]:
        """Seconds since the last book message per symbol (for health and the header)."""
        now = self._now_ms()
        return {s: (now - t) / 1000 for s, t in self._last_msg_ms.items()}

    def is_stale(self, symbol: str) -> bool:
        """True when the symbol's book is stale (gap, silence, or never received)."""
        book = self.books.get(symbol)
        return book is None or book.stale or symbol not in self._last_msg_ms
