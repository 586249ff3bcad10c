"""The order-book ladder: a line-API pane (one ``Strip`` per row), not a DataTable.

Asks sit above the spread line (best ask nearest to it), bids below. The best bid and ask are
highlighted, own resting orders are marked with ``◆`` plus side and size, and a depth bar shows
each level's size relative to the largest visible level.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import ClassVar

from core.model import BookLevel, BookView, Side
from widgets.fmt import fmt_dec
from widgets.lines import Line, LineWidget

OwnOrders = Mapping[Decimal, Sequence[tuple[Side, Decimal]]]
"""Own resting orders by price: (side, leaves qty) for each."""


class OrderLadder(LineWidget):
    """Price ladder for one symbol."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "ladder--header",
        "ladder--ask",
        "ladder--bid",
        "ladder--best-ask",
        "ladder--best-bid",
        "ladder--bar-ask",
        "ladder--bar-bid",
        "ladder--own",
        "ladder--spread",
        "ladder--stale",
    }

    DEFAULT_CSS = """
    OrderLadder { height: 1fr; min-height: 5; }
    OrderLadder > .ladder--header { color: $fg-muted; text-style: bold; }
    OrderLadder > .ladder--ask { color: $ask; }
    OrderLadder > .ladder--bid { color: $bid; }
    OrderLadder > .ladder--best-ask { color: $ask; background: $ask-bg; text-style: bold; }
    OrderLadder > .ladder--best-bid { color: $bid; background: $bid-bg; text-style: bold; }
    OrderLadder > .ladder--bar-ask { color: $ask 60%; }
    OrderLadder > .ladder--bar-bid { color: $bid 60%; }
    OrderLadder > .ladder--own { color: $own-order; text-style: bold; }
    OrderLadder > .ladder--spread { color: $fg-muted; }
    OrderLadder > .ladder--stale { color: $warning; text-style: bold reverse; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.symbol = ""
        self._book: BookView | None = None
        self._own: OwnOrders = {}
        self._price_places = 2
        self._qty_places = 3

    def set_book(
        self,
        symbol: str,
        book: BookView | None,
        own: OwnOrders | None = None,
        *,
        price_places: int = 2,
        qty_places: int = 3,
    ) -> bool:
        """Show ``book`` for ``symbol``; returns True when the pane changed."""
        self.symbol = symbol
        self._book = book
        self._own = own or {}
        self._price_places = price_places
        self._qty_places = qty_places
        return self.set_lines(self.build_lines(self.size.height or 20, self.size.width or 40))

    def on_resize(self) -> None:
        """Re-layout for the new height."""
        self.set_lines(self.build_lines(self.size.height, self.size.width))

    # --- layout ---------------------------------------------------------------------------
    def _row(
        self, level: BookLevel, cum: Decimal, side: Side, best: bool, max_size: Decimal, width: int
    ) -> Line:
        pp, qp = self._price_places, self._qty_places
        price = fmt_dec(level.price, pp)
        size = fmt_dec(level.size, qp)
        cls = ("ladder--best-" if best else "ladder--") + ("bid" if side is Side.BUY else "ask")
        own = self._own.get(level.price)
        own_txt = ""
        if own:
            tot = sum((q for _, q in own), Decimal(0))
            letter = "B" if own[0][0] is Side.BUY else "S"
            own_txt = f" ◆{letter}{fmt_dec(tot, qp, sep=False)}"
        show_cum = width >= 36
        text = f"{price:>10} {size:>8}"
        if show_cum:
            text += f" {fmt_dec(cum, qp):>9}"
        bar_w = max(0, width - len(text) - 1 - len(own_txt))
        bar_w = min(bar_w, 12)
        n = int((level.size / max_size) * bar_w) if max_size > 0 and bar_w else 0
        bar_cls = "ladder--bar-bid" if side is Side.BUY else "ladder--bar-ask"
        runs: list[tuple[str, str]] = [(text, cls), (" ", cls), ("▇" * n + " " * (bar_w - n), bar_cls)]
        if own_txt:
            runs.append((own_txt, "ladder--own"))
        return tuple(runs)

    def build_lines(self, height: int, width: int) -> list[Line]:
        """The ladder as lines for a pane of ``height`` × ``width`` cells."""
        book = self._book
        header = f"{'PRICE':>10} {'SIZE':>8}" + (f" {'TOTAL':>9}" if width >= 36 else "")
        lines: list[Line] = [((header, "ladder--header"),)]
        if book is None:
            lines.append(((f"{self.symbol}: waiting for the book…", "ladder--spread"),))
            return lines
        depth = max(1, (height - 2) // 2)
        asks = list(book.asks[:depth])
        bids = list(book.bids[:depth])
        max_size = max((lv.size for lv in asks + bids), default=Decimal(0))
        cum = Decimal(0)
        ask_lines: list[Line] = []
        for i, lv in enumerate(asks):
            cum += lv.size
            ask_lines.append(self._row(lv, cum, Side.SELL, i == 0, max_size, width))
        lines.extend([((" " * width, ""),)] * (depth - len(ask_lines)))
        lines.extend(reversed(ask_lines))
        spread = ""
        if book.best_bid is not None and book.best_ask is not None:
            sp = book.best_ask - book.best_bid
            spread = f"spread {fmt_dec(sp, self._price_places)}"
        if book.stale:
            lines.append(((f" STALE {spread} ".center(width, "─"), "ladder--stale"),))
        else:
            lines.append(((f" {spread} ".center(width, "─"), "ladder--spread"),))
        cum = Decimal(0)
        for i, lv in enumerate(bids):
            cum += lv.size
            lines.append(self._row(lv, cum, Side.BUY, i == 0, max_size, width))
        return lines
