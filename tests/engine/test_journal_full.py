"""A full journal (SQLite's real SQLITE_FULL) must never block reducing risk, and must say so.

Old code: cancel, close and panic journaled before acting and failed with "database or disk is
full" (panic ended NOT FLAT); new orders failed with "cannot rollback - no transaction is
active"; /healthz stayed 200 because its check ran ``SELECT 1``.
"""

from __future__ import annotations

from decimal import Decimal

from core.engine import Engine
from core.events import AlertRaised
from core.model import OrderRequest, OrderType, Side
from core.observability.health import evaluate_health
from tests.support.engine_types import SYM, Below, Ready, WaitFor
from tests.support.journal_fill import fill_journal, make_room
from tests.support.venue_under_test import VenueUnderTest


def health_reasons(engine: Engine) -> list[str]:
    return evaluate_health(engine.health_snapshot(), max_feed_age_s=engine.settings.risk.book_stale_s).reasons


def fallback_kinds(engine: Engine) -> list[str]:
    import orjson

    path = engine.journal.fallback.path
    assert path is not None
    if not path.exists():
        return []
    return [orjson.loads(line)["kind"] for line in path.read_bytes().splitlines()]


async def open_position_and_order(engine: Engine, ready: Ready, wait_for: WaitFor, below: Below) -> str:
    mark = await ready(engine)
    assert (await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.02"), OrderType.MARKET))).ok
    resting = await engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, below(mark)))
    assert resting.ok, resting.message
    await wait_for(lambda: SYM in engine.state.positions and resting.order_link_id in engine.state.orders)
    await wait_for(lambda: engine.state.orders[resting.order_link_id].order_id != "")
    return resting.order_link_id


async def test_full_journal_refuses_new_risk_but_cancels_and_closes(
    engine: Engine, venue: VenueUnderTest, below: Below, ready: Ready, wait_for: WaitFor
) -> None:
    resting = await open_position_and_order(engine, ready, wait_for, below)
    mark = await ready(engine)
    fill_journal(engine.journal)

    # Health notices with a real write, and names SQLite's reason.
    engine.journal.probe(force=True)
    assert any(r.startswith("journal not writable: database or disk is full") for r in health_reasons(engine))

    # Risk-increasing: refused by the journal check, with the real reason, nothing sent.
    new = await engine.place(
        OrderRequest(SYM, Side.BUY, Decimal("0.01"), OrderType.LIMIT, below(mark, "0.97"))
    )
    assert not new.ok and new.check == "journal", new.message
    assert "journal unwritable: database or disk is full" in new.message
    assert new.order_link_id not in {o["orderLinkId"] for o in venue.open_orders()}

    # Risk-reducing: the cancel and the reduce-only close go out all the same.
    cancelled = await engine.cancel(resting)
    assert cancelled.ok, cancelled.message
    assert venue.open_orders() == []
    closed = await engine.close_position(SYM)
    assert closed.ok, closed.message
    await wait_for(lambda: venue.positions() == [])

    # ... recorded to the fallback file, and alerted loudly.
    kinds = fallback_kinds(engine)
    assert {"cancel", "request", "ack", "intent", "risk_decision"} <= set(kinds), kinds
    alerts = [e for e in engine.store.drain_events(10_000) if isinstance(e, AlertRaised)]
    assert any(a.rule == "journal_unwritable" and a.active for a in alerts)

    # Room again: the fallback records move into SQLite, in order, and health recovers.
    make_room(engine.journal)
    assert engine.journal.probe(force=True) == ""
    assert not any(r.startswith("journal") for r in health_reasons(engine))
    journaled = [r.kind for r in engine.journal.query(order_link_id=resting)]
    after = journaled[journaled.index("cancel") :]
    assert [k for k in after if k != "order_update"] == ["cancel", "request", "ack"], journaled
    assert fallback_kinds(engine) == []


async def test_panic_goes_flat_on_a_full_journal(
    engine: Engine, venue: VenueUnderTest, below: Below, ready: Ready, wait_for: WaitFor
) -> None:
    await open_position_and_order(engine, ready, wait_for, below)
    fill_journal(engine.journal)
    engine.panic_runner.timeout_s = 10.0
    report = await engine.panic()
    assert report.flat, report.steps
    assert venue.positions() == [] and venue.open_orders() == []
    assert "panic_step" in fallback_kinds(engine)
    make_room(engine.journal)
    assert engine.journal.probe(force=True) == ""
    steps = [r.data["step"] for r in engine.journal.query(kinds=["panic_step"])]
    assert steps[0] == "start" and steps[-1] == "done", steps
