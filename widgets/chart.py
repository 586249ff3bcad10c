"""The price chart: candles of one timeframe with a price axis and lines for the position's entry,
its liquidation price and resting orders. A line-API pane.

Each column is one time slot of the timeframe, newest at the right; a slot without a candle stays
empty, so a gap in the data shows as a gap. The price scale covers the visible candles, widened to
take in nearby levels; a level further away is pinned to the top or bottom row and marked with an
arrow. The plot is rebuilt only when the candles, the levels or the pane size change; the legend
(last and mark price) is the only part that follows the ticker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import ClassVar

from core.market.candles import INTERVALS_MS, Candle
from widgets.fmt import fmt_dec
from widgets.lines import Line, LineWidget

LEVEL_TAGS = {"entry": "E", "liq": "L", "bid": "B", "ask": "S"}
"""Axis tag per level kind: position entry, liquidation price, own buy order, own sell order."""
LEVEL_REACH = 0.25
"""Levels within this fraction of the candles' range beyond it widen the scale; others are pinned."""


NONE, WICK, BODY = 0, 1, 2
GLYPHS: dict[tuple[int, int], str] = {
    (BODY, BODY): "┃",
    (BODY, WICK): "╿",
    (BODY, NONE): "╹",
    (WICK, BODY): "╽",
    (WICK, WICK): "│",
    (WICK, NONE): "╵",
    (NONE, BODY): "╻",
    (NONE, WICK): "╷",
    (NONE, NONE): " ",
}
"""A cell's glyph from what its (upper, lower) half shows: two vertical samples per row."""


@dataclass(frozen=True, slots=True)
class ChartLevel:
    """A horizontal line: ``kind`` is one of ``entry``, ``liq``, ``bid`` (own buy), ``ask`` (own sell)."""

    price: Decimal
    kind: str


@dataclass(frozen=True, slots=True)
class _Scale:
    lo: float
    hi: float
    rows: int

    def half(self, price: float) -> int:
        """The plot half-row (0 = top half of the top row) of ``price``, clamped to the plot."""
        halves = self.rows * 2
        if self.hi <= self.lo:
            return halves // 2
        h = round((self.hi - price) / (self.hi - self.lo) * (halves - 1))
        return max(0, min(halves - 1, h))

    def row(self, price: float) -> int:
        """The plot row (0 = top) of ``price``, clamped to the plot."""
        return self.half(price) // 2


def price_scale(candles: Sequence[Candle], levels: Sequence[ChartLevel], rows: int) -> _Scale:
    """The plot's price range: the candles', widened to levels within :data:`LEVEL_REACH` of it."""
    lo = min(c.low for c in candles)
    hi = max(c.high for c in candles)
    reach = (hi - lo) * LEVEL_REACH or hi * 0.001
    for lv in levels:
        p = float(lv.price)
        if lo - reach <= p < lo:
            lo = p
        elif hi < p <= hi + reach:
            hi = p
    return _Scale(lo, hi, rows)


def slots(candles: Sequence[Candle], n: int, interval_ms: int) -> list[Candle | None]:
    """The last ``n`` time slots ending at the newest candle, oldest first (None where no candle)."""
    if not candles or n <= 0:
        return []
    by_start = {c.start_ms: c for c in candles}
    last = candles[-1].start_ms
    return [by_start.get(last - (n - 1 - i) * interval_ms) for i in range(n)]


class PriceChart(LineWidget):
    """Candles of the selected symbol and timeframe, with the last and mark prices in the legend."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "chart--up",
        "chart--down",
        "chart--legend",
        "chart--axis",
        "chart--entry",
        "chart--liq",
        "chart--bid",
        "chart--ask",
    }

    DEFAULT_CSS = """
    PriceChart { height: 8; }
    PriceChart > .chart--up { color: $pnl-up; }
    PriceChart > .chart--down { color: $pnl-down; }
    PriceChart > .chart--legend { color: $fg; text-style: bold; }
    PriceChart > .chart--axis { color: $fg-muted; }
    PriceChart > .chart--entry { color: $own-order; }
    PriceChart > .chart--liq { color: $risk-hot; text-style: bold; }
    PriceChart > .chart--bid { color: $bid; }
    PriceChart > .chart--ask { color: $ask; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.symbol = ""
        self.timeframe = "1m"
        self._candles: Sequence[Candle] = ()
        self._levels: tuple[ChartLevel, ...] = ()
        self._last: Decimal | None = None
        self._mark: Decimal | None = None
        self._pp = 2
        self._data_version = 0
        self._plot_key: tuple[object, ...] = ()
        self._plot: list[Line] = []
        self.plot_builds = 0

    def set_candles(
        self,
        symbol: str,
        timeframe: str,
        candles: Sequence[Candle] | None,
        levels: Sequence[ChartLevel] = (),
        *,
        last: Decimal | None = None,
        mark: Decimal | None = None,
        price_places: int = 2,
    ) -> bool:
        """Show ``candles`` (oldest first; None keeps the current ones) with ``levels``.

        Returns True when the pane changed.
        """
        if candles is not None:
            self._candles = candles
            self._data_version += 1
        self.symbol, self.timeframe, self._pp = symbol, timeframe, price_places
        self._levels = tuple(levels)
        self._last, self._mark = last, mark
        return self._relayout()

    def on_resize(self) -> None:
        """Re-layout for the new size."""
        self._relayout()

    def _relayout(self) -> bool:
        return self.set_lines(self.build_lines(self.size.width or 60, self.size.height or 8))

    # --- layout -----------------------------------------------------------------------------
    def build_lines(self, width: int, height: int) -> list[Line]:
        """Legend line plus ``height - 1`` plot rows (rebuilt only when their inputs changed)."""
        key = (self._data_version, self.symbol, self.timeframe, self._levels, self._pp, width, height)
        if key != self._plot_key:
            self._plot = self._build_plot(width, max(0, height - 1))
            self._plot_key = key
            self.plot_builds += 1
        return [self._legend(width), *self._plot]

    def _legend(self, width: int) -> Line:
        """Symbol, timeframe, last and mark; the current candle's OHLC when it fits."""
        pp = self._pp
        text = f"{self.symbol} {self.timeframe}  last {fmt_dec(self._last, pp)}"
        text += f"  mark {fmt_dec(self._mark, pp)}"
        if self._candles:
            c = self._candles[-1]
            trend = "▲" if c.close >= c.open else "▼"
            ohlc = f"  {trend} O {c.open:,.{pp}f} H {c.high:,.{pp}f} L {c.low:,.{pp}f} C {c.close:,.{pp}f}"
            if len(text) + len(ohlc) <= width:
                text += ohlc
        return ((text, "chart--legend"),)

    def _build_plot(self, width: int, rows: int) -> list[Line]:
        if rows <= 0:
            return []
        if not self._candles:
            return [((f"{self.symbol} {self.timeframe}: waiting for candles…", "chart--axis"),)]
        pp = self._pp
        recent = self._candles[-width:]
        prices = [max(c.high for c in recent), min(c.low for c in recent)]
        prices += [float(lv.price) for lv in self._levels]
        axis_w = 3 + max(len(f"{p:,.{pp}f}") for p in prices)
        plot_w = max(1, width - axis_w)
        gap = 2 if plot_w >= 48 else 1
        n = plot_w // gap
        shown = slots(self._candles, n, INTERVALS_MS.get(self.timeframe, 60_000))
        scale = price_scale([c for c in shown if c is not None], self._levels, rows)
        cells: list[list[tuple[str, str]]] = [[(" ", "")] * plot_w for _ in range(rows)]
        labels: dict[int, tuple[str, str, float]] = {0: ("  ", "chart--axis", scale.hi)}
        labels[rows - 1] = ("  ", "chart--axis", scale.lo)
        self._draw_levels(cells, labels, scale, plot_w)
        for i, c in enumerate(shown):
            if c is not None:
                self._draw_candle(cells, scale, plot_w - 1 - (n - 1 - i) * gap, c)
        return [self._row_line(cells[r], labels.get(r), axis_w) for r in range(rows)]

    def _draw_levels(
        self,
        cells: list[list[tuple[str, str]]],
        labels: dict[int, tuple[str, str, float]],
        scale: _Scale,
        plot_w: int,
    ) -> None:
        for lv in sorted(self._levels, key=lambda lv: lv.kind != "liq"):  # liq drawn last: on top
            p = float(lv.price)
            cls = f"chart--{lv.kind}"
            r = scale.row(p)
            arrow = "↑" if p > scale.hi else "↓" if p < scale.lo else " "
            labels[r] = (arrow + LEVEL_TAGS.get(lv.kind, "?"), cls, p)
            if scale.lo <= p <= scale.hi:
                cells[r] = [("╌", cls)] * plot_w

    @staticmethod
    def _draw_candle(cells: list[list[tuple[str, str]]], scale: _Scale, x: int, c: Candle) -> None:
        if x < 0:
            return
        cls = "chart--up" if c.close >= c.open else "chart--down"
        body = (scale.half(max(c.open, c.close)), scale.half(min(c.open, c.close)))
        wick = (scale.half(c.high), scale.half(c.low))

        def part(h: int) -> int:
            return BODY if body[0] <= h <= body[1] else WICK if wick[0] <= h <= wick[1] else NONE

        for r in range(wick[0] // 2, wick[1] // 2 + 1):
            cells[r][x] = (GLYPHS[part(2 * r), part(2 * r + 1)], cls)

    def _row_line(
        self, cells: list[tuple[str, str]], label: tuple[str, str, float] | None, axis_w: int
    ) -> Line:
        runs = [("".join(ch for ch, _ in group), cls) for cls, group in groupby(cells, key=itemgetter(1))]
        if label is None:
            runs.append((" " * axis_w, "chart--axis"))
        else:
            tag, cls, price = label
            runs.append((f" {tag}{price:>{axis_w - 3},.{self._pp}f}", cls))
        return tuple(runs)
