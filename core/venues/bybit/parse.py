"""Bybit V5 JSON → domain model. Strings become Decimals here and nowhere else on the client side."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
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

_ZERO = Decimal(0)

KLINE_INTERVALS: dict[str, str] = {"1m": "1", "5m": "5", "15m": "15", "1h": "60"}
"""The chart's timeframes (``core.market.candles.TIMEFRAMES``) as Bybit kline intervals."""
TIMEFRAME_OF: dict[str, str] = {v: k for k, v in KLINE_INTERVALS.items()}


def dec(value: Any, default: Decimal = _ZERO) -> Decimal:
    """A Decimal from Bybit's string numbers; empty strings and None give ``default``."""
    if value is None or value == "":
        return default
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return default


def opt_dec(value: Any) -> Decimal | None:
    """Like :func:`dec` but None for empty/zero values (Bybit sends "0" for "not set")."""
    d = dec(value)
    return d if d != 0 else None


def instrument(item: dict[str, Any]) -> Instrument:
    """One instruments-info list item."""
    lot = item.get("lotSizeFilter", {})
    px = item.get("priceFilter", {})
    lev = item.get("leverageFilter", {})
    max_qty = dec(lot.get("maxOrderQty"))
    return Instrument(
        symbol=item["symbol"],
        base_coin=item.get("baseCoin", ""),
        quote_coin=item.get("quoteCoin", "USDT"),
        tick_size=dec(px.get("tickSize")),
        qty_step=dec(lot.get("qtyStep")),
        min_order_qty=dec(lot.get("minOrderQty")),
        max_order_qty=max_qty,
        max_mkt_order_qty=dec(lot.get("maxMktOrderQty"), max_qty),
        min_notional=dec(lot.get("minNotionalValue")),
        min_leverage=dec(lev.get("minLeverage"), Decimal(1)),
        max_leverage=dec(lev.get("maxLeverage"), Decimal(1)),
        leverage_step=dec(lev.get("leverageStep"), Decimal("0.01")),
        min_price=dec(px.get("minPrice"), Decimal("0")),
        max_price=dec(px.get("maxPrice"), Decimal("9999999")),
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


def order(item: dict[str, Any]) -> Order:
    """One order list item or private ``order`` push item."""
    return Order(
        symbol=item["symbol"],
        side=Side(item["side"]),
        order_type=OrderType(item.get("orderType", "Limit")),
        qty=dec(item.get("qty")),
        price=opt_dec(item.get("price")),
        order_link_id=item.get("orderLinkId", ""),
        order_id=item.get("orderId", ""),
        status=_status(item.get("orderStatus", "New")),
        filled_qty=dec(item.get("cumExecQty")),
        avg_price=opt_dec(item.get("avgPrice")),
        time_in_force=_tif(item.get("timeInForce", "GTC")),
        reduce_only=bool(item.get("reduceOnly", False)),
        trigger_price=opt_dec(item.get("triggerPrice")),
        take_profit=opt_dec(item.get("takeProfit")),
        stop_loss=opt_dec(item.get("stopLoss")),
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


def position(item: dict[str, Any]) -> Position:
    """One position list item or private ``position`` push item."""
    side_raw = item.get("side") or ""
    size = dec(item.get("size"))
    return Position(
        symbol=item["symbol"],
        side=Side(side_raw) if side_raw in ("Buy", "Sell") and size > 0 else None,
        size=size,
        entry_price=dec(item.get("avgPrice") or item.get("entryPrice")),
        mark_price=dec(item.get("markPrice")),
        unrealised_pnl=dec(item.get("unrealisedPnl")),
        realised_pnl=dec(item.get("cumRealisedPnl")),
        leverage=dec(item.get("leverage"), Decimal(1)),
        liq_price=opt_dec(item.get("liqPrice")),
        take_profit=opt_dec(item.get("takeProfit")),
        stop_loss=opt_dec(item.get("stopLoss")),
        position_im=dec(item.get("positionIM")),
        updated_ms=int(item.get("updatedTime") or 0),
    )


def balance(account: dict[str, Any], coin: str = "USDT") -> Balance | None:
    """The ``coin`` balance from one wallet-balance account item (REST or ``wallet`` push)."""
    for c in account.get("coin", []):
        if c.get("coin") == coin:
            equity = dec(c.get("equity"))
            im = dec(c.get("totalPositionIM")) + dec(c.get("totalOrderIM"))
            available = dec(account.get("totalAvailableBalance"), equity - im)
            return Balance(
                coin=coin,
                wallet_balance=dec(c.get("walletBalance")),
                equity=equity,
                available=available,
                unrealised_pnl=dec(c.get("unrealisedPnl")),
                initial_margin=im,
                maintenance_margin=dec(c.get("totalPositionMM")),
                cum_realised_pnl=dec(c.get("cumRealisedPnl")),
            )
    return None


def fill(item: dict[str, Any]) -> Fill:
    """One execution list item or private ``execution`` push item."""
    return Fill(
        symbol=item["symbol"],
        side=Side(item["side"]),
        qty=dec(item.get("execQty")),
        price=dec(item.get("execPrice")),
        fee=dec(item.get("execFee")),
        exec_id=item.get("execId", ""),
        order_id=item.get("orderId", ""),
        order_link_id=item.get("orderLinkId", ""),
        is_maker=bool(item.get("isMaker", False)),
        ts_ms=int(item.get("execTime") or 0),
        closed_pnl=dec(item.get("execPnl")),
    )


def ticker(data: dict[str, Any], ts_ms: int) -> Ticker:
    """A merged tickers snapshot (REST list item or WS snapshot+deltas)."""
    return Ticker(
        symbol=data["symbol"],
        last_price=dec(data.get("lastPrice")),
        mark_price=dec(data.get("markPrice")),
        index_price=dec(data.get("indexPrice")),
        bid1=dec(data.get("bid1Price")),
        ask1=dec(data.get("ask1Price")),
        volume_24h=dec(data.get("volume24h")),
        price_24h_pcnt=dec(data.get("price24hPcnt")),
        funding_rate=dec(data.get("fundingRate")),
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
