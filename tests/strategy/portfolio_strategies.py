"""Small strategies the portfolio tests run by module path."""

from __future__ import annotations

from decimal import Decimal

from core.model import Side
from core.strategy.base import Bar, Strategy
from core.strategy.params import Param


class Taker(Strategy):
    """Takes ``qty`` on ``side`` at the first bar; closes its own position ``hold`` bars later (0: never)."""

    name = "taker"
    params = (
        Param("side", str, "Buy"),
        Param("qty", Decimal, Decimal("0.01")),
        Param("hold", int, 0),
    )
    side: str
    qty: Decimal
    hold: int

    def __init__(self, **values: object) -> None:
        super().__init__(**values)
        self.seen = 0

    def on_bar(self, bar: Bar) -> None:
        """Enter on the first bar, leave after ``hold`` more."""
        self.seen += 1
        if self.seen == 1:
            self.ctx.market(Side(self.side), self.qty)
        elif self.hold and self.seen == 1 + self.hold:
            own = self.ctx.signed_size()
            if own:
                self.ctx.market(Side.SELL if own > 0 else Side.BUY, abs(own), reduce_only=True)


class Rester(Strategy):
    """Rests a buy limit far below the market at start (a working order of its own)."""

    name = "rester"
    params = (Param("price", Decimal, Decimal("1000")), Param("qty", Decimal, Decimal("0.01")))
    price: Decimal
    qty: Decimal

    def on_start(self) -> None:
        """One resting order (after a restart it is still working)."""
        if not self.ctx.resumed:
            self.ctx.limit(Side.BUY, self.qty, self.price)


class Breaks(Strategy):
    """Raises on its first bar."""

    name = "breaks"

    def on_bar(self, bar: Bar) -> None:
        """Fail loudly."""
        raise RuntimeError(f"bad bar at {bar.ts_ms}")


class Flipper(Strategy):
    """Holds ``qty`` long on an up bar and short on a down bar, from its own position (a restart
    that lost its position would double it); notes the bars it had when it started."""

    name = "flipper"
    params = (Param("qty", Decimal, Decimal("0.01")),)
    qty: Decimal

    def __init__(self, **values: object) -> None:
        super().__init__(**values)
        self.bars_at_start = -1
        self.bars_seen = 0

    def on_start(self) -> None:
        """Note how warm the history is before anything may trade."""
        self.bars_at_start = len(self.ctx.bars)

    def on_bar(self, bar: Bar) -> None:
        """Target +qty after an up bar, -qty after a down bar."""
        self.bars_seen += 1
        target = self.qty if bar.close >= bar.open else -self.qty
        delta = target - self.ctx.signed_size()
        if delta:
            self.ctx.market(Side.BUY if delta > 0 else Side.SELL, abs(delta))
