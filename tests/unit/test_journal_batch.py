"""A throwaway journal (a backtest's) commits in batches: every record is written in order and read
back at once, the batch is committed every N records and at close, and a refused write keeps the
uncommitted records in the fallback file instead of losing them with the rolled-back transaction."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.clock import FrozenClock
from core.journal.journal import Journal
from tests.support.journal_fill import fill_journal

T0 = 1_767_225_600_000


def _on_disk(path: Path) -> list[str]:
    """What another connection sees (the committed records)."""
    with sqlite3.connect(path) as con:
        return [r[0] for r in con.execute("SELECT order_link_id FROM records ORDER BY seq")]


def test_records_are_read_at_once_and_committed_every_n_and_at_close(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    j = Journal(path, FrozenClock(T0))
    j.batch_commits(3)
    seqs = [j.record("ack", symbol="BTCUSDT", order_link_id=f"o{i}") for i in range(4)]
    assert seqs == sorted(seqs) and len(set(seqs)) == 4
    assert [r.order_link_id for r in j.query(kinds=["ack"])] == ["o0", "o1", "o2", "o3"]
    assert _on_disk(path) == ["o0", "o1", "o2"]  # the first batch of 3 is committed, o3 is not yet
    j.record_many([("intent", "BTCUSDT", "o4", {"qty": "1"}), ("risk_decision", "BTCUSDT", "o4", {})])
    j.close()
    assert _on_disk(path) == ["o0", "o1", "o2", "o3", "o4", "o4"]
    assert Journal(path, readonly=True).query()[-1].kind == "risk_decision"


def test_a_refused_write_keeps_the_uncommitted_records_in_the_fallback(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.db", FrozenClock(T0))
    fill_journal(j)
    j.batch_commits(100)
    j.record("ack", symbol="BTCUSDT", order_link_id="a", order_id="o1")  # may fit in the last leaf
    for i in range(5):
        j.record("fill", symbol="BTCUSDT", order_link_id="a", exec_id=f"e{i}", note="x" * 500)
    assert "full" in j.unwritable_reason
    kept = [(r[1], r[3]) for r in j.fallback.read()]
    assert ("ack", "a") in kept
    assert len([k for k in kept if k[0] == "fill"]) == 5
    j.close()
