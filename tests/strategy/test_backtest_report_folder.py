"""A report folder used twice, or by two runs at once, holds one run's report, never a mix.

Before: a second run with ``--no-plots`` into a folder of an earlier run left that run's
``equity.png`` and ``drawdown.png`` beside the new stats; and two runs finishing together wrote
their files interleaved, so ``stats.json`` could be one run's and the plots the other's."""

from __future__ import annotations

import fcntl
import json
import os
import threading
from pathlib import Path

import pytest

from console.cli import main

SMA = "core.strategy.examples.sma_cross:SmaCross"
RUN = ["backtest", SMA, "--from", "2026-01-01T00:00", "--to", "2026-01-01T01:00"]


def test_a_run_without_plots_removes_an_earlier_runs_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*RUN, "--params", "fast=3", "slow=8", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "equity.png").is_file() and (tmp_path / "drawdown.png").is_file()
    assert main([*RUN, "--params", "fast=4", "slow=9", "--no-plots", "--out", str(tmp_path)]) == 0
    capsys.readouterr()
    assert not (tmp_path / "equity.png").exists() and not (tmp_path / "drawdown.png").exists()
    assert json.loads((tmp_path / "stats.json").read_text())["params"]["fast"] == "4"


def test_a_run_writes_its_report_after_another_writer_is_done(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The test holds the folder as another run writing its report would, and writes that run's
    files; the CLI's run, started meanwhile, writes its whole report after, over all of them."""
    argv = [*RUN, "--params", "fast=3", "slow=8", "--no-plots", "--out", str(tmp_path)]
    codes: list[int] = []
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        runner = threading.Thread(target=lambda: codes.append(main(argv)))
        runner.start()
        for name in ("stats.json", "trades.csv", "equity.csv", "equity.png"):
            (tmp_path / name).write_text("the other run's\n")
    finally:
        os.close(fd)
    runner.join()
    capsys.readouterr()
    assert codes == [0]
    assert json.loads((tmp_path / "stats.json").read_text())["params"]["fast"] == "3"
    assert (tmp_path / "trades.csv").read_text().startswith("ts_ms,side")
    assert (tmp_path / "equity.csv").read_text().startswith("ts_ms,equity")
    assert not (tmp_path / "equity.png").exists()
