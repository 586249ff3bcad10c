"""The journal's SQLite schema and pragmas (one append-only table of records)."""

from __future__ import annotations

SCHEMA_VERSION = 1

PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=FULL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
)

# ``seq`` is AUTOINCREMENT so it is strictly monotonic and never reused, even after a delete.
SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,
    ts_ms         INTEGER NOT NULL,
    kind          TEXT    NOT NULL,
    symbol        TEXT    NOT NULL DEFAULT '',
    order_link_id TEXT    NOT NULL DEFAULT '',
    data          TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS records_ts ON records (ts_ms);
CREATE INDEX IF NOT EXISTS records_symbol ON records (symbol, seq);
CREATE INDEX IF NOT EXISTS records_link_seq ON records (order_link_id, seq);
CREATE INDEX IF NOT EXISTS records_kind ON records (kind, seq);
CREATE TABLE IF NOT EXISTS health_probe (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    ts_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS journal_state (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    open INTEGER NOT NULL
);
"""
COLUMNS = ("seq", "ts_ms", "kind", "symbol", "order_link_id", "data")
"""The ``records`` table's columns, in order (a file with others is not a journal)."""

"""``journal_state`` holds one row: ``open`` is 1 from open to a clean close, so the next open
knows whether a missing write-ahead log took records with it.

``health_probe`` holds one row that :meth:`core.journal.journal.Journal.probe` rewrites: a real
write (and fsync), so health notices a journal that cannot take one."""

KINDS = frozenset(
    {
        "intent",
        "risk_decision",
        "request",
        "ack",
        "reject",
        "fill",
        "order_update",
        "cancel",
        "amend",
        "breaker_trip",
        "breaker_reset",
        "panic_step",
        "mode_change",
        "reconcile",
        "error",
        "alert",
        "session",
        "journal_recovery",
        "paired_leg_risk",
        "paired_resolved",
    }
)
"""Known record kinds (others are accepted; this is documentation and a typo guard for tests)."""

TERMINAL_ORDER_STATUSES = ("Filled", "Cancelled", "Rejected", "Deactivated", "PartiallyFilledCanceled")
