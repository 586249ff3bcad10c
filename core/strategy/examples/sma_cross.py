"""SMA crossover: long when the fast SMA is above the slow one, short when below (always in)."""

from __future__ import annotations

from decimal import Decimal

from core.model import Side
from core.strategy.base import Bar, Strategy
from core.strategy.params import Param


class SmaCross(Strategy):
    """Flip between long and short ``qty`` on each cross of SMA(fast) and SMA(slow)."""

    name = "sma_cross"
    params = (
        Param("fast", int, 10, "fast SMA length, bars", positive=True),
        Param("slow", int, 30, "slow SMA length, bars", positive=True),
        Param("qty", Decimal, Decimal("0.01"), "position size, base coin", positive=True),
    )
    fast: int
    slow: int
    qty: Decimal

    def check(self) -> None:
        """The fast SMA is the shorter one."""
        if not 0 < self.fast < self.slow:
            raise ValueError(f"param fast: must be positive and below slow ({self.fast} >= {self.slow})")

    def on_start(self) -> None:
        """Check the lengths."""
        self.check()

    def on_bar(self, bar: Bar) -> None:
        """Trade toward the side the SMAs point to."""
        fast, slow = self.ctx.sma(self.fast), self.ctx.sma(self.slow)
        if fast is None or slow is None or fast == slow:
            return
        target = self.qty if fast > slow else -self.qty
        delta = target - self.ctx.signed_size()
        if delta > 0:
            self.ctx.market(Side.BUY, delta)
        elif delta < 0:
            self.ctx.market(Side.SELL, -delta)
