"""Bybit V5 REST through the official pybit client. The only place (with ``feeds.py``) that imports pybit.

pybit's own blocking retries would fight the engine's retry policy (it ``time.sleep``s inside the
call, on the worker thread, and crashes on a past reset timestamp), so every session is built with

* ``retry_codes={-1}`` — an empty set would silently mean "the default set", so a dummy code
  disables pybit's retCode retries (10002/10006/...); the engine's tenacity policy retries instead;
* ``max_retries=1`` — one attempt per call (``0`` crashes pybit with UnboundLocalError);
* ``force_retry=False`` — network errors surface at once as ``requests`` exceptions;
* ``return_response_headers=True`` — so the rate limiter can read ``X-Bapi-Limit-*``.

pybit's ``HTTP`` is not documented as thread-safe, so each worker thread gets its own session.
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
from pybit import _helpers as pybit_helpers
from pybit.exceptions import FailedRequestError, InvalidRequestError
from pybit.unified_trading import HTTP

from core.config import Settings, assert_endpoint_matches_mode
from core.market.candles import Candle
from core.market.timerange import TimeRange
from core.model import Balance, Fill, Instrument, Order, Position, Ticker
from core.observability.baddata import BadDataTracker
from core.resilience.errors import (
    Transient,
    VenueError,
    classify_exception,
    classify_http_status,
    classify_ret_code,
    malformed_reply,
)
from core.venues.base import RestReply
from core.venues.bybit import parse
from core.venues.bybit.parse import KLINE_INTERVALS
from core.venues.values import BadValue, Report, integer, text

log = logging.getLogger(__name__)

CATEGORY = "linear"

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
}

_clock_offset_ms = 0
_orig_generate_timestamp = pybit_helpers.generate_timestamp


def _corrected_timestamp() -> int:
    return int(_orig_generate_timestamp()) + _clock_offset_ms


def set_clock_offset(offset_ms: int) -> None:
    """Sign every pybit request (REST and WS auth) with ``local time + offset_ms``.

    pybit reads the time through ``pybit._helpers.generate_timestamp`` everywhere, so patching that
    one function corrects HTTP signing and WebSocket auth alike.
    """
    global _clock_offset_ms
    _clock_offset_ms = int(offset_ms)
    pybit_helpers.generate_timestamp = _corrected_timestamp


def make_http(settings: Settings) -> HTTP:
    """A pybit ``HTTP`` session for the configured mode, pointed at that mode's endpoint only."""
    assert_endpoint_matches_mode(settings.mode, settings.rest_url)
    key, secret = settings.credentials()
    session = HTTP(
        testnet=False,
        demo=settings.mode.value == "demo",
        api_key=key,
        api_secret=secret,
        recv_window=settings.venue.recv_window_ms,
        timeout=settings.venue.timeout_s,
        max_retries=1,
        retry_codes={-1},
        force_retry=False,
        return_response_headers=True,
        log_requests=False,
        logging_level=logging.WARNING,
    )
    session.endpoint = settings.rest_url
    return session


PYBIT_UNDECODABLE = 409
"""pybit's FailedRequestError status for a reply whose body is not JSON (not an HTTP 409)."""

NON_IDEMPOTENT = frozenset({"place"})
"""Venue methods that must never be blindly repeated (the executor resolves them by orderLinkId)."""

MAX_PAGES = 200
"""Most pages one listing follows. 200 pages of open orders (50 a page) is 10,000 orders, many
times what an account trading a few symbols holds; a venue that keeps handing out new cursors
beyond that is refused rather than followed."""


def _reset_ms(headers: dict[str, str]) -> int | None:
    for k, v in headers.items():
        if k.lower() == "x-bapi-limit-reset-timestamp" and v.isdigit():
            return int(v)
    return None


def _headers(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    return {str(k): str(v) for k, v in dict(raw).items()}


def _shape(value: Any) -> str:
    """A venue value in an error message: short, and never more than 24 characters of it."""
    shown = repr(value)
    return shown if len(shown) <= 24 else shown[:21] + "..."


def _json_type(value: Any) -> str:
    """The JSON name of a decoded value's type (``list``, ``string``, ...)."""
    names = {dict: "object", list: "list", str: "string", bool: "boolean", int: "number", float: "number"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def _pybit_complaint(exc: BaseException) -> str:
    """What pybit tripped over while reading a reply, in words (no reply text is echoed)."""
    if isinstance(exc, KeyError):
        return f"field {_shape(exc.args[0] if exc.args else '')} missing"
    if isinstance(exc, AttributeError):
        return "the body is not a JSON object"
    return f"unreadable envelope ({type(exc).__name__})"


class _BadEnvelope(BadValue):
    """A reply that is not Bybit's envelope, as the bad-data tracker shows it."""

    def __init__(self, detail: str) -> None:
        super().__init__("reply", None, detail)
        self.args = (f"malformed reply: {detail}",)


class BybitVenue:
    """Blocking Bybit V5 REST access (implements :class:`core.venues.base.Venue`)."""

    name = "bybit"

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
    def _session(self) -> HTTP:
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = make_http(self.settings)
        return session

    def endpoint_of(self, method: str) -> str:
        """The REST path a venue method calls."""
        return ENDPOINTS[method][1]

    def call(self, method: str, **params: Any) -> RestReply:
        """Call one endpoint by venue-method name; raise a classified :class:`VenueError` on any failure.

        A reply that is not Bybit's envelope (a JSON list, a non-integer ``retCode``, an error code
        without ``retMsg``, a ``result`` that is not an object, a body that is not JSON) is a
        :func:`~core.resilience.errors.malformed_reply`: the venue may have acted on the request,
        so an order create's outcome is unknown and is resolved by ``orderLinkId``.
        """
        fn_name, path = ENDPOINTS[method]
        # Third mode check (the executor also checks): the session endpoint must still match.
        assert_endpoint_matches_mode(self.mode, self._session().endpoint)
        fn = getattr(self._session(), fn_name)
        idempotent = method not in NON_IDEMPOTENT
        started = time.perf_counter()
        try:
            out = fn(**params)
        except InvalidRequestError as exc:
            raise self._refusal(method, exc, idempotent) from None
        except FailedRequestError as exc:
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
            raise self._malformed(method, _pybit_complaint(exc), idempotent) from None
        body, _elapsed, headers = out
        return RestReply(
            result=self._result(method, body, idempotent),
            headers=_headers(headers),
            elapsed_s=time.perf_counter() - started,
        )

    # --- reply decoding ---------------------------------------------------------------------
    def _malformed(self, method: str, detail: str, idempotent: bool) -> VenueError:
        """A reply that is not Bybit's envelope: reported as bad venue data, failed as unknown."""
        path = self.endpoint_of(method)
        self.bad_data.report(f"rest {path}", _BadEnvelope(detail), "reply refused")
        return malformed_reply(detail, endpoint=path, idempotent=idempotent)

    def _refusal(self, method: str, exc: InvalidRequestError, idempotent: bool) -> VenueError:
        """A non-zero ``retCode`` (pybit raises for any truthy one, integer or not)."""
        code = exc.status_code
        if type(code) is not int:
            return self._malformed(method, f"retCode {_shape(code)} is not an integer", idempotent)
        err = classify_ret_code(
            code,
            str(exc.message),
            endpoint=self.endpoint_of(method),
            idempotent=idempotent,
            reset_ms=_reset_ms(_headers(exc.resp_headers)),
        )
        return err or self._malformed(method, "an error reply with retCode 0", idempotent)

    def _failed(self, method: str, exc: FailedRequestError, idempotent: bool) -> VenueError:
        """A non-200 HTTP status, or pybit's 409 for an HTTP 200 body that is not JSON."""
        status = exc.status_code
        if status == PYBIT_UNDECODABLE:
            return self._malformed(method, "the body could not be decoded as JSON", idempotent)
        if type(status) is not int:  # pragma: no cover - pybit passes requests' integer status
            return self._malformed(method, f"HTTP status {_shape(status)}", idempotent)
        err = classify_http_status(
            status,
            str(exc.message),
            endpoint=self.endpoint_of(method),
            idempotent=idempotent,
            reset_ms=_reset_ms(_headers(exc.resp_headers)),
        )
        return err or self._malformed(method, f"HTTP {status} reported as a failure", idempotent)

    def _result(self, method: str, body: Any, idempotent: bool) -> dict[str, Any]:
        """The ``result`` object of a reply pybit accepted, checked against Bybit's envelope."""
        if not isinstance(body, dict):
            raise self._malformed(method, f"the body is a JSON {_json_type(body)}", idempotent)
        code = body.get("retCode", body.get("ret_code"))
        if type(code) is not int or code != 0:
            raise self._malformed(method, f"retCode {_shape(code)} is not 0", idempotent)
        result = body.get("result")
        if result is None:
            return {}
        if not isinstance(result, dict):
            what = f"result is a JSON {_json_type(result)}, not an object"
            raise self._malformed(method, what, idempotent)
        return result

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

    def place(self, params: dict[str, Any]) -> RestReply:
        """Create one order."""
        return self.call("place", **params)

    def amend(
        self,
        symbol: str,
        order_link_id: str,
        qty: str | None,
        price: str | None,
        trigger_price: str | None = None,
    ) -> RestReply:
        """Amend qty, price and/or trigger price of a working order (pybit drops the None ones)."""
        return self.call(
            "amend",
            category=CATEGORY,
            symbol=symbol,
            orderLinkId=order_link_id,
            qty=qty,
            price=price,
            triggerPrice=trigger_price,
        )

    def margin_mode(self) -> str:
        """The account's margin mode as Bybit names it (``REGULAR_MARGIN`` = cross,
        ``ISOLATED_MARGIN``, ``PORTFOLIO_MARGIN``)."""
        return str(self.call("account_info").result.get("marginMode", ""))

    def set_trading_stop(
        self,
        symbol: str,
        *,
        take_profit: str | None,
        stop_loss: str | None,
        tp_trigger_by: str | None = None,
        sl_trigger_by: str | None = None,
    ) -> RestReply:
        """``/v5/position/trading-stop`` for the whole one-way position (tpslMode Full)."""
        return self.call(
            "trading_stop",
            category=CATEGORY,
            symbol=symbol,
            tpslMode="Full",
            positionIdx=0,
            takeProfit=take_profit,
            stopLoss=stop_loss,
            tpTriggerBy=tp_trigger_by if take_profit is not None else None,
            slTriggerBy=sl_trigger_by if stop_loss is not None else None,
        )

    def cancel(self, symbol: str, order_link_id: str) -> RestReply:
        """Cancel one working order."""
        return self.call("cancel", category=CATEGORY, symbol=symbol, orderLinkId=order_link_id)

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

    def closed_pnl(self, window: TimeRange, symbol: str | None = None) -> list[dict[str, Any]]:
        """Closed-PnL records in ``window`` (explicit start/end, chunked)."""
        extra = {"symbol": symbol} if symbol else {}
        return self._paged("closed_pnl", window, 100, **extra)

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

    def orderbook(self, symbol: str, depth: int) -> dict[str, Any]:
        """A REST book snapshot."""
        return self.call("orderbook", category=CATEGORY, symbol=symbol, limit=depth).result

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


def positive_int(raw: Any, field: str) -> int:
    """A whole number > 0 (a clock reading); :class:`BadValue` when missing, zero or not one."""
    value = integer(raw, field)
    if value <= 0:
        raise BadValue(field, raw, "is missing" if raw in (None, "") else "is not positive")
    return value
