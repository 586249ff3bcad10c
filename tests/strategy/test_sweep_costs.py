"""A sweep's trials run with the single backtest's --fill, --latency-ms and --funding-rate: through
`trade-console backtest --sweep`, a trial's net PnL is the single backtest's with the same flags,
and not the one at the defaults."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest

from console.cli import main
from core.model import Side
from core.strategy.base import Bar, Strategy
from core.strategy.params import Param
from tests.support.ramp_bars import ramp_csv

START = 1767225600000 + 470 * 60_000  # 2026-01-01T07:50Z: the 08:00 funding time inside
BARS = 20
RANGE = ["--from", "2026-01-01T07:50", "--to", "2026-01-01T08:10"]
COSTS = ["--fill", "through-book", "--latency-ms", "400", "--funding-rate", "0.01"]


class Lots(Strategy):
    """Buys ``lots`` x 0.01 on the first bar and holds it (through a funding time)."""

    name = "lots"
    params = (Param("lots", int, 1),)
    lots: int

    def on_bar(self, bar: Bar) -> None:
        if len(self.ctx.bars) == 1:
            self.ctx.market(Side.BUY, Decimal("0.01") * self.lots)


def bars_csv(path: Path) -> Path:
    return ramp_csv(path, START, BARS, 30, (50, -50, 20))


def single(tmp_path: Path, data: Path, flags: list[str], out: str) -> dict[str, object]:
    argv = ["backtest", f"{__name__}:Lots", "--data", str(data), *RANGE, "--params", "lots=1"]
    assert main([*argv, *flags, "--no-plots", "--out", str(tmp_path / out)]) == 0
    stats: dict[str, object] = json.loads((tmp_path / out / "stats.json").read_text())
    return stats


def swept(tmp_path: Path, data: Path, flags: list[str], out: str) -> dict[str, str]:
    argv = ["backtest", f"{__name__}:Lots", "--data", str(data), *RANGE, "--sweep", "lots=1..1"]
    argv += [
        "--trials",
        "1",
        "--workers",
        "1",
        "--metric",
        "total_return",
        *flags,
        "--out",
        str(tmp_path / out),
    ]
    assert main(argv) == 0
    with (tmp_path / out / "sweep.csv").open() as fh:
        (row,) = list(csv.DictReader(fh))
    return row


def test_sweep_trials_take_fill_latency_and_funding_like_the_single_backtest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = bars_csv(tmp_path / "bars.csv")
    one = single(tmp_path, data, COSTS, "one")
    assert one["funding_settlements"] == 1 and Decimal(str(one["funding_paid"])) > 0
    assert "through-book, latency 400 ms" in str(one["fill_model"])
    plain = single(tmp_path, data, [], "plain")
    assert plain["net_pnl"] != one["net_pnl"]

    capsys.readouterr()
    trial = swept(tmp_path, data, COSTS, "sweep")
    assert trial["state"] == "complete" and trial["seed"] == "7"
    # the printed top-trials table reads in USDT to the cent (sweep.csv keeps every digit)
    pnl = Decimal(trial["net_pnl"])
    assert f"{'+' if pnl > 0 else ''}{pnl:,.2f} USDT" in capsys.readouterr().out
    assert Decimal(trial["net_pnl"]) == Decimal(str(one["net_pnl"]))
    at_defaults = swept(tmp_path, data, [], "sweep-defaults")
    assert Decimal(at_defaults["net_pnl"]) == Decimal(str(plain["net_pnl"]))


def test_a_study_made_with_other_costs_is_refused(tmp_path: Path) -> None:
    data = bars_csv(tmp_path / "bars.csv")
    swept(tmp_path, data, [], "sweep")
    argv = ["backtest", f"{__name__}:Lots", "--data", str(data), *RANGE, "--sweep", "lots=1..1"]
    argv += ["--trials", "2", "--workers", "1", "--metric", "total_return", "--funding-rate", "0.01"]
    assert main([*argv, "--out", str(tmp_path / "sweep")]) == 2
