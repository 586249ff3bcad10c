"""The engine's order path over the journal's writer thread, on the in-process venue (virtual clock).

The engine's journal is :class:`~tests.support.held_journal.HeldJournal` (the real journal with a
hook on its transaction step), so the test can hold an order's intent in the writer thread and
look at the venue and the event loop meanwhile.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest

from core.engine import Engine
from core.events import LogLine
from core.model import OrderRequest, OrderType, Side
from core.resilience.retry import RetryPolicy
from tests.support.engine_types import SYM, Below
from tests.support.held_journal import engine_on_held_journal, held_in_thread
from tests.support.venue_under_test import InProcessVenue

QTY = Decimal("0.001")


async def test_an_order_is_sent_only_after_its_intent_is_fsynced_and_the_loop_runs_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, below: Below, fast_retry_policy: RetryPolicy
) -> None:
    held = engine_on_held_journal(tmp_path, monkeypatch, fast_retry_policy)
    async with held as (scenario, engine, journal):
        ticker = engine.store.ticker(SYM)
        assert ticker is not None
        journal.hold.set()
        request = OrderRequest(SYM, Side.BUY, QTY, OrderType.LIMIT, below(ticker.mark_price))
        placing = asyncio.ensure_future(engine.place(request))
        await held_in_thread(journal)  # the intent's transaction is in the writer thread
        other = await asyncio.ensure_future(asyncio.sleep(0, result="ran"))  # the loop is free
        assert other == "ran" and not placing.done()
        assert scenario.open_orders() == []  # nothing sent before the intent is on disk
        journal.hold.clear()
        journal.release.set()
        result = await placing
        assert result.ok, result.message
        assert journal.released == [True]
        (intent,) = journal.query(kinds=["intent"])
        assert intent.seq <= journal.synced_seq
        await scenario.wait_for(lambda: len(scenario.open_orders()) == 1, what="the order on the venue")


async def test_an_algos_end_is_fsynced_off_the_loop_before_the_algo_is_reported_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fast_retry_policy: RetryPolicy
) -> None:
    """Fails when the algo's end is written on the loop: nothing can release the held write."""
    held = engine_on_held_journal(tmp_path, monkeypatch, fast_retry_policy)
    async with held as (scenario, engine, journal):
        params = {"symbol": SYM, "side": "Buy", "qty": "0.01", "offset_ticks": 200, "max_distance_pct": "5"}
        res = await engine.start_algo("chase", params)
        assert res.ok, res.message
        algo_id = res.order_link_id
        await scenario.wait_for(
            lambda: bool(working(scenario, algo_id)), what="the chase's child on the venue"
        )
        journal.hold_kinds = {"algo_end"}
        journal.hold.set()
        engine.store.drain_events(100_000)
        assert (await engine.cancel_algo(algo_id)).ok
        await held_in_thread(journal)  # the end's transaction is in the writer thread
        assert not working(scenario, algo_id)  # the child's cancel went out before the end
        assert not ended_lines(engine, algo_id)  # not reported ended before its record is on disk
        journal.release.set()
        await scenario.wait_for(lambda: bool(journal.query(kinds=["algo_end"])), what="the algo's end")
        (end,) = journal.query(kinds=["algo_end"])
        assert end.data["status"] == "cancelled" and end.seq <= journal.synced_seq
        assert journal.released == [True]
        assert ended_lines(engine, algo_id)


def working(scenario: InProcessVenue, algo_id: str) -> list[str]:
    return [o["orderLinkId"] for o in scenario.open_orders() if str(o["orderLinkId"]).startswith(algo_id)]


def ended_lines(engine: Engine, algo_id: str) -> list[str]:
    """The runner's "algo ... cancelled" log lines (said once its end is journaled)."""
    prefix = f"algo {algo_id} cancelled"
    events = engine.store.drain_events(100_000)
    return [e.message for e in events if isinstance(e, LogLine) and e.message.startswith(prefix)]
