"""The parameters of a bracket / OCO, checked once: a ValueError names the parameter."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.model import Side, TriggerBy
from core.orders.algos import _common as c

ENTRY_TYPES = ("limit", "market", "none")
TRIGGER_KINDS: dict[str, TriggerBy] = {
    "mark": TriggerBy.MARK,
    "last": TriggerBy.LAST,
    "index": TriggerBy.INDEX,
}
_ONE = Decimal(1)


@dataclass(frozen=True, slots=True)
class BracketParams:
    """Entry side/qty/type/price, take-profits (price, fraction), stop, trigger type, native."""

    symbol: str
    side: Side
    qty: Decimal
    entry_type: str
    entry_price: Decimal | None
    tp_prices: tuple[Decimal, ...]
    tp_fractions: tuple[Decimal, ...]
    stop_price: Decimal | None
    trigger_by: str
    native: bool

    @property
    def trigger_by_enum(self) -> TriggerBy:
        """The stop's trigger price type."""
        return TRIGGER_KINDS[self.trigger_by]

    @classmethod
    def parse(cls, params: Mapping[str, Any], *, oco: bool) -> BracketParams:
        """Check and convert; ``oco`` requires ``entry_type="none"`` (the default for it)."""
        symbol = str(params.get("symbol", ""))
        if not symbol:
            raise ValueError("symbol: required")
        entry_type = c.param_choice(params, "entry_type", ENTRY_TYPES, "none" if oco else "limit")
        if oco and entry_type != "none":
            raise ValueError(f"entry_type: an OCO has no entry (none), got {entry_type!r}")
        if not oco and entry_type == "none":
            raise ValueError("entry_type: a bracket needs an entry (limit or market); use an OCO without one")
        entry_price = c.param_optional_decimal(params, "entry_price")
        if entry_type == "limit" and entry_price is None:
            raise ValueError("entry_price: required for a limit entry")
        if entry_type != "limit" and entry_price is not None:
            raise ValueError(f"entry_price: only for a limit entry, not {entry_type}")
        prices, fractions = _take_profits(params.get("take_profits", []))
        out = cls(
            symbol=symbol,
            side=c.param_side(params),
            qty=c.param_decimal(params, "qty"),
            entry_type=entry_type,
            entry_price=entry_price,
            tp_prices=prices,
            tp_fractions=fractions,
            stop_price=c.param_optional_decimal(params, "stop_price"),
            trigger_by=c.param_choice(params, "trigger_by", tuple(TRIGGER_KINDS), "mark"),
            native=c.param_bool(params, "native"),
        )
        out._check_sides()
        return out

    def _check_sides(self) -> None:
        if not self.tp_prices and self.stop_price is None:
            raise ValueError("take_profits/stop_price: at least one exit is required")
        up = self.side is Side.BUY
        for price in self.tp_prices:
            if self.stop_price is not None and (price <= self.stop_price if up else price >= self.stop_price):
                raise ValueError(
                    f"take_profits: {price} is not beyond the stop {self.stop_price} for {self.side}"
                )
            if self.entry_price is not None and (
                price <= self.entry_price if up else price >= self.entry_price
            ):
                raise ValueError(
                    f"take_profits: {price} is not beyond the entry {self.entry_price} for {self.side}"
                )
        if self.stop_price is not None and self.entry_price is not None:
            wrong = self.stop_price >= self.entry_price if up else self.stop_price <= self.entry_price
            if wrong:
                raise ValueError(
                    f"stop_price: {self.stop_price} is on the wrong side of the entry {self.entry_price}"
                )

    def to_data(self) -> dict[str, Any]:
        """Plain data (what :meth:`parse` takes back)."""
        return {
            "symbol": self.symbol,
            "side": self.side.value,
            "qty": str(self.qty),
            "entry_type": self.entry_type,
            "entry_price": c.dec_str(self.entry_price),
            "take_profits": [
                [str(p), str(f)] for p, f in zip(self.tp_prices, self.tp_fractions, strict=True)
            ],
            "stop_price": c.dec_str(self.stop_price),
            "trigger_by": self.trigger_by,
            "native": self.native,
        }

    def summary(self) -> str:
        """``Buy 0.1 BTCUSDT limit 95000 tp 96000x0.5,97000x0.5 sl 94000 on mark``."""
        entry = self.entry_type if self.entry_price is None else f"{self.entry_type} {self.entry_price}"
        tps = ",".join(f"{p}x{f}" for p, f in zip(self.tp_prices, self.tp_fractions, strict=True))
        return (
            f"{self.side.value} {self.qty} {self.symbol} {entry} tp {tps or '-'} sl {self.stop_price or '-'}"
            f" on {self.trigger_by}"
        )


def _take_profits(raw: Any) -> tuple[tuple[Decimal, ...], tuple[Decimal, ...]]:
    """``[[price, fraction], ...]``: fractions > 0 adding up to exactly 1."""
    if not isinstance(raw, list | tuple):
        raise ValueError(f"take_profits: {raw!r} is not a list of [price, fraction]")
    prices: list[Decimal] = []
    fractions: list[Decimal] = []
    for i, item in enumerate(raw):
        if not isinstance(item, list | tuple) or len(item) != len(("price", "fraction")):
            raise ValueError(f"take_profits[{i}]: {item!r} is not [price, fraction]")
        pair = {"price": item[0], "fraction": item[1]}
        prices.append(c.param_decimal(pair, "price"))
        fractions.append(c.param_decimal(pair, "fraction"))
    if fractions and sum(fractions, c.ZERO) != _ONE:
        raise ValueError(f"take_profits: fractions add up to {sum(fractions, c.ZERO)}, not 1")
    return tuple(prices), tuple(fractions)
