"""Group commit: durable writes awaited in one event-loop iteration share one fsynced transaction,
and each caller's records are on disk when its ``await`` returns (journal before send)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.clock import FrozenClock
from core.journal.journal import Journal, JournalUnwritable
from tests.support.journal_fill import fill_journal, make_room


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    j = Journal(tmp_path / "j.db", FrozenClock(1_767_225_600_000))
    yield j
    j.close()


def amend(link: str) -> tuple[str, str, str, dict[str, str]]:
    return ("amend", "BTCUSDT", link, {"price": "95000.0"})


def test_twenty_commands_issued_together_share_one_fsynced_transaction(journal: Journal) -> None:
    seen: list[tuple[str, int, int]] = []

    async def command(link: str) -> None:
        seq = await journal.record_grouped([amend(link)], required=True)
        # on disk now, before the command would be sent
        seen.append((link, seq, journal.synced_seq))

    async def main() -> None:
        await asyncio.gather(*(command(f"a{i}") for i in range(20)))

    asyncio.run(main())
    assert journal.writer.batches == 1 and journal.writer.records == 20
    assert all(synced >= seq for _, seq, synced in seen)
    rows = journal.query(kinds=["amend"])
    assert [r.order_link_id for r in rows] == [f"a{i}" for i in range(20)]  # in call order


def test_commands_of_later_iterations_get_their_own_batch(journal: Journal) -> None:
    async def main() -> None:
        await journal.record_grouped([amend("a")])
        await journal.record_grouped([amend("b")])

    asyncio.run(main())
    assert journal.writer.batches == 2
    assert journal.synced_seq == journal.last_seq()


def test_a_refused_batch_fails_the_required_caller_and_keeps_the_others(journal: Journal) -> None:
    fill_journal(journal)
    outcomes: dict[str, object] = {}

    async def command(link: str, *, required: bool) -> None:
        try:
            outcomes[link] = await journal.record_grouped([amend(link)], required=required)
        except JournalUnwritable as exc:
            outcomes[link] = exc

    async def main() -> None:
        await asyncio.gather(command("risky", required=True), command("closing", required=False))

    asyncio.run(main())
    assert isinstance(outcomes["risky"], JournalUnwritable)  # nothing recorded: it must not send
    assert outcomes["closing"] == 0  # kept in the fallback file, as record_many does
    assert journal.pending_fallback == 1
    make_room(journal)
    journal.record("ack", symbol="BTCUSDT", order_link_id="closing")
    links = [r.order_link_id for r in journal.query(kinds=["amend"])]
    assert links == ["closing"]


def test_a_caller_cancelled_before_the_flush_writes_nothing(journal: Journal) -> None:
    async def main() -> None:
        doomed = asyncio.ensure_future(journal.record_grouped([amend("gone")]))
        kept = asyncio.ensure_future(journal.record_grouped([amend("kept")]))
        await asyncio.sleep(0)  # both have joined the batch
        doomed.cancel()
        await kept

    asyncio.run(main())
    assert [r.order_link_id for r in journal.query(kinds=["amend"])] == ["kept"]


def test_close_writes_what_was_awaited_but_not_yet_committed(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.db", FrozenClock(1_767_225_600_000))

    async def main() -> None:
        pending = asyncio.ensure_future(j.record_grouped([amend("late")]))
        await asyncio.sleep(0)
        j.close()  # e.g. the engine stopping: the flush runs first
        await pending

    asyncio.run(main())
    reread = Journal(tmp_path / "j.db", FrozenClock(1_767_225_600_000), readonly=True)
    assert [r.order_link_id for r in reread.query(kinds=["amend"])] == ["late"]
    reread.close()
