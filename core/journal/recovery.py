"""Opening the journal's SQLite file safely: damage is detected, kept aside and explained.

A journal file can be damaged between runs: truncated, overwritten with garbage, another program's
database or an older/newer layout, emptied to zero bytes, or left without the write-ahead log that
held its last records (``journal.db-wal`` deleted after a crash). :func:`open_checked` finds each
of these before the engine relies on the file:

* a file SQLite cannot read, whose integrity check fails, or whose tables are not the journal's
  is **renamed aside** with a timestamp (``journal.db.damaged-20250101T120000Z``, with its
  ``-wal``/``-shm``) and a fresh journal is started in its place;
* an empty file is renamed aside the same way (its records are gone);
* a journal the last run did not close whose write-ahead log is missing is kept (what it holds is
  sound) but reported: the records written after its last checkpoint are lost.

Each case yields a :class:`JournalRecovery` saying what happened and what to do; the engine logs
it and reconciles the venue's open orders into the journal. What cannot be fixed by starting a
fresh file (a directory in the way, no permission, a journal written by a newer version) raises
:class:`JournalOpenError` with the path and the fix.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from core.journal.schema import COLUMNS, PRAGMAS, SCHEMA, SCHEMA_VERSION

log = logging.getLogger(__name__)

SIDE_FILES = ("-wal", "-shm")
"""SQLite's companions of a WAL-mode database file."""


class JournalOpenError(RuntimeError):
    """The journal cannot be opened; the message names the path, SQLite's reason and the fix."""


@dataclass(frozen=True, slots=True)
class JournalRecovery:
    """What was wrong with the journal file at open and what was done about it."""

    path: str
    problem: str
    kept_as: str = ""
    """Where the damaged file now is ("" when it was kept in place)."""
    salvageable: bool = True
    """Whether the file kept aside may still hold records worth recovering."""

    def message(self) -> str:
        """One paragraph for the log and the console: what happened and what to do."""
        if self.kept_as:
            done = f"it was kept as {self.kept_as} and a new journal started"
            if self.salvageable:
                done += f". To look at what it still holds: sqlite3 {self.kept_as} .recover"
        else:
            done = "the file was kept and the journal goes on in it"
        return (
            f"journal {self.path}: {self.problem}; {done}. Orders the venue has that the journal "
            "does not know are reconciled into it at start; check the open orders and positions."
        )


def _connect(path: str) -> sqlite3.Connection:
    return sqlite3.connect(path, check_same_thread=False, isolation_level=None)


def _create_file(p: Path) -> None:
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        if not p.exists():
            os.close(os.open(p, os.O_CREAT | os.O_WRONLY, 0o600))
    except OSError as exc:
        raise JournalOpenError(
            f"journal {p} cannot be created ({exc.strerror or exc}); set journal.path to a writable file"
        ) from None


def _layout_problem(conn: sqlite3.Connection) -> str:
    """Why the open database is not a journal this version can use ("" when it is)."""
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        return f"newer:{version}"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    tables.discard("sqlite_sequence")
    if "records" not in tables:
        return f"holds no journal records table but {', '.join(sorted(tables))}" if tables else ""
    columns = tuple(r[1] for r in conn.execute("PRAGMA table_info(records)"))
    if columns != COLUMNS:
        return (
            f"its records table has columns ({', '.join(columns)}), not the journal's ({', '.join(COLUMNS)})"
        )
    return ""


def _check(conn: sqlite3.Connection) -> str:
    """The damage SQLite finds in the file ("" when it is sound and has the journal's layout)."""
    try:  # read only: a file that is not a sound journal is moved aside exactly as it was
        verdict = [r[0] for r in conn.execute("PRAGMA quick_check(5)")]
        if verdict != ["ok"]:
            return "it is damaged (SQLite's integrity check: " + "; ".join(verdict) + ")"
        problem = _layout_problem(conn)
        if not problem:
            for pragma in PRAGMAS:
                conn.execute(pragma)
        return problem
    except sqlite3.DatabaseError as exc:
        return f"SQLite cannot read it ({exc})"


def _aside_name(p: Path) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    aside = p.with_name(f"{p.name}.damaged-{stamp}")
    n = 1
    while aside.exists():
        aside, n = p.with_name(f"{p.name}.damaged-{stamp}-{n}"), n + 1
    return aside


def move_aside(p: Path) -> Path:
    """Rename the journal file and its ``-wal``/``-shm`` out of the way; returns the new name."""
    aside = _aside_name(p)
    try:
        p.rename(aside)
        for suffix in SIDE_FILES:
            side = Path(f"{p}{suffix}")
            if side.exists():
                side.rename(Path(f"{aside}{suffix}"))
    except OSError as exc:
        raise JournalOpenError(
            f"journal {p} is damaged and could not be moved aside ({exc.strerror or exc}); "
            f"move it away yourself (mv {p} {aside}) and start again"
        ) from None
    return aside


def _prepare(conn: sqlite3.Connection) -> bool:
    """Create the schema, mark the journal open (checkpointed into the main file).

    Returns whether the previous run had left it marked open (did not close it).
    """
    conn.executescript(SCHEMA)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    row = conn.execute("SELECT open FROM journal_state WHERE id = 1").fetchone()
    conn.execute("INSERT INTO journal_state (id, open) VALUES (1, 1) ON CONFLICT(id) DO UPDATE SET open = 1")
    # The open mark must reach the main file: were the WAL then lost, the next open still sees it.
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    return bool(row and row[0])


def mark_closed(conn: sqlite3.Connection) -> None:
    """Record a clean close (the next open then knows a missing WAL lost nothing)."""
    try:
        conn.execute("UPDATE journal_state SET open = 0 WHERE id = 1")
    except sqlite3.Error as exc:
        log.warning("journal: clean close not recorded (%s); the next start may report a lost WAL", exc)


def _fresh(p: Path) -> sqlite3.Connection:
    _create_file(p)
    conn = _connect(str(p))
    for pragma in PRAGMAS:
        conn.execute(pragma)
    return conn


def _open_sound(p: Path) -> tuple[sqlite3.Connection, JournalRecovery | None]:
    """A connection to a sound journal at ``p``: a damaged file is moved aside for a fresh one."""
    _create_file(p)
    conn = _connect(str(p))
    problem = _check(conn)
    if not problem:
        return conn, None
    conn.close()
    if problem.startswith("newer:"):
        raise JournalOpenError(
            f"journal {p} was written by a newer version (schema {problem[6:]}, this one reads "
            f"{SCHEMA_VERSION}); run that version, or set journal.path to another file"
        )
    aside = move_aside(p)
    return _fresh(p), JournalRecovery(str(p), problem, str(aside))


def open_checked(path: str) -> tuple[sqlite3.Connection, JournalRecovery | None]:
    """Open (or create) the journal at ``path``, ready for writes; damage is handled as described."""
    if path == ":memory:":
        conn = _connect(path)
        for pragma in PRAGMAS:
            conn.execute(pragma)
        _prepare(conn)
        return conn, None
    p = Path(path)
    if p.is_dir():
        example = p / "journal.db"
        raise JournalOpenError(f"journal {p} is a directory; set journal.path to a file, e.g. {example}")
    recovery: JournalRecovery | None = None
    if p.exists() and p.stat().st_size == 0:
        lost = "the file was empty (0 bytes): every record it held is lost"
        recovery = JournalRecovery(path, lost, str(move_aside(p)), salvageable=False)
    wal_present = Path(f"{p}-wal").exists()
    conn, damaged = _open_sound(p)
    recovery = damaged or recovery
    try:
        left_open = _prepare(conn)
    except sqlite3.Error as exc:
        conn.close()
        fix = "free space or fix its permissions"
        raise JournalOpenError(f"journal {p} cannot be written ({exc}); {fix}") from None
    if left_open and not wal_present and recovery is None:
        recovery = JournalRecovery(
            path,
            "the last run did not close it and its write-ahead log "
            f"({p.name}-wal) is missing: the records written after its last checkpoint are lost",
        )
    return conn, recovery


def open_readonly(path: str) -> sqlite3.Connection:
    """A read-only connection; a missing, unreadable or damaged file raises :class:`JournalOpenError`."""
    p = Path(path)
    if not p.is_file():
        what = "is a directory" if p.is_dir() else "does not exist"
        raise JournalOpenError(f"journal {p} {what}; give the path of a journal file (journal.path)")
    conn = sqlite3.connect(
        f"file:{p.resolve()}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
    )
    try:
        problem = _layout_problem(conn)
        conn.execute("SELECT seq FROM records LIMIT 1").fetchall()
    except sqlite3.DatabaseError as exc:
        problem = f"SQLite cannot read it ({exc})"
    if problem:
        conn.close()
        if problem.startswith("newer:"):
            problem = f"written by a newer version (schema {problem[6:]})"
        raise JournalOpenError(
            f"journal {p}: {problem}; the console moves a damaged journal aside when it starts, "
            f"or try: sqlite3 {p} .recover"
        )
    return conn
