"""The journal's SQL for reading: the filtered record query and the open intents.

Pure functions and constants (no connection): :class:`~core.journal.journal.Journal` runs them
after writing what its writer has queued, so every read sees every record written before it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

COLUMNS = "seq, ts_ms, kind, symbol, order_link_id, data"

OPEN_INTENTS = """
    SELECT i.seq, i.ts_ms, i.kind, i.symbol, i.order_link_id, i.data FROM records i
    WHERE i.kind = 'intent' AND i.order_link_id != '' AND NOT EXISTS (
        SELECT 1 FROM records t INDEXED BY records_link_seq
        WHERE t.order_link_id = i.order_link_id AND t.seq > i.seq AND (
            t.kind IN ('ack', 'order_update', 'fill')
            OR (t.kind = 'reject' AND json_extract(t.data, '$.action') IS NULL)
            OR (t.kind = 'reconcile' AND (json_extract(t.data, '$.found') = 1
                                          OR json_extract(t.data, '$.resolved') = 1))
            OR (t.kind = 'risk_decision' AND json_extract(t.data, '$.approved') = 0
                AND json_extract(t.data, '$.action') IS NULL)
        )
    )
    ORDER BY i.seq
"""
"""Intents with no closing record after them (see :meth:`Journal.open_intents`)."""

KNOWS_LINK = "SELECT 1 FROM records WHERE order_link_id = ? LIMIT 1"
KNOWS_ORDER_ID = (
    "SELECT 1 FROM records WHERE kind = 'reconcile' AND json_extract(data, '$.order_id') = ? LIMIT 1"
)
LAST_SEQ = "SELECT COALESCE(MAX(seq), 0) FROM records"


def select_records(
    since_seq: int | None,
    since_ms: int | None,
    symbol: str | None,
    kinds: Iterable[str] | None,
    order_link_id: str | None,
    until_ms: int | None,
    limit: int | None,
) -> tuple[str, list[Any]] | None:
    """The SQL and arguments of :meth:`Journal.query` (None: nothing can match, no kind asked)."""
    where: list[str] = []
    args: list[Any] = []
    for clause, value in (
        ("seq > ?", since_seq),
        ("ts_ms >= ?", since_ms),
        ("ts_ms < ?", until_ms),
        ("symbol = ?", symbol or None),
        ("order_link_id = ?", order_link_id or None),
    ):
        if value is not None:
            where.append(clause)
            args.append(value)
    if kinds is not None:
        kind_list = list(kinds)
        if not kind_list:
            return None
        where.append(f"kind IN ({','.join('?' * len(kind_list))})")
        args.extend(kind_list)
    sql = f"SELECT {COLUMNS} FROM records"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY seq"
    if limit is not None:
        sql += " LIMIT ?"
        args.append(limit)
    return sql, args
