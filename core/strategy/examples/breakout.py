"""N-bar breakout with an ATR stop: buy above the N-bar high, sell below the N-bar low."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from core.model import OrderRequest, OrderType, Side, TimeInForce
from core.strategy.base import Bar, Strategy
from core.strategy.params import Param

PRICE_QUANTUM = Decimal("0.1")


class Breakout(Strategy):
    """Enter on a close beyond the previous ``lookback`` bars' range; a stop ``atr_mult`` ATRs away."""

    name = "breakout"
    params = (
        Param("lookback", int, 20, "bars whose high/low define the range", positive=True),
        Param("atr_len", int, 14, "ATR length, bars", positive=True),
        Param("atr_mult", float, 2.0, "stop distance in ATRs", positive=True),
        Param("qty", Decimal, Decimal("0.01"), "position size, base coin", positive=True),
    )
    lookback: int
    atr_len: int
    atr_mult: float
    qty: Decimal

    def on_bar(self, bar: Bar) -> None:
        """Enter flat-only on a breakout, with the stop attached to the order."""
        bars = self.ctx.bars
        atr = self.ctx.atr(self.atr_len)
        if atr is None or len(bars) <= self.lookback or self.ctx.position() is not None:
            return
        window = bars[-self.lookback - 1 : -1]
        high, low = max(b.high for b in window), min(b.low for b in window)
        if bar.close > high:
            self._enter(Side.BUY, bar.close - self.atr_mult * atr)
        elif bar.close < low:
            self._enter(Side.SELL, bar.close + self.atr_mult * atr)

    def _enter(self, side: Side, stop: float) -> None:
        stop_px = Decimal(str(stop)).quantize(PRICE_QUANTUM, ROUND_HALF_EVEN)
        self.ctx.place(
            OrderRequest(
                self.ctx.symbol,
                side,
                self.qty,
                OrderType.MARKET,
                time_in_force=TimeInForce.IOC,
                stop_loss=stop_px,
            )
        )
