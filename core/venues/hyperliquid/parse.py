"""Hyperliquid's replies and pushes -> domain values (pure, no SDK import).

Every number goes through :mod:`core.venues.values` (finite, in range, or refused by name).
Sides are ``"B"`` (bid, buy) and ``"A"`` (ask, sell). Our client order id comes back out of the
order's cloid (:func:`core.venues.hyperliquid.encode.client_id_of`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.model import (
    Balance,
    Fill,
    Instrument,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
    TimeInForce,
    Trade,
)
from core.venues.base import BookLevels, BookSnapshot
from core.venues.hyperliquid.encode import MIN_NOTIONAL, client_id_of, price_step
from core.venues.hyperliquid.symbols import symbol_of
from core.venues.values import BadValue, integer, number, positive, price, size, text

SETTLE_COIN = "USDC"
MAX_ORDER_QTY = Decimal("1e9")
"""Hyperliquid states no per-order size cap in ``meta``; a large bound stands in."""
SIDES = {"B": Side.BUY, "A": Side.SELL}
TIFS = {"Gtc": TimeInForce.GTC, "Ioc": TimeInForce.IOC, "Alo": TimeInForce.POST_ONLY}
FINAL = {
    "filled": OrderStatus.FILLED,
    "triggered": OrderStatus.TRIGGERED,
    "canceled": OrderStatus.CANCELLED,
    "scheduledCancel": OrderStatus.CANCELLED,
    "rejected": OrderStatus.REJECTED,
}
"""Hyperliquid's order statuses that are not ``open`` nor ``...Canceled``/``...Rejected``."""


def plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent form (``3.40E+3`` is ``3400``)."""
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


def record(raw: Any, what: str) -> dict[str, Any]:
    """``raw`` as a JSON object, or :class:`BadValue`."""
    if not isinstance(raw, dict):
        raise BadValue(what, raw, "is not an object")
    return raw


def side(raw: Any, field: str = "side") -> Side:
    """``"B"``/``"A"`` -> our side."""
    found = SIDES.get(raw) if isinstance(raw, str) else None
    if found is None:
        raise BadValue(field, raw, "is not B or A")
    return found


def status(raw: Any) -> OrderStatus:
    """A Hyperliquid order status -> ours (``...Canceled`` cancelled, ``...Rejected`` rejected)."""
    name = text(raw, "status")
    if name in FINAL:
        return FINAL[name]
    if name.endswith("Canceled"):
        return OrderStatus.CANCELLED
    if name.endswith("Rejected"):
        return OrderStatus.REJECTED
    if name == "open":
        return OrderStatus.NEW
    raise BadValue("status", raw, "is not a Hyperliquid order status")


def instrument(item: Any, mark: Decimal) -> Instrument:
    """A ``meta.universe`` entry; its tick is the price step the rules give at ``mark``."""
    row = record(item, "universe item")
    coin = text(row.get("name"), "name")
    sz_decimals = integer(row.get("szDecimals"), "szDecimals")
    step = Decimal(1).scaleb(-sz_decimals)
    tick = price_step(positive(mark, "markPx"), sz_decimals)
    return Instrument(
        symbol=symbol_of(coin),
        base_coin=coin,
        quote_coin=SETTLE_COIN,
        tick_size=tick,
        qty_step=step,
        min_order_qty=step,
        max_order_qty=MAX_ORDER_QTY,
        max_mkt_order_qty=MAX_ORDER_QTY,
        min_notional=MIN_NOTIONAL,
        min_leverage=Decimal(1),
        max_leverage=positive(row.get("maxLeverage"), "maxLeverage"),
        leverage_step=Decimal(1),
        min_price=tick,
        status="Delisted" if row.get("isDelisted") else "Trading",
    )


def order(item: Any, status_name: Any = "open", updated_ms: int = 0) -> Order:
    """An order (``frontendOpenOrders`` row, ``orderStatus``'s ``order``, a ``WsOrder``'s ``order``)."""
    row = record(item, "order")
    orig = size(row.get("origSz"), "origSz", size(row.get("sz"), "sz"))
    left = size(row.get("sz"), "sz")
    state = status(status_name)
    trigger = price(row.get("triggerPx"), "triggerPx") if row.get("isTrigger") else Decimal(0)
    if state is OrderStatus.NEW and trigger:
        state = OrderStatus.UNTRIGGERED
    elif state is OrderStatus.NEW and left < orig:
        state = OrderStatus.PARTIALLY_FILLED
    kind = str(row.get("orderType") or "Limit")
    return Order(
        symbol=symbol_of(text(row.get("coin"), "coin")),
        side=side(row.get("side")),
        order_type=OrderType.MARKET if "Market" in kind else OrderType.LIMIT,
        qty=orig,
        price=price(row.get("limitPx"), "limitPx"),
        order_link_id=client_id_of(row.get("cloid")),
        order_id=str(integer(row.get("oid"), "oid")),
        status=state,
        filled_qty=orig - left if state is not OrderStatus.FILLED else orig,
        time_in_force=TIFS.get(str(row.get("tif")), TimeInForce.GTC),
        reduce_only=bool(row.get("reduceOnly")),
        trigger_price=trigger or None,
        created_ms=integer(row.get("timestamp"), "timestamp"),
        updated_ms=updated_ms or integer(row.get("timestamp"), "timestamp"),
    )


def ws_order(item: Any) -> Order:
    """A ``WsOrder`` (``orderUpdates``) or an ``orderStatus`` reply's ``order``."""
    row = record(item, "order update")
    return order(row.get("order"), row.get("status"), integer(row.get("statusTimestamp"), "statusTimestamp"))


def fill(item: Any, client_ids: dict[str, str]) -> Fill:
    """A ``userFills`` row (``crossed``: taker). ``client_ids`` maps oid -> our client id."""
    row = record(item, "fill")
    oid = str(integer(row.get("oid"), "oid"))
    return Fill(
        symbol=symbol_of(text(row.get("coin"), "coin")),
        side=side(row.get("side")),
        qty=size(row.get("sz"), "sz"),
        price=positive(row.get("px"), "px"),
        fee=number(row.get("fee"), "fee"),
        exec_id=str(row.get("tid") or row.get("hash") or ""),
        order_id=oid,
        order_link_id=client_ids.get(oid, client_id_of(row.get("cloid"))),
        is_maker=not bool(row.get("crossed")),
        ts_ms=integer(row.get("time"), "time"),
        closed_pnl=number(row.get("closedPnl"), "closedPnl"),
    )


def position(item: Any) -> Position:
    """A ``clearinghouseState.assetPositions`` entry (one-way; ``szi`` is signed)."""
    row = record(record(item, "asset position").get("position"), "position")
    szi = number(row.get("szi"), "szi")
    value = size(row.get("positionValue"), "positionValue")
    lev = record(row.get("leverage") or {"value": 1}, "leverage")
    liq = price(row.get("liquidationPx"), "liquidationPx")
    return Position(
        symbol=symbol_of(text(row.get("coin"), "coin")),
        side=None if szi == 0 else (Side.BUY if szi > 0 else Side.SELL),
        size=abs(szi),
        entry_price=price(row.get("entryPx"), "entryPx"),
        mark_price=plain(value / abs(szi)) if szi else Decimal(0),
        unrealised_pnl=number(row.get("unrealizedPnl"), "unrealizedPnl"),
        leverage=positive(lev.get("value"), "leverage.value", Decimal(1)),
        liq_price=liq or None,
        position_im=size(row.get("marginUsed"), "marginUsed"),
    )


def balance(state: Any) -> Balance:
    """The account from ``clearinghouseState`` (USDC): equity, withdrawable, margin used."""
    row = record(state, "clearinghouseState")
    summary = record(row.get("marginSummary"), "marginSummary")
    equity = number(summary.get("accountValue"), "accountValue")
    upnl = sum(
        (
            number(record(p, "asset position").get("position", {}).get("unrealizedPnl"), "unrealizedPnl")
            for p in row.get("assetPositions") or []
        ),
        Decimal(0),
    )
    return Balance(
        coin=SETTLE_COIN,
        wallet_balance=equity - upnl,
        equity=equity,
        available=number(row.get("withdrawable"), "withdrawable"),
        unrealised_pnl=upnl,
        initial_margin=size(summary.get("totalMarginUsed"), "totalMarginUsed"),
    )


def levels(raw: Any, field: str) -> BookLevels:
    """One book side's ``{px, sz, n}`` levels as checked floats."""
    if not isinstance(raw, list):
        raise BadValue(field, raw, "is not a list")
    out = []
    for lvl in raw:
        row = record(lvl, field)
        out.append((float(positive(row.get("px"), f"{field}.px")), float(size(row.get("sz"), f"{field}.sz"))))
    return tuple(out)


def book(data: Any, seq: int | None = None) -> BookSnapshot:
    """An ``l2Book`` reply or push (always a whole book); ``seq`` defaults to its ``time``."""
    row = record(data, "l2Book")
    sides = row.get("levels")
    if not isinstance(sides, list) or len(sides) != 2:  # noqa: PLR2004 - bids and asks
        raise BadValue("levels", sides, "is not [bids, asks]")
    ts = integer(row.get("time"), "time")
    return BookSnapshot(
        symbol=symbol_of(text(row.get("coin"), "coin")),
        bids=levels(sides[0], "bids"),
        asks=levels(sides[1], "asks"),
        seq=ts if seq is None else seq,
        ts_ms=ts,
    )


def trade(item: Any) -> Trade:
    """A ``WsTrade`` (``side`` is the aggressor's)."""
    row = record(item, "trade")
    return Trade(
        symbol=symbol_of(text(row.get("coin"), "coin")),
        side=side(row.get("side")),
        price=positive(row.get("px"), "px"),
        qty=size(row.get("sz"), "sz"),
        ts_ms=integer(row.get("time"), "time"),
        trade_id=str(row.get("tid") or ""),
    )
