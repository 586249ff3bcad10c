"""Orders the venue has that the journal has never seen, written into the journal.

After a journal was lost or damaged (a deleted write-ahead log, an emptied or corrupt file kept
aside), or when orders were placed outside the console, the venue holds orders the journal knows
nothing about. At every reconciliation each such open order is recorded as a ``reconcile`` record
with ``adopted: true`` and the venue's view of it, so the journal again accounts for everything
that is working on the venue, and the trader is told.
"""

from __future__ import annotations

from collections.abc import Iterable

from core.journal.journal import Journal
from core.model import Order


def describe(order: Order) -> str:
    """``Buy 0.01 BTCUSDT Limit @ 50000`` (no price for a market order)."""
    price = f" @ {order.price}" if order.price is not None else ""
    trigger = f" trigger {order.trigger_price}" if order.trigger_price is not None else ""
    return f"{order.side.value} {order.qty} {order.symbol} {order.order_type.value}{price}{trigger}"


def adopt_unknown_orders(journal: Journal, orders: Iterable[Order]) -> list[str]:
    """Journal every open venue order no record names; one line per order adopted, for the log."""
    lines: list[str] = []
    for order in list(orders):
        if not order.order_id or not order.is_open:  # a local placeholder, or no longer working
            continue
        if journal.knows(order.order_link_id, order.order_id):
            continue
        name = order.order_link_id or f"venue order {order.order_id}"
        line = (
            f"{name}: on the venue as {order.status.value} ({describe(order)}, filled "
            f"{order.filled_qty}) but not in the journal; recorded now"
        )
        journal.record(
            "reconcile",
            symbol=order.symbol,
            order_link_id=order.order_link_id,
            order_id=order.order_id,
            found=True,
            resolved=True,
            adopted=True,
            status=order.status.value,
            side=order.side.value,
            order_type=order.order_type.value,
            qty=order.qty,
            price=order.price,
            trigger_price=order.trigger_price,
            filled_qty=order.filled_qty,
            reduce_only=order.reduce_only,
            detail=line,
        )
        lines.append(line)
    return lines
