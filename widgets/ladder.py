"""The order-book ladder: a line-API pane (one ``Strip`` per row), not a DataTable.

Asks sit above the spread line (best ask nearest to it), bids below. Levels can be grouped into
coarser price steps (multiples of the tick, cycled with :meth:`OrderLadder.cycle_group`): bids
round down, asks up, and own orders are marked at the level that holds them. Each row shows
price, size, the cumulative size from the touch, a depth bar and own resting orders (``◆`` plus
side and size). Coarse groups reach past the trading book's levels into the display book's
(:class:`~core.market.depth.DepthLevels`, when the venue streams one), so every step fills the
pane with rows. Column widths grow with the figures and never shrink while the symbol, grouping
and pane width stay the same, so the columns do not jump from frame to frame.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import ClassVar

from core.market.depth import DepthLevels
from core.market.grouping import GROUP_MULTIPLES, extend_groups, group_levels, group_own, group_steps
from core.model import BookLevel, BookView, Side
from widgets.fmt import fmt_dec
from widgets.lines import Line, LineWidget

OwnOrders = Mapping[Decimal, Sequence[tuple[Side, Decimal]]]
"""Own resting orders by price: (side, leaves qty) for each."""

BAR_MAX = 12


def step_label(step: Decimal) -> str:
    """A grouping step as a trader reads it: ``0.5``, ``10`` (no exponent, no trailing zeros)."""
    return format(step.normalize(), "f")


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
        self._depth: DepthLevels | None = None
        self._own: OwnOrders = {}
        self._price_places = 2
        self._qty_places = 3
        self._tick: Decimal | None = None
        self.group_index = 0
        self._widths: tuple[int, int, int] = (5, 4, 5)
        self._width_key: tuple[object, ...] = ()

    # --- grouping -------------------------------------------------------------------------
    @property
    def group_step(self) -> Decimal | None:
        """The current grouping step (None until an instrument tick is known)."""
        if self._tick is None:
            return None
        return group_steps(self._tick)[self.group_index]

    @property
    def group_multiple(self) -> int:
        """The current grouping step in ticks."""
        return GROUP_MULTIPLES[self.group_index]

    def cycle_group(self, step: int) -> Decimal | None:
        """Coarser (``step`` > 0) or finer grouping, stopping at either end; returns the new step."""
        self.group_index = max(0, min(len(GROUP_MULTIPLES) - 1, self.group_index + step))
        self._relayout()
        return self.group_step

    # --- data -----------------------------------------------------------------------------
    def set_book(
        self,
        symbol: str,
        book: BookView | None,
        own: OwnOrders | None = None,
        *,
        price_places: int = 2,
        qty_places: int = 3,
        tick: Decimal | None = None,
        depth: DepthLevels | None = None,
    ) -> bool:
        """Show ``book`` for ``symbol``; ``tick`` enables grouping; ``depth`` (the display book's
        levels) extends the rows past the book's own levels. Returns True when the pane changed."""
        self.symbol = symbol
        self._book = book
        self._depth = depth if depth is not None and depth.symbol == symbol and not depth.stale else None
        self._own = own or {}
        self._price_places = price_places
        self._qty_places = qty_places
        self._tick = tick
        return self._relayout()

    def on_resize(self) -> None:
        """Re-layout for the new height."""
        self._relayout()

    def _relayout(self) -> bool:
        return self.set_lines(self.build_lines(self.size.height or 20, self.size.width or 40))

    # --- layout ---------------------------------------------------------------------------
    def _grouped(self, rows: int) -> tuple[tuple[BookLevel, ...], tuple[BookLevel, ...], OwnOrders, int]:
        """Up to ``rows`` asks and bids, own orders and price places after grouping."""
        book = self._book
        assert book is not None
        step = self.group_step
        if step is None or self.group_index == 0:
            asks, bids, own, places = book.asks, book.bids, self._own, self._price_places
        else:
            asks = group_levels(book.asks, step, Side.SELL)
            bids = group_levels(book.bids, step, Side.BUY)
            own = group_own(self._own, step)
            places = min(self._price_places, max(0, -int(step.normalize().as_tuple().exponent)))
        depth = self._depth
        if depth is None or step is None or self._tick is None:
            return asks[:rows], bids[:rows], own, places
        last_ask = book.asks[-1].price if book.asks else None
        last_bid = book.bids[-1].price if book.bids else None
        asks = extend_groups(
            asks, depth.asks, step=step, tick=self._tick, side=Side.SELL, limit=rows, beyond=last_ask
        )
        bids = extend_groups(
            bids, depth.bids, step=step, tick=self._tick, side=Side.BUY, limit=rows, beyond=last_bid
        )
        return asks, bids, own, places

    def _own_text(self, own: OwnOrders, price: Decimal) -> str:
        orders = own.get(price)
        if not orders:
            return ""
        tot = sum((q for _, q in orders), Decimal(0))
        sides = {s for s, _ in orders}
        letter = "B" if sides == {Side.BUY} else "S" if sides == {Side.SELL} else "B/S"
        return f" ◆{letter}{fmt_dec(tot, self._qty_places, sep=False)}"

    def _fit_widths(self, rows: list[tuple[str, str, str]], width: int) -> tuple[int, int, int]:
        key = (self.symbol, self.group_index, width)
        pw, sw, cw = self._widths if key == self._width_key else (5, 4, 5)
        for p, s, c in rows:
            pw, sw, cw = max(pw, len(p)), max(sw, len(s)), max(cw, len(c))
        self._widths, self._width_key = (pw, sw, cw), key
        return pw, sw, cw

    def build_lines(self, height: int, width: int) -> list[Line]:
        """The ladder as lines for a pane of ``height`` × ``width`` cells."""
        book = self._book
        if book is None:
            header = f"{'PRICE':>10} {'SIZE':>8} {'TOTAL':>9}"
            return [
                ((header, "ladder--header"),),
                ((f"{self.symbol}: waiting for the book…", "ladder--spread"),),
            ]
        depth = max(1, (height - 2) // 2)
        asks_shown, bids_shown, own, pp = self._grouped(depth)
        asks, bids = list(asks_shown), list(bids_shown)
        qp = self._qty_places
        texts: dict[int, list[tuple[str, str, str]]] = {}
        for side, levels in ((Side.SELL, asks), (Side.BUY, bids)):
            cum = Decimal(0)
            out = texts[side.sign] = []
            for lv in levels:
                cum += lv.size
                out.append((fmt_dec(lv.price, pp), fmt_dec(lv.size, qp), fmt_dec(cum, qp)))
        widths = self._fit_widths(texts[-1] + texts[1], width)
        pw, sw, cw = widths
        lines: list[Line] = [((f"{'PRICE':>{pw}} {'SIZE':>{sw}} {'TOTAL':>{cw}}", "ladder--header"),)]
        max_size = max((lv.size for lv in asks + bids), default=Decimal(0))
        ask_lines = [
            self._row(lv, t, widths, Side.SELL, i == 0, max_size, width, own)
            for i, (lv, t) in enumerate(zip(asks, texts[-1], strict=True))
        ]
        lines.extend([((" " * width, ""),)] * (depth - len(ask_lines)))
        lines.extend(reversed(ask_lines))
        lines.append(self._spread_line(book, width))
        for i, (lv, t) in enumerate(zip(bids, texts[1], strict=True)):
            lines.append(self._row(lv, t, widths, Side.BUY, i == 0, max_size, width, own))
        return lines

    def _row(
        self,
        level: BookLevel,
        text: tuple[str, str, str],
        widths: tuple[int, int, int],
        side: Side,
        best: bool,
        max_size: Decimal,
        width: int,
        own: OwnOrders,
    ) -> Line:
        (price, size, cum), (pw, sw, cw) = text, widths
        cls = ("ladder--best-" if best else "ladder--") + ("bid" if side is Side.BUY else "ask")
        body = f"{price:>{pw}} {size:>{sw}} {cum:>{cw}}"
        own_txt = self._own_text(own, level.price)
        bar_w = min(BAR_MAX, max(0, width - len(body) - 1 - len(own_txt)))
        runs: list[tuple[str, str]] = [(body, cls)]
        if bar_w:
            n = int((level.size / max_size) * bar_w) if max_size > 0 else 0
            bar_cls = "ladder--bar-bid" if side is Side.BUY else "ladder--bar-ask"
            runs += [(" ", cls), ("▇" * n + " " * (bar_w - n), bar_cls)]
        if own_txt:
            runs.append((own_txt, "ladder--own"))
        return tuple(runs)

    def _spread_line(self, book: BookView, width: int) -> Line:
        parts = []
        if book.best_bid is not None and book.best_ask is not None:
            parts.append(f"spread {fmt_dec(book.best_ask - book.best_bid, self._price_places)}")
        step = self.group_step
        if step is not None and self.group_index > 0:
            parts.append(f"group {step_label(step)}")
        label = " · ".join(parts)
        if book.stale:
            return ((f" STALE {label} ".center(width, "─"), "ladder--stale"),)
        return ((f" {label} ".center(width, "─"), "ladder--spread"),)
