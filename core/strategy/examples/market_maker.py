"""A market-making skeleton: quote both sides around the close, re-quoted every bar."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from core.model import Side, TimeInForce
from core.strategy.base import Bar, Strategy
from core.strategy.params import Param

PRICE_QUANTUM = Decimal("0.1")
BPS = Decimal("0.0001")


class MarketMaker(Strategy):
    """Post-only bid and ask ``spread_bps`` around the last close; no quote on the side that
    would take the inventory beyond ``max_pos``. A skeleton: no skew, no volatility model."""

    name = "market_maker"
    params = (
        Param("spread_bps", Decimal, Decimal("10"), "half-spread from the close, bps", positive=True),
        Param("qty", Decimal, Decimal("0.01"), "quote size, base coin", positive=True),
        Param("max_pos", Decimal, Decimal("0.05"), "largest inventory either way, base coin", positive=True),
    )
    spread_bps: Decimal
    qty: Decimal
    max_pos: Decimal

    def on_bar(self, bar: Bar) -> None:
        """Cancel the old quotes and post new ones."""
        self.ctx.cancel_all()
        mid = Decimal(str(bar.close))
        off = mid * self.spread_bps * BPS
        inventory = self.ctx.signed_size()
        if inventory + self.qty <= self.max_pos:
            self.ctx.limit(Side.BUY, self.qty, _px(mid - off), time_in_force=TimeInForce.POST_ONLY)
        if inventory - self.qty >= -self.max_pos:
            self.ctx.limit(Side.SELL, self.qty, _px(mid + off), time_in_force=TimeInForce.POST_ONLY)


def _px(value: Decimal) -> Decimal:
    return value.quantize(PRICE_QUANTUM, ROUND_HALF_EVEN)
