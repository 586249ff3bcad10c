"""Hyperliquid's WebSocket through the SDK's ``WebsocketManager`` -> :class:`FeedSink` events.

One socket carries both the public streams (``l2Book``, ``trades``, ``activeAssetCtx`` per
symbol) and the account's (``orderUpdates``, ``userFills``), so ``public`` and ``private`` are up
and down together. Hyperliquid's ``l2Book`` push is a whole book every time: each becomes a
book snapshot whose sequence is its ``time`` (kept strictly increasing per symbol). Every
callback is wrapped: a bad message is reported and dropped, never raised into the socket's
thread. The SDK does not reconnect: :meth:`HyperliquidFeeds.check` (the engine's watchdog tick)
rebuilds a dead socket with backoff and resubscribes; the engine then resyncs over REST.

Hyperliquid pushes no position or margin stream among these; after each fill (and each order
update) the feeds' own account thread reads ``clearinghouseState`` through the adapter
(``account_state``) and delivers every position (a symbol now flat as a flat one) and the
balance, off the socket's thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from hyperliquid.websocket_manager import WebsocketManager
from websocket import WebSocketException

from core.model import ZERO, Balance, Position
from core.observability.baddata import BadDataTracker
from core.resilience.errors import VenueError
from core.venues.base import FeedSink, FeedTiming
from core.venues.hyperliquid import parse
from core.venues.hyperliquid.queries import parse_ticker
from core.venues.hyperliquid.stops import PositionStops, is_stop_id
from core.venues.hyperliquid.symbols import coin_of, symbol_of
from core.venues.values import BadValue

log = logging.getLogger(__name__)
AccountState = Callable[[], tuple[list[Position], Balance | None]]
"""Reads the account's positions and balance (the adapter's ``clearinghouseState``)."""
STREAMS = ("public", "private")


class HyperliquidFeeds:
    """The account's and ``symbols``' streams on one SDK socket (implements :class:`Feeds`)."""

    def __init__(
        self,
        base_url: str,
        account: str,
        symbols: tuple[str, ...],
        sink: FeedSink,
        timing: FeedTiming,
        bad_data: BadDataTracker,
        client_ids: dict[str, str],
        *,
        account_state: AccountState | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        stops: PositionStops | None = None,
    ) -> None:
        self.base_url = base_url
        self.account = account
        self.symbols = symbols
        self.sink = sink
        self.timing = timing
        self.bad_data = bad_data
        self.client_ids = client_ids
        self.stops = stops or PositionStops()
        """The positions' TP/SL: their pushes update it and are not delivered as orders."""
        self._counts: dict[str, int] = {"public": 0, "private": 0}
        self.messages: Mapping[str, int] = self._counts
        self._monotonic = monotonic
        self._manager: WebsocketManager | None = None
        self._up = False
        self._stopped = False
        self._seq: dict[str, int] = {}
        self._lock = threading.Lock()
        self._failures = 0
        self._retry_at = 0.0
        self._account_state = account_state
        self._books: dict[str, tuple[Any, int]] = {}
        self._refresh = threading.Event()
        self._account_thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        """Connect and subscribe every stream (subscriptions queue until the socket opens)."""
        self._stopped = False
        self._build()
        if self._account_state is not None:
            self._account_thread = threading.Thread(target=self._account_loop, name="hl-account", daemon=True)
            self._account_thread.start()

    def _build(self) -> None:
        manager = WebsocketManager(self.base_url)
        app = manager.ws
        sdk_open = app.on_open
        app.on_open = lambda ws: self._opened(sdk_open, ws)
        app.on_close = lambda _ws, *_args: self._closed("closed")
        app.on_error = lambda _ws, err: self._closed(f"error: {type(err).__name__}")
        manager.daemon = True
        self._books = {}
        for sym in self.symbols:
            coin = coin_of(sym)
            book_sub: Any = {"type": "l2Book", "coin": coin}
            self._books[sym] = (book_sub, manager.subscribe(book_sub, self._guard("public", self._book)))
            manager.subscribe({"type": "trades", "coin": coin}, self._guard("public", self._trades))
            manager.subscribe({"type": "activeAssetCtx", "coin": coin}, self._guard("public", self._ctx))
        manager.subscribe(
            {"type": "orderUpdates", "user": self.account}, self._guard("private", self._orders)
        )
        manager.subscribe({"type": "userFills", "user": self.account}, self._guard("private", self._fills))
        self._manager = manager
        manager.start()

    def _opened(self, sdk_open: Callable[[Any], None], ws: Any) -> None:
        sdk_open(ws)  # sends the queued subscriptions
        self._up = True
        self._failures = 0
        for stream in STREAMS:
            self.sink.connection(stream, "up", self.base_url)

    def _closed(self, detail: str) -> None:
        was_up, self._up = self._up, False
        if was_up and not self._stopped:
            for stream in STREAMS:
                self.sink.connection(stream, "down", detail)

    def stop(self) -> None:
        """Close the socket and its ping thread."""
        self._stopped = True
        self._refresh.set()
        manager, self._manager = self._manager, None
        if manager is not None:
            manager.stop()
        self._up = False

    def check(self) -> None:
        """Watchdog tick: rebuild a dead socket (exponential backoff), then report a resync."""
        manager = self._manager
        if self._stopped or manager is None or (manager.is_alive() and manager.ws.keep_running):
            return
        now = self._monotonic()
        if now < self._retry_at:
            return
        low, high = self.timing.reconnect_backoff_s
        self._failures += 1
        self._retry_at = now + min(high, low * 2 ** (self._failures - 1))
        manager.stop()
        self._build()
        for stream in STREAMS:
            self.sink.connection(stream, "resync", "socket rebuilt")

    def resubscribe_book(self, symbol: str) -> None:
        """Subscribe ``symbol``'s ``l2Book`` afresh: the venue answers with a whole book at once
        (a quiet book sends nothing until it changes)."""
        manager, found = self._manager, self._books.get(symbol)
        if manager is None or found is None or not manager.ws_ready:
            return
        sub, sub_id = found
        try:
            manager.unsubscribe(sub, sub_id)
            self._books[symbol] = (sub, manager.subscribe(sub, self._guard("public", self._book)))
        except (OSError, NotImplementedError, WebSocketException) as exc:  # the watchdog rebuilds
            log.warning("hyperliquid book resubscribe %s failed: %s", symbol, exc)

    def is_connected(self, stream: str) -> bool:
        """True while the socket is open (both streams share it)."""
        manager = self._manager
        return self._up and manager is not None and manager.is_alive()

    # --- messages ------------------------------------------------------------------------------
    def _guard(self, stream: str, handle: Callable[[Any], None]) -> Callable[[Any], None]:
        def callback(msg: Any) -> None:
            self._counts[stream] += 1
            try:
                handle(msg.get("data") if isinstance(msg, dict) else None)
            except BadValue as bad:
                self.bad_data.report(f"ws {stream}", bad, "message dropped")
            except Exception:  # a raise would end the SDK's socket thread: report and go on
                log.exception("hyperliquid %s message dropped", stream)

        return callback

    def _book(self, data: Any) -> None:
        book = parse.book(data)
        with self._lock:
            seq = max(book.seq, self._seq.get(book.symbol, 0) + 1)
            self._seq[book.symbol] = seq
        self.sink.book_snapshot(book._replace(seq=seq))

    def _trades(self, data: Any) -> None:
        for item in data if isinstance(data, list) else []:
            self.sink.trade(parse.trade(item))

    def _ctx(self, data: Any) -> None:
        row = parse.record(data, "activeAssetCtx")
        ctx = parse.record(row.get("ctx"), "ctx")
        self.sink.ticker(parse_ticker(symbol_of(str(row.get("coin"))), ctx, time.time_ns() // 1_000_000))

    def _orders(self, data: Any) -> None:
        for item in data if isinstance(data, list) else []:
            order = parse.ws_order(item)
            if is_stop_id(order.order_link_id):  # the position's TP or SL, not an order of ours
                self.stops.pushed(order)
                continue
            if order.order_link_id:
                self.client_ids[order.order_id] = order.order_link_id
            self.sink.order(order)
        self._refresh.set()

    def _fills(self, data: Any) -> None:
        row = parse.record(data, "userFills")
        if row.get("isSnapshot"):  # history: the engine backfills it over REST
            return
        for item in row.get("fills") or []:
            self.sink.fill(parse.fill(item, self.client_ids))
        self._refresh.set()

    # --- the account after fills ---------------------------------------------------------------
    def _account_loop(self) -> None:
        while not self._stopped:
            self._refresh.wait()
            self._refresh.clear()
            if not self._stopped:
                self._push_account()

    def _push_account(self) -> None:
        """Deliver the account's positions (flat ones for symbols without one) and balance."""
        if self._account_state is None:
            return
        try:
            positions, balance = self._account_state()
        except VenueError as err:  # the engine's periodic REST sync catches up
            log.warning("hyperliquid account refresh failed: %s", err)
            return
        held = {p.symbol for p in positions}
        for pos in positions:
            self.sink.position(pos)
        for sym in self.symbols:
            if sym not in held:
                self.sink.position(Position(sym, None, ZERO, ZERO, ZERO, ZERO))
        if balance is not None:
            self.sink.balance(balance)
