"""Bybit public and private WebSocket feeds on pybit, with a watchdog; domain events out.

pybit's stream socket dies for good when a callback raises, on a failed subscribe ack, or after
10 fast reconnect attempts, and its order book neither sorts nor checks sequence gaps. So:

* every socket is built with ``callback_function=``: pybit hands us every frame, and we translate
  it into the port's domain events (:mod:`core.venues.base`) delivered to a
  :class:`~core.venues.base.FeedSink`: book snapshots and deltas with Bybit's update id ``u`` as
  their sequence (a ``u == 1`` delta is a whole book, as Bybit documents), whole tickers (Bybit's
  ticker deltas are partial: they are merged here), trades, candles, and the account's orders,
  fills, positions and balances;
* each symbol's book is streamed twice: ``orderbook.50`` (pushed every 20 ms) is the trading
  book, and ``orderbook.1000`` (every 200 ms, Bybit's deepest linear depth) a display book for the
  ladder's coarse price groups; each has its own update ids, and the display book's events carry
  its depth (:attr:`~core.venues.base.BookSnapshot.depth`) so the keeper checks them apart;
* every callback is wrapped: an exception is logged and counted, never raised into pybit;
* a frame that is not a JSON object is reported and dropped before pybit sees it (pybit's own
  decoding raises, which makes it close the socket for good: one garbled frame, no feed);
* a malformed frame (a topic that is not a string, ``data`` of the wrong type, a record with a bad
  value, a record of a symbol other than its topic's) is reported to the bad-data tracker (a log
  line, the ``trade_console_bad_values`` metric, ``/healthz``) and dropped; a bad book frame is
  also reported to the sink as ``book:<symbol>`` ``stale`` (an update was lost);
* the private socket authenticates on the venue's clock: its ``auth`` expiry is local time plus
  the adapter's clock offset (``clock_offset``, the one REST signing uses), not the uncorrected
  local time pybit would use, so a skewed local clock does not lock the account stream out;
* :meth:`BybitFeeds.check` is the watchdog: it rebuilds dead sockets, and the public one when a
  fresh book was asked for (:meth:`BybitFeeds.resubscribe_book`), with exponential backoff, and
  reports reconnects (``resync``) so the engine resyncs over REST.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from pybit import _helpers as pybit_helpers
from pybit._http_manager import generate_signature
from pybit.unified_trading import WebSocket

from core.config import Settings
from core.market.books import BOOK_DEPTH, DISPLAY_DEPTH
from core.market.candles import TIMEFRAMES
from core.model import Balance, Fill, Order, Position
from core.observability.baddata import BadDataTracker
from core.venues.base import BookSnapshot, FeedSink, FeedTiming
from core.venues.bybit import parse
from core.venues.bybit.parse import KLINE_INTERVALS, PRIVATE_TOPICS, TIMEFRAME_OF
from core.venues.values import BadValue, integer

log = logging.getLogger(__name__)

DISPLAY_TOPIC_DEPTH = str(DISPLAY_DEPTH)
"""The display book's depth as its topic spells it (``orderbook.1000.BTCUSDT``)."""
PUBLIC_SUBSCRIPTIONS = 5
"""Subscribe frames sent on the public socket: the trading and display order books, tickers, trades,
klines (all symbols each)."""


def _log_bad_frame(bad: BadValue) -> None:
    log.warning("websocket frame dropped: %s", bad)


def _wall_ms() -> int:
    return time.time_ns() // 1_000_000


def _no_offset() -> int:
    return 0


def _ws_class(
    url: str,
    bad_frame: Callable[[BadValue], None] = _log_bad_frame,
    clock_offset: Callable[[], int] = _no_offset,
) -> type[WebSocket]:
    """A pybit WebSocket that always connects to ``url`` (the mode's endpoint, nothing else), hands
    frames that are not JSON objects to ``bad_frame`` instead of raising in pybit, and signs its
    ``auth`` frame with an expiry on the venue's clock (local time + ``clock_offset()`` ms)."""

    class _PinnedWebSocket(WebSocket):  # type: ignore[misc]  # pybit ships no type hints
        def _connect(self, _template: str) -> None:
            super()._connect(url)

        def _auth(self) -> None:
            """pybit's ``auth`` frame, its expiry read from local time corrected by the venue's offset."""
            now_ms = int(pybit_helpers.generate_timestamp()) + int(clock_offset())
            expires = now_ms + self.private_auth_expire * 1000
            signature = generate_signature(self.rsa_authentication, self.api_secret, f"GET/realtime{expires}")
            self.ws.send(json.dumps({"op": "auth", "args": [self.api_key, expires, signature]}))

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


class BybitFeeds:
    """Owns the public and private sockets for a set of symbols (implements
    :class:`core.venues.base.Feeds`); delivers domain events to a :class:`FeedSink`."""

    def __init__(
        self,
        settings: Settings,
        symbols: tuple[str, ...],
        sink: FeedSink,
        timing: FeedTiming | None = None,
        bad_data: BadDataTracker | None = None,
        *,
        now_ms: Callable[[], int] = _wall_ms,
        clock_offset: Callable[[], int] = _no_offset,
    ) -> None:
        """``clock_offset`` is the venue's clock minus the local one (ms), read at every private
        authentication (the adapter's own offset, so a later correction applies on reconnect)."""
        self.bad_data = bad_data or BadDataTracker()
        """Bad values the venue sent (NaN, Infinity, negative sizes): rejected here, reported there."""
        self.settings = settings
        self.symbols = symbols
        self.sink = sink
        timing = timing or FeedTiming()
        self._now_ms = now_ms
        self._clock_offset = clock_offset
        self._ticker_state: dict[str, dict[str, Any]] = {}
        self._public: WebSocket | None = None
        self._private: WebSocket | None = None
        self._dcp = settings.venue.dead_mans_switch_s is not None
        """Subscribe the private socket to ``dcp.future`` (the dead-man's switch is enabled)."""
        self._public_acks = 0
        self._private_auths = 0
        self._private_acks = 0
        self._resync_on_acks = False
        self._subscribed = {"public": threading.Event(), "private": threading.Event()}
        self._rebuild: set[str] = set()
        self._backoff_first, self._backoff_max = timing.reconnect_backoff_s
        self._ack_timeout_s = timing.ack_timeout_s
        self._backoff: dict[str, float] = {"public": self._backoff_first, "private": self._backoff_first}
        self._next_try: dict[str, float] = {"public": 0.0, "private": 0.0}
        self.callback_errors = 0
        self.reconnects: dict[str, int] = {"public": 0, "private": 0}
        self._counts: dict[str, int] = {"public": 0, "private": 0}
        self.messages: Mapping[str, int] = self._counts
        """Frames received per socket (the same counts, read-only for others)."""
        self._stopped = False

    # --- lifecycle (blocking: call from a worker thread) -----------------------------------
    def start(self, timeout_s: float | None = None) -> None:
        """Connect both sockets, subscribe, and wait until the venue acknowledged every topic.

        Acks arrive asynchronously (20-50 ms on Bybit); an order placed before the private
        topics are live would have its fills pushed to nobody.
        """
        wait_s = self._ack_timeout_s if timeout_s is None else timeout_s
        self._build("public")
        self._build("private")
        for which, event in self._subscribed.items():
            acked = event.wait(wait_s)
            if self._stopped:  # stop() woke the wait: report nothing more
                return
            if acked:
                self.sink.connection(which, "up", "connected")
            else:
                self._rebuild.add(which)  # the watchdog rebuilds it
                self.sink.connection(which, "down", f"subscriptions not acknowledged within {wait_s:.0f}s")

    def stop(self) -> None:
        """Close both sockets; a start or a rebuild waiting for acks returns at once."""
        self._stopped = True
        for event in self._subscribed.values():
            event.set()  # wakes the waits; each sees _stopped and reports nothing
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
            self._build_public()
        else:
            self._build_private()

    def _build_public(self) -> None:
        self._public_acks = 0
        ws = _ws_class(self.settings.ws_public_url, self._reporter("ws public"))(
            channel_type="linear",
            testnet=False,
            callback_function=self._wrap(self._on_public_msg),
        )
        self._public = ws
        ws.orderbook_stream(BOOK_DEPTH, list(self.symbols), self._unused)
        ws.orderbook_stream(DISPLAY_DEPTH, list(self.symbols), self._unused)
        ws.ticker_stream(list(self.symbols), self._unused)
        ws.trade_stream(list(self.symbols), self._unused)
        # Every timeframe of every symbol in one subscribe frame: pybit formats "kline.{symbol}"
        # with each "interval.SYMBOL" pair, giving the topics kline_stream would.
        pairs = [f"{KLINE_INTERVALS[tf]}.{s}" for tf in TIMEFRAMES for s in self.symbols]
        ws.subscribe("kline.{symbol}", self._unused, pairs)

    def _build_private(self) -> None:
        self._private_auths = 0
        self._private_acks = 0
        key, secret = self.settings.credentials()
        ws = _ws_class(self.settings.ws_private_url, self._reporter("ws private"), self._clock_offset)(
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
        if self._dcp:
            # Bybit's disconnect-cancel-all only watches sockets subscribed to dcp.future (the
            # derivatives topic; pybit formats "dcp.{symbol}" with "future").
            ws.subscribe("dcp.{symbol}", self._unused, ["future"])

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
                self._on_public_ack(msg)
            return
        self._counts["public"] += 1
        if not isinstance(topic, str):
            self.bad_data.report("ws public", BadValue("topic", topic, "is not a string"), "frame dropped")
            return
        kind, _, rest = topic.partition(".")
        if kind == "orderbook":
            depth, _, symbol = rest.partition(".")
            self._on_book(symbol, msg, DISPLAY_DEPTH if depth == DISPLAY_TOPIC_DEPTH else 0)
        elif kind == "tickers":
            self._on_ticker(rest, msg)
        elif kind == "publicTrade":
            self._on_trades(rest, msg)
        elif kind == "kline":
            interval, _, symbol = rest.partition(".")
            self._on_kline(TIMEFRAME_OF.get(interval, ""), symbol, msg)

    def _on_public_ack(self, msg: dict[str, Any]) -> None:
        if not msg.get("success", True):
            log.error("public subscribe refused: %s", msg.get("ret_msg"))
        self._public_acks += 1
        if self._public_acks >= PUBLIC_SUBSCRIPTIONS:
            self._subscribed["public"].set()
        if self._public_acks > PUBLIC_SUBSCRIPTIONS and self._public_acks % PUBLIC_SUBSCRIPTIONS == 0:
            # pybit resubscribed after its own reconnect
            self.reconnects["public"] += 1
            self.sink.connection("public", "resync", "reconnected")

    def _on_book(self, symbol: str, msg: dict[str, Any], depth: int) -> None:
        """A frame of the trading book (``depth`` 0) or of the display book (its depth)."""
        if symbol not in self.symbols:
            return
        try:
            event = parse.book_frame(symbol, msg)
        except BadValue as bad:  # an update is lost: the book cannot be trusted until a snapshot
            book = f"{symbol}:{depth}" if depth else symbol
            self.bad_data.report(f"orderbook.{book}", bad, "book marked stale")
            self.sink.connection(f"book:{book}", "stale", f"bad value in frame: {bad}")
            return
        if depth:
            event = event._replace(depth=depth)
        if isinstance(event, BookSnapshot):
            self.sink.book_snapshot(event)
        else:
            self.sink.book_delta(event)

    def _on_ticker(self, symbol: str, msg: dict[str, Any]) -> None:
        """Merge a snapshot/delta and deliver the whole ticker; a merge with a bad value is not kept."""
        if symbol not in self.symbols:
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
        self.sink.ticker(ticker)

    def _items(self, stream: str, msg: dict[str, Any]) -> list[Any]:
        """The frame's ``data`` array; anything else is reported and gives nothing."""
        data = msg.get("data")
        if isinstance(data, list):
            return data
        self.bad_data.report(stream, BadValue("data", data, "is not an array"), "frame dropped")
        return []

    def _on_trades(self, symbol: str, msg: dict[str, Any]) -> None:
        if symbol not in self.symbols:
            return
        for t in self._items(f"publicTrade.{symbol}", msg):
            try:
                trade = parse.trade(symbol, t)
            except BadValue as bad:  # one bad trade print must not drop the others
                self.bad_data.report(f"publicTrade.{symbol}", bad, "trade dropped")
                continue
            self.sink.trade(trade)

    def _on_kline(self, timeframe: str, symbol: str, msg: dict[str, Any]) -> None:
        if not timeframe or symbol not in self.symbols:
            return
        stream = f"kline.{KLINE_INTERVALS[timeframe]}.{symbol}"
        for item in self._items(stream, msg):
            try:
                candle = parse.kline(item)
            except BadValue as bad:  # the chart keeps the candle it had
                self.bad_data.report(stream, bad, "candle dropped")
                continue
            self.sink.candle(symbol, timeframe, candle)

    # --- private frames (pybit thread) ---------------------------------------------------
    def _on_private_msg(self, msg: dict[str, Any]) -> None:
        topic = msg.get("topic")
        if topic is None:
            if msg.get("op") == "subscribe":
                self._on_private_ack()
            elif msg.get("op") == "auth":
                self._on_auth(msg)
            return
        self._counts["private"] += 1
        if not isinstance(topic, str):
            self.bad_data.report("ws private", BadValue("topic", topic, "is not a string"), "frame dropped")
            return
        base = topic.split(".")[0]
        if base in PRIVATE_TOPICS:
            for item in self._items(base, msg):
                self._on_push(base, item)

    def _on_private_ack(self) -> None:
        self._private_acks += 1
        if self._private_acks >= len(PRIVATE_TOPICS) + int(self._dcp):
            self._subscribed["private"].set()
            if self._resync_on_acks:
                # pybit reconnected by itself: resync only now that pushes flow again,
                # so nothing can change between the REST snapshot and the first push.
                self._resync_on_acks = False
                self.reconnects["private"] += 1
                self.sink.connection("private", "resync", "reconnected")

    def _on_auth(self, msg: dict[str, Any]) -> None:
        self._private_auths += 1
        if not msg.get("success", False):
            self.sink.connection("private", "down", f"auth refused: {msg.get('ret_msg', '')}")
        elif self._private_auths > 1:
            self._private_acks = 0
            self._resync_on_acks = True

    def _on_push(self, topic: str, item: Any) -> None:
        """One account push item, parsed and delivered; one the venue spoiled is reported and dropped
        (the engine keeps what it had; the next REST sync covers it)."""
        try:
            event = parse.push(topic, item, self.bad_data.reporter(topic))
        except BadValue as bad:
            self.bad_data.report(topic, bad, "push dropped")
            return
        if isinstance(event, Order):
            self.sink.order(event)
        elif isinstance(event, Fill):
            self.sink.fill(event)
        elif isinstance(event, Position):
            self.sink.position(event)
        elif isinstance(event, Balance):
            self.sink.balance(event)

    # --- watchdog (the engine calls this periodically from a worker thread) --------------
    def resubscribe_book(self, symbol: str) -> None:
        """Ask for a fresh snapshot of ``symbol``: the next :meth:`check` rebuilds the public socket
        (the new subscription starts with snapshots). Never blocks."""
        if symbol in self.symbols:
            self._rebuild.add("public")

    def check(self) -> None:
        """Rebuild dead sockets, and the public one when a fresh book was asked for, with backoff."""
        if self._stopped:
            return
        for which, ws in (("public", self._public), ("private", self._private)):
            dead = ws is None or ws.exited or not ws.is_connected()
            if dead or which in self._rebuild:
                self._try_rebuild(which, "socket down" if dead else "resubscribe for a fresh snapshot")

    def _try_rebuild(self, which: str, why: str) -> None:
        now = time.monotonic()
        if now < self._next_try[which]:
            return
        self.sink.connection(which, "resyncing", why)
        try:
            self._build(which)
        except Exception as exc:  # noqa: BLE001 - any connect failure is retried with backoff
            self._retry_later(which, now, type(exc).__name__)
            return
        acked = not self._stopped and self._subscribed[which].wait(self._ack_timeout_s)
        if self._stopped:  # stopped meanwhile: stop() woke the wait
            return
        if not acked:
            # Connected but not subscribed is not a working feed: never report it as back.
            self._rebuild.add(which)
            self._retry_later(which, now, f"subscriptions not acknowledged within {self._ack_timeout_s:g}s")
            return
        self._rebuild.discard(which)
        self._backoff[which] = self._backoff_first
        self._next_try[which] = now + self._backoff_first
        self.reconnects[which] += 1
        # Pushes flow again; the engine resyncs over REST and then reports the stream up.
        self.sink.connection(which, "resync", why)

    def _retry_later(self, which: str, now: float, why: str) -> None:
        self._backoff[which] = min(self._backoff[which] * 2, self._backoff_max)
        self._next_try[which] = now + self._backoff[which]
        self.sink.connection(which, "down", f"{why}; retry in {self._backoff[which]:g}s")

    def is_connected(self, stream: str) -> bool:
        """True while the ``public`` or ``private`` socket is up (and has not given up)."""
        ws = self._public if stream == "public" else self._private
        return ws is not None and not ws.exited and ws.is_connected()
