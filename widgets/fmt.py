"""Number and time formatting shared by the panes (plain functions, no Textual).

One style everywhere: thousands separators on display (``95,076.8``), fixed decimals (from the
instrument's tick and step for prices and sizes, 2 for USDT amounts), never ``-0.00`` (a value
that rounds to zero shows as zero, with no sign and no down arrow), and ages in one unit style
(``0.4s``, ``12s``, ``5m``, ``3h``, ``2d``).
"""

from __future__ import annotations

import time
from decimal import ROUND_HALF_EVEN, Context, Decimal

MINUS = "-"
QUOTES = ("USDT", "USDC", "USD")
"""Quote suffixes dropped by :func:`short_symbol`."""


def _round(value: Decimal, places: int) -> Decimal:
    q = Decimal(1).scaleb(-places) if places > 0 else Decimal(1)
    # Enough precision for every digit shown: a huge typed number (40 digits) is displayed, not
    # a crash (the default 28-digit context refuses to quantize it).
    digits = max(28, value.adjusted() + places + 2) if value.is_finite() else 28
    v = value.quantize(q, rounding=ROUND_HALF_EVEN, context=Context(prec=digits))
    return v.copy_abs() if v.is_zero() else v  # no negative zero


def fmt_dec(value: Decimal | None, places: int = 2, *, sign: bool = False, sep: bool = True) -> str:
    """Format a Decimal with fixed ``places``; ``sign`` forces a leading ``+`` on positives."""
    if value is None:
        return "—"
    v = _round(value, places)
    text = f"{v:,.{places}f}" if sep else f"{v:.{places}f}"
    if sign and v > 0:
        text = "+" + text
    return text


def fmt_signed(value: Decimal, places: int = 2) -> tuple[str, int]:
    """A PnL-style figure with its arrow (``▲+250.00``, ``▼-3.10``, ``·0.00``) and the sign shown.

    The arrow and the returned sign (1, -1 or 0) follow the *rounded* figure, so a value that
    displays as zero is never coloured or arrowed as a loss.
    """
    v = _round(value, places)
    sign = (v > 0) - (v < 0)
    return f"{trend_glyph(v)}{fmt_dec(v, places, sign=True)}", sign


def fmt_compact(value: Decimal) -> str:
    """Short figures for meters: ``950``, ``31.0k``, ``1.25M``."""
    v = abs(value)
    sign = "-" if value < 0 and v >= Decimal("0.5") else ""
    if v >= 1_000_000:
        return f"{sign}{v / 1_000_000:.2f}M"
    if v >= 10_000:
        return f"{sign}{v / 1000:.1f}k"
    return f"{sign}{v:,.0f}"


def fmt_qty(value: Decimal | None, places: int) -> str:
    """A size with the instrument's step decimals."""
    return fmt_dec(value, places, sep=True)


def fmt_pct(value: Decimal | float | None, places: int = 1, *, sign: bool = False) -> str:
    """A percentage with a ``%`` suffix (never ``-0.00%``)."""
    if value is None:
        return "—"
    dec = value if isinstance(value, Decimal) else Decimal(str(value))
    return fmt_dec(dec, places, sign=sign, sep=False) + "%"


def fmt_time(ts_ms: int) -> str:
    """HH:MM:SS in UTC (deterministic: no local timezone lookups)."""
    return time.strftime("%H:%M:%S", time.gmtime(ts_ms / 1000))


def fmt_age(ms: float) -> str:
    """An age in one unit style: ``0.4s`` and ``9.9s`` below ten seconds, then ``12s``, ``5m``,
    ``3h``, ``2d`` (the largest whole unit)."""
    ms = max(0.0, float(ms))
    s = ms / 1000
    if s < 10:
        return f"{int(s * 10) / 10:.1f}s"  # truncated: 9.96 s is "9.9s", never "10.0s"
    if s < 60:
        return f"{int(s)}s"
    if s < 3600:
        return f"{int(s // 60)}m"
    if s < 86400:
        return f"{int(s // 3600)}h"
    return f"{int(s // 86400)}d"


def trend_glyph(value: Decimal) -> str:
    """▲ for positive, ▼ for negative, · for zero (colour is never the only signal)."""
    if value > 0:
        return "▲"
    if value < 0:
        return "▼"
    return "·"


def short_symbol(symbol: str) -> str:
    """``BTCUSDT`` → ``BTC`` for compact panes (the quote is the same for every USDT perp)."""
    for quote in QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return symbol[: -len(quote)]
    return symbol
