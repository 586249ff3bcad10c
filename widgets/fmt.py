"""Number and time formatting shared by the panes (plain functions, no Textual)."""

from __future__ import annotations

import time
from decimal import ROUND_HALF_EVEN, Decimal

MINUS = "-"


def fmt_dec(value: Decimal | None, places: int = 2, *, sign: bool = False, sep: bool = True) -> str:
    """Format a Decimal with fixed ``places``; ``sign`` forces a leading ``+`` on positives."""
    if value is None:
        return "—"
    q = Decimal(1).scaleb(-places) if places > 0 else Decimal(1)
    v = value.quantize(q, rounding=ROUND_HALF_EVEN)
    text = f"{v:,.{places}f}" if sep else f"{v:.{places}f}"
    if sign and v > 0:
        text = "+" + text
    return text


def fmt_compact(value: Decimal) -> str:
    """Short figures for meters: ``950``, ``31.0k``, ``1.25M``."""
    v = abs(value)
    sign = "-" if value < 0 else ""
    if v >= 1_000_000:
        return f"{sign}{v / 1_000_000:.2f}M"
    if v >= 10_000:
        return f"{sign}{v / 1000:.1f}k"
    return f"{sign}{v:,.0f}"


def fmt_qty(value: Decimal | None, places: int) -> str:
    """A size, without thousands separators for small contract sizes."""
    return fmt_dec(value, places, sep=True)


def fmt_pct(value: Decimal | float | None, places: int = 1, *, sign: bool = False) -> str:
    """A percentage with a ``%`` suffix."""
    if value is None:
        return "—"
    dec = value if isinstance(value, Decimal) else Decimal(str(value))
    return fmt_dec(dec, places, sign=sign, sep=False) + "%"


def fmt_time(ts_ms: int) -> str:
    """HH:MM:SS in UTC (deterministic: no local timezone lookups)."""
    return time.strftime("%H:%M:%S", time.gmtime(ts_ms / 1000))


def fmt_age(ms: int) -> str:
    """A compact age: ``850ms``, ``12s``, ``5m``, ``3h``."""
    if ms < 0:
        ms = 0
    if ms < 1000:
        return f"{ms}ms"
    s = ms // 1000
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    return f"{s // 3600}h"


def trend_glyph(value: Decimal) -> str:
    """▲ for positive, ▼ for negative, · for zero (colour is never the only signal)."""
    if value > 0:
        return "▲"
    if value < 0:
        return "▼"
    return "·"


def decimals_of(step: Decimal) -> int:
    """Decimal places implied by a tick or step size."""
    exp = step.normalize().as_tuple().exponent
    return max(0, -int(exp))
