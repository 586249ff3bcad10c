"""The backtest's stats table: :func:`summary` over closed trades and an equity curve."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import TypedDict

from core.analytics import ratios
from core.analytics import trades as tstats
from core.analytics.ledger import FillLike
from core.analytics.types import ClosedTrade, EquityPoint, FundingPayment
from core.model import ZERO

JsonValue = str | int | float | None


@dataclass(frozen=True, slots=True)
class Stats:
    """Every figure of one run. Money is Decimal, ratios float (nan = undefined).

    Fractions (returns, drawdown, win rate, exposure) are fractions, not percent: 0.25 = 25 %.
    """

    start_ms: int
    end_ms: int
    periods: int
    periods_per_year: float
    risk_free_rate: float
    initial_equity: Decimal
    final_equity: Decimal
    net_pnl: Decimal
    realised_pnl: Decimal
    fees_paid: Decimal
    funding_paid: Decimal
    traded_notional: Decimal
    total_return: float
    cagr: float
    volatility: float
    sharpe: float
    sortino: float
    calmar: float
    max_drawdown: float
    max_drawdown_duration_ms: int
    longest_drawdown_ms: int
    trades: int
    win_rate: float
    profit_factor: float
    expectancy: Decimal | None
    avg_win: Decimal | None
    avg_loss: Decimal | None
    best_trade: Decimal | None
    worst_trade: Decimal | None
    exposure_time: float
    turnover: float

    def to_dict(self) -> dict[str, JsonValue]:
        """JSON-ready: Decimals as strings (exact), nan as None, +-inf as "inf" / "-inf"."""
        return {f.name: _json(getattr(self, f.name)) for f in fields(self)}


def _json(value: object) -> JsonValue:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    if value is None or isinstance(value, int | str):
        return value
    raise TypeError(f"unexpected stats value {value!r}")


def summary(
    trades: Sequence[ClosedTrade],
    equity: Sequence[EquityPoint],
    *,
    period_ms: int,
    risk_free_rate: float = 0.0,
    fills: Sequence[FillLike] = (),
    funding: Sequence[FundingPayment] = (),
) -> Stats:
    """All stats of a run.

    ``equity`` is one point per bar, the first being the starting equity before any trade;
    ``period_ms`` is the bar interval (it sets the annualisation); ``risk_free_rate`` is annual.
    Fees come from ``fills`` when given, else from the trades; funding from ``funding`` when
    given, else from the trades; traded notional and turnover need ``fills``.
    """
    ppy = ratios.periods_per_year(period_ms)
    returns = ratios.simple_returns([p.equity for p in equity])
    dd = ratios.drawdown(equity)
    initial = equity[0].equity if equity else ZERO
    final = equity[-1].equity if equity else ZERO
    traded = sum((f.qty * f.price for f in fills), ZERO)
    return Stats(
        start_ms=equity[0].ts_ms if equity else 0,
        end_ms=equity[-1].ts_ms if equity else 0,
        periods=len(returns),
        periods_per_year=ppy,
        risk_free_rate=risk_free_rate,
        initial_equity=initial,
        final_equity=final,
        net_pnl=final - initial,
        realised_pnl=sum((t.pnl for t in trades), ZERO),
        fees_paid=_fees(trades, fills),
        funding_paid=_funding(trades, funding),
        traded_notional=traded,
        total_return=float(final / initial - 1) if initial > ZERO else ratios.NAN,
        cagr=ratios.cagr(returns, ppy),
        volatility=ratios.annual_volatility(returns, ppy),
        sharpe=ratios.sharpe(returns, ppy, risk_free_rate),
        sortino=ratios.sortino(returns, ppy, risk_free_rate),
        calmar=ratios.calmar(returns, ppy, dd.max_drawdown),
        max_drawdown=dd.max_drawdown,
        max_drawdown_duration_ms=dd.max_drawdown_duration_ms,
        longest_drawdown_ms=dd.longest_drawdown_ms,
        **_trade_fields(trades),
        exposure_time=tstats.exposure_time(equity),
        turnover=tstats.turnover(traded, equity),
    )


def _fees(trades: Sequence[ClosedTrade], fills: Sequence[FillLike]) -> Decimal:
    if fills:
        return sum((f.fee for f in fills), ZERO)
    return sum((t.fees for t in trades), ZERO)


def _funding(trades: Sequence[ClosedTrade], funding: Sequence[FundingPayment]) -> Decimal:
    if funding:
        return sum((p.amount for p in funding), ZERO)
    return sum((t.funding for t in trades), ZERO)


class _TradeFields(TypedDict):
    trades: int
    win_rate: float
    profit_factor: float
    expectancy: Decimal | None
    avg_win: Decimal | None
    avg_loss: Decimal | None
    best_trade: Decimal | None
    worst_trade: Decimal | None


def _trade_fields(trades: Sequence[ClosedTrade]) -> _TradeFields:
    nets = [t.net_pnl for t in trades]
    return {
        "trades": len(trades),
        "win_rate": tstats.win_rate(trades),
        "profit_factor": tstats.profit_factor(trades),
        "expectancy": tstats.expectancy(trades),
        "avg_win": tstats.average([n for n in nets if n > ZERO]),
        "avg_loss": tstats.average([n for n in nets if n < ZERO]),
        "best_trade": max(nets) if nets else None,
        "worst_trade": min(nets) if nets else None,
    }
