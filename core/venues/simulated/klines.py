"""Chart history read back through the client's codec, each exact row read once per process.

An engine on the in-process venue fetches its chart history at every start (200 rows per symbol
and timeframe), and the codec's strict reading of a row costs far more than the exchange's
answer. A row is plain text (``[start, open, high, low, close, volume, turnover]``) and its
reading is a pure function of it, so the candle read for a row is remembered by the row's exact
text and handed out as a new :class:`~core.market.candles.Candle` each time; a row never seen
before (or one that cannot be remembered) goes through the codec, which raises on a bad one.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from core.market.candles import Candle
from core.venues.bybit import parse

ROWS_KEPT = 100_000
"""Remembered rows; past this, the memory starts over."""

_read: dict[Hashable, Candle] = {}


def _key(row: Any) -> Hashable | None:
    if not isinstance(row, list) or not all(isinstance(v, str) for v in row):
        return None
    return tuple(row)


def _candle(row: Any) -> Candle:
    key = _key(row)
    known = _read.get(key) if key is not None else None
    if known is None:
        known = parse.kline_rows([row])[0]
        if key is not None:
            if len(_read) >= ROWS_KEPT:
                _read.clear()
            _read[key] = known
    return Candle(known.start_ms, known.open, known.high, known.low, known.close, known.volume, known.trades)


def kline_candles(rows: list[Any]) -> list[Candle]:
    """REST kline rows (newest first) as candles, oldest first, as
    :func:`core.venues.bybit.parse.kline_rows` reads them (a bad row raises its ``BadValue``)."""
    out = [_candle(row) for row in rows]
    out.sort(key=lambda c: c.start_ms)
    return out
