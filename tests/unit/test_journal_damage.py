"""A damaged journal file is detected at open, kept aside untouched, explained, and replaced.

Truncated, garbage, another program's database, a records table of another shape and an emptied
file each used to stop start-up with a raw sqlite3 error or pass as a clean, empty journal. A
write-ahead log deleted after a crash lost records silently. Now each is named, with the path
and what to do, and the journal goes on.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from console.cli import main
from core.journal.journal import Journal
from core.journal.recovery import JournalOpenError
from core.journal.schema import SCHEMA_VERSION

REPO = Path(__file__).resolve().parents[2]


def healthy(path: Path, n: int = 400) -> Path:
    with Journal(path) as j:
        for i in range(n):
            j.record("intent", symbol="BTCUSDT", order_link_id=f"ok-{i}", qty="0.001", pad="x" * 200)
    return path


def truncated(path: Path) -> None:
    healthy(path)
    os.truncate(path, path.stat().st_size // 2)


def garbage(path: Path) -> None:
    path.write_bytes(bytes(range(256)) * 32)


def garbage_header(path: Path) -> None:
    """A real journal whose first page is overwritten (the header is gone)."""
    healthy(path)
    with path.open("r+b") as f:
        f.write(b"\x00" * 100)


def sql(path: Path, *statements: str) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def wrong_columns(path: Path) -> None:
    sql(path, "CREATE TABLE records (id INTEGER, body TEXT)", "INSERT INTO records VALUES (1, 'x')")


def other_program(path: Path) -> None:
    sql(path, "CREATE TABLE bookmarks (url TEXT)")


def emptied(path: Path) -> None:
    path.write_bytes(b"")


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "truncated": (truncated, "SQLite cannot read it"),
    "garbage": (garbage, "SQLite cannot read it (file is not a database)"),
    "garbage_header": (garbage_header, "SQLite cannot read it"),
    "wrong_columns": (wrong_columns, "its records table has columns (id, body), not the journal's"),
    "other_program": (other_program, "holds no journal records table but bookmarks"),
    "emptied": (emptied, "the file was empty (0 bytes)"),
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_damaged_file_is_kept_aside_and_a_new_journal_starts(
    kind: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "journal.db"
    damage, problem = DAMAGE[kind]
    damage(path)
    original = path.read_bytes()

    j = Journal(path)
    try:
        rec = j.recovery
        assert rec is not None and problem in rec.problem, rec
        aside = Path(rec.kept_as)
        assert aside.parent == tmp_path and aside.name.startswith("journal.db.damaged-20")
        assert aside.read_bytes() == original  # kept exactly as it was
        message = rec.message()
        assert str(path) in message and str(aside) in message
        assert "reconciled" in message
        assert (".recover" in message) is (kind != "emptied")
        assert message in caplog.text
        # the new journal works and says what happened first
        first = j.query()[0]
        assert first.kind == "journal_recovery" and first.data["kept_as"] == str(aside)
        assert j.record("intent", order_link_id="after") > first.seq
    finally:
        j.close()
    with Journal(path) as again:  # the fresh journal reopens cleanly
        assert again.recovery is None
        assert [r.kind for r in again.query()] == ["journal_recovery", "intent"]


def test_sound_journal_is_left_alone(tmp_path: Path) -> None:
    path = healthy(tmp_path / "journal.db", 50)
    with Journal(path) as j:
        assert j.recovery is None and j.last_seq() == 50
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.db"]


WRITER = textwrap.dedent(
    """
    import os, signal, sys
    from core.journal.journal import Journal
    j = Journal(sys.argv[1])
    for i in range(int(sys.argv[2])):
        j.record("intent", symbol="BTCUSDT", order_link_id=f"w-{i}", i=i)
    os.kill(os.getpid(), signal.SIGKILL)
    """
)


def crash_writer(path: Path, n: int) -> None:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, "-c", WRITER, str(path), str(n)], env=env, cwd=REPO, check=False)
    assert proc.returncode == -signal.SIGKILL


def test_missing_wal_after_a_crash_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    crash_writer(path, 40)
    wal = Path(f"{path}-wal")
    assert wal.exists()
    wal.unlink()
    Path(f"{path}-shm").unlink(missing_ok=True)
    with Journal(path) as j:
        rec = j.recovery
        assert rec is not None and rec.kept_as == ""
        assert "did not close it" in rec.problem and "journal.db-wal" in rec.problem
        assert "lost" in rec.problem
        assert j.query(kinds=["journal_recovery"])


def test_wal_present_after_a_crash_is_no_damage(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    crash_writer(path, 40)
    with Journal(path) as j:
        assert j.recovery is None
        assert len(j.query(kinds=["intent"])) == 40


def test_clean_close_then_missing_wal_is_no_damage(tmp_path: Path) -> None:
    path = healthy(tmp_path / "journal.db", 10)
    assert not Path(f"{path}-wal").exists()  # a clean close checkpoints and removes it
    with Journal(path) as j:
        assert j.recovery is None


def test_newer_journal_is_refused_not_moved(tmp_path: Path) -> None:
    path = healthy(tmp_path / "journal.db", 5)
    sql(path, f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    with pytest.raises(JournalOpenError) as info:
        Journal(path)
    assert str(path) in str(info.value) and "newer version" in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["journal.db"]


def test_journal_path_that_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(JournalOpenError) as info:
        Journal(tmp_path)
    assert "is a directory; set journal.path to a file" in str(info.value)


@pytest.mark.parametrize("kind", ["truncated", "garbage", "wrong_columns"])
def test_journal_command_on_a_damaged_file_says_what_to_do(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "journal.db"
    DAMAGE[kind][0](path)
    before = path.read_bytes()
    code = main(["journal", "--path", str(path)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"journal {path}: " in err and ".recover" in err
    assert "Traceback" not in err
    assert path.read_bytes() == before  # reading never moves or changes it


def test_fallback_rows_survive_a_damaged_database(tmp_path: Path) -> None:
    """Records a full disk diverted to the fallback file are imported into the new journal."""
    path = tmp_path / "journal.db"
    fallback = Path(f"{path}.fallback.jsonl")
    with Journal(path) as j:
        j.record("intent", order_link_id="kept")
    shutil.copy(path, tmp_path / "copy.db")
    fallback.write_text(
        '{"ts_ms": 1, "kind": "cancel", "symbol": "BTCUSDT", "order_link_id": "c-1", '
        '"data": "{\\"_fallback\\": \\"f-1\\"}", "why": "database or disk is full"}\n'
    )
    garbage(path)
    with Journal(path) as j:
        assert j.recovery is not None
        assert [r.order_link_id for r in j.query(kinds=["cancel"])] == ["c-1"]
