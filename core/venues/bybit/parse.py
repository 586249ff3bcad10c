"""Bybit V5 JSON → domain model. Strings become Decimals here and nowhere else on the client side.

Every number is checked at this boundary (:mod:`core.venues.values`): NaN, Infinity, sNaN,
garbage, and negative or zero values where they make no sense raise
:class:`~core.venues.values.BadValue` naming the field. Fields whose loss must not hide a whole
order or position (a position's mark price, an order's TP) are replaced by "unknown" and reported
to the ``report`` callback instead; the fields a record cannot be trusted without (a size, a
side, an equity) always raise, and the caller drops the record and keeps what it had.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.market.candles import Candle
from core.model import (
    Balance,
    Fill,
    Instrument,
    Order,
    OrderStatus,
    OrderType,
    Position,
    Side,
    Ticker,
    TimeInForce,
)
from core.venues.values import Report, lenient, number, positive, price, size

_ZERO = Decimal(0)

KLINE_INTERVALS: dict[str, str] = {"1m": "1", "5m": "5", "15m": "15", "1h": "60"}
"""The chart's timeframes (``core.market.candles.TIMEFRAMES``) as Bybit kline intervals."""
TIMEFRAME_OF: dict[str, str] = {v: k for k, v in KLINE_INTERVALS.items()}


def dec(value: Any, default: Decimal = _ZERO, field: str = "value") -> Decimal:
    """A finite Decimal from Bybit's string numbers; empty strings and None give ``default``.

    Raises :class:`~core.venues.values.BadValue` for NaN, Infinity, garbage or absurd magnitudes.
    """
    return number(value, field, default)


def opt_dec(value: Any, field: str = "value") -> Decimal | None:
    """Like :func:`dec` but None for empty/zero values (Bybit sends "0" for "not set")."""
    d = dec(value, field=field)
    return d if d != 0 else None


def opt_price(value: Any, field: str) -> Decimal | None:
    """An optional price: None when empty or "0" (not set); negative or non-finite raises."""
    d = price(value, field)
    return d if d != 0 else None


def _opt_price(report: Report | None, item: dict[str, Any], key: str) -> Decimal | None:
    return lenient(report, opt_price, item.get(key), key, None)


def instrument(item: dict[str, Any]) -> Instrument:
    """One instruments-info list item."""
    lot = item.get("lotSizeFilter", {})
    px = item.get("priceFilter", {})
    lev = item.get("leverageFilter", {})
    max_qty = positive(lot.get("maxOrderQty"), "maxOrderQty")
    return Instrument(
        symbol=item["symbol"],
        base_coin=item.get("baseCoin", ""),
        quote_coin=item.get("quoteCoin", "USDT"),
        tick_size=positive(px.get("tickSize"), "tickSize"),
        qty_step=positive(lot.get("qtyStep"), "qtyStep"),
        min_order_qty=size(lot.get("minOrderQty"), "minOrderQty"),
        max_order_qty=max_qty,
        max_mkt_order_qty=positive(lot.get("maxMktOrderQty"), "maxMktOrderQty", max_qty),
        min_notional=size(lot.get("minNotionalValue"), "minNotionalValue"),
        min_leverage=positive(lev.get("minLeverage"), "minLeverage", Decimal(1)),
        max_leverage=positive(lev.get("maxLeverage"), "maxLeverage", Decimal(1)),
        leverage_step=positive(lev.get("leverageStep"), "leverageStep", Decimal("0.01")),
        min_price=price(px.get("minPrice"), "minPrice", Decimal("0")),
        max_price=positive(px.get("maxPrice"), "maxPrice", Decimal("9999999")),
        status=item.get("status", "Trading"),
    )


def _status(raw: str) -> OrderStatus:
    try:
        return OrderStatus(raw)
    except ValueError:
        return OrderStatus.CANCELLED if "Cancel" in raw else OrderStatus.NEW


def _tif(raw: str) -> TimeInForce:
    try:
        return TimeInForce(raw)
    except ValueError:
        return TimeInForce.GTC


def order(item: dict[str, Any], report: Report | None = None) -> Order:
    """One order list item or private ``order`` push item.

    ``qty`` and ``cumExecQty`` must be sound (else :class:`~core.venues.values.BadValue`); a bad
    price, average price, trigger, TP or SL becomes None and is reported to ``report``.
    """
    return Order(
        symbol=item["symbol"],
        side=Side(item["side"]),
        order_type=OrderType(item.get("orderType", "Limit")),
        qty=size(item.get("qty"), "qty"),
        price=_opt_price(report, item, "price"),
        order_link_id=item.get("orderLinkId", ""),
        order_id=item.get("orderId", ""),
        status=_status(item.get("orderStatus", "New")),
        filled_qty=size(item.get("cumExecQty"), "cumExecQty"),
        avg_price=_opt_price(report, item, "avgPrice"),
        time_in_force=_tif(item.get("timeInForce", "GTC")),
        reduce_only=bool(item.get("reduceOnly", False)),
        trigger_price=_opt_price(report, item, "triggerPrice"),
        take_profit=_opt_price(report, item, "takeProfit"),
        stop_loss=_opt_price(report, item, "stopLoss"),
        reject_reason=item.get("rejectReason", "") if item.get("rejectReason") != "EC_NoError" else "",
        created_ms=int(item.get("createdTime") or 0),
        updated_ms=int(item.get("updatedTime") or 0),
        trigger_direction=_direction(item),
    )


def _direction(item: dict[str, Any]) -> int | None:
    """``triggerDirection`` (1 rising, 2 falling) of a conditional order; None otherwise."""
    raw = item.get("triggerDirection")
    if opt_dec(item.get("triggerPrice")) is None or raw in (None, ""):
        return None
    value = int(raw)
    return value if value in (1, 2) else None


def position(item: dict[str, Any], report: Report | None = None) -> Position:
    """One position list item or private ``position`` push item.

    ``size`` must be sound (else :class:`~core.venues.values.BadValue`: a position is never
    guessed flat). Any other bad field is replaced and reported to ``report``, so the position
    stays visible and closable: a bad mark price falls back to the entry price (the engine
    re-marks it from the ticker), a bad leverage to 1, PnL and margin to 0, prices to None.
    """
    side_raw = item.get("side") or ""
    qty = size(item.get("size"), "size")
    entry_key = "avgPrice" if item.get("avgPrice") else "entryPrice"
    entry = lenient(report, price, item.get(entry_key), entry_key, _ZERO)
    return Position(
        symbol=item["symbol"],
        side=Side(side_raw) if side_raw in ("Buy", "Sell") and qty > 0 else None,
        size=qty,
        entry_price=entry,
        mark_price=lenient(report, price, item.get("markPrice"), "markPrice", entry),
        unrealised_pnl=lenient(report, number, item.get("unrealisedPnl"), "unrealisedPnl", _ZERO),
        realised_pnl=lenient(report, number, item.get("cumRealisedPnl"), "cumRealisedPnl", _ZERO),
        leverage=lenient(report, _leverage, item.get("leverage"), "leverage", Decimal(1)),
        liq_price=_opt_price(report, item, "liqPrice"),
        take_profit=_opt_price(report, item, "takeProfit"),
        stop_loss=_opt_price(report, item, "stopLoss"),
        position_im=lenient(report, size, item.get("positionIM"), "positionIM", _ZERO),
        updated_ms=int(item.get("updatedTime") or 0),
    )


def _leverage(raw: Any, field: str) -> Decimal:
    return positive(raw, field, Decimal(1))


def balance(account: dict[str, Any], coin: str = "USDT") -> Balance | None:
    """The ``coin`` balance from one wallet-balance account item (REST or ``wallet`` push).

    Every field must be sound (:class:`~core.venues.values.BadValue` otherwise): a balance with
    one wrong number is dropped whole and the previous one kept.
    """
    for c in account.get("coin", []):
        if c.get("coin") == coin:
            equity = number(c.get("equity"), "equity")
            im = size(c.get("totalPositionIM"), "totalPositionIM")
            im += size(c.get("totalOrderIM"), "totalOrderIM")
            available = number(account.get("totalAvailableBalance"), "totalAvailableBalance", equity - im)
            return Balance(
                coin=coin,
                wallet_balance=number(c.get("walletBalance"), "walletBalance"),
                equity=equity,
                available=available,
                unrealised_pnl=number(c.get("unrealisedPnl"), "unrealisedPnl"),
                initial_margin=im,
                maintenance_margin=size(c.get("totalPositionMM"), "totalPositionMM"),
                cum_realised_pnl=number(c.get("cumRealisedPnl"), "cumRealisedPnl"),
            )
    return None


def fill(item: dict[str, Any]) -> Fill:
    """One execution list item or private ``execution`` push item."""
    return Fill(
        symbol=item["symbol"],
        side=Side(item["side"]),
        qty=positive(item.get("execQty"), "execQty"),
        price=positive(item.get("execPrice"), "execPrice"),
        fee=number(item.get("execFee"), "execFee"),
        exec_id=item.get("execId", ""),
        order_id=item.get("orderId", ""),
        order_link_id=item.get("orderLinkId", ""),
        is_maker=bool(item.get("isMaker", False)),
        ts_ms=int(item.get("execTime") or 0),
        closed_pnl=number(item.get("execPnl"), "execPnl"),
    )


def ticker(data: dict[str, Any], ts_ms: int) -> Ticker:
    """A merged tickers snapshot (REST list item or WS snapshot+deltas).

    Any bad number raises :class:`~core.venues.values.BadValue` (the caller keeps the previous
    ticker): prices must be positive when present (bid/ask may be empty on an empty book).
    """
    return Ticker(
        symbol=data["symbol"],
        last_price=positive(data.get("lastPrice"), "lastPrice", _ZERO),
        mark_price=positive(data.get("markPrice"), "markPrice", _ZERO),
        index_price=positive(data.get("indexPrice"), "indexPrice", _ZERO),
        bid1=price(data.get("bid1Price"), "bid1Price"),
        ask1=price(data.get("ask1Price"), "ask1Price"),
        volume_24h=size(data.get("volume24h"), "volume24h"),
        price_24h_pcnt=number(data.get("price24hPcnt"), "price24hPcnt"),
        funding_rate=number(data.get("fundingRate"), "fundingRate"),
        ts_ms=ts_ms,
        next_funding_ms=int(dec(data.get("nextFundingTime"))),
        turnover_24h=dec(data.get("turnover24h")),
        open_interest=dec(data.get("openInterest")),
        open_interest_value=dec(data.get("openInterestValue")),
        high_24h=dec(data.get("highPrice24h")),
        low_24h=dec(data.get("lowPrice24h")),
        prev_price_24h=dec(data.get("prevPrice24h")),
    )


def _num(value: Any) -> float:
    """A chart number (floats are fine off the order path); empty or bad strings give 0."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def kline(item: dict[str, Any]) -> Candle:
    """One ``kline.{interval}.{symbol}`` push item (``start``, ``open``, ``high``, ...)."""
    return Candle(
        int(item["start"]),
        _num(item.get("open")),
        _num(item.get("high")),
        _num(item.get("low")),
        _num(item.get("close")),
        _num(item.get("volume")),
    )


def kline_rows(rows: list[list[Any]]) -> list[Candle]:
    """REST ``/v5/market/kline`` rows (``[start, open, high, low, close, volume, turnover]``, newest
    first) as candles, oldest first."""
    out = [Candle(int(r[0]), _num(r[1]), _num(r[2]), _num(r[3]), _num(r[4]), _num(r[5])) for r in rows]
    out.sort(key=lambda c: c.start_ms)
    return out
