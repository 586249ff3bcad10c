"""The ledger of an algo's children: which client order id each tag became, what filled (fills
and order updates in any order, or twice, never double count) and what still works; plus the
small price helpers the chase, TWAP and iceberg algos share.

The runner records ``tag -> client order id`` in :attr:`Progress.children` before it reports any
event of that child, so :meth:`ChildLedger.apply` finds the child an event is about by its tag.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from core.model import Instrument, OrderStatus, Side
from core.orders.algos._common import dec_or_none, dec_str, snap_down, snap_passive
from core.orders.algos.base import LOST_CHECK, ChildFill, ChildRejected, ChildUpdate, MarketView

ZERO = Decimal(0)


def snap_qty(qty: Decimal, inst: Instrument) -> Decimal:
    """``qty`` rounded down to the instrument's quantity step (never more than asked)."""
    return snap_down(qty, inst.qty_step)


def far_touch(view: MarketView, symbol: str, side: Side) -> Decimal | None:
    """The price an aggressive order of ``side`` takes: the best ask for a buy, the best bid for a sell."""
    return view.best_ask(symbol) if side is Side.BUY else view.best_bid(symbol)


def offset_price(base: Decimal, side: Side, ticks: int, inst: Instrument) -> Decimal:
    """``ticks`` ticks behind ``base`` (below for a buy, above for a sell), on the tick grid."""
    return snap_passive(base - side.sign * ticks * inst.tick_size, inst.tick_size, side)


def worse_than(price: Decimal, limit: Decimal, side: Side) -> bool:
    """True when ``price`` is worse than ``limit`` for ``side`` (a buy above, a sell below)."""
    return price > limit if side is Side.BUY else price < limit


# --- children ---------------------------------------------------------------------------------
PENDING = "pending"
"""Asked for; the runner has not reported the order yet."""
OPEN = "open"
CLOSED = "closed"


@dataclass(slots=True)
class Child:
    """One child order as the algo knows it. Filled quantity is the larger of the fills seen
    (deduplicated by execution id) and the order's own cumulative filled qty, so fills and order
    updates may arrive in any order, or twice, without double counting."""

    tag: str
    qty: Decimal
    price: Decimal | None
    cid: str = ""
    status: str = PENDING
    fill_qty: Decimal = ZERO
    fill_notional: Decimal = ZERO
    upd_qty: Decimal = ZERO
    upd_avg: Decimal | None = None
    exec_ids: list[str] = field(default_factory=list)
    reason: str = ""
    """Why it closed (order status and reject reason, or the rejecting check)."""

    @property
    def filled(self) -> Decimal:
        """Quantity executed so far."""
        return max(self.fill_qty, self.upd_qty)

    @property
    def notional(self) -> Decimal:
        """Sum of qty x price of what executed."""
        if self.fill_qty >= self.upd_qty or self.upd_avg is None:
            return self.fill_notional
        return self.upd_avg * self.upd_qty

    @property
    def leaves(self) -> Decimal:
        """Quantity that can still execute (zero once closed)."""
        return ZERO if self.status == CLOSED else max(ZERO, self.qty - self.filled)

    @property
    def working(self) -> bool:
        """Asked for or open, with quantity left."""
        return self.status != CLOSED and self.leaves > 0

    def to_json(self) -> dict[str, Any]:
        """Plain data for :meth:`Algo.state`."""
        return {
            "tag": self.tag,
            "qty": str(self.qty),
            "price": dec_str(self.price),
            "cid": self.cid,
            "status": self.status,
            "fill_qty": str(self.fill_qty),
            "fill_notional": str(self.fill_notional),
            "upd_qty": str(self.upd_qty),
            "upd_avg": dec_str(self.upd_avg),
            "exec_ids": list(self.exec_ids),
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Child:
        """Back from :meth:`to_json`."""
        return cls(
            tag=str(data["tag"]),
            qty=Decimal(data["qty"]),
            price=dec_or_none(data["price"]),
            cid=str(data["cid"]),
            status=str(data["status"]),
            fill_qty=Decimal(data["fill_qty"]),
            fill_notional=Decimal(data["fill_notional"]),
            upd_qty=Decimal(data["upd_qty"]),
            upd_avg=dec_or_none(data["upd_avg"]),
            exec_ids=[str(x) for x in data["exec_ids"]],
            reason=str(data["reason"]),
        )


class ChildLedger:
    """Every child an algo asked for, in order, and what became of it."""

    def __init__(self) -> None:
        self.children: list[Child] = []
        self.seq = 0

    def new(self, prefix: str, qty: Decimal, price: Decimal | None) -> Child:
        """Record a child about to be asked for; its tag is ``prefix-<n>`` (unique in the algo)."""
        self.seq += 1
        child = Child(tag=f"{prefix}-{self.seq}", qty=qty, price=price)
        self.children.append(child)
        return child

    def find(self, child_id: str, sent: Mapping[str, str]) -> Child | None:
        """The child with client order id ``child_id``; ``sent`` is the runner's tag -> id map."""
        for child in self.children:
            if child.cid == child_id or (not child.cid and sent.get(child.tag) == child_id):
                child.cid = child_id
                return child
        return None

    def apply(self, event: ChildUpdate | ChildFill | ChildRejected, sent: Mapping[str, str]) -> Child | None:
        """Book one child event; returns the child it concerns (None: not one of ours)."""
        child = self.find(event.child_id, sent)
        if child is None:
            return None
        if isinstance(event, ChildFill):
            if event.fill.exec_id not in child.exec_ids:
                child.exec_ids.append(event.fill.exec_id)
                child.fill_qty += event.fill.qty
                child.fill_notional += event.fill.qty * event.fill.price
        elif isinstance(event, ChildUpdate):
            self._update(child, event)
        elif child.status == PENDING or (event.check == LOST_CHECK and child.status == OPEN):
            child.status = CLOSED  # never sent, refused, or gone from the venue: nothing of it works
            child.reason = f"rejected by {event.check}: {event.reason}"
        return child

    @staticmethod
    def _update(child: Child, event: ChildUpdate) -> None:
        order = event.order
        if order.filled_qty > child.upd_qty:
            child.upd_qty = order.filled_qty
            child.upd_avg = order.avg_price
        if child.status == CLOSED:
            return
        child.qty = order.qty
        child.price = order.price
        if order.is_open:
            child.status = OPEN
        else:
            child.status = CLOSED
            child.reason = order.status.value + (f" ({order.reject_reason})" if order.reject_reason else "")
            if order.status is OrderStatus.FILLED:
                child.upd_qty = max(child.upd_qty, order.qty)

    def working(self) -> list[Child]:
        """Children asked for or open with quantity left."""
        return [c for c in self.children if c.working]

    @property
    def filled(self) -> Decimal:
        """Total executed over all children."""
        return sum((c.filled for c in self.children), ZERO)

    @property
    def working_qty(self) -> Decimal:
        """Quantity that can still execute over all children."""
        return sum((c.leaves for c in self.children), ZERO)

    def avg_price(self) -> Decimal | None:
        """Volume-weighted average execution price (None before any fill)."""
        filled = self.filled
        if filled <= 0:
            return None
        return sum((c.notional for c in self.children), ZERO) / filled

    def to_json(self) -> dict[str, Any]:
        """Plain data for :meth:`Algo.state`."""
        return {"seq": self.seq, "children": [c.to_json() for c in self.children]}

    def restore(self, data: Mapping[str, Any]) -> None:
        """Back from :meth:`to_json`."""
        self.seq = int(data["seq"])
        self.children = [Child.from_json(c) for c in data["children"]]
