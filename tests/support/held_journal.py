"""The real journal with a hook on the one step that writes a transaction (insert, commit, fsync:
``Journal._write_locked``): while ``hold`` is set, that step waits in the thread that runs it for
``release`` before it writes. Tests wait on ``entered`` (the step is being held) and set
``release``; the wait for ``release`` has a limit only so that a journal writing on the event
loop (which can then never be released) fails instead of hanging. ``engine_on_held_journal`` runs
the real engine on the in-process venue with this journal.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

import core.engine.wiring as wiring
from core.engine import Engine
from core.journal.fallback import Row
from core.journal.journal import Journal
from core.resilience.retry import RetryPolicy
from tests.support.engine_types import SYM
from tests.support.venue_under_test import SHORT_CHART_HISTORY, InProcessVenue, fresh

HOLD_LIMIT_S = 5.0
"""How long a held write waits for ``release`` (reached only when the loop that should release
it is itself blocked by the write)."""


class HeldJournal(Journal):
    """The real journal; its transaction step can be held in the thread that runs it."""

    def __init__(self, path: str | os.PathLike[str], *args: Any, **kwargs: Any) -> None:
        self.hold = threading.Event()
        self.hold_kinds: set[str] = set()
        """When not empty, only a transaction with a record of one of these kinds is held."""
        self.entered = threading.Event()
        self.release = threading.Event()
        self.released: list[bool] = []
        """One entry per held write: True when ``release`` came while it was held."""
        self.steps: list[str] = []
        self.write_threads: set[int] = set()
        super().__init__(path, *args, **kwargs)

    def _write_locked(self, rows: list[Row], *, durable: bool = True) -> int:
        self.write_threads.add(threading.get_ident())
        if rows and self.hold.is_set() and self._holds(rows):
            self.entered.set()
            self.released.append(self.release.wait(HOLD_LIMIT_S))
        seq = super()._write_locked(rows, durable=durable)
        self.steps.append(f"committed {seq}")
        return seq

    def _holds(self, rows: list[Row]) -> bool:
        return not self.hold_kinds or any(row[1] in self.hold_kinds for row in rows)


async def held_in_thread(journal: HeldJournal) -> None:
    """Wait (off the loop) until a write of ``journal`` is being held."""
    assert await asyncio.to_thread(journal.entered.wait, HOLD_LIMIT_S)


@asynccontextmanager
async def engine_on_held_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, retry_policy: RetryPolicy
) -> AsyncIterator[tuple[InProcessVenue, Engine, HeldJournal]]:
    """The real engine over a new in-process venue (BTCUSDT only, a short chart history), its journal
    a :class:`HeldJournal` under ``tmp_path``, started and with a fresh book and ticker; stopped on
    exit: ``async with engine_on_held_journal(tmp_path, monkeypatch, policy) as (venue, engine, journal)``."""
    monkeypatch.setattr(wiring, "Journal", HeldJournal)
    scenario = InProcessVenue(chart_history=SHORT_CHART_HISTORY, symbols=(SYM,))
    engine = scenario.engine(scenario.settings(tmp_path), retry_policy=retry_policy)
    await engine.start()
    try:
        journal = engine.journal
        assert isinstance(journal, HeldJournal)
        await scenario.wait_for(fresh(engine), what="a fresh book and ticker")
        yield scenario, engine, journal
    finally:
        await engine.stop()
