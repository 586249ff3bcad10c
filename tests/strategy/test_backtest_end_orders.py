"""Orders sent when the data ends (queued on the last bar or by ``on_stop``) go at the last close,
and what fills there is in the last equity point: the report's trades, fees and equity agree.

Found by trying the README's run: the last bar's flip was in the trades, the fills and the fees,
but not in the equity curve or the final equity, so the net PnL was off by that fill's fee."""

from __future__ import annotations

from decimal import Decimal

from core.model import Side
from core.strategy.backtest import BacktestConfig, run_backtest
from core.strategy.base import Bar, Strategy
from core.strategy.data import generated_bars
from core.strategy.report import stats

START = 1_767_225_600_000
MINUTE = 60_000
QTY = Decimal("0.01")
BALANCE = Decimal(100_000)


class BuyThenSellOnStop(Strategy):
    """Long on the fifth bar; on stop, sell twice the position (ends short)."""

    name = "end_orders"

    def on_bar(self, bar: Bar) -> None:
        if len(self.ctx.bars) == 5:
            self.ctx.market(Side.BUY, QTY)

    def on_stop(self) -> None:
        self.ctx.market(Side.SELL, 2 * QTY)


def test_what_fills_at_the_end_is_in_the_last_equity_point() -> None:
    bars = list(generated_bars(7, START, START + 60 * MINUTE))
    config = BacktestConfig(seed=7, starting_balance=BALANCE, funding_rate=None)
    result = run_backtest(BuyThenSellOnStop(), bars, config)
    assert [f.side for f in result.fills] == [Side.BUY, Side.SELL]
    last = result.equity[-1]
    assert last.position == -float(QTY)  # the end's sell is in the held position
    table = stats(result, BALANCE)
    end = result.fills[-1]
    unrealised = Decimal(repr(last.position)) * (Decimal(repr(last.price)) - end.price)
    realised, fees, funding = (Decimal(table[k]) for k in ("realised_pnl", "fees_paid", "funding_paid"))
    expected = realised - fees - funding + unrealised
    assert abs(Decimal(table["net_pnl"]) - expected) < Decimal("0.01")  # float equity, Decimal fills
