"""Closing part of a position: how much a fraction closes, and how it is said (pure)."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Decimal

from core.model import Position, Side
from core.orders.builder import snap

HUNDRED = Decimal(100)


def close_qty(size: Decimal, fraction: Decimal, step: Decimal) -> Decimal:
    """The quantity that closes ``fraction`` of ``size``: the whole size exactly for 1, otherwise
    rounded down to ``step`` (never closes more than asked)."""
    if fraction >= 1:
        return size
    return snap(size * fraction, step, ROUND_FLOOR)


def fmt_pct(fraction: Decimal) -> str:
    """``Decimal("0.25")`` → ``25%``."""
    return f"{(fraction * HUNDRED).normalize():f}%"


def changed_since_shown(expect: tuple[Side, Decimal], pos: Position) -> str:
    """``position changed since shown: long 0.010 -> short 0.040; nothing sent``."""

    def said(side: Side | None, size: Decimal) -> str:
        return f"{'long' if side is Side.BUY else 'short'} {size}"

    return f"position changed since shown: {said(*expect)} -> {said(pos.side, pos.size)}; nothing sent"
