"""The market strip: one line of perp market data for the selected symbol.

Mark and index price, 24 h change, 24 h volume, open interest, and the funding rate with a
countdown to the next funding, all from the venue's ticker stream. The countdown is computed from
the clock the console passes in (a frozen clock in tests), never from wall time. Items that do not
fit the width are dropped, least important first.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from core.model import Ticker
from widgets.fmt import fmt_compact, fmt_dec, trend_glyph
from widgets.lines import Line, LineWidget

FUNDING_PLACES = 4


def fmt_countdown(ms: int) -> str:
    """Time left as ``7h59m``, ``12m05s`` or ``45s``; ``now`` once it is due."""
    if ms <= 0:
        return "now"
    s = ms // 1000
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    if h:
        return f"{h}h{m:02d}m"
    if m:
        return f"{m}m{sec:02d}s"
    return f"{sec}s"


def fmt_rate_pct(fraction: Decimal, places: int, *, sign: bool = False) -> str:
    """A venue fraction (``0.0001``) as a percentage (``0.0100%``); never ``-0.00%``."""
    pct = fraction * 100
    text = fmt_dec(pct, places, sign=sign, sep=False)
    if text.lstrip("+-").strip("0.") == "":
        text = fmt_dec(Decimal(0), places, sep=False)
    return text + "%"


@dataclass(frozen=True, slots=True)
class _Item:
    label: str
    value: str
    cls: str
    drop_rank: int
    """0 = always shown; higher numbers are dropped first when the strip is narrow."""


class MarketStrip(LineWidget):
    """Funding, 24 h and open-interest figures of the selected symbol, on one line."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"mkt--label", "mkt--value", "mkt--up", "mkt--down"}

    DEFAULT_CSS = """
    MarketStrip { height: 1; }
    MarketStrip > .mkt--label { color: $fg-muted; }
    MarketStrip > .mkt--value { color: $fg; }
    MarketStrip > .mkt--up { color: $pnl-up; }
    MarketStrip > .mkt--down { color: $pnl-down; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.symbol = ""
        self._ticker: Ticker | None = None
        self._now_ms = 0
        self._pp = 2
        self._base = ""

    def set_ticker(
        self, symbol: str, ticker: Ticker | None, now_ms: int, *, price_places: int = 2, base_coin: str = ""
    ) -> bool:
        """Show ``ticker`` for ``symbol`` with the funding countdown as of ``now_ms``."""
        self.symbol, self._ticker, self._now_ms = symbol, ticker, now_ms
        self._pp, self._base = price_places, base_coin
        return self.set_lines(self.build_lines(self.size.width or 120))

    def on_resize(self) -> None:
        """Re-layout for the new width."""
        self.set_lines(self.build_lines(self.size.width))

    def items(self) -> list[_Item]:
        """Every item, in display order."""
        t = self._ticker
        if t is None:
            return [_Item("", f"{self.symbol}: waiting for the ticker…", "mkt--label", 0)]
        pp, base = self._pp, f" {self._base}" if self._base else ""
        change = t.price_24h_pcnt
        change_cls = "mkt--up" if change > 0 else "mkt--down" if change < 0 else "mkt--value"
        funding = fmt_rate_pct(t.funding_rate, FUNDING_PLACES)
        if t.next_funding_ms:
            funding += f" in {fmt_countdown(t.next_funding_ms - self._now_ms)}"
        return [
            _Item("mark ", fmt_dec(t.mark_price, pp), "mkt--value", 1),
            _Item("index ", fmt_dec(t.index_price, pp), "mkt--value", 4),
            _Item("24h ", f"{trend_glyph(change)}{fmt_rate_pct(change, 2, sign=True)}", change_cls, 0),
            _Item("vol ", fmt_compact(t.volume_24h) + base, "mkt--value", 2),
            _Item("OI ", fmt_compact(t.open_interest) + base, "mkt--value", 3),
            _Item("funding ", funding, "mkt--value", 0),
        ]

    def build_lines(self, width: int) -> list[Line]:
        """The strip for ``width`` cells."""
        items = self.items()
        sep = "  "

        def length(xs: list[_Item]) -> int:
            return sum(len(i.label) + len(i.value) for i in xs) + len(sep) * (len(xs) - 1)

        while length(items) > width and any(i.drop_rank for i in items):
            items.remove(max(items, key=lambda i: i.drop_rank))
        runs: list[tuple[str, str]] = []
        for n, item in enumerate(items):
            runs.append(((sep if n else "") + item.label, "mkt--label"))
            runs.append((item.value, item.cls))
        return [tuple(runs)]
