"""The real engine with ``venue.name = "multi"`` when the Hyperliquid leg is down at start-up: the
engine starts on Bybit alone (Bybit trades, the Hyperliquid symbols are refused naming the
venue, nothing is sent), and once the Hyperliquid venue answers the leg is admitted by itself: the
position and the working order another client left there appear, the journal records the order it
never saw, the leg's books and tickers stream, and its dead-man's switch is armed. The venue goes
down through a relay in front of the Hyperliquid sim, so it comes back with its state intact; the
hostile cases (the leg going down again half-way through its admission, the engine stopped while
a leg is still held) are here too."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hyperliquid.exchange import Exchange

from core.engine import Engine
from core.events import Connectivity
from core.model import OrderRequest, OrderType, Side
from core.orders import paired_journal as pj
from core.orders.paired import PairState
from core.orders.paired_desk import PairedDesk, PairTicket
from core.resilience.errors import Rejected
from core.venues.multi.venue import MultiVenue
from tests.support.hl_sim import SPOT_META, HlSim
from tests.support.late_leg import ETH_HL, HL, START_S, TIMING, WAIT_S, DownLeg, wallet_now
from tests.support.venue_under_test import fresh, wait_real
from tests.venue_multi.conftest import multi_settings

HL_POSITION = Decimal("0.1")
REFUSED = 110007
"""The code of the refusal injected on a leg (display only)."""


def left_on_hl(hl: HlSim) -> tuple[float, int]:
    """Another client's ETH position and resting buy on Hyperliquid: (order price, its oid)."""
    ex = Exchange(hl.agent, hl.base_url, account_address=hl.user, meta=hl.meta, spot_meta=SPOT_META)
    ex.market_open("ETH", True, float(HL_POSITION))
    bid, _ = hl.bbo("ETH")
    px = float(round(bid * Decimal("0.9")))
    reply = ex.order("ETH", True, float(HL_POSITION), px, {"limit": {"tif": "Gtc"}})
    oid = reply["response"]["data"]["statuses"][0]["resting"]["oid"]
    return px, int(oid)


@pytest.fixture
async def engine(down: DownLeg, tmp_path: Path) -> AsyncIterator[Engine]:
    settings = multi_settings(
        down,  # type: ignore[arg-type]
        tmp_path,
        venue={"name": "multi", "dead_mans_switch_s": 10},
        ui={"default_symbol": "ETHUSDT"},
    )
    eng = Engine(settings, recovery=TIMING)
    try:
        yield eng
    finally:
        await eng.stop()


def states(engine: Engine, stream: str) -> Callable[[], list[str]]:
    """The states published for ``stream`` so far (the events are kept as the console drains them)."""
    seen: list[str] = []

    def read() -> list[str]:
        seen.extend(
            ev.state
            for ev in engine.store.drain_events(10_000)
            if isinstance(ev, Connectivity) and ev.stream == stream
        )
        return seen

    return read


async def test_the_down_leg_is_held_then_admitted_with_its_account_orders_and_feeds(
    engine: Engine, down: DownLeg
) -> None:
    _, oid = left_on_hl(down.hl)
    await asyncio.wait_for(engine.start(), START_S)
    admission = engine.startup.admission
    assert admission.held() == (HL,)
    hl_states = states(engine, HL)
    assert hl_states() == ["down"]

    # Bybit trades; a Hyperliquid symbol is refused naming the venue, and nothing is sent.
    res = await engine.place(OrderRequest("BTCUSDT", Side.SELL, Decimal("0.002"), OrderType.MARKET))
    assert res.ok, res.message
    assert down.bybit_position("BTCUSDT") < 0
    res = await engine.place(OrderRequest(ETH_HL, Side.BUY, Decimal("0.1"), OrderType.MARKET))
    assert not res.ok and res.check == "venue_down", res.message
    assert f"venue {HL} is down" in res.message and "nothing was sent" in res.message
    assert down.hl.position("ETH") == HL_POSITION and len(down.hl.open_orders()) == 1
    assert ETH_HL not in engine.state.positions and engine.state.balance is not None

    down.relay.on()
    await wait_real(lambda: admission.admitted == [HL], WAIT_S, "the Hyperliquid leg admitted")
    assert abs(engine.guards.board.daily_pnl) < wallet_now(engine) / 4  # its wallet is no day's profit
    assert hl_states()[-1] == "up"
    assert engine.state.positions[ETH_HL].size == HL_POSITION
    hl_orders = [o for o in engine.state.orders.values() if o.symbol == ETH_HL]
    assert [o.order_id for o in hl_orders] == [str(oid)]
    adopted = engine.journal.query(kinds=["reconcile"])
    assert any(r.data.get("order_id") == str(oid) and r.data.get("adopted") for r in adopted)
    await wait_real(fresh(engine, ETH_HL), WAIT_S, "the Hyperliquid leg's book and ticker streaming")
    await wait_real(lambda: down.hl.scheduled_cancel() is not None, WAIT_S, "its dead-man's switch armed")

    # now it trades like the other leg
    res = await engine.place(OrderRequest(ETH_HL, Side.SELL, HL_POSITION, OrderType.MARKET, reduce_only=True))
    assert res.ok, res.message
    assert down.hl.position("ETH") == 0


async def test_a_leg_still_down_is_asked_again_without_a_report_each_time(engine: Engine) -> None:
    """The header and the log heard "down" once, at start-up; each retry that finds the venue
    still down says nothing (every retry said "not admitted" before, a log line each)."""
    await asyncio.wait_for(engine.start(), START_S)
    admission = engine.startup.admission
    hl_states = states(engine, HL)
    await wait_real(lambda: admission.attempts >= 3, WAIT_S, "three more tries of the held leg")
    assert admission.held() == (HL,)
    assert hl_states() == ["down"]


async def test_a_leg_going_down_again_during_its_admission_is_held_and_admitted_later(
    engine: Engine, down: DownLeg, monkeypatch: pytest.MonkeyPatch
) -> None:
    await asyncio.wait_for(engine.start(), START_S)
    admission = engine.startup.admission
    hl_states = states(engine, HL)
    venue = engine.venue
    assert isinstance(venue, MultiVenue)
    leg = venue.legs[1]
    real_positions = leg.positions
    flaps: list[float] = []

    def down_half_way() -> Any:  # the venue answered the probe, then went down again
        if not flaps:
            flaps.append(time.monotonic())
            down.relay.off()
        return real_positions()

    monkeypatch.setattr(leg, "positions", down_half_way)
    down.relay.on()
    await wait_real(lambda: bool(flaps), WAIT_S, "the admission under way")
    await wait_real(lambda: "down" in hl_states()[1:], WAIT_S, "the leg held again")
    assert admission.held() == (HL,)
    res = await engine.place(OrderRequest(ETH_HL, Side.BUY, Decimal("0.1"), OrderType.MARKET))
    assert not res.ok and res.check == "venue_down", res.message

    down.relay.on()
    await wait_real(lambda: admission.admitted == [HL], WAIT_S, "admitted once it answers again")
    await wait_real(fresh(engine, ETH_HL), WAIT_S, "its feeds")
    assert hl_states()[-1] == "up"


async def test_stopping_while_a_leg_is_held_ends_every_task(engine: Engine) -> None:
    await asyncio.wait_for(engine.start(), START_S)
    assert engine.startup.admission.held() == (HL,)
    tasks = [t for t in asyncio.all_tasks() if t.get_name() == "engine-admission"]
    assert len(tasks) == 1
    await asyncio.wait_for(engine.stop(), START_S)
    assert tasks[0].done()
    assert not engine.link.started


async def test_panic_with_a_leg_down_flattens_the_other_and_says_what_it_could_not_reach(
    engine: Engine, down: DownLeg
) -> None:
    left_on_hl(down.hl)
    await asyncio.wait_for(engine.start(), START_S)
    res = await engine.place(OrderRequest("BTCUSDT", Side.BUY, Decimal("0.002"), OrderType.MARKET))
    assert res.ok, res.message
    report = await engine.panic()
    assert down.bybit_position("BTCUSDT") == 0
    assert any(step.startswith("unreached") and HL in step for step in report.steps), report.steps
    assert HL in report.steps[-1] and "NOT REACHED" in report.steps[-1], report.steps
    assert down.hl.position("ETH") == HL_POSITION  # out of reach: untouched


async def test_the_daily_loss_counts_the_same_account_before_and_after_the_admission(
    down: DownLeg, tmp_path: Path
) -> None:
    """The wallet doubles when the Hyperliquid account joins: that is no day's profit (it would
    hide a day's loss that size), and a start without it is no day's loss (it would trip the
    daily-loss breaker and stop the venue that is up from trading)."""
    settings = multi_settings(down, tmp_path, ui={"default_symbol": "ETHUSDT"})  # type: ignore[arg-type]
    down.relay.on()
    first = Engine(settings, recovery=TIMING)  # an earlier session today, with both venues
    await asyncio.wait_for(first.start(), START_S)
    await wait_real(lambda: first.guards.board.baseline() is not None, WAIT_S, "today's opening baseline")
    opening = first.guards.board.baseline()
    assert opening is not None
    await first.stop()

    down.relay.off()
    engine = Engine(settings, recovery=TIMING)
    try:
        await asyncio.wait_for(engine.start(), START_S)
        board = engine.guards.board
        await wait_real(lambda: board.baseline() is not None, WAIT_S, "a baseline without Hyperliquid")
        assert abs(board.daily_pnl) < opening[1] / 4  # not the Hyperliquid wallet counted as lost
        assert not board.is_tripped("daily_loss")

        down.relay.on()
        await wait_real(lambda: engine.startup.admission.admitted == [HL], WAIT_S, "admitted")
        assert board.baseline() == opening  # today's opening baseline, both venues in it
        assert abs(board.daily_pnl) < opening[1] / 4  # not the Hyperliquid wallet counted as won
    finally:
        await engine.stop()


async def test_a_leg_risk_on_the_down_venue_is_shown_again_not_resolved_flat(
    down: DownLeg, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pair left in leg risk with its filled leg on Hyperliquid: restarted while Hyperliquid is
    down, the pair comes back in leg risk at once (before, the restart found no position for it
    and journaled it as resolved flat, so the leg risk was forgotten)."""
    settings = multi_settings(down, tmp_path, ui={"default_symbol": "ETHUSDT"})  # type: ignore[arg-type]
    down.relay.on()
    first = Engine(settings, recovery=TIMING)
    await asyncio.wait_for(first.start(), START_S)
    desk = PairedDesk(first, timeout_s=WAIT_S)
    for sym in ("ETHUSDT", ETH_HL):
        await wait_real(fresh(first, sym), WAIT_S, f"a fresh {sym}")
    venue = first.venue
    assert isinstance(venue, MultiVenue)

    def refuse(order: Any) -> Any:
        raise Rejected(REFUSED, "injected: the Bybit leg refused", endpoint="place")

    monkeypatch.setattr(venue.legs[0], "place", refuse)  # the Hyperliquid buy fills, the Bybit sell not
    pair = await desk.send(PairTicket("ETH", ETH_HL, "ETHUSDT", HL_POSITION), first.clock.now_ms())

    def leg_risk() -> bool:
        desk.on_events(first.store.drain_events(), first.clock.now_ms())
        return pair.state == PairState.LEG_RISK

    await wait_real(leg_risk, WAIT_S, "leg risk")
    assert down.hl.position("ETH") == HL_POSITION
    await first.stop()

    down.relay.off()
    engine = Engine(settings, recovery=TIMING)
    try:
        await asyncio.wait_for(engine.start(), START_S)
        back = PairedDesk(engine, timeout_s=WAIT_S).restore()
        assert [(p.pair_id, p.state) for p in back] == [(pair.pair_id, PairState.LEG_RISK)]
        assert all(r.kind != pj.RESOLVED for r in engine.journal_notes(pj.KINDS))
    finally:
        await engine.stop()
