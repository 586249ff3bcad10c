"""A journal double for executor tests: keeps every record in a list, in call order."""

from __future__ import annotations

from typing import Any


class RecordingJournal:
    """Records ``(kind, data)`` for each write; never refuses one."""

    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []

    def record(self, kind: str, **data: Any) -> int:
        """One record."""
        self.records.append((kind, data))
        return len(self.records)

    def record_many(self, entries: Any, *, required: bool = False) -> int:
        """Several records, in order."""
        for kind, _symbol, _link, data in entries:
            self.records.append((kind, dict(data)))
        return len(self.records)

    async def record_grouped(self, entries: Any, *, required: bool = False) -> int:
        """As :meth:`record_many` (the real journal group-commits these)."""
        return self.record_many(entries, required=required)
