"""`trade-console backtest` exposes the perp mechanics: --fill through-book with --latency-ms,
funding on by default with its rate source named (--funding-rate, --no-funding), and the stats
table/JSON carry funding paid and liquidations."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.cli import main

ARGV = ["backtest", "core.strategy.examples.sma_cross:SmaCross", "--params", "fast=3", "slow=8", "--no-plots"]
SPAN = ["--from", "2026-01-01T07:00", "--to", "2026-01-01T09:00"]  # crosses the 08:00 funding time


def _stats(out: Path) -> dict[str, object]:
    loaded = json.loads((out / "stats.json").read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_through_book_with_latency_and_default_funding(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "report"
    code = main([*ARGV, *SPAN, "--fill", "through-book", "--latency-ms", "50", "--out", str(out)])
    assert code == 0
    stats = _stats(out)
    assert stats["fill_model"] == "through-book, latency 50 ms"
    assert "constant rate 0.0001" in str(stats["funding"])
    assert "funding_paid" in stats and stats["liquidations"] == 0
    assert isinstance(stats["funding_settlements"], int)
    printed = capsys.readouterr().out
    assert "liquidations" in printed and "funding_paid" in printed


def test_no_funding_is_named_off(tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert main([*ARGV, *SPAN, "--no-funding", "--out", str(out)]) == 0
    stats = _stats(out)
    assert stats["funding"] == "off" and stats["funding_settlements"] == 0


def test_a_bad_rate_or_latency_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*ARGV, *SPAN, "--funding-rate", "1e9x"]) == 2
    assert "--funding-rate" in capsys.readouterr().err
    assert main([*ARGV, *SPAN, "--fill", "through-book", "--latency-ms", "60000"]) == 2
    assert "latency" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("typed", "says"),
    [("1e-4", "no exponents"), ("0,0001", "use . as the decimal point"), ("1_0", "no separators")],
)
def test_a_funding_rate_is_typed_as_every_number_is(
    typed: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--funding-rate 1e-4`` was taken while ``--params`` refuses exponents: one rule for every
    number a trader types."""
    assert main([*ARGV, *SPAN, "--funding-rate", typed]) == 2
    err = capsys.readouterr().err
    assert "--funding-rate" in err and says in err, err


def test_a_negative_funding_rate_is_still_a_rate(tmp_path: Path) -> None:
    out = tmp_path / "report"
    assert main([*ARGV, *SPAN, "--funding-rate", "-0.0001", "--out", str(out)]) == 0
