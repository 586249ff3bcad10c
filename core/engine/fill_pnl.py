"""Realised PnL for fills fetched over REST.

A venue's execution history may carry no realised PnL (Bybit's ``GET /v5/execution/list`` has
none; only its private stream's ``execution`` topic does), while its closed-PnL history has one
record per closing order. :func:`attach_closed_pnl` gives each fetched fill its part of its
order's record, so that a day's fills loaded at start-up sum to the day's realised PnL the venue
reports, and a fill already held (from the stream) is never counted twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from decimal import Decimal

from core.model import ZERO, Fill
from core.venues.base import ClosedPnl

PNL_QUANTUM = Decimal("0.00000001")
"""The finest realised-PnL step a fill's share is rounded to (the venue's 8 decimals); the last
fill of an order takes the remainder, so an order's shares always sum to its record exactly."""


def gross_by_order(records: Iterable[ClosedPnl]) -> dict[str, Decimal]:
    """Realised PnL before fees per venue order id, summed over its records."""
    out: dict[str, Decimal] = {}
    for r in records:
        out[r.order_id] = out.get(r.order_id, ZERO) + r.gross_pnl
    return out


def attach_closed_pnl(
    fetched: Sequence[Fill], records: Iterable[ClosedPnl], held: Iterable[Fill] = ()
) -> list[Fill]:
    """``fetched`` fills (oldest first), each closing fill given its order's realised PnL.

    ``held`` are fills already counted (with their own PnL); what their order's records hold
    beyond that is shared among the order's ``fetched`` fills that carry no PnL yet, in
    proportion to quantity (exact when an order only closes, the usual case). Fills of orders
    without a record keep what they have.
    """
    gross = gross_by_order(records)
    held_ids = set()
    for f in held:
        held_ids.add(f.exec_id)
        if f.order_id in gross:
            gross[f.order_id] -= f.closed_pnl
    bare: dict[str, list[Fill]] = {}
    for f in fetched:
        if f.order_id in gross and f.exec_id not in held_ids:
            if f.closed_pnl.is_zero():
                bare.setdefault(f.order_id, []).append(f)
            else:
                gross[f.order_id] -= f.closed_pnl
    shares: dict[str, Decimal] = {}
    for order_id, fills in bare.items():
        shares |= _split(gross[order_id], fills)
    return [replace(f, closed_pnl=shares[f.exec_id]) if f.exec_id in shares else f for f in fetched]


def _split(amount: Decimal, fills: list[Fill]) -> dict[str, Decimal]:
    """``amount`` shared among ``fills`` by quantity; the last takes the rounding remainder."""
    total_qty = sum((f.qty for f in fills), ZERO)
    out: dict[str, Decimal] = {}
    left = amount
    for f in fills[:-1]:
        part = (amount * f.qty / total_qty).quantize(PNL_QUANTUM)
        out[f.exec_id] = part
        left -= part
    out[fills[-1].exec_id] = left
    return out
