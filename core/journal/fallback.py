"""Where journal records go while SQLite cannot take them (a full disk, an I/O error).

Risk-reducing actions (cancel, reduce-only close, panic) must still go out when the journal's
database refuses writes, and they must still leave a durable trace. :class:`FallbackLog` is that
trace: an append-only JSON-lines file next to the journal (``journal.db.fallback.jsonl``), one
record per line, fsynced after every append. When the database is writable again the journal
replays the pending records into SQLite and removes the file; a file left behind by a crash is
imported the next time the journal opens.

Each record carries a unique ``_fallback`` id inside its data, so an import that is repeated
(a crash between the replay's commit and the file's removal) never duplicates a record.
"""

from __future__ import annotations

import itertools
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import orjson

log = logging.getLogger(__name__)

FALLBACK_SUFFIX = ".fallback.jsonl"
FALLBACK_KEY = "_fallback"
"""The data key holding a fallback record's unique id."""

Row = tuple[int, str, str, str, str]
"""(ts_ms, kind, symbol, order_link_id, data JSON): one journal row, ready to insert."""

_ids = itertools.count(1)


def fallback_path(journal_path: str) -> Path | None:
    """The fallback file of a journal (None for an in-memory journal)."""
    if journal_path == ":memory:" or journal_path.startswith("file:"):
        return None
    return Path(journal_path + FALLBACK_SUFFIX)


def tag_row(row: Row) -> Row:
    """``row`` with a fresh unique fallback id added to its data."""
    ts, kind, symbol, link, data = row
    payload = orjson.loads(data)
    if not isinstance(payload, dict):
        payload = {"value": payload}
    payload.setdefault(FALLBACK_KEY, f"{os.getpid()}-{time.time_ns()}-{next(_ids)}")
    return ts, kind, symbol, link, orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS).decode()


def fallback_id(row: Row) -> str:
    """The fallback id in a tagged row's data ("" when it has none)."""
    payload = orjson.loads(row[4])
    return str(payload.get(FALLBACK_KEY, "")) if isinstance(payload, dict) else ""


@dataclass(slots=True)
class FallbackLog:
    """Append-only, fsynced JSON-lines file of journal rows SQLite could not take."""

    path: Path | None
    appended: int = 0
    failed_appends: int = 0

    def append(self, rows: list[Row], reason: str) -> bool:
        """Write ``rows`` durably; False (logged, never raised) when the file cannot be written."""
        if self.path is None:
            return False
        lines = b"".join(
            orjson.dumps(
                {"ts_ms": ts, "kind": kind, "symbol": sym, "order_link_id": link, "data": data, "why": reason}
            )
            + b"\n"
            for ts, kind, sym, link, data in rows
        )
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, lines)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            self.failed_appends += len(rows)
            log.critical(
                "journal fallback %s not writable either (%s): %d record(s) kept in memory only: %s",
                self.path,
                exc.strerror or exc,
                len(rows),
                ", ".join(kind for _, kind, _, _, _ in rows),
            )
            return False
        self.appended += len(rows)
        return True

    def read(self) -> list[Row]:
        """Every complete row in the file (a torn last line from a crash is skipped, logged)."""
        if self.path is None or not self.path.exists():
            return []
        rows: list[Row] = []
        for n, line in enumerate(self.path.read_bytes().splitlines(), 1):
            if not line.strip():
                continue
            try:
                obj = orjson.loads(line)
                rows.append(
                    (int(obj["ts_ms"]), str(obj["kind"]), obj["symbol"], obj["order_link_id"], obj["data"])
                )
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                log.warning("journal fallback %s line %d unreadable, skipped: %s", self.path, n, exc)
        return rows

    def remove(self) -> None:
        """Delete the file once its rows are safely in SQLite."""
        if self.path is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            log.error("journal fallback %s could not be removed: %s", self.path, exc)
