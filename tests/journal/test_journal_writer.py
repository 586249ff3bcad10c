"""The journal's writer thread: commits and fsyncs off the event loop, in call order.

The journal here is the real one on a real file;
:class:`~tests.support.held_journal.HeldJournal` only adds a hook to the one step that writes a
transaction, so that a test can hold it in the writer thread. Each test waits on the events it
needs, never on the clock.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.clock import FrozenClock
from core.journal.journal import JournalUnwritable
from tests.support.held_journal import HOLD_LIMIT_S, HeldJournal, held_in_thread
from tests.support.journal_fill import fill_journal, make_room

T0 = 1_767_225_600_000


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[HeldJournal]:
    j = HeldJournal(tmp_path / "j.db", FrozenClock(T0))
    yield j
    j.release.set()
    j.close()


def entry(kind: str, link: str = "a", **data: Any) -> tuple[str, str, str, dict[str, Any]]:
    return (kind, "BTCUSDT", link, data)


def kinds_on_disk(path: Path) -> list[str]:
    """What another connection reads from the file: only committed records."""
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT kind FROM records ORDER BY seq")]
    finally:
        conn.close()


def test_the_loop_runs_other_tasks_while_a_commit_is_in_the_thread(journal: HeldJournal) -> None:
    """Fails when the commit runs on the event loop: nothing can release it, the wait times out."""
    ran: list[str] = []

    async def command() -> None:
        seq = await journal.record_grouped([entry("amend", price="1")], required=True)
        assert journal.synced_seq >= seq  # committed and fsynced before the caller goes on
        journal.steps.append("released")

    async def other() -> None:
        ran.append("other task")

    async def main() -> None:
        journal.hold.set()
        task = asyncio.ensure_future(command())
        await held_in_thread(journal)
        await asyncio.ensure_future(other())  # another coroutine runs while the commit is held
        assert not task.done()  # the durable caller is still waiting for its commit
        journal.release.set()
        await task

    asyncio.run(main())
    assert ran == ["other task"]
    assert journal.released == [True]
    assert journal.steps[-2:] == [journal.steps[-2], "released"]
    assert journal.steps[-2].startswith("committed ")
    assert threading.get_ident() not in journal.write_threads


def test_mixed_durable_and_lazy_records_are_in_the_file_in_call_order(journal: HeldJournal) -> None:
    async def main() -> None:
        journal.hold.set()
        first = asyncio.ensure_future(journal.record_grouped([entry("intent")], required=True))
        await held_in_thread(journal)  # the first commit is in progress; the rest queue behind it
        journal.hold.clear()
        assert journal.record("ack", symbol="BTCUSDT", order_link_id="a", n=1) == 0  # queued
        second = asyncio.ensure_future(journal.record_grouped([entry("amend", n=2)]))
        await asyncio.sleep(0)  # its first step queues it
        journal.record("order_update", symbol="BTCUSDT", order_link_id="a", n=3)
        journal.record("fill", symbol="BTCUSDT", order_link_id="a", n=4)
        third = asyncio.ensure_future(journal.record_grouped([entry("cancel", n=5)]))
        await asyncio.sleep(0)
        journal.record("algo_state", symbol="BTCUSDT", order_link_id="a", n=6)
        journal.release.set()
        await asyncio.gather(first, second, third)
        await journal.settled()

    asyncio.run(main())
    expected = ["intent", "ack", "amend", "order_update", "fill", "cancel", "algo_state"]
    assert kinds_on_disk(Path(journal.path)) == expected
    assert [r.kind for r in journal.query(order_link_id="a")] == expected


def test_a_read_right_after_a_lazy_write_sees_it(journal: HeldJournal) -> None:
    async def main() -> None:
        journal.record("intent", symbol="BTCUSDT", order_link_id="b")  # durable: written at once
        assert journal.record("ack", symbol="BTCUSDT", order_link_id="b", order_id="o1") == 0
        assert journal.record("fill", symbol="BTCUSDT", order_link_id="c", exec_id="e1") == 0
        assert kinds_on_disk(Path(journal.path)) == ["intent"]  # queued, not yet committed
        assert [r.kind for r in journal.query(order_link_id="b")] == ["intent", "ack"]
        assert journal.open_intents() == []  # the queued ack closes the intent
        assert journal.knows("c")
        assert journal.last_seq() == 3

    asyncio.run(main())


def test_a_sync_durable_write_goes_after_the_queued_records(journal: HeldJournal) -> None:
    async def main() -> None:
        journal.record("ack", symbol="BTCUSDT", order_link_id="a")  # lazy: queued
        seq = journal.record("algo_end", symbol="BTCUSDT", order_link_id="a", status="done")
        assert seq == 2 and journal.synced_seq == seq  # written and fsynced when it returns

    asyncio.run(main())
    assert kinds_on_disk(Path(journal.path)) == ["ack", "algo_end"]


def test_close_drains_the_queue(tmp_path: Path) -> None:
    j = HeldJournal(tmp_path / "j.db", FrozenClock(T0))
    outcome: list[int] = []

    async def waiter() -> None:
        outcome.append(await j.record_grouped([entry("amend", "late")]))

    async def main() -> None:
        task = asyncio.ensure_future(waiter())
        await asyncio.sleep(0)  # queued
        for n in range(3):
            j.record("order_update", symbol="BTCUSDT", order_link_id="late", n=n)
        j.close()  # the engine stopping before the writer thread got to any of it
        await task

    asyncio.run(main())
    assert kinds_on_disk(tmp_path / "j.db") == ["amend", "order_update", "order_update", "order_update"]
    assert outcome == [4]  # the awaiting caller was told: its transaction's last seq


def test_a_refused_batch_fails_the_required_caller_and_tells_the_loop(journal: HeldJournal) -> None:
    states: list[tuple[str, int]] = []
    refused: list[int] = []
    journal.on_state = lambda reason: states.append((reason, threading.get_ident()))
    journal.on_refused = lambda: refused.append(threading.get_ident())
    fill_journal(journal)
    outcomes: dict[str, object] = {}

    async def command(link: str, *, required: bool) -> None:
        try:
            outcomes[link] = await journal.record_grouped([entry("amend", link)], required=required)
        except JournalUnwritable as exc:
            outcomes[link] = exc

    async def main() -> int:
        journal.record("ack", symbol="BTCUSDT", order_link_id="acked")  # lazy, in the same batch
        await asyncio.gather(command("risky", required=True), command("closing", required=False))
        return threading.get_ident()

    loop_thread = asyncio.run(main())
    assert isinstance(outcomes["risky"], JournalUnwritable)  # nothing recorded: it must not send
    assert "database or disk is full" in str(outcomes["risky"])
    assert outcomes["closing"] == 0  # kept in the fallback file
    assert [r[1] for r in journal.fallback.read()] == ["ack", "amend"]
    assert refused == [loop_thread] * 3 and states == [("database or disk is full", loop_thread)]
    assert journal.write_threads - {loop_thread}  # the batch was written by the writer thread
    make_room(journal)
    journal.record("fill", symbol="BTCUSDT", order_link_id="closing")
    assert [(r.kind, r.order_link_id) for r in journal.query() if r.kind] == [
        ("ack", "acked"),
        ("amend", "closing"),
        ("fill", "closing"),
    ]


def test_a_callback_that_raises_leaves_no_caller_waiting(journal: HeldJournal) -> None:
    def broken(_took: float) -> None:
        raise ValueError("metrics broke")

    journal.on_write = broken

    async def main() -> list[int]:
        writes = asyncio.gather(*(journal.record_grouped([entry("amend", f"l{i}")]) for i in range(3)))
        return list(await asyncio.wait_for(writes, HOLD_LIMIT_S))  # the limit only stops a hang

    seqs = asyncio.run(main())
    assert seqs == [3, 3, 3]  # one transaction, every caller told
