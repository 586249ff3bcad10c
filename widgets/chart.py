"""A small price chart: line-API bars drawn with eighth-block glyphs, plus a last/mark legend."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import ClassVar

from widgets.fmt import fmt_dec
from widgets.lines import Line, LineWidget

_EIGHTHS = " ▁▂▃▄▅▆▇█"


def render_bars(values: Sequence[float], width: int, height: int) -> list[str]:
    """Columns of the last ``width`` values scaled into ``height`` rows (top row first)."""
    if width <= 0 or height <= 0:
        return []
    pts = list(values)[-width:]
    if not pts:
        return [" " * width for _ in range(height)]
    lo, hi = min(pts), max(pts)
    span = hi - lo
    levels = [(int(round((v - lo) / span * (height * 8 - 1))) + 1 if span > 0 else height * 4) for v in pts]
    pad = width - len(pts)
    rows: list[str] = []
    for r in range(height):
        base = (height - 1 - r) * 8
        chars = []
        for lv in levels:
            fill = lv - base
            chars.append(_EIGHTHS[max(0, min(8, fill))])
        rows.append(" " * pad + "".join(chars))
    return rows


class PriceChart(LineWidget):
    """Last-price history for the selected symbol with the last and mark prices."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"chart--up", "chart--down", "chart--legend", "chart--axis"}

    DEFAULT_CSS = """
    PriceChart { height: 8; }
    PriceChart > .chart--up { color: $pnl-up; }
    PriceChart > .chart--down { color: $pnl-down; }
    PriceChart > .chart--legend { color: $fg; text-style: bold; }
    PriceChart > .chart--axis { color: $fg-muted; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._series: Sequence[float] = ()
        self._symbol = ""
        self._last: Decimal | None = None
        self._mark: Decimal | None = None
        self._pp = 2

    def set_series(
        self,
        symbol: str,
        series: Sequence[float],
        last: Decimal | None,
        mark: Decimal | None,
        *,
        price_places: int = 2,
    ) -> bool:
        """Show ``series`` (oldest first) with the ``last`` and ``mark`` legend."""
        self._symbol, self._series, self._pp = symbol, series, price_places
        self._last, self._mark = last, mark
        return self.set_lines(self.build_lines(self.size.width or 60, self.size.height or 8))

    def on_resize(self) -> None:
        """Re-layout for the new size."""
        self.set_lines(self.build_lines(self.size.width, self.size.height))

    def build_lines(self, width: int, height: int) -> list[Line]:
        """Legend line plus ``height - 1`` rows of bars."""
        pts = list(self._series)
        up = len(pts) < 2 or pts[-1] >= pts[0]
        trend = "▲" if up else "▼"
        legend = f"{self._symbol} last {fmt_dec(self._last, self._pp)} {trend}"
        legend += f"  mark {fmt_dec(self._mark, self._pp)}"
        if pts:
            legend += f"  hi {max(pts):,.{self._pp}f}  lo {min(pts):,.{self._pp}f}"
        lines: list[Line] = [((legend, "chart--legend"),)]
        cls = "chart--up" if up else "chart--down"
        for row in render_bars(pts, width, max(0, height - 1)):
            lines.append(((row, cls),))
        return lines
