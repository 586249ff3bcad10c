"""Domain values -> Bybit V5 request fields (pure: no pybit import).

One-way position mode and ``category=linear`` throughout. Prices and quantities are plain
decimal strings, never scientific notation: an order's with the instrument's decimals (the
builder snapped them), an amend's or a TP/SL's exactly as the engine gave them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from core.model import TriggerBy
from core.orders.built import BuiltOrder, fmt_decimal

CATEGORY = "linear"
ONE_WAY_POSITION_IDX = 0


def plain(value: Decimal | None) -> str | None:
    """``value`` as a plain decimal string (``format(d, 'f')``); None stays None."""
    return None if value is None else format(value, "f")


def order_params(order: BuiltOrder) -> dict[str, str | int | bool]:
    """The exact ``POST /v5/order/create`` fields of a built order."""
    pd = order.price_decimals
    params: dict[str, str | int | bool] = {
        "category": CATEGORY,
        "symbol": order.symbol,
        "side": order.side.value,
        "orderType": order.order_type.value,
        "qty": fmt_decimal(order.qty, order.qty_decimals),
        "timeInForce": order.tif.value,
        "positionIdx": ONE_WAY_POSITION_IDX,
        "orderLinkId": order.order_link_id,
        "reduceOnly": order.reduce_only,
    }
    if order.price is not None:
        params["price"] = fmt_decimal(order.price, pd)
    if order.trigger_price is not None and order.trigger_direction is not None:
        params["triggerPrice"] = fmt_decimal(order.trigger_price, pd)
        params["triggerDirection"] = order.trigger_direction
        if order.trigger_by is not None:
            params["triggerBy"] = order.trigger_by.value
    if order.tp is not None:
        params["takeProfit"] = fmt_decimal(order.tp, pd)
    if order.sl is not None:
        params["stopLoss"] = fmt_decimal(order.sl, pd)
    return params


def amend_params(
    symbol: str,
    client_order_id: str,
    *,
    qty: Decimal | None,
    price: Decimal | None,
    trigger_price: Decimal | None,
) -> dict[str, Any]:
    """``POST /v5/order/amend`` fields (None ones are left out by pybit: unchanged)."""
    return {
        "category": CATEGORY,
        "symbol": symbol,
        "orderLinkId": client_order_id,
        "qty": plain(qty),
        "price": plain(price),
        "triggerPrice": plain(trigger_price),
    }


def _sets(value: Decimal | None) -> bool:
    """True when a TP/SL value sets a level (None leaves it, 0 removes it)."""
    return value is not None and value != 0


def trading_stop_params(
    symbol: str,
    *,
    take_profit: Decimal | None,
    stop_loss: Decimal | None,
    trigger_by: TriggerBy,
    trailing_distance: Decimal | None = None,
    activation: Decimal | None = None,
) -> dict[str, Any]:
    """``POST /v5/position/trading-stop`` fields for the whole one-way position (tpslMode Full).

    A trigger price type goes with each level that is set (not with a removal).
    ``trailing_distance`` is Bybit's ``trailingStop`` (a price distance; 0 removes it; the venue
    trails the last price, it takes no trigger type) and ``activation`` its ``activePrice``.
    """
    return {
        "category": CATEGORY,
        "symbol": symbol,
        "tpslMode": "Full",
        "positionIdx": ONE_WAY_POSITION_IDX,
        "takeProfit": plain(take_profit),
        "stopLoss": plain(stop_loss),
        "tpTriggerBy": trigger_by.value if _sets(take_profit) else None,
        "slTriggerBy": trigger_by.value if _sets(stop_loss) else None,
        "trailingStop": plain(trailing_distance),
        "activePrice": plain(activation) if _sets(trailing_distance) else None,
    }
