"""Bybit V5 REST through the official pybit client (implements :class:`core.venues.base.Venue`).

The only place (with ``feeds.py`` and ``session.py``) that imports pybit. Domain values go in and
out: orders are encoded by :mod:`~core.venues.bybit.encode`, failures classified by
:mod:`~core.venues.bybit.errors`, rate-limit headers reported as
:class:`~core.venues.base.RateFeedback` (:mod:`~core.venues.bybit.limits`). pybit's ``HTTP`` is not
documented as thread-safe, so each worker thread gets its own session (:mod:`.session`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from functools import partial
from typing import Any

import requests
from pybit.exceptions import FailedRequestError, InvalidRequestError

from core.config import Settings, assert_endpoint_matches_mode
from core.market.candles import Candle
from core.market.timerange import TimeRange
from core.model import Balance, Fill, Instrument, Order, Position, Ticker, TriggerBy
from core.observability.baddata import BadDataTracker
from core.orders.built import BuiltOrder
from core.resilience.errors import Transient, VenueError, malformed_reply
from core.resilience.ratelimit import RateTable
from core.venues.base import (
    BookSnapshot,
    Capabilities,
    ClosedPnl,
    Feeds,
    FeedSink,
    FeedTiming,
    PlaceAck,
    RateFeedback,
)
from core.venues.bybit import encode, limits, parse
from core.venues.bybit.errors import (
    classify_exception,
    classify_http_status,
    classify_ret_code,
)
from core.venues.bybit.parse import KLINE_INTERVALS
from core.venues.bybit.reply import (
    PYBIT_UNDECODABLE,
    BadEnvelope,
    MalformedEnvelope,
    RestReply,
    envelope_result,
    headers_of,
    pybit_complaint,
    shape,
)
from core.venues.bybit.session import SignedHTTP, make_http
from core.venues.values import BadValue, Report, integer, text

log = logging.getLogger(__name__)

CATEGORY = encode.CATEGORY

#: venue method → (pybit method, REST path). The path keys rate limits, breakers and metrics.
ENDPOINTS: dict[str, tuple[str, str]] = {
    "server_time": ("get_server_time", "/v5/market/time"),
    "instruments": ("get_instruments_info", "/v5/market/instruments-info"),
    "tickers": ("get_tickers", "/v5/market/tickers"),
    "orderbook": ("get_orderbook", "/v5/market/orderbook"),
    "kline": ("get_kline", "/v5/market/kline"),
    "place": ("place_order", "/v5/order/create"),
    "amend": ("amend_order", "/v5/order/amend"),
    "cancel": ("cancel_order", "/v5/order/cancel"),
    "cancel_all": ("cancel_all_orders", "/v5/order/cancel-all"),
    "open_orders": ("get_open_orders", "/v5/order/realtime"),
    "order_history": ("get_order_history", "/v5/order/history"),
    "executions": ("get_executions", "/v5/execution/list"),
    "positions": ("get_positions", "/v5/position/list"),
    "set_leverage": ("set_leverage", "/v5/position/set-leverage"),
    "trading_stop": ("set_trading_stop", "/v5/position/trading-stop"),
    "closed_pnl": ("get_closed_pnl", "/v5/position/closed-pnl"),
    "balance": ("get_wallet_balance", "/v5/account/wallet-balance"),
    "fee_rates": ("get_fee_rates", "/v5/account/fee-rate"),
    "account_info": ("get_account_info", "/v5/account/info"),
    "dead_mans_switch": ("set_dcp", "/v5/order/disconnected-cancel-all"),
}

NON_IDEMPOTENT = frozenset({"place"})
"""Venue methods that must never be blindly repeated (the executor resolves them by orderLinkId)."""

MAX_PAGES = 200
"""Most pages one listing follows. 200 pages of open orders (50 a page) is 10,000 orders, many
times what an account trading a few symbols holds; a venue that keeps handing out new cursors
beyond that is refused rather than followed."""

MARGIN_MODES = {"REGULAR_MARGIN": "cross", "ISOLATED_MARGIN": "isolated", "PORTFOLIO_MARGIN": "portfolio"}
"""Bybit's margin modes in words."""

DCP_PRODUCT = "DERIVATIVES"
"""The DCP product that covers linear perpetuals (Bybit's default, ``OPTIONS``, does not)."""

CLIENT_ID_MAX_LEN = 36
"""Bybit's longest ``orderLinkId``."""

CAPABILITIES = Capabilities(
    name="bybit",
    client_id_max_len=CLIENT_ID_MAX_LEN,
    client_id_pattern=r"^[A-Za-z0-9_-]+$",
    native_tpsl=True,
    native_trailing=True,
    dead_mans_switch=True,
    conditional_orders=True,
    rate_groups=tuple(limits.DEFAULT_LIMITS),
)
"""What Bybit V5 linear perps have natively, as the engine sees it."""


class BybitVenue:
    """Blocking Bybit V5 REST access (implements :class:`core.venues.base.Venue`)."""

    name = "bybit"
    capabilities = CAPABILITIES
    rate_table: RateTable = limits.RATE_TABLE

    def __init__(
        self,
        settings: Settings,
        *,
        now_ms: Callable[[], int] | None = None,
        bad_data: BadDataTracker | None = None,
    ) -> None:
        # Second mode check: Bybit's endpoint for the mode (core.venues.bybit.endpoints).
        assert_endpoint_matches_mode(settings.mode, settings.rest_url, self.name)
        self.settings = settings
        self.mode = settings.mode
        self.rest_url = settings.rest_url
        self._local = threading.local()
        self._now_ms: Callable[[], int] = now_ms or (lambda: time.time_ns() // 1_000_000)
        self.bad_data = bad_data or BadDataTracker()
        """Where bad values in replies are reported (the engine shares its tracker)."""
        self.max_pages = MAX_PAGES
        """Most pages one listing follows (:meth:`_listing`)."""
        self.on_rate_feedback: Callable[[RateFeedback], None] | None = None
        """Set by the engine: hears each reply's ``X-Bapi-Limit*`` report (on the worker thread)."""
        self.clock_offset_ms = 0
        """Venue clock minus local clock: added to the timestamp every request is signed with."""

    def set_clock_offset(self, offset_ms: int) -> None:
        """Sign this adapter's requests with ``local time + offset_ms`` (no other session is touched)."""
        self.clock_offset_ms = int(offset_ms)

    def _offset(self) -> int:
        return self.clock_offset_ms

    # --- bad values in replies --------------------------------------------------------------
    def _report(self, method: str) -> Report:
        """Report a replaced field of a ``method`` reply (the record itself is kept)."""
        return self.bad_data.reporter(f"rest {self.endpoint_of(method)}", "replaced")

    def _dropped(self, method: str, bad: BadValue) -> None:
        """Report a ``method`` reply item that was dropped for a bad value."""
        self.bad_data.report(f"rest {self.endpoint_of(method)}", bad, "item dropped")

    def _refused(self, method: str, bad: BadValue) -> Transient:
        """A reply that cannot be adopted at all: reported, and failed like a broken reply."""
        self.bad_data.report(f"rest {self.endpoint_of(method)}", bad, "reply refused")
        return Transient(f"bad value in the reply: {bad}", endpoint=self.endpoint_of(method))

    # --- plumbing -------------------------------------------------------------------------
    def _session(self) -> SignedHTTP:
        session: SignedHTTP | None = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = make_http(self.settings, self._offset)
        return session

    def endpoint_of(self, method: str) -> str:
        """The REST path a venue method calls."""
        return ENDPOINTS[method][1]

    def call(self, method: str, **params: Any) -> RestReply:
        """Call one endpoint by venue-method name; raise a classified :class:`VenueError` on any failure.

        A reply that is not Bybit's envelope (a JSON list, a non-integer ``retCode``, an error code
        without ``retMsg``, a ``result`` that is not an object, a body that is not JSON) is a
        :func:`~core.resilience.errors.malformed_reply`: the venue may have acted on the request,
        so an order create's outcome is unknown and is resolved by ``orderLinkId``. The reply's
        rate-limit headers (error replies' too) go to :attr:`on_rate_feedback`.
        """
        fn_name, path = ENDPOINTS[method]
        # Third mode check (the executor also checks): the session endpoint must still match.
        assert_endpoint_matches_mode(self.mode, self._session().endpoint, self.name)  # Bybit's own hosts
        fn = getattr(self._session(), fn_name)
        idempotent = method not in NON_IDEMPOTENT
        started = time.perf_counter()
        try:
            out = fn(**params)
        except InvalidRequestError as exc:
            self._feedback(path, headers_of(exc.resp_headers))
            raise self._refusal(method, exc, idempotent) from None
        except FailedRequestError as exc:
            self._feedback(path, headers_of(exc.resp_headers))
            raise self._failed(method, exc, idempotent) from None
        except requests.exceptions.RequestException as exc:
            err = classify_exception(exc, endpoint=path, idempotent=idempotent)
            if err is None:  # pragma: no cover - every RequestException classifies
                raise
            # Keep the cause chain (it proves "never sent"), but not requests' text, which can
            # echo the URL with its query string.
            raise err from exc
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            # pybit reads the envelope itself and trips over a body that is not Bybit's shape
            # (``[...].get``, ``body["retMsg"]``): the request was sent and may have been acted on.
            raise self._malformed(method, pybit_complaint(exc), idempotent) from None
        body, _elapsed, raw_headers = out
        headers = headers_of(raw_headers)
        self._feedback(path, headers)
        try:
            result = envelope_result(body)
        except MalformedEnvelope as bad:
            raise self._malformed(method, str(bad), idempotent) from None
        return RestReply(result=result, headers=headers, elapsed_s=time.perf_counter() - started)

    def _feedback(self, path: str, headers: dict[str, str]) -> None:
        """Hand a reply's rate-limit report to :attr:`on_rate_feedback` (when set and present)."""
        hook = self.on_rate_feedback
        if hook is None:
            return
        report = limits.feedback(path, headers)
        if report is not None:
            hook(report)

    # --- reply decoding ---------------------------------------------------------------------
    def _malformed(self, method: str, detail: str, idempotent: bool) -> VenueError:
        """A reply that is not Bybit's envelope: reported as bad venue data, failed as unknown."""
        path = self.endpoint_of(method)
        self.bad_data.report(f"rest {path}", BadEnvelope(detail), "reply refused")
        return malformed_reply(detail, endpoint=path, idempotent=idempotent)

    def _refusal(self, method: str, exc: InvalidRequestError, idempotent: bool) -> VenueError:
        """A non-zero ``retCode`` (pybit raises for any truthy one, integer or not)."""
        code = exc.status_code
        if type(code) is not int:
            return self._malformed(method, f"retCode {shape(code)} is not an integer", idempotent)
        err = classify_ret_code(
            code,
            str(exc.message),
            endpoint=self.endpoint_of(method),
            idempotent=idempotent,
            reset_ms=limits.reset_ms(headers_of(exc.resp_headers)),
        )
        return err or self._malformed(method, "an error reply with retCode 0", idempotent)

    def _failed(self, method: str, exc: FailedRequestError, idempotent: bool) -> VenueError:
        """A non-200 HTTP status, or pybit's 409 for an HTTP 200 body that is not JSON."""
        status = exc.status_code
        if status == PYBIT_UNDECODABLE:
            return self._malformed(method, "the body could not be decoded as JSON", idempotent)
        if type(status) is not int:  # pragma: no cover - pybit passes requests' integer status
            return self._malformed(method, f"HTTP status {shape(status)}", idempotent)
        err = classify_http_status(
            status,
            str(exc.message),
            endpoint=self.endpoint_of(method),
            idempotent=idempotent,
            reset_ms=limits.reset_ms(headers_of(exc.resp_headers)),
        )
        return err or self._malformed(method, f"HTTP {status} reported as a failure", idempotent)

    # --- the Venue protocol ----------------------------------------------------------------
    def server_time_ms(self) -> int:
        """The venue's clock in ms."""
        res = self.call("server_time").result
        try:
            nano = integer(res.get("timeNano"), "timeNano")
            if nano:
                return nano // 1_000_000
            return positive_int(res.get("timeSecond"), "timeSecond") * 1000
        except BadValue as bad:  # a clock we cannot read is no clock to sign with
            raise self._refused("server_time", bad) from None

    def instruments(self, symbols: tuple[str, ...]) -> list[Instrument]:
        """Instruments for ``symbols``."""
        out: list[Instrument] = []
        for sym in symbols:
            res = self.call("instruments", category=CATEGORY, symbol=sym).result
            for item in self._rows("instruments", res):
                try:
                    out.append(parse.instrument(item))
                except BadValue as bad:  # an instrument with a NaN tick size is not tradable
                    self._dropped("instruments", bad)
        return out

    def fee_rates(self) -> dict[str, tuple[Decimal, Decimal]]:
        """(taker, maker) per symbol."""
        res = self.call("fee_rates", category=CATEGORY).result
        out: dict[str, tuple[Decimal, Decimal]] = {}
        for i in self._rows("fee_rates", res):
            try:
                item = parse.record(i, "fee rate")
                out[parse.symbol_of(item)] = (
                    parse.dec(item.get("takerFeeRate"), field="takerFeeRate"),
                    parse.dec(item.get("makerFeeRate"), field="makerFeeRate"),
                )
            except BadValue as bad:  # the engine's default fees stand in for this symbol
                self._dropped("fee_rates", bad)
        return out

    def place(self, order: BuiltOrder) -> PlaceAck:
        """Create one order; the venue's order id for it."""
        res = self.call("place", **encode.order_params(order)).result
        try:
            order_id = text(res.get("orderId"), "orderId")
        except BadValue as bad:  # sent and maybe live: the executor resolves it by its client id
            self.bad_data.report(f"rest {self.endpoint_of('place')}", bad, "reply refused")
            raise malformed_reply(str(bad), endpoint=self.endpoint_of("place"), idempotent=False) from None
        return PlaceAck(client_order_id=order.order_link_id, order_id=order_id)

    def amend(
        self,
        symbol: str,
        client_order_id: str,
        *,
        qty: Decimal | None = None,
        price: Decimal | None = None,
        trigger_price: Decimal | None = None,
    ) -> None:
        """Amend qty, price and/or trigger price of a working order (None leaves a field)."""
        params = encode.amend_params(
            symbol, client_order_id, qty=qty, price=price, trigger_price=trigger_price
        )
        self.call("amend", **params)

    def margin_mode(self) -> str:
        """The account's margin mode in words (Bybit's ``REGULAR_MARGIN`` is ``cross``,
        ``ISOLATED_MARGIN`` ``isolated``, ``PORTFOLIO_MARGIN`` ``portfolio``; an unknown one as
        Bybit names it, ``""`` when not reported)."""
        raw = str(self.call("account_info").result.get("marginMode", ""))
        return MARGIN_MODES.get(raw, raw)

    def set_trading_stop(
        self,
        symbol: str,
        *,
        take_profit: Decimal | None,
        stop_loss: Decimal | None,
        trigger_by: TriggerBy = TriggerBy.MARK,
        trailing_distance: Decimal | None = None,
        activation: Decimal | None = None,
    ) -> None:
        """``/v5/position/trading-stop`` for the whole one-way position (tpslMode Full): TP/SL
        and/or the trailing stop (``trailingStop`` distance, ``activePrice``)."""
        params = encode.trading_stop_params(
            symbol,
            take_profit=take_profit,
            stop_loss=stop_loss,
            trigger_by=trigger_by,
            trailing_distance=trailing_distance,
            activation=activation,
        )
        self.call("trading_stop", **params)

    def set_dead_mans_switch(self, window_s: int) -> None:
        """Arm (or re-arm) disconnect-cancel-all for derivatives: Bybit cancels every order when
        the private stream's ``dcp`` subscription is gone ``window_s`` seconds ([3, 300])."""
        self.call("dead_mans_switch", product=DCP_PRODUCT, timeWindow=int(window_s))

    def cancel(self, symbol: str, client_order_id: str) -> None:
        """Cancel one working order."""
        self.call("cancel", category=CATEGORY, symbol=symbol, orderLinkId=client_order_id)

    def cancel_all(self, symbol: str | None) -> list[str]:
        """Cancel every working order; returns the cancelled orderLinkIds."""
        params: dict[str, Any] = {"category": CATEGORY}
        if symbol:
            params["symbol"] = symbol
        else:
            params["settleCoin"] = "USDT"
        res = self.call("cancel_all", **params).result
        out: list[str] = []
        for i in self._rows("cancel_all", res):
            try:  # the orders are cancelled either way: an unreadable id only goes unlisted
                out.append(text(parse.record(i, "cancelled order").get("orderLinkId"), "orderLinkId"))
            except BadValue as bad:
                self._dropped("cancel_all", bad)
        return out

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Every working order, following the cursor (bounded: :meth:`_listing`)."""
        params: dict[str, Any] = {"category": CATEGORY}
        if symbol:
            params["symbol"] = symbol
        else:
            params["settleCoin"] = "USDT"
        items = self._listing("open_orders", 50, params)
        try:
            return [parse.order(i, self._report("open_orders")) for i in items]
        except BadValue as bad:  # adopting the list without it would drop a live order
            raise self._refused("open_orders", bad) from None

    def _listing(self, method: str, limit: int, params: dict[str, Any]) -> list[Any]:
        """Every item of a cursor-paged list, within bounds a sound venue never breaks.

        ``limit`` items a page (what is asked for, within Bybit's documented maximum for the
        endpoint), at most :attr:`max_pages` pages, and each page's ``nextPageCursor`` one not
        seen before in this listing. A reply breaking a bound is refused (reported as bad data,
        failed as :class:`Transient`): a repeated cursor would be followed forever, and an
        oversized page would be adopted as the account's truth.
        """
        query = {**params, "limit": limit}
        items: list[Any] = []
        cursors: set[str] = set()
        for page in range(1, self.max_pages + 1):
            res = self.call(method, **query).result
            batch = res.get("list") or []
            if not isinstance(batch, list):
                raise self._refused(method, BadValue("list", type(batch).__name__, "is not a list"))
            if len(batch) > limit:
                why = f"items on page {page}: more than the {limit} asked for"
                raise self._refused(method, BadValue("list", len(batch), why))
            items.extend(batch)
            cursor = res.get("nextPageCursor")
            if not cursor or not batch:
                return items
            if not isinstance(cursor, str) or cursor in cursors:
                why = f"on page {page} was not a new cursor (a loop)"
                raise self._refused(method, BadValue("nextPageCursor", cursor, why))
            cursors.add(cursor)
            query["cursor"] = cursor
        why = f"still set after {self.max_pages} pages"
        raise self._refused(method, BadValue("nextPageCursor", query["cursor"], why))

    def find_order(self, symbol: str, order_link_id: str, *, within: TimeRange | None = None) -> Order | None:
        """Look an order up by orderLinkId: open orders first, then closed ones in ``within``.

        ``within`` defaults to the last 24 h (an unknown-outcome order is minutes old); it is
        always sent as an explicit start/end, never left to Bybit's implicit default window.
        """
        for _method, step in self.order_lookups(symbol, order_link_id, within=within):
            found = step()
            if found is not None:
                return found
        return None

    def order_lookups(
        self, symbol: str, order_link_id: str, *, within: TimeRange | None = None
    ) -> list[tuple[str, Callable[[], Order | None]]]:
        """The requests :meth:`find_order` makes, in order, as ``(method, request)``: each one can
        be retried on its own (a storm that fails one request in three would rarely let all of
        them succeed in one go). The first that finds the order answers."""
        steps: list[tuple[str, Callable[[], Order | None]]] = [
            ("open_orders", partial(self._find_in, "open_orders", symbol, order_link_id, extra))
            for extra in ({}, {"openOnly": 1})
        ]
        window = within or TimeRange.last(timedelta(days=1), self._now_ms())
        steps += [
            (
                "order_history",
                partial(self._find_in, "order_history", symbol, order_link_id, chunk.bybit_params()),
            )
            for chunk in window.chunks_newest_first()
        ]
        return steps

    def _find_in(self, method: str, symbol: str, order_link_id: str, extra: dict[str, Any]) -> Order | None:
        res = self.call(method, category=CATEGORY, symbol=symbol, orderLinkId=order_link_id, **extra)
        items = self._rows(method, res.result)
        # Only the order asked for: a reply listing other orders (a broken or flooded venue) must
        # never stand in for it.
        mine = [i for i in items if isinstance(i, dict) and i.get("orderLinkId") == order_link_id]
        return self._order(mine[0], method) if mine else None

    def _order(self, item: dict[str, Any], method: str) -> Order:
        try:
            return parse.order(item, self._report(method))
        except BadValue as bad:
            raise self._refused(method, bad) from None

    def _paged(self, method: str, window: TimeRange, limit: int, **params: Any) -> list[dict[str, Any]]:
        """Every item of a time-ranged list endpoint: 7-day chunks, each followed to its last cursor."""
        out: list[dict[str, Any]] = []
        for chunk in window.chunks():
            out.extend(self._listing(method, limit, {"category": CATEGORY, **params, **chunk.bybit_params()}))
        return out

    def executions(self, window: TimeRange, symbol: str | None = None) -> list[Fill]:
        """Every execution in ``window`` (explicit start/end, chunked to Bybit's 7-day limit)."""
        extra = {"symbol": symbol} if symbol else {}
        out: list[Fill] = []
        for item in self._paged("executions", window, 100, **extra):
            try:
                out.append(parse.fill(item))
            except BadValue as bad:  # one unreadable execution must not hide the others
                self._dropped("executions", bad)
        return out

    def closed_pnl(self, window: TimeRange, symbol: str | None = None) -> list[ClosedPnl]:
        """Closed-PnL records in ``window`` (explicit start/end, chunked, cursors bounded).

        A record that cannot be read fails the whole request (:class:`Transient`): the day's
        realised PnL is a sum, and a sum missing a term would be shown as if it were whole.
        """
        extra = {"symbol": symbol} if symbol else {}
        items = self._paged("closed_pnl", window, 100, **extra)
        try:
            return [parse.closed_pnl(item) for item in items]
        except BadValue as bad:
            raise self._refused("closed_pnl", bad) from None

    def positions(self) -> list[Position]:
        """Every open position (settleCoin=USDT returns only non-zero rows), following the cursor."""
        items = self._listing("positions", 200, {"category": CATEGORY, "settleCoin": "USDT"})
        try:
            return [parse.position(i, self._report("positions")) for i in items]
        except BadValue as bad:  # a position with an unreadable size is never guessed flat
            raise self._refused("positions", bad) from None

    def position(self, symbol: str) -> Position | None:
        """One symbol's position row (present even when flat)."""
        res = self.call("positions", category=CATEGORY, symbol=symbol).result
        try:
            items = parse.rows(res)
            return parse.position(items[0], self._report("positions")) if items else None
        except BadValue as bad:
            raise self._refused("positions", bad) from None

    def balance(self) -> Balance | None:
        """The USDT balance of the unified account."""
        res = self.call("balance", accountType="UNIFIED", coin="USDT").result
        try:
            items = parse.rows(res)
            return parse.balance(items[0]) if items else None
        except BadValue as bad:  # None: the engine keeps the balance it had
            self._dropped("balance", bad)
            return None

    def set_leverage(self, symbol: str, leverage: Decimal) -> None:
        """Set buy and sell leverage (one-way mode)."""
        lev = format(leverage.normalize(), "f")
        self.call("set_leverage", category=CATEGORY, symbol=symbol, buyLeverage=lev, sellLeverage=lev)

    def orderbook(self, symbol: str, depth: int) -> BookSnapshot:
        """A REST book snapshot (``u`` is its update id)."""
        res = self.call("orderbook", category=CATEGORY, symbol=symbol, limit=depth).result
        try:
            book = parse.book_frame(symbol, {"type": "snapshot", "data": res, "ts": res.get("ts", 0)})
        except BadValue as bad:  # a book we cannot read is no book to trade against
            raise self._refused("orderbook", bad) from None
        assert isinstance(book, BookSnapshot)  # a "snapshot" frame always is one
        return book

    def klines(self, symbol: str, timeframe: str, limit: int = 200) -> list[Candle]:
        """Kline history for the chart, oldest first (``timeframe`` is one of ``TIMEFRAMES``)."""
        interval = KLINE_INTERVALS[timeframe]
        res = self.call("kline", category=CATEGORY, symbol=symbol, interval=interval, limit=limit).result
        dropped = self.bad_data.reporter(f"rest {self.endpoint_of('kline')}", "candle dropped")
        return parse.kline_rows(self._rows("kline", res), dropped)

    def ticker(self, symbol: str) -> Ticker | None:
        """The REST ticker for ``symbol``."""
        reply = self.call("tickers", category=CATEGORY, symbol=symbol)
        try:
            items = parse.rows(reply.result)
            ts = integer(reply.result.get("time"), "time")
            return parse.ticker(items[0], ts) if items else None
        except BadValue as bad:  # None: the store keeps the ticker it had
            self._dropped("tickers", bad)
            return None

    def _rows(self, method: str, result: Any) -> list[Any]:
        """``result["list"]`` of a ``method`` reply; a list that is not an array refuses the reply."""
        try:
            return parse.rows(result)
        except BadValue as bad:
            raise self._refused(method, bad) from None

    # --- streams ------------------------------------------------------------------------------
    def feeds(self, symbols: tuple[str, ...], sink: FeedSink, timing: FeedTiming) -> Feeds:
        """The public and private WebSocket feeds for ``symbols``, delivering to ``sink`` (not started)."""
        from core.venues.bybit.feeds import BybitFeeds  # pybit's socket stack only when streams are used

        return BybitFeeds(
            self.settings,
            symbols,
            sink,
            timing,
            self.bad_data,
            now_ms=self._now_ms,
            clock_offset=self._offset,  # the private socket's auth expiry on the venue's clock
        )


def positive_int(raw: Any, field: str) -> int:
    """A whole number > 0 (a clock reading); :class:`BadValue` when missing, zero or not one."""
    value = integer(raw, field)
    if value <= 0:
        raise BadValue(field, raw, "is missing" if raw in (None, "") else "is not positive")
    return value
