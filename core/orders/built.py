"""The builder's output: a validated order, snapped to the instrument's filters (venue-neutral;
each venue adapter encodes it for its own wire)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.model import FALLING, RISING, OrderType, Side, TimeInForce, TriggerBy


class BuildError(ValueError):
    """The builder refused a request. ``check`` names the rule, ``reason`` carries the numbers.

    The builder raises it (:meth:`~core.orders.builder.OrderBuilder.build`) or returns it
    (:meth:`~core.orders.builder.OrderBuilder.try_build`); either way nothing is sent.
    """

    def __init__(self, check: str, reason: str) -> None:
        super().__init__(f"{check}: {reason}")
        self.check = check
        self.reason = reason


def fmt_decimal(value: Decimal, decimals: int) -> str:
    """``value`` as a plain decimal string with exactly ``decimals`` places (never scientific)."""
    return f"{value:.{decimals}f}"


@dataclass(frozen=True, slots=True)
class BuiltOrder:
    """An order snapped to the instrument's filters, ready for the risk chain and the executor.

    ``ref_price`` is the price its notional is valued at: the limit price for Limit orders, the
    trigger price for conditional Market orders and the reference (mark/last) price the builder
    was given for plain Market orders.
    """

    symbol: str
    side: Side
    order_type: OrderType
    qty: Decimal
    price: Decimal | None
    tif: TimeInForce
    reduce_only: bool
    tp: Decimal | None
    sl: Decimal | None
    trigger_price: Decimal | None
    trigger_direction: int | None
    order_link_id: str
    ref_price: Decimal
    price_decimals: int = 8
    qty_decimals: int = 8
    source: str = "user"
    trigger_by: TriggerBy | None = None
    """The price a conditional order triggers on (None: the venue's default)."""

    @property
    def notional(self) -> Decimal:
        """qty x ref_price, in the quote coin (USDT)."""
        return self.qty * self.ref_price

    @property
    def is_conditional(self) -> bool:
        """True for trigger (stop / take-profit entry) orders."""
        return self.trigger_price is not None

    @property
    def rests(self) -> bool:
        """True when the order can sit on the book (or as an untriggered conditional)."""
        if self.trigger_price is not None:
            return True
        return self.order_type is OrderType.LIMIT and self.tif in (TimeInForce.GTC, TimeInForce.POST_ONLY)

    def describe(self) -> str:
        """One human line for logs: ``Buy 0.010 BTCUSDT Limit @ 50000.0 GTC``."""
        qty = fmt_decimal(self.qty, self.qty_decimals)
        at = f" @ {fmt_decimal(self.price, self.price_decimals)}" if self.price is not None else ""
        trig = ""
        if self.trigger_price is not None:
            arrow = {RISING: ">=", FALLING: "<="}.get(self.trigger_direction or 0, "?")
            trig = f" when {arrow} {fmt_decimal(self.trigger_price, self.price_decimals)}"
        ro = " reduce-only" if self.reduce_only else ""
        return f"{self.side.value} {qty} {self.symbol} {self.order_type.value}{at} {self.tif.value}{trig}{ro}"
