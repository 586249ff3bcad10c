"""History queries always carry an explicit TimeRange, chunked to Bybit's 7-day limit."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from core.engine import Engine
from core.market.timerange import MS_PER_DAY, TimeRange
from core.model import OrderRequest, OrderType, Side
from core.sim.runner import SimVenueThread
from tests.support.engine_types import SYM, EngineSettingsFactory, Ready, SimSettingsFactory, WaitFor


async def test_executions_and_backfill_over_time_range(
    engine: Engine, ready: Ready, wait_for: WaitFor
) -> None:
    await ready(engine)
    res = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.MARKET))
    assert res.ok, res.message
    await wait_for(lambda: any(f.order_link_id == res.order_link_id for f in engine.state.fills))
    now = engine.now_ms() + 1  # the fill's millisecond included (the range's end is exclusive)
    fills = engine.venue.executions(TimeRange.last(3_600_000, now))
    assert [f.order_link_id for f in fills] == [res.order_link_id]
    # Ten days is more than one Bybit window: it is split, and the sim (which rejects > 7 days
    # with 10001, as Bybit does) answers every chunk.
    wide = TimeRange(now - 10 * MS_PER_DAY, now + 1)
    assert len(list(wide.chunks())) == 2
    assert [f.exec_id for f in engine.venue.executions(wide)] == [f.exec_id for f in fills]
    # A reconnect backfill finds nothing new: fills are deduplicated by execId.
    assert await engine.account_sync.backfill_fills() == 0
    engine.state.fills.clear()
    engine.state._exec_ids.clear()
    assert await engine.account_sync.backfill_fills() == 1
    # taken again into the state, but the journal already holds it: one record, not a second
    # "backfilled" one (a fill missed while down is journaled as backfilled: test_algos_restart)
    records = engine.journal.query(kinds=["fill"])
    assert [r.data["exec_id"] for r in records] == [fills[0].exec_id]


async def test_mode_change_is_journaled(
    tmp_path: Path, engine_settings: EngineSettingsFactory, sim_settings: SimSettingsFactory
) -> None:
    from core.journal.journal import Journal

    path = tmp_path / "journal.db"
    j = Journal(path)
    j.record("start", mode="demo", rest_url="https://api-demo.bybit.com")
    j.close()
    with SimVenueThread(sim_settings()) as venue:
        engine = Engine(engine_settings(venue, tmp_path))
        await engine.start(feeds=False)
        await engine.stop()
    j = Journal(path)
    changes = j.query(kinds=["mode_change"])
    j.close()
    assert [(c.data["previous"], c.data["mode"]) for c in changes] == [("demo", "sim")]
