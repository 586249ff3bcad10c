"""The backtester runs strategies unchanged through the engine's order path on the in-process venue."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from console.cli import main
from core.model import Side
from core.strategy.backtest import BAR_CLOSE, BacktestConfig, run_backtest
from core.strategy.base import Bar, Strategy
from core.strategy.context import BarHistory
from core.strategy.data import generated_bars
from core.strategy.examples.breakout import Breakout
from core.strategy.examples.sma_cross import SmaCross
from core.strategy.loader import StrategyNotFound, load_strategy_class
from core.strategy.params import ParamError, resolve

START = 1_767_225_600_000
MINUTE = 60_000
BARS = 120


def bars(n: int = BARS, seed: int = 7) -> list[Bar]:
    return list(generated_bars(seed, START, START + n * MINUTE))


def test_sma_orders_go_through_the_risk_chain_and_a_limit_rejects_them_by_name() -> None:
    config = BacktestConfig(settings={"risk": {"max_order_notional": "100"}})
    result = run_backtest(SmaCross(fast=3, slow=8), bars(40), config)
    assert result.commands > 0
    assert not result.fills
    assert {r.check for r in result.rejections} == {"max_order_notional"}
    assert all("max_order_notional" in r.message for r in result.rejections)


def test_fills_are_at_the_next_bars_open() -> None:
    data = bars()
    result = run_backtest(SmaCross(fast=3, slow=8), data, BacktestConfig())
    assert result.fills
    opens = {b.ts_ms: b.open for b in data}
    for fill in result.fills:
        bar_open = opens[fill.ts_ms]  # filled at the instant the next bar opened
        assert abs(float(fill.price) - bar_open) <= bar_open * 1e-4


def test_bar_close_fills_at_the_signal_bars_close() -> None:
    data = bars()
    result = run_backtest(SmaCross(fast=3, slow=8), data, BacktestConfig(fill_model=BAR_CLOSE))
    closes = {b.ts_ms + MINUTE - 1: b.close for b in data}
    assert result.fills
    for fill in result.fills:
        assert abs(float(fill.price) - closes[fill.ts_ms]) <= closes[fill.ts_ms] * 1e-4


def test_deterministic_for_a_seed() -> None:
    def trades(seed: int) -> list[tuple[int, Side, Decimal, Decimal]]:
        res = run_backtest(SmaCross(fast=3, slow=8), bars(seed=seed), BacktestConfig(seed=seed))
        return [(f.ts_ms, f.side, f.qty, f.price) for f in res.fills]

    first = trades(3)
    assert first
    assert trades(3) == first
    assert trades(4) != first


class Peeker(Strategy):
    """Records what it can see and tries to read one bar further."""

    name = "peeker"

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[int, int, int]] = []
        self.peeks_failed = 0

    def on_bar(self, bar: Bar) -> None:
        history = self.ctx.bars
        self.seen.append((bar.ts_ms, history[-1].ts_ms, max(b.ts_ms for b in history)))
        try:
            history[len(history)]
        except IndexError:
            self.peeks_failed += 1


def test_no_look_ahead() -> None:
    data = bars(30)
    peeker = Peeker()
    run_backtest(peeker, data, BacktestConfig())
    assert [s[0] for s in peeker.seen] == [b.ts_ms for b in data]
    assert all(ts == last == newest for ts, last, newest in peeker.seen)
    assert peeker.peeks_failed == len(data)
    assert not hasattr(BarHistory, "append")


def test_breakout_stop_is_held_by_the_venue_and_its_exit_counts() -> None:
    result = run_backtest(Breakout(lookback=10, atr_len=5, atr_mult=0.5), bars(200), BacktestConfig())
    assert not result.rejections
    exits = [f for f in result.fills if f.closed_pnl != 0]
    assert exits  # the stop fired on the venue inside a bar; its fill is the strategy's
    entries = [f for f in result.fills if f.closed_pnl == 0]
    assert len(entries) - len(exits) in (0, 1)


def test_params_errors_name_the_param() -> None:
    with pytest.raises(ParamError, match="param fast: 'x' is not a valid int"):
        resolve(SmaCross.params, ["fast=x"])
    with pytest.raises(ParamError, match="param speed: unknown parameter"):
        resolve(SmaCross.params, ["speed=3"])
    with pytest.raises(ParamError, match="expected name=value"):
        resolve(SmaCross.params, ["fast"])
    assert resolve(SmaCross.params, ["fast=4", "qty=0.02"])["qty"] == Decimal("0.02")


def test_loader_by_module_and_file(tmp_path: Path) -> None:
    assert load_strategy_class("core.strategy.examples.sma_cross") is SmaCross
    path = tmp_path / "mine.py"
    path.write_text("from core.strategy.base import Strategy\nclass Mine(Strategy):\n    name = 'mine'\n")
    assert load_strategy_class(str(path)).__name__ == "Mine"
    with pytest.raises(StrategyNotFound):
        load_strategy_class("core.strategy.examples.sma_cross:Nope")


def test_cli_writes_the_report_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    csv_path = tmp_path / "bars.csv"
    rows = ["ts,open,high,low,close,volume"]
    rows += [f"{b.ts_ms},{b.open},{b.high},{b.low},{b.close},{b.volume}" for b in bars(60)]
    csv_path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "report"
    code = main(
        [
            "backtest",
            "core.strategy.examples.sma_cross:SmaCross",
            "--symbol",
            "BTCUSDT",
            "--from",
            "2026-01-01",
            "--to",
            "2026-01-02",
            "--data",
            str(csv_path),
            "--params",
            "fast=3",
            "slow=8",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    names = {p.name for p in out.iterdir()}
    assert names == {"trades.csv", "equity.csv", "stats.json", "equity.png", "drawdown.png"}
    printed = capsys.readouterr().out
    # the table is for reading: money to the cent, fractions in per cent; stats.json stays exact
    saved = json.loads((out / "stats.json").read_text())
    final = Decimal(str(saved["final_equity"]))
    assert re.search(rf"final_equity +│ +{final:,.2f} USDT", printed), printed
    assert re.search(rf"win_rate +│ +{saved['win_rate'] * 100:,.2f} %", printed), printed
    assert final != final.quantize(Decimal("0.01"))  # the file keeps every digit
    assert len((out / "equity.csv").read_text().splitlines()) == 61


def test_cli_bad_param_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["backtest", "core.strategy.examples.sma_cross", "--params", "slow=ten"])
    assert code == 2
    assert "param slow" in capsys.readouterr().err


def test_cli_strategy_refusing_its_params_names_them(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["backtest", "core.strategy.examples.sma_cross", "--to", "2026-01-01T00:10"]
    code = main([*argv, "--params", "fast=30", "slow=10", "--no-plots"])
    assert code == 2
    assert "param fast" in capsys.readouterr().err


def test_market_maker_quotes_rest_and_fill_inside_bars() -> None:
    from core.strategy.examples.market_maker import MarketMaker

    result = run_backtest(MarketMaker(spread_bps=Decimal("2")), bars(60), BacktestConfig())
    assert not result.rejections
    assert result.fills
    assert all(f.is_maker for f in result.fills)


def test_cli_unlisted_symbol_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["backtest", "core.strategy.examples.sma_cross", "--symbol", "DOGEUSDT", "--no-plots"]
    assert main([*argv, "--to", "2026-01-01T00:10"]) == 2
    assert "symbol DOGEUSDT" in capsys.readouterr().err


class Ticker(Strategy):
    """Sets a five-minute timer and records when it fires."""

    name = "ticker"

    def __init__(self) -> None:
        super().__init__()
        self.fired: list[int] = []

    def on_start(self) -> None:
        self.ctx.set_timer(5 * MINUTE)

    def on_timer(self, now_ms: int) -> None:
        self.fired.append(now_ms)


def test_timers_fire_on_the_virtual_clock() -> None:
    strategy = Ticker()
    run_backtest(strategy, bars(30), BacktestConfig())
    assert len(strategy.fired) == 5
    assert all(b - a == 5 * MINUTE for a, b in zip(strategy.fired, strategy.fired[1:], strict=False))
