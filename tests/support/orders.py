"""Orders as the builder hands them to the executor, for tests below the builder."""

from __future__ import annotations

from decimal import Decimal

from core.model import OrderType, Side, TimeInForce
from core.orders.built import BuiltOrder


def limit_buy(symbol: str, link: str, qty: str = "0.010", price: str = "100.0") -> BuiltOrder:
    """A plain GTC limit buy (no TP/SL, no trigger) with client id ``link``."""
    return BuiltOrder(
        symbol=symbol,
        side=Side.BUY,
        order_type=OrderType.LIMIT,
        qty=Decimal(qty),
        price=Decimal(price),
        tif=TimeInForce.GTC,
        reduce_only=False,
        tp=None,
        sl=None,
        trigger_price=None,
        trigger_direction=None,
        order_link_id=link,
        ref_price=Decimal(price),
        price_decimals=max(0, -Decimal(price).as_tuple().exponent),  # type: ignore[operator]
        qty_decimals=max(0, -Decimal(qty).as_tuple().exponent),  # type: ignore[operator]
    )
