"""``trade-console backtest --data DIR`` runs a strategy on bars built from a recording."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.cli import main
from core.record.format import RecordingWriter, TradeRec, read_symbol
from core.record.recorder import RecordResult
from core.strategy.data import recorded_bars
from tests.support.walk_recording import MINUTE_MS, MINUTES, START_MS, walk_recording


def test_bars_follow_the_recorded_trades(recording: RecordResult) -> None:
    trades = [r for r in read_symbol(recording.out, "ETHUSDT") if isinstance(r, TradeRec)]
    bars = list(recorded_bars(recording.out, "ETHUSDT", whole_only=False))  # every trade in a bar
    assert bars
    assert sum(b.volume for b in bars) == pytest.approx(sum(float(t.qty) for t in trades))
    first = [t for t in trades if t.ts_ms - t.ts_ms % MINUTE_MS == bars[0].ts_ms]
    assert bars[0].open == float(first[0].price)
    assert bars[0].close == float(first[-1].price)
    assert bars[0].high == max(float(t.price) for t in first)


def test_backtest_runs_an_example_strategy_on_recorded_bars(tmp_path: Path) -> None:
    rec = walk_recording(tmp_path / "rec")
    report = tmp_path / "report"
    argv = ["backtest", "core/strategy/examples/sma_cross.py", "--data", str(rec), "--symbol", "BTCUSDT"]
    argv += ["--from", "2026-01-01T00:00", "--to", "2026-01-01T03:00", "--no-plots", "--out", str(report)]
    argv += ["--params", "fast=3", "slow=8"]
    assert main(argv) == 0
    stats = json.loads((report / "stats.json").read_text())
    assert stats["bars"] == MINUTES
    assert stats["fills"] > 0


@pytest.mark.parametrize("given", [[], ["--from", "2026-01-01T01:00"], ["--to", "2026-01-01T01:00"]])
def test_without_from_or_to_a_backtest_takes_the_recordings_own_span(
    tmp_path: Path, given: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """``--from``/``--to`` defaulted to 2026-01-01 .. 2026-01-02: a recording made on any other day
    was refused as "misses the recording" unless the trader typed its times."""
    rec = walk_recording(tmp_path / "rec")
    report = tmp_path / "report"
    argv = ["backtest", "core/strategy/examples/sma_cross.py", "--data", str(rec), "--symbol", "BTCUSDT"]
    argv += [*given, "--no-plots", "--out", str(report), "--params", "fast=3", "slow=8"]
    assert main(argv) == 0
    bars = json.loads((report / "stats.json").read_text())["bars"]
    assert bars == (MINUTES if not given else 60 if "--to" in given else MINUTES - 60)
    title = "2026-01-01T00:00:00" if "--from" not in given else "2026-01-01T01:00:00"
    assert f"BTCUSDT {title} .. " in capsys.readouterr().out


def test_a_csv_without_from_or_to_is_backtested_whole(tmp_path: Path) -> None:
    csv_path = tmp_path / "bars.csv"
    rows = ["ts,open,high,low,close,volume"]
    rows += [f"{START_MS + n * MINUTE_MS},100,107,99,{100 + n % 7},1" for n in range(90)]
    csv_path.write_text("\n".join(rows) + "\n")
    report = tmp_path / "report"
    argv = ["backtest", "core/strategy/examples/sma_cross.py", "--data", str(csv_path), "--no-plots"]
    assert main([*argv, "--out", str(report), "--params", "fast=3", "slow=8"]) == 0
    assert json.loads((report / "stats.json").read_text())["bars"] == 90


def test_backtest_data_errors_name_the_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rec = walk_recording(tmp_path / "rec")
    base = ["backtest", "core/strategy/examples/sma_cross.py", "--no-plots", "--out", str(tmp_path / "r")]
    assert main([*base, "--data", str(tmp_path / "missing")]) == 2
    assert "missing" in capsys.readouterr().err
    assert main([*base, "--data", str(rec), "--symbol", "SOLUSDT"]) == 2
    assert "no recording of SOLUSDT" in capsys.readouterr().err
    assert main([*base, "--data", str(rec), "--from", "2025-01-01", "--to", "2025-01-02"]) == 2
    assert "misses the recording (2026-01-01T00:00:00 .. 2026-01-01T03:00:00 UTC)" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main([*base, "--data", str(tmp_path / "empty")]) == 2
    assert "not a recording (no manifest.json)" in capsys.readouterr().err


def test_the_minutes_a_recording_covers_only_in_part_are_no_bars(tmp_path: Path) -> None:
    """A recording from 00:00:49 to 00:03:49 covers 00:01 and 00:02 whole; 00:00 (its last 11 s)
    and 00:03 (its first 49 s) would be bars of a few seconds' trades, narrower and thinner than
    the market's, so they are left out. Found backtesting a three-minute recording: four bars,
    the first of 11 s and the last of 49 s."""
    rec = tmp_path / "rec"
    writer = RecordingWriter(rec, "sim", ("BTCUSDT",))
    begin = START_MS + 49_000
    for n in range(37):  # a trade every 5 s from 00:00:49 to 00:03:49
        ts = begin + n * 5_000
        writer.write(TradeRec(ts + 3, "BTCUSDT", ts, "Buy", f"{60_000 + n}.0", "0.010", str(n)))
    writer.close()
    bars = list(recorded_bars(rec, "BTCUSDT"))
    assert [b.ts_ms for b in bars] == [START_MS + MINUTE_MS, START_MS + 2 * MINUTE_MS]
    assert [b.volume for b in bars] == pytest.approx([0.12, 0.12])  # twelve trades each
    every = list(recorded_bars(rec, "BTCUSDT", whole_only=False))
    assert [b.ts_ms for b in every] == [START_MS + k * MINUTE_MS for k in range(4)]
