"""The day's fills and realised PnL survive a restart: a new engine loads today's executions and
closed-PnL records from the venue at start-up, on the in-process venue (virtual clock) and on the
sim over loopback HTTP/WS with pybit, and counts nothing twice when the stream repeats a fill."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from core.config import Settings
from core.engine import Engine
from core.events import FillReceived
from core.market.timerange import TimeRange
from core.model import Fill, OrderRequest, OrderType, Side
from core.resilience.retry import RetryPolicy
from core.sim.runner import SimVenueThread
from tests.support.engine_types import SYM, EngineSettingsFactory, Ready, VenueHttp, WaitFor
from tests.support.venue_under_test import IN_PROCESS, InProcessVenue, VenueUnderTest
from widgets.log_pane import format_event

QTY = Decimal("0.010")
CLOSED_PNL = "/v5/position/closed-pnl"
BOUND_S = 60.0
"""Deadline for a start-up that must end however the venue pages."""


def _figures(engine: Engine) -> tuple[list[tuple[str, Decimal, Decimal]], Decimal, Decimal]:
    """(exec id, fee, realised PnL) of every fill held, and today's realised PnL and fees."""
    state = engine.state
    rows = sorted((f.exec_id, f.fee, f.closed_pnl) for f in state.fills)
    return rows, state.realised_today, state.fees_today


@contextlib.asynccontextmanager
async def _running(
    venue: VenueUnderTest, settings: Settings, policy: RetryPolicy, ready: Ready
) -> AsyncIterator[Engine]:
    """An engine on ``settings`` started and ready, stopped on the way out."""
    engine = venue.engine(settings, retry_policy=policy)
    await engine.start()
    try:
        await ready(engine)
        yield engine
    finally:
        await engine.stop()


def _pane_fills(engine: Engine) -> list[Fill]:
    return engine.store.fills()


async def _round_trip(engine: Engine, venue: VenueUnderTest, wait_for: WaitFor) -> None:
    """Open a long at market and close it: fills with fees, and one closing realised PnL."""
    held = len(engine.state.fills)
    buy = await engine.place(OrderRequest(SYM, Side.BUY, QTY, order_type=OrderType.MARKET))
    assert buy.ok, buy.message
    await wait_for(lambda: venue.positions() != [], what="the long on the venue")
    await wait_for(lambda: SYM in engine.state.positions, what="the engine sees the long")
    closed = await engine.close_position(SYM)
    assert closed.ok, closed.message
    await wait_for(lambda: venue.positions() == [], what="the venue flat again")
    await wait_for(
        lambda: (
            len(engine.state.fills) > held + 1
            and any(f.side is Side.SELL for f in list(engine.state.fills)[held:])
        ),
        what="both fills, the closing one with its PnL, in the engine",
    )


async def test_a_restart_shows_the_same_fills_and_days_realised_pnl(
    venue: VenueUnderTest,
    tmp_path: Path,
    fast_retry_policy: RetryPolicy,
    ready: Ready,
    wait_for: WaitFor,
) -> None:
    settings = venue.settings(tmp_path)
    async with _running(venue, settings, fast_retry_policy, ready) as first:
        await _round_trip(first, venue, wait_for)
        await venue.pass_time(1.0)  # every push of the round trip has arrived
        before = _figures(first)
    rows, realised, fees = before
    assert realised == sum(r[2] for r in rows) and fees > 0 and len(rows) >= 2

    async with _running(venue, settings, fast_retry_policy, ready) as second:
        assert _figures(second) == before
        assert sorted(f.exec_id for f in _pane_fills(second)) == [r[0] for r in rows]
        fill_records = second.journal.query(kinds=["fill"])
        assert len(fill_records) == len({r.data["exec_id"] for r in fill_records})  # none journaled twice

        # Trading on after the restart adds to the loaded day; the REST load and the stream
        # never count one fill twice.
        await _round_trip(second, venue, wait_for)
        await second.account_sync.backfill_fills()  # a reconnect's backfill repeats every fill
        rows2, realised2, fees2 = _figures(second)
        assert len({r[0] for r in rows2}) == len(rows2) > len(rows)
        assert realised2 == sum(r[2] for r in rows2) and fees2 == sum(r[1] for r in rows2)
        # the new round trip adds its own fills' PnL and fees to the loaded day's (its gross PnL
        # may be 0: the touch can move by exactly the spread between the two market orders)
        new = [r for r in rows2 if r not in rows]
        assert len(new) >= 2 and realised2 == realised + sum(r[2] for r in new)
        assert fees2 == fees + sum(r[1] for r in new) and fees2 > fees

    async with _running(venue, settings, fast_retry_policy, ready) as third:
        assert _figures(third) == (rows2, realised2, fees2)


@IN_PROCESS
async def test_the_in_process_venue_serves_closed_pnl_records(
    venue: InProcessVenue, tmp_path: Path, fast_retry_policy: RetryPolicy, ready: Ready
) -> None:
    """The port's closed-PnL query: one record per closing order, its gross PnL the closing
    fills' realised PnL (the stream's), its net PnL that minus the round trip's fees."""
    engine = venue.engine(venue.settings(tmp_path), retry_policy=fast_retry_policy)
    await engine.start()
    try:
        await ready(engine)
        await _round_trip(engine, venue, venue.wait_for)
        now = engine.now_ms()
        records = venue.venue.closed_pnl(TimeRange(now - 3_600_000, now + 1))
        fills = venue.venue.executions(TimeRange(now - 3_600_000, now + 1))
    finally:
        await engine.stop()
    assert records and {r.symbol for r in records} == {SYM}
    assert all(r.side is Side.SELL and r.closed_qty > 0 for r in records)
    assert sum(r.closed_qty for r in records) == QTY
    streamed = engine.state.fills
    assert sum(r.gross_pnl for r in records) == sum(f.closed_pnl for f in streamed)
    assert sum(r.net_pnl for r in records) == sum(f.closed_pnl - f.fee for f in streamed)
    assert all(f.closed_pnl == 0 for f in fills)  # the execution history carries no PnL
    assert {f.exec_id for f in fills} == {f.exec_id for f in streamed}


async def test_a_looping_closed_pnl_cursor_is_refused_and_start_up_goes_on(
    sim: SimVenueThread,
    tmp_path: Path,
    engine_settings: EngineSettingsFactory,
    fast_retry_policy: RetryPolicy,
    venue_http: VenueHttp,
    ready: Ready,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The day's load follows cursors within the listings' bounds: a venue repeating its
    closed-PnL cursor is refused (reported as bad data), the day is left unloaded with a warning,
    and the engine starts all the same."""
    outside = venue_http(sim)
    for side, reduce in (("Buy", False), ("Sell", True)):
        outside.place_order(
            category="linear", symbol=SYM, side=side, orderType="Market", qty=str(QTY), reduceOnly=reduce
        )
    sim.set_faults(f"cursor_loop={CLOSED_PNL}")
    caplog.set_level(logging.WARNING)
    engine = Engine(engine_settings(sim, tmp_path), retry_policy=fast_retry_policy)
    await asyncio.wait_for(engine.start(), BOUND_S)
    try:
        await ready(engine)
        assert "was not a new cursor" in engine.bad_data.recent()[f"rest {CLOSED_PNL}"]
        assert "earlier fills not loaded" in caplog.text
        assert list(engine.state.fills) == [] and engine.state.realised_today == 0
        sim.set_faults("")
        assert await engine.account_sync.load_day() >= 2  # the venue well again: the day loads
        assert len(engine.state.fills) >= 2 and engine.state.fees_today > 0
        assert engine.state.realised_today == sum(f.closed_pnl for f in engine.state.fills)
    finally:
        sim.set_faults("")
        await engine.stop()


async def test_a_resumed_algos_backfill_journals_no_fill_twice(
    tmp_path: Path,
    venue: VenueUnderTest,
    wait_for: WaitFor,
    ready: Ready,
    fast_retry_policy: RetryPolicy,
) -> None:
    """A restart with an algo running: the algos' backfill (before the day's load) fetched the
    earlier fills into an empty state and journaled each again as ``backfilled`` (the same exec id
    twice in the audit log), and the log pane listed each as a new FILL line. Now a fill the
    journal holds is not journaled again and is history, not news, for the log."""
    settings = venue.settings(tmp_path)
    async with _running(venue, settings, fast_retry_policy, ready) as first:
        params = {"symbol": SYM, "side": "Buy", "qty": "0.02", "duration_ms": 3_600_000, "slices": 2}
        started = await first.start_algo("twap", params | {"mode": "taker"})
        assert started.ok, started.message
        await wait_for(lambda: len(first.state.fills) >= 1, what="the first slice's fill")
        await venue.pass_time(1.0)
    async with _running(venue, settings, fast_retry_policy, ready) as second:
        assert [a for a in second.algos() if not a.terminal], "the TWAP resumed"
        records = second.journal.query(kinds=["fill"])
        ids = [r.data["exec_id"] for r in records]
        assert ids and len(ids) == len(set(ids)), ids
        # the algo hears its fills again, but the log pane shows no FILL line for an old fill
        taken = [e for e in second.store.drain_events() if isinstance(e, FillReceived)]
        assert taken and all(e.earlier and e.fill.exec_id in ids for e in taken)
        assert all(format_event(e) is None for e in taken)
