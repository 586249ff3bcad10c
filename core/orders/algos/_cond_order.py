"""The order a conditional places when it fires: parameters checked once, the request built at
firing time (snapped to the instrument then)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.model import FALLING, RISING, Instrument, OrderRequest, OrderType, Side, TimeInForce, TriggerBy
from core.orders.algos import _common as c

ALGO_KINDS = ("chase", "scale", "twap", "iceberg", "bracket", "oco", "trail", "cond")
"""The kinds a conditional may start as its follow-up."""
ORDER_TYPES: dict[str, OrderType] = {"market": OrderType.MARKET, "limit": OrderType.LIMIT}
TRIGGER_KINDS: dict[str, TriggerBy] = {
    "mark": TriggerBy.MARK,
    "last": TriggerBy.LAST,
    "index": TriggerBy.INDEX,
}
DIRECTIONS: dict[str, int] = {"rising": RISING, "falling": FALLING}
TIFS: dict[str, TimeInForce] = {t.value.lower(): t for t in TimeInForce}


@dataclass(frozen=True, slots=True)
class OrderParams:
    """Market, limit, or stop (``trigger_price`` set) order of a conditional."""

    symbol: str
    side: Side
    qty: Decimal
    order_type: str
    price: Decimal | None
    trigger_price: Decimal | None
    trigger_by: str
    trigger_direction: str
    time_in_force: str
    reduce_only: bool

    @classmethod
    def parse(cls, raw: Any) -> OrderParams:
        """Check and convert; a ValueError names the field (``order.price: ...``)."""
        if not isinstance(raw, Mapping):
            raise ValueError(f"order: {raw!r} is not a mapping")
        try:
            return cls._parse(raw)
        except ValueError as exc:
            raise ValueError(f"order.{exc}") from exc

    @classmethod
    def _parse(cls, raw: Mapping[str, Any]) -> OrderParams:
        symbol = raw.get("symbol")
        if not isinstance(symbol, str) or not symbol:
            raise ValueError("symbol: required (a non-empty string)")
        side = c.param_side(raw)
        lowered = {k: str(v).lower() for k, v in raw.items() if k in ("order_type", "time_in_force")}
        order_type = c.param_choice(lowered, "order_type", tuple(ORDER_TYPES), "limit")
        price = c.param_optional_decimal(raw, "price")
        if order_type == "limit" and price is None:
            raise ValueError("price: required for a limit order")
        if order_type == "market" and price is not None:
            raise ValueError("price: only for a limit order, not market")
        trigger = c.param_optional_decimal(raw, "trigger_price")
        default_dir = "rising" if side is Side.BUY else "falling"
        if trigger is None and (
            raw.get("trigger_by") is not None or raw.get("trigger_direction") is not None
        ):
            raise ValueError("trigger_price: required with trigger_by/trigger_direction")
        return cls(
            symbol=symbol,
            side=side,
            qty=c.param_decimal(raw, "qty"),
            order_type=order_type,
            price=price,
            trigger_price=trigger,
            trigger_by=c.param_choice(raw, "trigger_by", tuple(TRIGGER_KINDS), "mark"),
            trigger_direction=c.param_choice(raw, "trigger_direction", tuple(DIRECTIONS), default_dir),
            time_in_force=c.param_choice(lowered, "time_in_force", tuple(TIFS), "gtc"),
            reduce_only=c.param_bool(raw, "reduce_only"),
        )

    def to_data(self) -> dict[str, Any]:
        """Plain data (what :meth:`parse` takes)."""
        out: dict[str, Any] = {
            "symbol": self.symbol,
            "side": self.side.value,
            "qty": str(self.qty),
            "order_type": self.order_type,
            "price": c.dec_str(self.price),
            "trigger_price": c.dec_str(self.trigger_price),
            "time_in_force": self.time_in_force,
            "reduce_only": self.reduce_only,
        }
        if self.trigger_price is not None:
            out["trigger_by"] = self.trigger_by
            out["trigger_direction"] = self.trigger_direction
        return out

    def summary(self) -> str:
        """``Buy 0.1 limit @ 95000``, ``Sell 1 market stop 94000 falling on mark reduce-only``."""
        text = f"{self.side.value} {self.qty} {self.order_type}"
        if self.price is not None:
            text += f" @ {self.price}"
        if self.trigger_price is not None:
            text += f" stop {self.trigger_price} {self.trigger_direction} on {self.trigger_by}"
        return text + (" reduce-only" if self.reduce_only else "")

    def request(self, inst: Instrument | None, algo_id: str) -> tuple[OrderRequest, TriggerBy | None]:
        """The request to send now, snapped to ``inst`` when known: qty down to the step, a limit
        price passively, a trigger away from the market (up when rising, down when falling)."""
        qty, price, trigger = self.qty, self.price, self.trigger_price
        rising = self.trigger_direction == "rising"
        if inst is not None:
            qty = c.snap_down(qty, inst.qty_step)
            price = None if price is None else c.snap_passive(price, inst.tick_size, self.side)
            if trigger is not None:
                snap = c.snap_up if rising else c.snap_down
                trigger = snap(trigger, inst.tick_size)
        request = OrderRequest(
            symbol=self.symbol,
            side=self.side,
            qty=qty,
            order_type=ORDER_TYPES[self.order_type],
            price=price,
            time_in_force=TIFS[self.time_in_force],
            reduce_only=self.reduce_only,
            trigger_price=trigger,
            trigger_direction=None if trigger is None else DIRECTIONS[self.trigger_direction],
            source=f"algo:{algo_id}",
        )
        return request, None if trigger is None else TRIGGER_KINDS[self.trigger_by]
