"""Which way a typed price or quantity is rounded to the instrument's tick or step, and how that
is said (pure). The builder and the position tools round with these rules, and every box that
takes a number shows the same rounding before Enter, so the screen never shows one number while
another is sent.

* a quantity rounds down to the step (never more than asked);
* a limit price rounds away from the market: a buy's down, a sell's up (never more aggressive);
* a trigger rounds away from the current price it was placed against (rising up, falling down);
* a position's stop loss rounds toward the market (a long's up, a short's down: never a larger
  loss than typed); its take profit away from it (a long's down, a short's up).
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from core.model import RISING, Side


def snap(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    """``value`` rounded to a whole multiple of ``step`` with the given Decimal rounding mode.

    The result carries ``step``'s exponent (``snap(Decimal("101.37"), Decimal("0.5"), ROUND_FLOOR)``
    is ``Decimal("101.0")``). Callers bound ``value`` first: it must fit the Decimal context.
    """
    return ((value / step).to_integral_value(rounding=rounding) * step).quantize(step)


def limit_rounding(side: Side) -> str:
    """A limit price's rounding: a buy's down, a sell's up."""
    return ROUND_FLOOR if side is Side.BUY else ROUND_CEILING


def trigger_rounding(direction: int) -> str:
    """A trigger's rounding: a rising trigger's up, a falling one's down."""
    return ROUND_CEILING if direction == RISING else ROUND_FLOOR


def level_rounding(stop_loss: bool, long: bool) -> str:
    """A position's stop loss or take profit: the stop toward the market, the TP away from it."""
    return ROUND_CEILING if stop_loss == long else ROUND_FLOOR


def rounding_note(what: str, typed: Decimal, sent: Decimal, step: Decimal, step_name: str) -> str:
    """``price 94100.55 → 94,100.5 (rounded down to the tick 0.1)``; "" when nothing changes."""
    if typed == sent:
        return ""
    way = "down" if sent < typed else "up"
    return f"{what} {typed} → {sent:,} (rounded {way} to the {step_name} {step})"


__all__ = [
    "level_rounding",
    "limit_rounding",
    "rounding_note",
    "snap",
    "trigger_rounding",
]
