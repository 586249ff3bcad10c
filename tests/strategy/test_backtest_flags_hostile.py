"""Flags out of range are refused naming the flag, before any bar runs.

Before: ``--latency-ms -5`` (or a latency past the bar) was refused only once the run was being
set up, under the name ``backtest:`` instead of the flag."""

from __future__ import annotations

from pathlib import Path

import pytest

from console.cli import main

SMA = "core.strategy.examples.sma_cross:SmaCross"


@pytest.mark.parametrize("latency", ["-5", "60000", "999999999"])
def test_a_latency_outside_the_bar_names_the_flag(latency: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["backtest", SMA, "--fill", "through-book", "--latency-ms", latency, "--no-plots"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"--latency-ms: {latency} is not 0 .. 59999" in err


def test_a_symbol_the_venue_does_not_list_names_the_flag_and_leaves_no_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: ``backtest: symbol FOOUSDT: the in-process venue does not list it``, and the
    report folder made for the run stayed behind, empty (one per try under var/backtests)."""
    out = tmp_path / "report"
    argv = [
        "backtest",
        SMA,
        "--symbol",
        "FOOUSDT",
        "--to",
        "2026-01-01T00:10",
        "--no-plots",
        "--out",
        str(out),
    ]
    assert main(argv) == 2
    assert "--symbol: symbol FOOUSDT: the in-process venue does not list it" in capsys.readouterr().err
    assert not out.exists()
