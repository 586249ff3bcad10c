"""Rolling correlation of returns between two symbols, from their recent candle closes.

A :class:`PriceHistory` is one symbol's recent closes with each bar's start time. Two histories
are aligned on the bar starts they share (a bar missing from either series is skipped, so every
return pair spans the same interval), turned into simple returns ``r_t = c_t / c_(t-1) - 1``, and
the last ``window`` return pairs give Pearson's correlation::

    rho = sum((x - mean_x)(y - mean_y)) / sqrt(sum((x - mean_x)^2) x sum((y - mean_y)^2))

Floats are fine here: a correlation is a statistic about the market, not an amount of money; the
exposure it groups is summed in Decimal by the check. The newest bar may still be forming; it
counts like the others.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from core.market.candles import Candle

_CACHE_PAIRS = 512
"""Correlations remembered (per aligned pair of histories); histories change once per bar."""


@dataclass(frozen=True, slots=True)
class PriceHistory:
    """Recent closes of one symbol, oldest first, with each bar's start time (ms)."""

    starts: tuple[int, ...]
    closes: tuple[float, ...]
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if len(self.starts) != len(self.closes):
            raise ValueError(f"{len(self.starts)} bar starts for {len(self.closes)} closes")
        # Hashed once: every order looks its correlations up by the histories.
        object.__setattr__(self, "_hash", hash((self.starts, self.closes)))

    def __hash__(self) -> int:
        return self._hash

    @classmethod
    def regular(cls, closes: tuple[float, ...] | list[float], step_ms: int = 60_000) -> PriceHistory:
        """Closes of consecutive bars ``step_ms`` apart, starting at 0."""
        return cls(tuple(i * step_ms for i in range(len(closes))), tuple(closes))


@dataclass(frozen=True, slots=True)
class Correlation:
    """Pearson's rho of two symbols' returns and how many return pairs it rests on.

    ``rho`` is None when there are fewer than two pairs or either series did not move.
    """

    rho: float | None
    n: int


def aligned_returns(a: PriceHistory, b: PriceHistory, window: int) -> tuple[list[float], list[float]]:
    """The last ``window`` simple-return pairs over the bars both histories hold."""
    at_b = dict(zip(b.starts, b.closes, strict=True))
    pairs = [(ca, at_b[t]) for t, ca in zip(a.starts, a.closes, strict=True) if t in at_b]
    ra: list[float] = []
    rb: list[float] = []
    for (pa, pb), (qa, qb) in zip(pairs, pairs[1:], strict=False):
        if pa > 0 and pb > 0:
            ra.append(qa / pa - 1)
            rb.append(qb / pb - 1)
    return ra[-window:], rb[-window:]


def pearson(x: list[float], y: list[float]) -> float | None:
    """Pearson's correlation of two equally long samples (None when undefined)."""
    n = len(x)
    if n < 2 or n != len(y):  # noqa: PLR2004 - a correlation needs two points
        return None
    mx, my = math.fsum(x) / n, math.fsum(y) / n
    dx = [v - mx for v in x]
    dy = [v - my for v in y]
    sxx = math.fsum(d * d for d in dx)
    syy = math.fsum(d * d for d in dy)
    if sxx <= 0 or syy <= 0:
        return None
    rho = math.fsum(p * q for p, q in zip(dx, dy, strict=True)) / math.sqrt(sxx * syy)
    return max(-1.0, min(1.0, rho))


@lru_cache(maxsize=_CACHE_PAIRS)
def correlation(a: PriceHistory, b: PriceHistory, window: int) -> Correlation:
    """Rolling correlation of ``a``'s and ``b``'s returns over the last ``window`` shared bars."""
    ra, rb = aligned_returns(a, b, window)
    return Correlation(pearson(ra, rb), len(ra))


class CandleSource(Protocol):
    """Where the engine keeps candles (the market store)."""

    def candles_version(self, symbol: str, timeframe: str) -> int:
        """Changes whenever the series changes."""
        ...

    def candles(self, symbol: str, timeframe: str, n: int | None = None) -> list[Candle]:
        """The newest ``n`` candles, oldest first."""
        ...


class CloseCache:
    """Each symbol's :class:`PriceHistory`, rebuilt only when its candles changed (an order does
    not copy candles the last one already read)."""

    def __init__(self, source: CandleSource) -> None:
        self.source = source
        self._held: dict[tuple[str, str, int], tuple[int, PriceHistory]] = {}

    def history(self, symbol: str, timeframe: str, n: int) -> PriceHistory:
        """The newest ``n`` closes of ``symbol``'s ``timeframe`` candles."""
        key = (symbol, timeframe, n)
        version = self.source.candles_version(symbol, timeframe)
        held = self._held.get(key)
        if held is not None and held[0] == version:
            return held[1]
        bars = self.source.candles(symbol, timeframe, n)
        hist = PriceHistory(tuple(c.start_ms for c in bars), tuple(c.close for c in bars))
        self._held[key] = (version, hist)
        return hist

    def closes(self, symbols: Iterable[str], need: tuple[str, int]) -> dict[str, PriceHistory]:
        """Histories for ``symbols`` of ``need = (timeframe, n)``."""
        timeframe, n = need
        return {s: self.history(s, timeframe, n) for s in symbols}


__all__ = [
    "CandleSource",
    "CloseCache",
    "Correlation",
    "PriceHistory",
    "aligned_returns",
    "correlation",
    "pearson",
]
