"""Journal reader: table, CSV and the CLI entry."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from core.clock import FrozenClock
from core.journal.journal import Journal
from core.journal.reader import format_table, parse_since, run_journal_cli, to_csv

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z


@pytest.fixture
def path(tmp_path: Path) -> Path:
    p = tmp_path / "j.db"
    clock = FrozenClock(T0)
    j = Journal(p, clock)
    j.record("intent", symbol="BTCUSDT", order_link_id="a1", side="Buy", qty="0.01")
    clock.advance(3_600_000)
    j.record("ack", symbol="BTCUSDT", order_link_id="a1", order_id="123")
    clock.advance(3_600_000)
    j.record("intent", symbol="ETHUSDT", order_link_id="b1", note='comma, "quote"')
    j.close()
    return p


def test_format_table(path: Path) -> None:
    j = Journal(path, readonly=True)
    out = format_table(j.query())
    j.close()
    lines = out.splitlines()
    assert lines[0].split() == ["seq", "time", "kind", "symbol", "order_link_id", "data"]
    assert "2026-01-01T00:00:00.000Z" in lines[1] and "intent" in lines[1] and '"qty":"0.01"' in lines[1]
    assert lines[-1] == "(3 records)"


def test_to_csv_round_trips(path: Path) -> None:
    j = Journal(path, readonly=True)
    text = to_csv(j.query())
    j.close()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["kind"] for r in rows] == ["intent", "ack", "intent"]
    assert rows[2]["data"] == '{"note":"comma, \\"quote\\""}'
    assert rows[1]["time"] == "2026-01-01T01:00:00.000Z"


def test_parse_since() -> None:
    assert parse_since("5") == (4, None)
    assert parse_since("2026-01-01T01:00:00Z") == (None, T0 + 3_600_000)
    assert parse_since("2026-01-01") == (None, T0)
    assert parse_since("2026-01-01T02:00:00+01:00") == (None, T0 + 3_600_000)
    with pytest.raises(ValueError):
        parse_since("yesterday")


def test_cli(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_journal_cli(str(path), None, None, False) == 0
    assert "(3 records)" in capsys.readouterr().out
    assert run_journal_cli(str(path), "2", None, True) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["seq"] for r in rows] == ["2", "3"]
    assert run_journal_cli(str(path), "2026-01-01T01:00:00Z", "ETHUSDT", False) == 0
    out = capsys.readouterr().out
    assert "ETHUSDT" in out and "BTCUSDT" not in out and "(1 record)" in out
    assert run_journal_cli(str(path), "not-a-time", None, False) == 2
    assert "--since" in capsys.readouterr().err
    assert run_journal_cli(str(path.parent / "missing.db"), None, None, False) == 1
    assert not (path.parent / "missing.db").exists()
