"""Recent public trades (the tape): newest first, a line-API pane."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from core.model import Side, Trade
from widgets.fmt import fmt_dec, fmt_time
from widgets.lines import Line, LineWidget


class TradeTape(LineWidget):
    """Time, side, price and size of the newest trades."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"tape--buy", "tape--sell", "tape--header"}

    DEFAULT_CSS = """
    TradeTape { height: 1fr; min-height: 3; }
    TradeTape > .tape--header { color: $fg-muted; text-style: bold; }
    TradeTape > .tape--buy { color: $bid; }
    TradeTape > .tape--sell { color: $ask; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._trades: Sequence[Trade] = ()
        self._pp = 2
        self._qp = 3

    def set_trades(self, trades: Sequence[Trade], *, price_places: int = 2, qty_places: int = 3) -> bool:
        """Show ``trades`` (oldest first, as the store returns them)."""
        self._trades = trades
        self._pp, self._qp = price_places, qty_places
        return self.set_lines(self.build_lines(self.size.height or 10))

    def on_resize(self) -> None:
        """Re-layout for the new height."""
        self.set_lines(self.build_lines(self.size.height))

    def build_lines(self, height: int) -> list[Line]:
        """Header plus up to ``height - 1`` newest trades."""
        lines: list[Line] = [((f"{'TIME':<8} {'':1} {'PRICE':>11} {'SIZE':>9}", "tape--header"),)]
        for t in list(reversed(self._trades))[: max(0, height - 1)]:
            buy = t.side is Side.BUY
            cls = "tape--buy" if buy else "tape--sell"
            text = f"{fmt_time(t.ts_ms):<8} {'▲' if buy else '▼'} {fmt_dec(t.price, self._pp):>11} "
            text += f"{fmt_dec(t.qty, self._qp):>9}"
            lines.append(((text, cls),))
        return lines
