"""One clear log line per event, on the real sim venue and the real engine (pybit over loopback).

Before: each order logged Created and New plus two "sent" lines; an unchanged position line came
back with every account sync; one risk rejection raised two toasts and three lines; a market
order's Filled line showed its slippage-protection price as if it had filled there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from decimal import Decimal
from pathlib import Path

import pytest
from textual.pilot import Pilot

from console.app import TradeConsoleApp
from core.engine import Engine
from core.events import Event, PositionUpdated
from core.model import Instrument, OrderRequest, OrderStatus, OrderType, Side, TimeInForce
from core.sim.runner import SimVenueThread
from tests.support.console_types import AppReady, RealApp, WaitUntil
from widgets.fmt import fmt_dec
from widgets.log_pane import EventLog

SYM = "BTCUSDT"
SIZE = (160, 50)


class Seen:
    """Every event the log pane was handed (wrapping ``EventLog.add_events``)."""

    def __init__(self, log: EventLog) -> None:
        self.events: list[Event] = []
        original = log.add_events

        def add_events(events: Iterable[Event], instruments: Mapping[str, Instrument] | None = None) -> int:
            batch = list(events)
            self.events.extend(batch)
            return original(batch, instruments)

        log.add_events = add_events  # type: ignore[method-assign]


LogReady = Callable[[Pilot[int], TradeConsoleApp, Engine], Awaitable[EventLog]]


@pytest.fixture
def log_ready(app_ready: AppReady) -> LogReady:
    """Wait for the engine's start and first book; the log pane."""

    async def ready(pilot: Pilot[int], app: TradeConsoleApp, engine: Engine) -> EventLog:
        await app_ready(pilot, app, engine)
        return app.main.query_one(EventLog)

    return ready


def since(log: EventLog, start: int) -> list[str]:
    return log.history[start:]


def mark(engine: Engine) -> Decimal:
    t = engine.store.ticker(SYM)
    assert t is not None
    return t.mark_price


async def test_limit_order_amend_and_cancel_are_one_line_each(
    sim_venue: SimVenueThread,
    tmp_path: Path,
    wait_until: WaitUntil,
    log_ready: LogReady,
    make_real_app: RealApp,
) -> None:
    app, engine = make_real_app(sim_venue, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        log = await log_ready(pilot, app, engine)
        start = len(log.history)
        price = (mark(engine) * Decimal("0.97")).quantize(Decimal("0.1"))
        app._ticket_done(OrderRequest(SYM, Side.BUY, Decimal("0.01"), price=price))
        await wait_until(
            pilot, lambda: any("placed" in line for line in since(log, start)), "the placed line"
        )
        await wait_until(pilot, lambda: app.last_result is not None, "the command result")
        link = app.last_result.order_link_id  # type: ignore[union-attr]
        # The venue's own push (New, with its order id) arrives after the ack: still one line.
        await wait_until(
            pilot,
            lambda: (o := engine.state.orders.get(link)) is not None and o.updated_ms > 0,
            "the venue's order push",
        )
        await pilot.pause(0.3)
        lines = since(log, start)
        about = [line for line in lines if link in line]
        assert len(about) == 1, lines
        assert f"placed {SYM} Buy 0.010 Limit @ {fmt_dec(price, 1)} [{link}]" in about[0]
        assert not any(" sent " in line or "place Buy" in line for line in lines), lines

        start = len(log.history)
        new_price = price - Decimal("10")
        await app._run_command("amend", engine.amend(link, price=new_price))
        await wait_until(
            pilot, lambda: any("amended" in line for line in since(log, start)), "the amended line"
        )
        await app._run_command("cancel", engine.cancel(link))
        await wait_until(
            pilot, lambda: any("cancelled" in line for line in since(log, start)), "the cancelled line"
        )
        await pilot.pause(0.3)
        lines = since(log, start)
        assert [line.split(" ", 2)[1] for line in lines] == ["amended", "cancelled"], lines
        assert f"@ {fmt_dec(new_price, 1)}" in lines[0]
        assert not app._notifications


async def test_market_order_logs_the_fill_price_never_the_protection_price(
    sim_venue: SimVenueThread,
    tmp_path: Path,
    wait_until: WaitUntil,
    log_ready: LogReady,
    make_real_app: RealApp,
) -> None:
    app, engine = make_real_app(sim_venue, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        log = await log_ready(pilot, app, engine)
        start = len(log.history)
        app._ticket_done(OrderRequest(SYM, Side.BUY, Decimal("0.01"), order_type=OrderType.MARKET))
        filled = lambda: sum((f.qty for f in engine.state.fills), Decimal(0)) == Decimal("0.01")  # noqa: E731
        await wait_until(pilot, filled, "the whole order filled")
        await wait_until(
            pilot,
            lambda: any(line.split(" ", 2)[1] == "position" for line in since(log, start)),
            "the position",
        )
        # A market order may take more than one level: one FILL line per execution, at its price.
        fills = list(engine.state.fills)
        [done] = [o for o in engine.state.closed if o.order_link_id == fills[0].order_link_id]
        assert done.status is OrderStatus.FILLED and done.price is not None
        assert all(done.price != f.price for f in fills)
        lines = since(log, start)
        assert [line.split(" ", 2)[1] for line in lines] == ["FILL"] * len(fills) + ["position"], lines
        for fill, line in zip(fills, lines, strict=False):
            assert f"FILL {SYM} Buy {fmt_dec(fill.qty, 3)} @ {fmt_dec(fill.price, 1)} (taker" in line, line
        protection = fmt_dec(done.price, 1)
        assert not any(protection in line for line in lines), (protection, lines)


async def test_unchanged_position_is_logged_once_across_syncs(
    sim_venue: SimVenueThread,
    tmp_path: Path,
    wait_until: WaitUntil,
    log_ready: LogReady,
    make_real_app: RealApp,
) -> None:
    app, engine = make_real_app(sim_venue, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        log = await log_ready(pilot, app, engine)
        seen = Seen(log)
        start = len(log.history)
        app._ticket_done(OrderRequest(SYM, Side.BUY, Decimal("0.01"), order_type=OrderType.MARKET))
        await wait_until(pilot, lambda: SYM in engine.state.positions, "the position")

        def pushes() -> int:
            return sum(1 for e in seen.events if isinstance(e, PositionUpdated) and e.position.symbol == SYM)

        # An account sync whose row differs from the held one (new mark and uPnL) republishes the
        # position. A sync whose row the engine already matches (its own revaluation at the ticker's
        # mark got there first) publishes nothing, so count syncs that changed the row.
        republished = 0
        for _ in range(20):
            m = mark(engine)
            await wait_until(pilot, lambda m=m: mark(engine) != m, "the mark to move")  # type: ignore[misc]
            before, held = pushes(), engine.state.positions[SYM]
            await engine.account_sync.refresh_account()
            if engine.state.positions[SYM] != held:
                await wait_until(pilot, lambda b=before: pushes() > b, "a position update")  # type: ignore[misc]
                republished += 1
            if republished == 3:
                break
        assert republished == 3 and pushes() >= 4
        position_lines = [line for line in since(log, start) if line.split(" ", 2)[1] == "position"]
        assert len(position_lines) == 1, position_lines


async def test_one_rejection_is_one_line_and_one_toast(
    sim_venue: SimVenueThread,
    tmp_path: Path,
    wait_until: WaitUntil,
    log_ready: LogReady,
    make_real_app: RealApp,
) -> None:
    app, engine = make_real_app(sim_venue, tmp_path)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        log = await log_ready(pilot, app, engine)
        start = len(log.history)
        far = (mark(engine) * Decimal("1.5")).quantize(Decimal("0.1"))
        await app._run_command("place", engine.place(OrderRequest(SYM, Side.BUY, Decimal("0.01"), price=far)))
        await wait_until(
            pilot, lambda: any("price_band" in line for line in since(log, start)), "the rejection"
        )
        await pilot.pause(0.3)
        lines = since(log, start)
        assert len(lines) == 1 and "REJECTED BTCUSDT by price_band" in lines[0], lines
        assert len(app._notifications) == 1


@pytest.mark.parametrize("tif", [TimeInForce.POST_ONLY])
async def test_post_only_cancelled_by_the_venue_says_why_once(
    sim_venue: SimVenueThread,
    tmp_path: Path,
    tif: TimeInForce,
    wait_until: WaitUntil,
    log_ready: LogReady,
    make_real_app: RealApp,
) -> None:
    app, engine = make_real_app(sim_venue, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        log = await log_ready(pilot, app, engine)
        start = len(log.history)
        crossing = (mark(engine) * Decimal("1.01")).quantize(Decimal("0.1"))
        app._ticket_done(OrderRequest(SYM, Side.BUY, Decimal("0.01"), price=crossing, time_in_force=tif))
        await wait_until(pilot, lambda: any("cancelled" in line for line in since(log, start)), "the cancel")
        await pilot.pause(0.3)
        lines = since(log, start)
        # Bybit accepts the create and then cancels the order: when the REST ack is handled before
        # the cancel push, "placed" is a true line of its own; the cancel is said once, with why.
        cancels = [line for line in lines if "cancelled" in line]
        assert len(cancels) == 1 and "PostOnly: EC_PostOnlyWillTakeLiquidity" in cancels[0], lines
        others = [line for line in lines if line not in cancels]
        assert len(others) <= 1 and all(" placed " in line for line in others), lines
