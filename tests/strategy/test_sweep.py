"""Sweeps on Optuna: a known best is found, a stopped sweep resumes, worker processes share a study."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from core.model import Side
from core.strategy.base import Bar, Strategy
from core.strategy.params import Param
from core.strategy.sweep import BarSource, SweepSpec, open_study, run_sweep, write_csv

START = 1767225600000
MINUTE = 60_000
BARS = 12


class Hold(Strategy):
    """Buys or sells ``qty`` on the first bar and holds: on rising bars, long is the best."""

    name = "hold"
    params = (Param("side", str, "long"), Param("qty", Decimal, Decimal("0.01")))
    side: str
    qty: Decimal

    def on_bar(self, bar: Bar) -> None:
        if len(self.ctx.bars) == 1 and self.side != "flat":
            self.ctx.market(Side.BUY if self.side == "long" else Side.SELL, self.qty)


def rising_csv(path: Path) -> Path:
    rows = ["ts,open,high,low,close,volume"]
    for n in range(BARS):
        price = 60_000 + 100 * n
        rows.append(f"{START + n * MINUTE},{price},{price + 120},{price - 20},{price + 100},1")
    path.write_text("\n".join(rows) + "\n")
    return path


def spec(tmp_path: Path, **kw: object) -> SweepSpec:
    base: dict[str, object] = dict(
        strategy=f"{__name__}:Hold",
        space="side=long|short|flat qty=0.01|0.02",
        bars=BarSource(START, START + BARS * MINUTE, path=rising_csv(tmp_path / "bars.csv")),
        storage=f"sqlite:///{tmp_path / 'sweep.db'}",
        study="hold",
        metric="total_return",
        trials=6,
    )
    base.update(kw)
    return SweepSpec(**base)  # type: ignore[arg-type]


def test_a_tiny_sweep_finds_the_known_best(tmp_path: Path) -> None:
    result = run_sweep(spec(tmp_path, trials=8))
    assert len(result.rows) == 8
    assert result.best is not None
    assert result.best.params == {"side": "long", "qty": "0.02"}
    values = [r.value for r in result.rows if r.value is not None]
    assert result.best.value == max(values)
    assert {r.attrs["seed"] for r in result.rows} == {7 + r.number for r in result.rows}
    csv = write_csv(result, tmp_path / "out" / "sweep.csv").read_text().splitlines()
    assert csv[0].startswith("number,state,total_return,seed,side,qty")
    assert csv[1].startswith(f"{result.best.number},complete,")


def test_a_stopped_sweep_resumes_to_the_total(tmp_path: Path) -> None:
    first = run_sweep(spec(tmp_path, trials=3))
    assert sorted(r.number for r in first.rows) == [0, 1, 2]
    again = run_sweep(spec(tmp_path, trials=5))
    assert again.ran_here == 2
    assert sorted(r.number for r in again.rows) == [0, 1, 2, 3, 4]
    before = {r.number: (r.params, r.value) for r in first.rows}
    assert {n: (r.params, r.value) for r in again.rows if (n := r.number) in before} == before


def test_a_study_refuses_another_sweep(tmp_path: Path) -> None:
    run_sweep(spec(tmp_path, trials=1))
    with pytest.raises(ValueError, match="made for another sweep"):
        open_study(spec(tmp_path, trials=1, metric="sharpe"))


def test_two_worker_processes_share_one_sqlite_study(tmp_path: Path) -> None:
    result = run_sweep(spec(tmp_path, trials=6, workers=2))
    study = open_study(spec(tmp_path, trials=6, workers=2))
    numbers = [t.number for t in study.trials]
    assert len(numbers) == len(set(numbers))
    complete = [r for r in result.rows if r.state == "complete"]
    assert len(complete) == 6
    assert result.ran_here >= 6
