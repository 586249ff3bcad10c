"""A paired order's leg risk in the journal, on the real engine and the in-process venue (virtual
clock): the leg risk is journaled when it starts and when it is resolved (unwound, completed, or
flat); a restart shows a pair still in leg risk again from the journal, and unwinding it then
leaves both legs flat; a pair whose position is gone by the restart is journaled as resolved flat.

The two legs are two symbols of one venue, as in ``tests/engine/test_paired_orders.py`` (the state
machine and the desk do not care which venue a leg is on).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from core.engine import Engine
from core.model import OrderRequest, OrderType, Side
from core.orders import paired_journal as pj
from core.orders.paired import PairedOrder, PairState
from core.orders.paired_desk import PairedDesk, PairTicket
from core.resilience.retry import RetryPolicy
from tests.support.venue_under_test import InProcessVenue, fresh

D = Decimal
A, B = "BTCUSDT", "ETHUSDT"
QTY = D("0.01")
TIMEOUT_S = 3.0
FAST = RetryPolicy(base_s=0.01, cap_s=0.2, max_attempts=10)


async def started(venue: InProcessVenue, tmp_path: Path) -> Engine:
    engine = venue.engine(venue.settings(tmp_path), retry_policy=FAST)
    await engine.start()
    for sym in (A, B):
        await venue.wait_for(fresh(engine, sym), what=f"a fresh {sym} book")
    return engine


def mark(engine: Engine, symbol: str) -> Decimal:
    ticker = engine.store.ticker(symbol)
    assert ticker is not None
    return ticker.mark_price


async def settle(
    desk: PairedDesk, engine: Engine, venue: InProcessVenue, pair: PairedOrder, state: PairState
) -> None:
    def reached() -> bool:
        desk.on_events(engine.store.drain_events(), venue.clock.now_ms())
        return pair.state == state

    await venue.wait_for(reached, timeout=TIMEOUT_S * 4, what=f"pair {state}")


async def leg_risk(engine: Engine, venue: InProcessVenue) -> tuple[PairedDesk, PairedOrder]:
    """A pair whose buy leg filled and whose sell leg was refused by the price band."""
    desk = PairedDesk(engine, timeout_s=TIMEOUT_S)
    ticket = PairTicket(
        "X",
        A,
        B,
        QTY,
        OrderType.LIMIT,
        buy_price=(mark(engine, A) * D("1.01")).quantize(D("0.1")),
        sell_price=(mark(engine, B) * D("0.5")).quantize(D("0.01")),
    )
    pair = await desk.send(ticket, venue.clock.now_ms())
    await settle(desk, engine, venue, pair, PairState.LEG_RISK)
    return desk, pair


def kinds(engine: Engine) -> list[tuple[str, str]]:
    return [(r.kind, str(r.data.get("how", ""))) for r in engine.journal_notes(pj.KINDS)]


async def test_leg_risk_is_journaled_and_a_restart_shows_it_again_until_unwound(tmp_path: Path) -> None:
    venue = InProcessVenue()
    engine = await started(venue, tmp_path)
    _, pair = await leg_risk(engine, venue)
    assert kinds(engine) == [(pj.LEG_RISK, "")]
    rec = engine.journal_notes(pj.KINDS)[0]
    assert rec.symbol == A and rec.data["pair_id"] == pair.pair_id
    assert D(rec.data["a"]["holding"]) == QTY and D(rec.data["b"]["holding"]) == 0
    assert "price_band" in rec.data["note"]
    await engine.stop()

    # the restart: a new engine and desk on the same journal and venue
    engine = await started(venue, tmp_path)
    try:
        desk = PairedDesk(engine, timeout_s=TIMEOUT_S)
        back = desk.restore()
        assert [p.pair_id for p in back] == [pair.pair_id]
        again = back[0]
        assert again.state == PairState.LEG_RISK and again.a.holding == QTY
        assert desk.latest("X") is again

        await desk.unwind(again, venue.clock.now_ms())
        await settle(desk, engine, venue, again, PairState.UNWOUND)
        assert venue.positions() == []
        assert kinds(engine) == [(pj.LEG_RISK, ""), (pj.RESOLVED, pj.UNWOUND)]
        # a further restart has nothing to show; a new pair gets a new id
        assert PairedDesk(engine, timeout_s=TIMEOUT_S).restore() == []
        fresh_desk = PairedDesk(engine, timeout_s=TIMEOUT_S)
        fresh_desk.restore()
        nxt = await fresh_desk.send(PairTicket("X", A, B, QTY), venue.clock.now_ms())
        assert nxt.pair_id != pair.pair_id
    finally:
        await engine.stop()


async def test_a_pair_flattened_while_down_is_resolved_flat_at_the_restart(tmp_path: Path) -> None:
    venue = InProcessVenue()
    engine = await started(venue, tmp_path)
    await leg_risk(engine, venue)
    # the filled leg is closed by hand, not by the pair
    closed = await engine.place(OrderRequest(A, Side.SELL, QTY, OrderType.MARKET, reduce_only=True))
    assert closed.ok, closed.message
    await venue.wait_for(lambda: venue.positions() == [], what="flat")
    await engine.stop()

    engine = await started(venue, tmp_path)
    try:
        desk = PairedDesk(engine, timeout_s=TIMEOUT_S)
        assert desk.restore() == []
        assert desk.latest("X") is None
        assert kinds(engine) == [(pj.LEG_RISK, ""), (pj.RESOLVED, pj.FLAT)]
    finally:
        await engine.stop()


async def test_leg_risk_completed_is_journaled_as_completed(tmp_path: Path) -> None:
    venue = InProcessVenue()
    engine = await started(venue, tmp_path)
    try:
        desk, pair = await leg_risk(engine, venue)
        await desk.complete(pair, venue.clock.now_ms())
        await settle(desk, engine, venue, pair, PairState.DONE)
        assert kinds(engine) == [(pj.LEG_RISK, ""), (pj.RESOLVED, pj.COMPLETED)]
        assert desk.restore() == []
    finally:
        await engine.stop()
