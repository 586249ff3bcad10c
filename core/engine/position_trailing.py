"""The position's trailing stop kept by the venue (Bybit ``trailingStop`` + ``activePrice`` on
``/v5/position/trading-stop``): the local checks before it is sent.

The venue trails the last traded price, so the checks compare with the last price: the distance
is a price (> 0, snapped to the nearest tick, at least one tick; ``0`` removes the stop) and, for
a long, below the last price; an activation price must still be ahead of the last price (above
it for a long, below for a short): one already reached is simply left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from core.model import Instrument, Position, Side
from core.orders.builder import snap


@dataclass(frozen=True, slots=True)
class TrailPlan:
    """A validated trailing stop: venue values (distance 0 removes it) and a summary."""

    distance: Decimal
    activation: Decimal | None
    summary: str


def plan_trailing(
    pos: Position, inst: Instrument, last: Decimal, distance: Decimal, activation: Decimal | None
) -> TrailPlan | tuple[str, str]:
    """The plan to send, or ``(check, reason)`` when it may not be sent."""
    if not distance.is_finite() or distance < 0:
        return "trailing_stop", f"distance {distance} must be a finite price distance >= 0 (0 removes it)"
    side = "long" if pos.side is Side.BUY else "short"
    if distance == 0:
        return TrailPlan(Decimal(0), None, f"{pos.symbol} trailing stop removed")
    gap = max(snap(distance, inst.tick_size, ROUND_HALF_UP), inst.tick_size)
    if pos.side is Side.BUY and gap >= last:
        return "trailing_stop", f"distance {gap} must be below the last price {last} for a long"
    if activation is not None:
        if not activation.is_finite() or activation <= 0:
            return "activation", f"activation price {activation} must be a finite price > 0"
        ahead = activation > last if pos.side is Side.BUY else activation < last
        if not ahead:
            where = "above" if pos.side is Side.BUY else "below"
            return (
                "activation",
                f"activation price {activation} must be {where} the last price {last} for a {side}",
            )
        activation = snap(activation, inst.tick_size, ROUND_HALF_UP)
    start = f" from {activation}" if activation is not None else ""
    summary = f"{pos.symbol} trailing stop {gap} behind the last price{start} for the whole {side} {pos.size}"
    return TrailPlan(gap, activation, summary)
