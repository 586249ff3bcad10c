"""The adapter's plumbing and reads: calls through the SDK with classified failures, the asset
table, and every ``/info`` query of the venue port (orders, positions, balance, fills, books,
instruments, fees, candles, time). :class:`~core.venues.hyperliquid.rest.HyperliquidVenue` adds
the commands.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING, Any

import requests
from hyperliquid.utils.error import ClientError, ServerError

from core.market.candles import Candle
from core.market.timerange import TimeRange
from core.model import Balance, Fill, Instrument, Order, Position, Ticker
from core.observability.baddata import BadDataTracker
from core.resilience.errors import (
    Rejected,
    Transient,
    VenueError,
    classify_network_exception,
    malformed_reply,
)
from core.venues.base import BookSnapshot, ClosedPnl
from core.venues.hyperliquid import encode, parse
from core.venues.hyperliquid.errors import CODE_ITEM, classify_http
from core.venues.hyperliquid.stops import PositionStops, is_stop_id
from core.venues.hyperliquid.symbols import coin_of, symbol_of
from core.venues.values import BadValue, number, price

if TYPE_CHECKING:
    from core.venues.hyperliquid.session import HLSession

log = logging.getLogger(__name__)

#: venue method -> endpoint name (``/exchange:<action>`` or ``/info:<request type>``).
ENDPOINTS: dict[str, str] = {
    "place": "/exchange:order",
    "amend": "/exchange:batchModify",
    "cancel": "/exchange:cancelByCloid",
    "cancel_all": "/exchange:cancel",
    "set_leverage": "/exchange:updateLeverage",
    "dead_mans_switch": "/exchange:scheduleCancel",
    "trading_stop": "/exchange:order",
    "meta": "/info:meta",
    "instruments": "/info:metaAndAssetCtxs",
    "tickers": "/info:metaAndAssetCtxs",
    "fee_rates": "/info:userFees",
    "open_orders": "/info:frontendOpenOrders",
    "order_status": "/info:orderStatus",
    "find_order": "/info:orderStatus",
    "positions": "/info:clearinghouseState",
    "balance": "/info:clearinghouseState",
    "executions": "/info:userFillsByTime",
    "orderbook": "/info:l2Book",
    "server_time": "/info:l2Book",
    "kline": "/info:candleSnapshot",
}
INTERVALS = {"1m": 60_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000}
"""Our chart timeframes, all of them Hyperliquid candle intervals, in ms."""
FILLS_PAGE = 500
"""Most items a time-ranged query returns: a full page means there may be more."""
MAX_PAGES = 200


class Queries:
    """Calls and reads; expects ``_session()``, ``account``, ``bad_data`` and ``now_ms()``."""

    account: str
    bad_data: BadDataTracker

    def __init__(self) -> None:
        self._assets: dict[str, tuple[int, int]] = {}
        self._ids: dict[str, str] = {}
        self.stops = PositionStops()
        """The positions' TP and SL (position stops), put on the positions reported."""
        self._ids_lock = threading.Lock()

    def _session(self) -> HLSession:  # pragma: no cover - provided by the venue
        raise NotImplementedError

    def now_ms(self) -> int:  # pragma: no cover - provided by the venue
        """The venue's time."""
        raise NotImplementedError

    # --- plumbing ------------------------------------------------------------------------------
    def endpoint_of(self, method: str) -> str:
        """The endpoint a venue method calls (keys limits, breakers and metrics)."""
        return ENDPOINTS.get(method, "/info:" + method)

    def _guarded(self, method: str, idempotent: bool, send: Callable[[], Any]) -> Any:
        endpoint = self.endpoint_of(method)
        try:
            return send()
        except ClientError as exc:
            raise classify_http(
                int(exc.status_code), str(exc.error_message), endpoint=endpoint, idempotent=idempotent
            ) from None
        except ServerError as exc:
            raise classify_http(int(exc.status_code), "", endpoint=endpoint, idempotent=idempotent) from None
        except requests.exceptions.RequestException as exc:
            err = classify_network_exception(exc, endpoint=endpoint, idempotent=idempotent)
            if err is None:  # pragma: no cover - every RequestException classifies
                raise
            raise err from exc
        except (KeyError, ValueError) as exc:  # the SDK reading a JSON 4xx body without code/msg
            raise malformed_reply(
                f"{type(exc).__name__} reading the reply", endpoint=endpoint, idempotent=idempotent
            ) from None

    def act(self, method: str, action: dict[str, Any], *, idempotent: bool) -> Any:
        """Sign and post an ``/exchange`` action; the reply body (failures classified)."""
        return self._guarded(method, idempotent, partial(self._session().act, action))

    def info(self, method: str, payload: dict[str, Any]) -> Any:
        """Post an ``/info`` request; the reply body (failures classified)."""
        return self._guarded(method, True, partial(self._session().info_post, payload))

    def _refused(self, method: str, bad: BadValue) -> VenueError:
        self.bad_data.report(f"rest {self.endpoint_of(method)}", bad, "reply refused")
        return Transient(f"bad value in the reply: {bad}", endpoint=self.endpoint_of(method))

    def _dropped(self, method: str, bad: BadValue) -> None:
        self.bad_data.report(f"rest {self.endpoint_of(method)}", bad, "item dropped")

    # --- assets and client ids -----------------------------------------------------------------
    def _learn_meta(self, meta: Any) -> list[Any]:
        universe = parse.record(meta, "meta").get("universe")
        if not isinstance(universe, list):
            raise BadValue("universe", universe, "is not a list")
        for index, item in enumerate(universe):
            row = parse.record(item, "universe item")
            self._assets[str(row.get("name"))] = (index, int(row.get("szDecimals", 0)))
        return universe

    def asset(self, coin: str) -> tuple[int, int]:
        """``(asset id, szDecimals)`` of ``coin`` (meta is read once, and again for a new coin)."""
        if coin not in self._assets:
            try:
                self._learn_meta(self.info("meta", {"type": "meta", "dex": ""}))
            except BadValue as bad:
                raise self._refused("meta", bad) from None
        found = self._assets.get(coin)
        if found is None:
            raise Rejected(CODE_ITEM, f"{coin} is not a Hyperliquid perp", endpoint=self.endpoint_of("meta"))
        return found

    def remember(self, oid: str, client_order_id: str) -> None:
        """Note which client id an oid belongs to (fills carry only the oid)."""
        if client_order_id:
            with self._ids_lock:
                self._ids[oid] = client_order_id

    @property
    def client_ids(self) -> dict[str, str]:
        """oid -> our client order id, as learned from acks and order reads (shared with feeds)."""
        return self._ids

    # --- reads ---------------------------------------------------------------------------------
    def server_time_ms(self) -> int:
        """The venue's clock: the time of a book snapshot of the first asset."""
        if not self._assets:
            try:
                self._learn_meta(self.info("meta", {"type": "meta", "dex": ""}))
            except BadValue as bad:
                raise self._refused("meta", bad) from None
        coin = next(iter(self._assets), None)
        if coin is None:
            raise self._refused("server_time", BadValue("universe", [], "is empty"))
        return self.orderbook(symbol_of(coin), 1).ts_ms

    def _contexts(self, method: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
        reply = self.info(method, {"type": "metaAndAssetCtxs"})
        try:
            if not isinstance(reply, list) or len(reply) != 2:  # noqa: PLR2004 - [meta, ctxs]
                raise BadValue("metaAndAssetCtxs", type(reply).__name__, "is not [meta, contexts]")
            universe = self._learn_meta(reply[0])
            return [
                (parse.record(u, "universe item"), parse.record(c, "context"))
                for u, c in zip(universe, reply[1], strict=False)
            ]
        except BadValue as bad:
            raise self._refused(method, bad) from None

    def instruments(self, symbols: tuple[str, ...]) -> list[Instrument]:
        """Instruments for ``symbols`` (the tick is the price step at the current mark)."""
        wanted = {coin_of(s) for s in symbols}
        out: list[Instrument] = []
        for meta, ctx in self._contexts("instruments"):
            if meta.get("name") in wanted:
                try:
                    out.append(parse.instrument(meta, price(ctx.get("markPx"), "markPx")))
                except BadValue as bad:
                    self._dropped("instruments", bad)
        return out

    def ticker(self, symbol: str) -> Ticker | None:
        """Mark, oracle, mid and funding of ``symbol`` from the asset contexts."""
        coin = coin_of(symbol)
        for meta, ctx in self._contexts("tickers"):
            if meta.get("name") == coin:
                try:
                    return parse_ticker(symbol, ctx, self.now_ms())
                except BadValue as bad:
                    self._dropped("tickers", bad)
        return None

    def fee_rates(self) -> dict[str, tuple[Decimal, Decimal]]:
        """(taker, maker) for every known asset from ``userFees``; empty when the venue does not
        answer it (the engine then uses its configured fees)."""
        try:
            reply = self.info("fee_rates", {"type": "userFees", "user": self.account})
        except Rejected as refused:  # a venue without userFees: the engine's default fees stand
            log.info("hyperliquid fee rates unknown: %s", refused.reason)
            return {}
        try:
            row = parse.record(reply, "userFees")
            taker = number(row.get("userCrossRate"), "userCrossRate")
            maker = number(row.get("userAddRate"), "userAddRate")
        except BadValue as bad:
            self._dropped("fee_rates", bad)
            return {}
        return {symbol_of(coin): (taker, maker) for coin in self._assets}

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Every open order (``frontendOpenOrders``), of ``symbol`` or all."""
        rows = self.info("open_orders", {"type": "frontendOpenOrders", "user": self.account, "dex": ""})
        try:
            if not isinstance(rows, list):
                raise BadValue("frontendOpenOrders", type(rows).__name__, "is not a list")
            orders = [parse.order(r) for r in rows]
        except BadValue as bad:  # adopting the list without it would drop a live order
            raise self._refused("open_orders", bad) from None
        self.stops.adopt(orders)  # the listing is every coin's, whatever ``symbol`` is
        orders = [o for o in orders if not is_stop_id(o.order_link_id)]
        for o in orders:
            self.remember(o.order_id, o.order_link_id)
        return [o for o in orders if symbol is None or o.symbol == symbol]

    def find_order(self, symbol: str, client_order_id: str) -> Order | None:
        """The order with this client id, open or closed (``orderStatus`` by cloid); None if unknown."""
        reply = self.info(
            "find_order",
            {"type": "orderStatus", "user": self.account, "oid": encode.cloid_of(client_order_id)},
        )
        try:
            row = parse.record(reply, "orderStatus")
            if row.get("status") != "order":
                return None
            found = parse.ws_order(row.get("order"))
        except BadValue as bad:
            raise self._refused("find_order", bad) from None
        self.remember(found.order_id, found.order_link_id)
        return found if found.symbol == symbol else None

    def order_lookups(
        self, symbol: str, client_order_id: str
    ) -> Sequence[tuple[str, Callable[[], Order | None]]]:
        """One request answers: ``orderStatus`` by cloid."""
        return [("find_order", partial(self.find_order, symbol, client_order_id))]

    def _state(self, method: str) -> Any:
        return self.info(method, {"type": "clearinghouseState", "user": self.account, "dex": ""})

    def positions(self) -> list[Position]:
        """Every open position (``clearinghouseState.assetPositions``)."""
        state = self._state("positions")
        try:
            rows = parse.record(state, "clearinghouseState").get("assetPositions") or []
            found = [parse.position(r) for r in rows]
        except BadValue as bad:  # a position with an unreadable size is never guessed flat
            raise self._refused("positions", bad) from None
        return self.stops.attach(p for p in found if not p.is_flat)

    def account_state(self) -> tuple[list[Position], Balance | None]:
        """Positions and balance from one ``clearinghouseState`` (for the feeds after a fill)."""
        state = self._state("positions")
        try:
            rows = parse.record(state, "clearinghouseState").get("assetPositions") or []
            found = [p for p in (parse.position(r) for r in rows) if not p.is_flat]
            return self.stops.attach(found), parse.balance(state)
        except BadValue as bad:
            raise self._refused("positions", bad) from None

    def balance(self) -> Balance | None:
        """The account's USDC margin summary."""
        try:
            return parse.balance(self._state("balance"))
        except BadValue as bad:
            self._dropped("balance", bad)
            return None

    def executions(self, window: TimeRange, symbol: str | None = None) -> list[Fill]:
        """Every fill in ``window`` (``userFillsByTime``, paged by time, deduplicated by tid)."""
        start, out, seen = window.start_ms, [], set()
        for _ in range(MAX_PAGES):
            payload = {
                "type": "userFillsByTime",
                "user": self.account,
                "startTime": start,
                "endTime": window.end_ms - 1,
            }
            rows = self.info("executions", payload)
            if not isinstance(rows, list):
                raise self._refused(
                    "executions", BadValue("userFillsByTime", type(rows).__name__, "is not a list")
                )
            for row in rows:
                try:
                    fill = parse.fill(row, self._ids)
                except BadValue as bad:
                    self._dropped("executions", bad)
                    continue
                if fill.exec_id not in seen and (symbol is None or fill.symbol == symbol):
                    seen.add(fill.exec_id)
                    out.append(fill)
            if len(rows) < FILLS_PAGE:
                return sorted(out, key=lambda f: f.ts_ms)
            start = max(f.ts_ms for f in out) if out else start + 1
        raise self._refused("executions", BadValue("userFillsByTime", MAX_PAGES, "pages still full"))

    def closed_pnl(self, window: TimeRange, symbol: str | None = None) -> list[ClosedPnl]:
        """None needed: Hyperliquid's fills carry their closed PnL (``closedPnl``)."""
        return []

    def orderbook(self, symbol: str, depth: int) -> BookSnapshot:
        """An ``l2Book`` snapshot (at most 20 levels a side); its sequence is its time."""
        reply = self.info("orderbook", {"type": "l2Book", "coin": coin_of(symbol)})
        try:
            book = parse.book(reply)
        except BadValue as bad:
            raise self._refused("orderbook", bad) from None
        return book._replace(bids=book.bids[:depth], asks=book.asks[:depth])

    def klines(self, symbol: str, timeframe: str, limit: int = 200) -> list[Candle]:
        """Candle history, oldest first (``candleSnapshot``)."""
        step = INTERVALS[timeframe]
        end = self.now_ms()
        req = {
            "coin": coin_of(symbol),
            "interval": timeframe,
            "startTime": end - step * limit,
            "endTime": end,
        }
        rows = self.info("kline", {"type": "candleSnapshot", "req": req})
        out: list[Candle] = []
        for row in rows if isinstance(rows, list) else []:
            try:
                r = parse.record(row, "candle")
                out.append(
                    Candle(
                        int(r["t"]),
                        float(price(r.get("o"), "o")),
                        float(price(r.get("h"), "h")),
                        float(price(r.get("l"), "l")),
                        float(price(r.get("c"), "c")),
                        float(number(r.get("v"), "v")),
                    )
                )
            except (BadValue, KeyError, TypeError, ValueError) as exc:
                self._dropped(
                    "kline", exc if isinstance(exc, BadValue) else BadValue("candle", row, "is not a candle")
                )
        return sorted(out, key=lambda c: c.start_ms)


HOUR_MS = 3_600_000


def parse_ticker(symbol: str, ctx: dict[str, Any], now_ms: int) -> Ticker:
    """An asset context (``metaAndAssetCtxs`` or ``activeAssetCtx``) as a ticker; funding is
    paid on the hour."""
    mark = price(ctx.get("markPx"), "markPx")
    mid = price(ctx.get("midPx"), "midPx", mark)
    impact = ctx.get("impactPxs") or [mid, mid]
    prev = price(ctx.get("prevDayPx"), "prevDayPx")
    return Ticker(
        symbol=symbol,
        last_price=mid,
        mark_price=mark,
        index_price=price(ctx.get("oraclePx"), "oraclePx"),
        bid1=price(impact[0], "impactPxs[0]"),
        ask1=price(impact[1], "impactPxs[1]"),
        volume_24h=number(ctx.get("dayBaseVlm"), "dayBaseVlm"),
        turnover_24h=number(ctx.get("dayNtlVlm"), "dayNtlVlm"),
        price_24h_pcnt=(mark - prev) / prev if prev else Decimal(0),
        prev_price_24h=prev,
        funding_rate=number(ctx.get("funding"), "funding"),
        open_interest=number(ctx.get("openInterest"), "openInterest"),
        ts_ms=now_ms,
        next_funding_ms=(now_ms // HOUR_MS + 1) * HOUR_MS,
    )
