"""A small fake market view and a fake runner for the pure algo tests.

The view holds whatever a test sets (book, prices, instrument, position, orders); the runner
does what the engine's algo runner will do with an algo's actions, without any order path:
it names each child (``<algo id>-<n>``), records tag -> id in ``progress.children``, keeps the
child in the view's orders, and turns a fill into the events an algo receives.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import pytest

from core.market.candles import Candle
from core.model import Fill, Instrument, Order, OrderStatus, OrderType, Position, Side
from core.orders.algos.base import (
    Action,
    Algo,
    AlgoEvent,
    Amend,
    Cancel,
    ChildFill,
    ChildRejected,
    ChildUpdate,
    Finish,
    Place,
)

D = Decimal
SYM = "BTCUSDT"


def make_instrument(
    tick: str = "0.10", step: str = "0.001", min_qty: str = "0.001", min_notional: str = "5"
) -> Instrument:
    """A BTCUSDT-like instrument with the given filters."""
    return Instrument(
        symbol=SYM,
        base_coin="BTC",
        quote_coin="USDT",
        tick_size=D(tick),
        qty_step=D(step),
        min_order_qty=D(min_qty),
        max_order_qty=D("1190"),
        max_mkt_order_qty=D("500"),
        min_notional=D(min_notional),
        min_leverage=D("1"),
        max_leverage=D("100"),
        leverage_step=D("0.01"),
    )


@dataclass
class FakeView:
    """A MarketView whose every answer a test sets."""

    now: int = 1_000_000
    bid: Decimal | None = D("100000.0")
    ask: Decimal | None = D("100000.1")
    prices: dict[str, Decimal] = field(default_factory=dict)
    inst: Instrument | None = field(default_factory=make_instrument)
    pos: Position | None = None
    orders: dict[str, Order] = field(default_factory=dict)

    def now_ms(self) -> int:
        return self.now

    def best_bid(self, symbol: str) -> Decimal | None:
        return self.bid

    def best_ask(self, symbol: str) -> Decimal | None:
        return self.ask

    def price(self, symbol: str, kind: str = "mark") -> Decimal | None:
        return self.prices.get(kind)

    def instrument(self, symbol: str) -> Instrument | None:
        return self.inst

    def position(self, symbol: str) -> Position | None:
        return self.pos

    def order(self, client_order_id: str) -> Order | None:
        return self.orders.get(client_order_id)

    def candles(self, symbol: str, timeframe: str, n: int) -> Sequence[Candle]:
        return []

    def set_price(self, price: Decimal, kind: str = "mark") -> None:
        self.prices[kind] = price

    def set_position(self, signed: Decimal) -> None:
        """Set the position from a signed size (+ long, - short, 0 flat)."""
        side = None if signed == 0 else (Side.BUY if signed > 0 else Side.SELL)
        self.pos = Position(SYM, side, abs(signed), D("100000"), D("100000"), D(0))

    @property
    def signed_position(self) -> Decimal:
        return D(0) if self.pos is None else self.pos.signed_size


@dataclass
class FakeRunner:
    """Applies actions to the view the way the engine's runner will."""

    view: FakeView
    algos: list[Algo]
    seq: int = 0
    sent: list[Action] = field(default_factory=list)
    finished: list[Finish] = field(default_factory=list)
    exec_seq: int = 0
    track_position: bool = True
    report_cancels: bool = False
    """Queue the venue's replies for :meth:`feed` to deliver: a cancel's confirmation (a
    ChildUpdate) and the refusal of an amend to no more than the filled qty (ChildRejected)."""
    pending: list[AlgoEvent] = field(default_factory=list)

    def apply(self, actions: Iterable[Action]) -> list[Action]:
        out = list(actions)
        for action in out:
            self.sent.append(action)
            if isinstance(action, Place):
                self._place(action)
            elif isinstance(action, Amend):
                self._amend(action)
            elif isinstance(action, Cancel):
                self._cancel(action.child_id)
            elif isinstance(action, Finish):
                self.finished.append(action)
                if action.cancel_children:
                    for algo in self.algos[:1]:
                        for cid in list(algo.progress.children.values()):
                            self._cancel(cid)
        return out

    def _place(self, action: Place) -> None:
        self.seq += 1
        cid = f"{self.algos[0].algo_id}-{self.seq}"
        for algo in self.algos:
            algo.progress.children[action.tag] = cid
        r = action.request
        status = OrderStatus.UNTRIGGERED if r.trigger_price is not None else OrderStatus.NEW
        self.view.orders[cid] = Order(
            symbol=r.symbol,
            side=r.side,
            order_type=r.order_type,
            qty=r.qty,
            price=r.price,
            order_link_id=cid,
            status=status,
            reduce_only=r.reduce_only,
            trigger_price=r.trigger_price,
            trigger_direction=r.trigger_direction,
        )

    def _amend(self, action: Amend) -> None:
        order = self.view.orders[action.child_id]
        if self.report_cancels and action.qty is not None and action.qty <= order.filled_qty:
            reason = f"qty {action.qty} not above filled {order.filled_qty}"
            self.pending.append(ChildRejected(action.child_id, "amend", reason))
            return
        changes: dict[str, Any] = {}
        if action.qty is not None:
            changes["qty"] = action.qty
        if action.price is not None:
            changes["price"] = action.price
        if action.trigger_price is not None:
            changes["trigger_price"] = action.trigger_price
        self.view.orders[action.child_id] = replace(order, **changes)

    def _cancel(self, cid: str) -> None:
        order = self.view.orders.get(cid)
        if order is not None and order.is_open:
            self.view.orders[cid] = replace(order, status=OrderStatus.CANCELLED)
            if self.report_cancels:
                self.pending.append(ChildUpdate(cid, self.view.orders[cid]))

    def cid(self, tag: str) -> str:
        return self.algos[0].progress.children[tag]

    def fill_events(self, cid: str, qty: Decimal, price: Decimal) -> list[AlgoEvent]:
        """Fill ``qty`` of a child in the view (and the position) and return the events."""
        order = self.view.orders[cid]
        filled = order.filled_qty + qty
        assert filled <= order.qty, f"overfill of {cid}: {filled} > {order.qty}"
        status = OrderStatus.FILLED if filled == order.qty else OrderStatus.PARTIALLY_FILLED
        order = replace(order, filled_qty=filled, status=status, avg_price=price)
        self.view.orders[cid] = order
        if self.track_position:
            self.view.set_position(self.view.signed_position + qty * order.side.sign)
        self.exec_seq += 1
        fill = Fill(SYM, order.side, qty, price, D(0), f"x{self.exec_seq}", "", cid, False, self.view.now)
        return [ChildFill(cid, fill), ChildUpdate(cid, order)]

    def update_event(self, cid: str, status: OrderStatus) -> AlgoEvent:
        order = replace(self.view.orders[cid], status=status)
        self.view.orders[cid] = order
        return ChildUpdate(cid, order)

    def feed(self, events: Iterable[AlgoEvent]) -> list[Action]:
        """Feed events to the first algo and apply what it asks for."""
        out: list[Action] = []
        for event in events:
            out += self.apply(self.algos[0].on_event(event, self.view))
            while self.pending:
                out += self.apply(self.algos[0].on_event(self.pending.pop(0), self.view))
        return out

    def working(self) -> dict[str, Order]:
        """Open children of the first algo, by tag."""
        algo = self.algos[0]
        return {
            tag: self.view.orders[cid]
            for tag, cid in algo.progress.children.items()
            if self.view.orders[cid].is_open
        }


def json_round_trip(data: Any) -> Any:
    """What the journal gives back: the data through JSON."""
    return json.loads(json.dumps(data))


@pytest.fixture(scope="session")
def fakes() -> Any:
    """The fake view, runner and helpers as one namespace (session-scoped for hypothesis)."""

    class _Fakes:
        View = FakeView
        Runner = FakeRunner
        instrument = staticmethod(make_instrument)
        round_trip = staticmethod(json_round_trip)
        ORDER_TYPES = OrderType

    return _Fakes
