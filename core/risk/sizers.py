"""Position sizing rules, pure Decimal arithmetic: how many contracts an order should be.

Each rule returns a quantity rounded *down* to a whole multiple of the instrument's ``qty_step``
(never more than the rule allows; 0 when even one step would be too much). The order still goes
through the builder and the risk chain, whose caps hold whatever a rule says.

* **Fixed quantity**: ``qty = floor_step(q)``.
* **Fixed fraction of equity**: ``notional = f x equity``, ``qty = floor_step(notional / price)``.
* **Volatility target**: a position whose annualised volatility is the target,
  ``notional = equity x target_vol / realised_vol``, capped at ``equity x max_leverage``.
  ``realised_vol = stdev(r) x sqrt(periods_per_year)``: the sample standard deviation (n - 1)
  of the simple returns ``r_t = c_t / c_(t-1) - 1`` of the recent closes, annualised by the number
  of bars a year (525,600 one-minute bars; 365 daily bars: crypto trades every day).
* **Fractional Kelly** from a strategy's own closed trades: win rate ``W`` (wins / trades, a
  zero-PnL trade is not a win) and payoff ``R = mean win / mean |loss|`` give Kelly's fraction
  ``f* = W - (1 - W) / R``; the rule stakes ``f = min(k x f*, cap)`` of equity (``k`` e.g. 0.5
  for half Kelly), and 0 when ``f* <= 0`` (no edge). Without a loss ``R`` is unbounded and
  ``f = cap``; without a win ``f = 0``. ``notional = f x equity``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

_ZERO = Decimal(0)
_ONE = Decimal(1)
_MIN_CLOSES = 3
"""A sample standard deviation of returns needs two returns, so three closes."""

MINUTES_PER_YEAR = 525_600
"""One-minute bars in a (365-day) year: perps trade around the clock."""


def floor_step(qty: Decimal, qty_step: Decimal) -> Decimal:
    """``qty`` rounded down to a whole multiple of ``qty_step`` (never negative)."""
    if qty_step <= 0:
        raise ValueError(f"qty step must be positive, got {qty_step}")
    if qty <= 0:
        return _ZERO.quantize(qty_step)
    steps = (qty / qty_step).to_integral_value(rounding=ROUND_FLOOR)
    return (steps * qty_step).quantize(qty_step)


def _positive(**values: Decimal) -> None:
    for name, v in values.items():
        if not v.is_finite() or v <= 0:
            raise ValueError(f"{name} must be a positive number, got {v}")


def fixed_qty(qty: Decimal, qty_step: Decimal) -> Decimal:
    """Always the same quantity, on the step grid."""
    _positive(qty=qty)
    return floor_step(qty, qty_step)


def fixed_fraction(equity: Decimal, fraction: Decimal, price: Decimal, qty_step: Decimal) -> Decimal:
    """Contracts worth ``fraction`` of ``equity`` at ``price`` (``fraction`` 0.1 = 10 %)."""
    _positive(equity=equity, fraction=fraction, price=price)
    return floor_step(equity * fraction / price, qty_step)


def simple_returns(closes: Sequence[Decimal]) -> list[Decimal]:
    """``c_t / c_(t-1) - 1`` for each consecutive pair of closes."""
    for c in closes:
        _positive(close=c)
    return [b / a - _ONE for a, b in zip(closes, closes[1:], strict=False)]


def realised_vol(closes: Sequence[Decimal], periods_per_year: int) -> Decimal:
    """Annualised volatility of ``closes``: sample stdev of simple returns x sqrt(periods a year)."""
    if len(closes) < _MIN_CLOSES:
        raise ValueError(f"realised volatility needs at least {_MIN_CLOSES} closes, got {len(closes)}")
    if periods_per_year <= 0:
        raise ValueError(f"periods per year must be positive, got {periods_per_year}")
    r = simple_returns(closes)
    mean = sum(r, _ZERO) / len(r)
    var = sum(((x - mean) ** 2 for x in r), _ZERO) / (len(r) - 1)
    return (var * periods_per_year).sqrt()


def vol_target_qty(
    equity: Decimal,
    target_vol: Decimal,
    closes: Sequence[Decimal],
    price: Decimal,
    qty_step: Decimal,
    *,
    periods_per_year: int = MINUTES_PER_YEAR,
    max_leverage: Decimal = _ONE,
) -> Decimal:
    """Contracts whose annualised volatility is ``target_vol`` (0.2 = 20 %), at most
    ``max_leverage`` x ``equity`` of notional. A market that did not move gets the cap."""
    _positive(equity=equity, target_vol=target_vol, price=price, max_leverage=max_leverage)
    vol = realised_vol(closes, periods_per_year)
    cap = equity * max_leverage
    notional = cap if vol == 0 else min(equity * target_vol / vol, cap)
    return floor_step(notional / price, qty_step)


@dataclass(frozen=True, slots=True)
class TradeStats:
    """A strategy's closed trades in the terms Kelly needs."""

    trades: int
    wins: int
    mean_win: Decimal
    mean_loss: Decimal
    """Mean loss as a positive amount (0 without losing trades)."""

    @classmethod
    def from_pnls(cls, pnls: Sequence[Decimal]) -> TradeStats:
        """Statistics of closed trades' net PnLs (a zero PnL counts as a trade, not a win)."""
        wins = [p for p in pnls if p > 0]
        losses = [-p for p in pnls if p < 0]
        return cls(
            trades=len(pnls),
            wins=len(wins),
            mean_win=sum(wins, _ZERO) / len(wins) if wins else _ZERO,
            mean_loss=sum(losses, _ZERO) / len(losses) if losses else _ZERO,
        )

    @property
    def win_rate(self) -> Decimal:
        """Wins / trades (0 without trades)."""
        return Decimal(self.wins) / self.trades if self.trades else _ZERO

    @property
    def payoff(self) -> Decimal | None:
        """Mean win / mean loss (None without a loss: unbounded)."""
        return self.mean_win / self.mean_loss if self.mean_loss > 0 else None


def kelly_fraction(stats: TradeStats, *, fraction: Decimal, cap: Decimal) -> Decimal:
    """The share of equity to stake: ``min(fraction x f*, cap)``, 0 without an edge (module docs)."""
    _positive(fraction=fraction, cap=cap)
    if stats.wins == 0:
        return _ZERO
    payoff = stats.payoff
    if payoff is None:
        return cap
    w = stats.win_rate
    full = w - (_ONE - w) / payoff
    if full <= 0:
        return _ZERO
    return min(fraction * full, cap)


def kelly_qty(
    stats: TradeStats,
    equity: Decimal,
    price: Decimal,
    qty_step: Decimal,
    *,
    fraction: Decimal = Decimal("0.5"),
    cap: Decimal = Decimal("0.25"),
) -> Decimal:
    """Contracts worth the fractional-Kelly share of ``equity`` at ``price`` (half Kelly, at most
    25 % of equity, unless told otherwise)."""
    _positive(equity=equity, price=price)
    return floor_step(equity * kelly_fraction(stats, fraction=fraction, cap=cap) / price, qty_step)


__all__ = [
    "MINUTES_PER_YEAR",
    "TradeStats",
    "fixed_fraction",
    "fixed_qty",
    "floor_step",
    "kelly_fraction",
    "kelly_qty",
    "realised_vol",
    "simple_returns",
    "vol_target_qty",
]
