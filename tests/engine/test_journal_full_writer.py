"""The journal on a full database: SQLite's real SQLITE_FULL, made with ``PRAGMA max_page_count``
(:func:`tests.support.journal_fill.fill_journal`): the genuine "database or disk is full" error,
with no mock in the way.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from core.clock import FrozenClock
from core.journal.journal import Journal, JournalUnwritable
from tests.support.journal_fill import fill_journal, make_room


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    j = Journal(tmp_path / "j.db", FrozenClock(1_767_225_600_000))
    j.record("start", mode="sim")
    return j


def kinds(j: Journal) -> list[str]:
    return [r.kind for r in j.query() if r.kind]


def test_full_database_gives_sqlites_reason_not_a_rollback_error(journal: Journal) -> None:
    """Old code: a multi-record write on a full disk raised "cannot rollback - no transaction is active"."""
    fill_journal(journal)
    entries: list[tuple[str, str, str, dict[str, object]]] = [
        ("intent", "BTCUSDT", "a1", {"qty": "1"}),
        ("risk_decision", "BTCUSDT", "a1", {"approved": True}),
    ]
    with pytest.raises(JournalUnwritable, match="journal unwritable: database or disk is full"):
        journal.record_many(entries, required=True)
    assert journal.unwritable_reason == "database or disk is full"
    assert not journal._conn.in_transaction
    assert "intent" not in kinds(journal)  # all or nothing
    journal.close()


def test_unrequired_write_goes_to_the_fallback_and_is_replayed(journal: Journal) -> None:
    states: list[str] = []
    journal.on_state = states.append
    fill_journal(journal)
    assert journal.record("cancel", symbol="BTCUSDT", order_link_id="a1") == 0
    assert journal.record("request", symbol="BTCUSDT", order_link_id="a1", action="cancel") == 0
    assert states == ["database or disk is full"]  # said once, loudly, not per record
    path = journal.fallback.path
    assert path is not None and len(path.read_text().splitlines()) == 2
    assert journal.pending_fallback == 2
    assert journal.probe(force=True)  # still full
    make_room(journal)
    assert journal.probe(force=True) == ""
    assert states == ["database or disk is full", ""]
    assert kinds(journal) == ["start", "cancel", "request"]  # in order, nothing lost
    assert not path.exists() and journal.pending_fallback == 0
    journal.close()


def test_probe_writes_and_notices_a_full_database(journal: Journal) -> None:
    """Old code: health ran SELECT 1, which a full database answers happily."""
    assert journal.probe(force=True) == ""
    fill_journal(journal)
    assert "database or disk is full" in journal.probe(force=True)
    assert not journal.healthy()
    make_room(journal)
    assert journal.probe(force=True) == ""
    journal.close()


def test_a_fallback_left_by_a_crash_is_imported_exactly_once(journal: Journal, tmp_path: Path) -> None:
    fill_journal(journal)
    journal.record("panic_step", step="close", detail="BTCUSDT Buy 0.02: sent")
    path = journal.fallback.path
    assert path is not None
    kept = tmp_path / "kept.jsonl"
    shutil.copy(path, kept)
    journal.close()  # the process dies with the record only in the fallback file

    again = Journal(tmp_path / "j.db", FrozenClock(1_767_225_700_000))
    assert kinds(again).count("panic_step") == 1
    assert not path.exists()
    again.close()
    shutil.copy(kept, path)  # a crash between the import's commit and the file's removal
    third = Journal(tmp_path / "j.db", FrozenClock(1_767_225_800_000))
    assert kinds(third).count("panic_step") == 1
    third.close()


def test_required_write_on_a_failed_journal_flushes_the_fallback_first(journal: Journal) -> None:
    fill_journal(journal)
    journal.record("cancel", order_link_id="a1")
    make_room(journal)
    journal.record_many([("intent", "BTCUSDT", "b1", {})], required=True)
    assert kinds(journal)[-2:] == ["cancel", "intent"]
    assert journal.unwritable_reason == ""
    journal.close()
