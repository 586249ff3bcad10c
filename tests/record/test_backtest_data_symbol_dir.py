"""``backtest --data DIR/<SYMBOL>``: one symbol's folder of a recording, as ``docs/backtest.md`` and
``core.strategy.data`` take it, runs like ``--data DIR --symbol SYMBOL``; a folder of another
symbol than ``--symbol`` is refused naming both.

Before: ``--data DIR/BTCUSDT`` was refused as "not a recording (no manifest.json)"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.cli import main
from tests.support.walk_recording import MINUTES, walk_recording

RANGE = ["--from", "2026-01-01T00:00", "--to", "2026-01-01T03:00", "--no-plots"]


def test_a_symbols_folder_of_a_recording_is_backtested(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = walk_recording(tmp_path / "rec")
    report = tmp_path / "report"
    argv = ["backtest", "core.strategy.examples.sma_cross:SmaCross", "--data", str(rec / "BTCUSDT")]
    assert main([*argv, *RANGE, "--params", "fast=3", "slow=8", "--out", str(report)]) == 0, (
        capsys.readouterr()
    )
    assert json.loads((report / "stats.json").read_text())["bars"] == MINUTES


def test_a_symbols_folder_and_another_symbol_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rec = walk_recording(tmp_path / "rec")
    (rec / "ETHUSDT").mkdir(exist_ok=True)  # the recorder's folder of a symbol that saw no trade yet
    argv = ["backtest", "core.strategy.examples.sma_cross:SmaCross", "--data", str(rec / "ETHUSDT")]
    assert main([*argv, *RANGE, "--symbol", "BTCUSDT", "--out", str(tmp_path / "report")]) == 2
    err = capsys.readouterr().err
    assert "is the recording of ETHUSDT, not --symbol BTCUSDT: give --symbol ETHUSDT" in err
