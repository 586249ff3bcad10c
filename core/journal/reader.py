"""Reading the journal for humans: a fixed-width table, CSV, and the ``trade-console journal`` command."""

from __future__ import annotations

import csv as _csv
import io
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import orjson

from core.journal.journal import Journal, JournalRecord

_COLUMNS = ("seq", "time", "kind", "symbol", "order_link_id", "data")


def _iso(ts_ms: int) -> str:
    return datetime.fromtimestamp(ts_ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _data(record: JournalRecord) -> str:
    return orjson.dumps(record.data, option=orjson.OPT_SORT_KEYS).decode()


def format_table(records: Sequence[JournalRecord], *, data_width: int = 100) -> str:
    """A fixed-width, human-readable table (one line per record, data JSON truncated)."""
    rows = [
        (str(r.seq), _iso(r.ts_ms), r.kind, r.symbol, r.order_link_id, _truncate(_data(r), data_width))
        for r in records
    ]
    widths = [len(c) for c in _COLUMNS]
    for row in rows:
        for i, cell in enumerate(row[:-1]):
            widths[i] = max(widths[i], len(cell))
    lines = []
    header = [c.ljust(widths[i]) if i < len(_COLUMNS) - 1 else c for i, c in enumerate(_COLUMNS)]
    lines.append("  ".join(header).rstrip())
    for row in rows:
        cells = [
            cell.rjust(widths[0]) if i == 0 else cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    lines.append(f"({len(rows)} record{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


def _truncate(s: str, width: int) -> str:
    return s if len(s) <= width else s[: max(0, width - 1)] + "…"


def to_csv(records: Sequence[JournalRecord]) -> str:
    """CSV with a header row: seq, ts_ms, time (ISO UTC), kind, symbol, order_link_id, data (JSON)."""
    buf = io.StringIO()
    w = _csv.writer(buf, lineterminator="\n")
    w.writerow(["seq", "ts_ms", "time", "kind", "symbol", "order_link_id", "data"])
    for r in records:
        w.writerow([r.seq, r.ts_ms, _iso(r.ts_ms), r.kind, r.symbol, r.order_link_id, _data(r)])
    return buf.getvalue()


def parse_since(since: str) -> tuple[int | None, int | None]:
    """``--since`` as (since_seq exclusive, since_ms): a seq number N means "from N on"; else ISO time.

    ISO dates/times without a zone are UTC. Raises ValueError for anything else.
    """
    s = since.strip()
    if s.isdigit():
        return int(s) - 1, None
    dt = datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return None, int(dt.timestamp() * 1000)


def run_journal_cli(path: str, since: str | None, symbol: str | None, csv: bool) -> int:
    """``trade-console journal [--since SEQ|ISO] [--symbol S] [--csv]``: print records, return exit code."""
    if not Path(path).exists():
        print(f"trade-console: no journal at {path}", file=sys.stderr)
        return 1
    since_seq: int | None = None
    since_ms: int | None = None
    if since:
        try:
            since_seq, since_ms = parse_since(since)
        except ValueError:
            print(
                f"trade-console: --since wants a seq number or an ISO date/time, got {since!r}",
                file=sys.stderr,
            )
            return 2
    journal = Journal(path, readonly=True)
    try:
        records = journal.query(since_seq=since_seq, since_ms=since_ms, symbol=symbol or None)
    finally:
        journal.close()
    sys.stdout.write(to_csv(records) if csv else format_table(records))
    return 0
