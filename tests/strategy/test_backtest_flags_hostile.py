"""Flags out of range are refused naming the flag, before any bar runs.

Before: ``--latency-ms -5`` (or a latency past the bar) was refused only once the run was being
set up, under the name ``backtest:`` instead of the flag."""

from __future__ import annotations

import pytest

from console.cli import main

SMA = "core.strategy.examples.sma_cross:SmaCross"


@pytest.mark.parametrize("latency", ["-5", "60000", "999999999"])
def test_a_latency_outside_the_bar_names_the_flag(latency: str, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["backtest", SMA, "--fill", "through-book", "--latency-ms", latency, "--no-plots"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"--latency-ms: {latency} is not 0 .. 59999" in err
