"""Sweeps on Optuna: a known best is found, a stopped sweep resumes, worker processes share a study."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.strategy.sweep import open_study, run_sweep, write_csv
from tests.support.sweep_hold import spec


def test_a_tiny_sweep_finds_the_known_best(tmp_path: Path) -> None:
    """Eight trials asked of a space of six combinations: each is tried once, and that is all."""
    result = run_sweep(spec(tmp_path, trials=8))
    assert len(result.rows) == 6
    assert len({tuple(sorted(r.params.items())) for r in result.rows}) == 6
    assert result.best is not None
    assert result.best.params == {"side": "long", "qty": "0.02"}
    values = [r.value for r in result.rows if r.value is not None]
    assert result.best.value == max(values)
    assert {r.attrs["seed"] for r in result.rows} == {7 + r.number for r in result.rows}
    csv = write_csv(result, tmp_path / "out" / "sweep.csv").read_text().splitlines()
    assert csv[0].startswith("number,state,total_return,seed,side,qty")
    assert csv[1].startswith(f"{result.best.number},complete,")


def test_a_stopped_sweep_resumes_to_the_total(tmp_path: Path) -> None:
    """A sweep run again to a larger total tries only the combinations it lacks (a proposal of
    one already tried is not run again, and not counted)."""
    first = run_sweep(spec(tmp_path, trials=3))
    assert len(first.rows) == 3
    again = run_sweep(spec(tmp_path, trials=5))
    assert again.ran_here == 2
    assert len(again.rows) == 5
    assert len({tuple(sorted(r.params.items())) for r in again.rows}) == 5
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
