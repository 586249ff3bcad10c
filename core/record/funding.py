"""The funding a recording saw: each funding time and the rate settled then, from its tickers.

A Bybit linear ticker carries ``fundingRate`` (the rate the next settlement will use, updated as
the interval runs) and ``nextFundingTime`` (that settlement's time, ms). The ticker stream sends
deltas, so either may be missing from a record: the last value of each is carried forward. The
rate settled at a funding time is the last ``fundingRate`` received before that time while
``nextFundingTime`` named it. A funding time the recording did not reach is left out (its rate
could still change).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path

from core.record.format import TickerRec, check_symbols, read_symbol

FundingSeries = tuple[tuple[int, Decimal], ...]
"""(funding time in ms, rate settled then), ascending by time."""


def recorded_funding(directory: Path, symbol: str) -> FundingSeries:
    """The funding times and rates ``symbol``'s recorded tickers announced (empty when none)."""
    check_symbols(directory, (symbol,))
    rate: Decimal | None = None
    next_ms: int | None = None
    last_recv = 0
    found: dict[int, Decimal] = {}
    for rec in read_symbol(directory, symbol):
        if not isinstance(rec, TickerRec):
            continue
        rate = _rate(rec.fields.get("fundingRate"), rate)
        next_ms = _time(rec.fields.get("nextFundingTime"), next_ms)
        last_recv = max(last_recv, rec.recv_ms)
        if rate is not None and next_ms is not None and rec.recv_ms < next_ms:
            found[next_ms] = rate
    return tuple((t, r) for t, r in sorted(found.items()) if t <= last_recv)


def _rate(raw: object, previous: Decimal | None) -> Decimal | None:
    if raw in (None, ""):
        return previous
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        return previous
    return value if value.is_finite() else previous


def _time(raw: object, previous: int | None) -> int | None:
    if raw in (None, ""):
        return previous
    text = str(raw)
    return int(text) if text.isdigit() else previous


__all__ = ["FundingSeries", "recorded_funding"]
