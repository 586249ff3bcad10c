"""`trade-console journal` reads the journal: filters and CSV."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from console.cli import main
from core.clock import FrozenClock
from core.journal.journal import Journal


def _journal(path: Path) -> None:
    clock = FrozenClock(1_767_225_600_000)
    j = Journal(path, clock)
    j.record("intent", symbol="BTCUSDT", order_link_id="tc-1", side="Buy", qty="0.01")
    clock.advance(1000)
    j.record("ack", symbol="BTCUSDT", order_link_id="tc-1", order_id="o-1")
    clock.advance(1000)
    j.record("intent", symbol="ETHUSDT", order_link_id="tc-2", side="Sell", qty="1")
    j.close()


def test_journal_cli_table_symbol_since_and_csv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "j.db"
    _journal(path)
    assert main(["journal", "--path", str(path)]) == 0
    out = capsys.readouterr().out
    assert "tc-1" in out and "tc-2" in out and "ack" in out

    assert main(["journal", "--path", str(path), "--symbol", "ETHUSDT"]) == 0
    out = capsys.readouterr().out
    assert "tc-2" in out and "tc-1" not in out

    assert main(["journal", "--path", str(path), "--since", "2", "--csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["kind"] for r in rows] == ["ack", "intent"]
    assert rows[0]["order_link_id"] == "tc-1"

    assert main(["journal", "--path", str(path), "--since", "2026-01-01T00:00:01.500Z"]) == 0
    out = capsys.readouterr().out
    assert "tc-2" in out and "tc-1" not in out
    assert main(["journal", "--path", str(path), "--since", "yesterday"]) == 2
