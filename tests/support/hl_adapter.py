"""What the Hyperliquid adapter tests share: a limit order built for ETHUSDT, a passive buy price,
and a feeds sink that waits on a condition (no sleeps)."""

from __future__ import annotations

import threading
from decimal import Decimal
from typing import Any

from core.model import OrderType, Side, TimeInForce
from core.orders.built import BuiltOrder
from core.venues.hyperliquid import encode
from core.venues.hyperliquid.rest import HyperliquidVenue
from tests.support.hl_sim import HlSim


def limit(venue: HyperliquidVenue, cid: str, side: Side, qty: str, px: Decimal, **kw: Any) -> BuiltOrder:
    fields: dict[str, Any] = {
        "symbol": "ETHUSDT",
        "side": side,
        "order_type": OrderType.LIMIT,
        "qty": Decimal(qty),
        "price": px,
        "tif": TimeInForce.GTC,
        "reduce_only": False,
        "tp": None,
        "sl": None,
        "trigger_price": None,
        "trigger_direction": None,
        "order_link_id": cid,
        "ref_price": px,
    }
    fields.update(kw)
    return BuiltOrder(**fields)


def passive_buy(hl: HlSim, venue: HyperliquidVenue) -> Decimal:
    _, szd = venue.asset("ETH")
    return encode.round_price(hl.mid("ETH") * Decimal("0.95"), szd, Side.BUY)


class Sink:
    """Collects feed events; ``wait`` blocks on a condition (no sleeps)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self.cond = threading.Condition()

    def _add(self, kind: str, value: Any) -> None:
        with self.cond:
            self.events.append((kind, value))
            self.cond.notify_all()

    def wait(self, pred: Any, timeout: float = 20.0) -> list[Any]:
        with self.cond:
            assert self.cond.wait_for(lambda: [v for k, v in self.events if pred(k, v)], timeout), (
                self.events[-5:]
            )
            return [v for k, v in self.events if pred(k, v)]

    def book_snapshot(self, book: Any) -> None:
        self._add("book", book)

    def book_delta(self, delta: Any) -> None:
        self._add("delta", delta)

    def ticker(self, ticker: Any) -> None:
        self._add("ticker", ticker)

    def trade(self, trade: Any) -> None:
        self._add("trade", trade)

    def candle(self, symbol: str, timeframe: str, candle: Any) -> None:
        self._add("candle", candle)

    def order(self, order: Any) -> None:
        self._add("order", order)

    def fill(self, fill: Any) -> None:
        self._add("fill", fill)

    def position(self, position: Any) -> None:
        self._add("position", position)

    def balance(self, balance: Any) -> None:
        self._add("balance", balance)

    def connection(self, stream: str, state: str, detail: str) -> None:
        self._add("conn", (stream, state))
