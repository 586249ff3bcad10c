"""A ``when`` line's triggers as the conditional algo's condition leaves, pure.

Prices and SMAs are on the command's symbol; ``time >= 09:00`` is the next 09:00 UTC on the
engine's clock (``MarketContext.now_ms``) and an ISO time is taken as UTC; ``pos`` is the
command's symbol's position; ``expire 2h`` becomes an instant on the same clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from core.orders.algo_commands import (
    FilledTrigger,
    PositionTrigger,
    SmaTrigger,
    TimeTrigger,
    Trigger,
    WhenCommand,
    WhenTrigger,
)
from core.orders.resolve import MarketContext, ResolveError

OPS = {">=": "above", "<=": "below"}
POSITION_OPS = {">=": "size_above", "<=": "size_below"}
MS = 1000
CLOCK_LEN = len("09:00")


def _now(ctx: MarketContext, what: str) -> int:
    if ctx.now_ms is None:
        raise ResolveError(f"when: {what} needs the engine's clock, not known yet")
    return ctx.now_ms


def at_ms(text: str, ctx: MarketContext) -> int:
    """``09:00`` -> the next 09:00 UTC after now; an ISO date/time (UTC) -> its instant, refused
    when it is already past (the order would go at once)."""
    now = _now(ctx, f"time >= {text}")
    if len(text) == CLOCK_LEN:
        hours, minutes = (int(part) for part in text.split(":"))
        if hours > 23 or minutes > 59:  # noqa: PLR2004 - the clock's own limits
            raise ResolveError(f"when: time {text!r} is not a time of day (00:00 .. 23:59)")
        today = datetime.fromtimestamp(now / MS, UTC).replace(
            hour=hours, minute=minutes, second=0, microsecond=0
        )
        at = today if today.timestamp() * MS > now else today + timedelta(days=1)
        return int(at.timestamp() * MS)
    try:
        stamp = datetime.fromisoformat(text.removesuffix("Z"))
    except ValueError:
        raise ResolveError(f"when: time {text!r} is not a date and time") from None
    ms = int((stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp() * MS)
    if ms <= now:
        raise ResolveError(f"when: time {text} UTC is already past")
    return ms


def leaf(trigger: WhenTrigger, ctx: MarketContext) -> dict[str, Any]:
    """One trigger as a condition leaf (plain data, validated by the conditional algo)."""
    sym = ctx.symbol
    if isinstance(trigger, Trigger):
        return {"kind": "price", "symbol": sym, "op": OPS[trigger.op], "level": str(trigger.level),
                "price_type": trigger.price_type}  # fmt: skip
    if isinstance(trigger, SmaTrigger):
        return {"kind": "sma", "symbol": sym, "op": OPS[trigger.op], "length": trigger.length,
                "timeframe": trigger.timeframe, "price_type": trigger.price_type}  # fmt: skip
    if isinstance(trigger, TimeTrigger):
        return {"kind": "time", "at_ms": at_ms(trigger.at, ctx)}
    if isinstance(trigger, FilledTrigger):
        return {"kind": "order_filled", "client_order_id": trigger.order_link_id, "mode": trigger.mode}
    return _position(trigger, sym)


def _position(trigger: PositionTrigger, sym: str) -> dict[str, Any]:
    if trigger.size is None:
        return {"kind": "position", "symbol": sym, "op": trigger.op}
    return {"kind": "position", "symbol": sym, "op": POSITION_OPS[trigger.op], "size": str(trigger.size)}


def condition(cmd: WhenCommand, ctx: MarketContext) -> dict[str, Any]:
    """The whole condition: one leaf, or the leaves under ``and``/``or``."""
    leaves = [leaf(t, ctx) for t in cmd.triggers]
    return leaves[0] if len(leaves) == 1 else {"kind": cmd.join, "conditions": leaves}


def expiry_ms(cmd: WhenCommand, ctx: MarketContext) -> int | None:
    """``expire 2h`` as the instant it expires on the engine's clock (None without one)."""
    if cmd.expire_s is None:
        return None
    return _now(ctx, f"expire {cmd.expire_s}s") + cmd.expire_s * MS


__all__ = ["at_ms", "condition", "expiry_ms", "leaf"]
