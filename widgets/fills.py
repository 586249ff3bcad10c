"""The fills pane: the account's executions, newest first, under a line with today's realised PnL.

A line-API pane. Each row shows time (from the fill's own timestamp, UTC), symbol, side, quantity,
price, fee, maker/taker and the realised PnL of a closing fill. The first line sums today's fills
(UTC day of the console's clock): net realised PnL (closed PnL minus fees), the fees, and the net
figure per symbol. The engine loads the day's earlier fills (before the console started, or made
by another session) from the venue at start-up, so the line covers the whole day. Columns that do
not fit are dropped, least important first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from core.model import Fill, Side
from widgets.fmt import fmt_dec, fmt_time
from widgets.lines import Line, LineWidget

DAY_MS = 86_400_000
FEE_PLACES = 4
PNL_PLACES = 2
Places = Mapping[str, tuple[int, int]]
"""(price places, qty places) per symbol."""


def day_start(now_ms: int) -> int:
    """Start of the UTC day containing ``now_ms``."""
    return now_ms - now_ms % DAY_MS


@dataclass(frozen=True, slots=True)
class FillsSummary:
    """Today's realised figures from the fills: ``closed`` is the venue's closed PnL before fees."""

    closed: Decimal = Decimal(0)
    fees: Decimal = Decimal(0)
    by_symbol: dict[str, Decimal] = field(default_factory=dict)
    """Net realised PnL (closed PnL minus fees) per symbol."""
    count: int = 0

    @property
    def net(self) -> Decimal:
        """Closed PnL minus fees (a rebate, a negative fee, adds)."""
        return self.closed - self.fees


def summarize(fills: Sequence[Fill], since_ms: int) -> FillsSummary:
    """Realised PnL and fees of the fills at or after ``since_ms``, in total and per symbol."""
    closed = fees = Decimal(0)
    by_symbol: dict[str, Decimal] = {}
    count = 0
    for f in fills:
        if f.ts_ms < since_ms:
            continue
        count += 1
        closed += f.closed_pnl
        fees += f.fee
        by_symbol[f.symbol] = by_symbol.get(f.symbol, Decimal(0)) + f.closed_pnl - f.fee
    return FillsSummary(closed, fees, dict(sorted(by_symbol.items())), count)


@dataclass(frozen=True, slots=True)
class _Col:
    title: str
    drop_rank: int
    """0 = always shown; higher numbers are dropped first when the pane is narrow."""


COLUMNS: tuple[_Col, ...] = (
    _Col("TIME", 0),
    _Col("SYMBOL", 3),
    _Col("SIDE", 0),
    _Col("QTY", 0),
    _Col("PRICE", 0),
    _Col("FEE", 4),
    _Col("M/T", 5),
    _Col("PNL", 2),
)


class FillsPane(LineWidget):
    """Today's realised PnL and the newest fills."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "fills--header",
        "fills--summary",
        "fills--buy",
        "fills--sell",
        "fills--up",
        "fills--down",
        "fills--muted",
    }

    DEFAULT_CSS = """
    FillsPane { height: 1fr; min-height: 3; }
    FillsPane > .fills--header { color: $fg-muted; text-style: bold; }
    FillsPane > .fills--summary { color: $fg; text-style: bold; }
    FillsPane > .fills--buy { color: $bid; }
    FillsPane > .fills--sell { color: $ask; }
    FillsPane > .fills--up { color: $pnl-up; }
    FillsPane > .fills--down { color: $pnl-down; }
    FillsPane > .fills--muted { color: $fg-muted; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._fills: list[Fill] = []
        self._places: Places = {}
        self._now_ms = 0
        self.summary = FillsSummary()

    def set_fills(self, fills: Sequence[Fill] | None, now_ms: int, *, places: Places | None = None) -> bool:
        """Show ``fills`` (any order; None keeps the current ones) as of ``now_ms``.

        Returns True when the pane changed.
        """
        if fills is not None:
            self._fills = sorted(fills, key=lambda f: (f.ts_ms, f.exec_id), reverse=True)
        if places is not None:
            self._places = places
        self._now_ms = now_ms
        return self.set_lines(self.build_lines(self.size.width or 80, self.size.height or 8))

    def on_resize(self) -> None:
        """Re-layout for the new size."""
        self.set_lines(self.build_lines(self.size.width, self.size.height))

    # --- layout -----------------------------------------------------------------------------
    def build_lines(self, width: int, height: int) -> list[Line]:
        """Summary, header and up to ``height - 2`` fills, newest first."""
        self.summary = summarize(self._fills, day_start(self._now_ms))
        lines: list[Line] = [self._summary_line()]
        shown = self._fills[: max(0, height - 2)]
        rows = [self._cells(f) for f in shown]
        keep = self._fit(rows, width)
        widths = [max([len(COLUMNS[i].title)] + [len(r[i][0]) for r in rows]) for i in keep]
        header = " ".join(_pad(COLUMNS[i].title, w, i) for i, w in zip(keep, widths, strict=True))
        lines.append(((header, "fills--header"),))
        if not rows:
            lines.append((("no fills yet", "fills--muted"),))
        for r in rows:
            runs = [(_pad(r[i][0], w, i) + " ", r[i][1]) for i, w in zip(keep, widths, strict=True)]
            lines.append(tuple(runs))
        return lines

    def _summary_line(self) -> Line:
        s = self.summary
        cls = "fills--up" if s.net > 0 else "fills--down" if s.net < 0 else "fills--summary"
        runs: list[tuple[str, str]] = [("Today realised net ", "fills--summary")]
        runs.append((fmt_dec(s.net, PNL_PLACES, sign=True), cls))
        runs.append((f"  fees {fmt_dec(s.fees, PNL_PLACES)}", "fills--muted"))
        for sym, pnl in s.by_symbol.items():
            runs.append((f"  {sym} ", "fills--muted"))
            runs.append((fmt_dec(pnl, PNL_PLACES, sign=True), "fills--up" if pnl >= 0 else "fills--down"))
        return tuple(runs)

    def _cells(self, f: Fill) -> list[tuple[str, str]]:
        pp, qp = self._places.get(f.symbol, (2, 3))
        side_cls = "fills--buy" if f.side is Side.BUY else "fills--sell"
        pnl = f.closed_pnl
        pnl_cell = (
            ("", "")
            if pnl == 0
            else (fmt_dec(pnl, PNL_PLACES, sign=True), "fills--up" if pnl > 0 else "fills--down")
        )
        return [
            (fmt_time(f.ts_ms), "fills--muted"),
            (f.symbol, ""),
            (f.side.value, side_cls),
            (fmt_dec(f.qty, qp), side_cls),
            (fmt_dec(f.price, pp), side_cls),
            (fmt_dec(f.fee, FEE_PLACES), "fills--muted"),
            ("maker" if f.is_maker else "taker", "fills--muted"),
            pnl_cell,
        ]

    @staticmethod
    def _fit(rows: list[list[tuple[str, str]]], width: int) -> list[int]:
        """Indices of the columns that fit ``width``, dropping the highest drop rank first."""
        keep = list(range(len(COLUMNS)))
        widths = [max([len(c.title)] + [len(r[i][0]) for r in rows]) for i, c in enumerate(COLUMNS)]
        while sum(widths[i] + 1 for i in keep) - 1 > width:
            droppable = [i for i in keep if COLUMNS[i].drop_rank > 0]
            if not droppable:
                break
            keep.remove(max(droppable, key=lambda i: COLUMNS[i].drop_rank))
        return keep


def _pad(text: str, width: int, col: int) -> str:
    """Left-align words (time, symbol, side, role), right-align numbers."""
    return text.ljust(width) if col in (0, 1, 2, 6) else text.rjust(width)
