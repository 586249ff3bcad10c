"""Strategies come back after the console dies (engine restart on the in-process venue, virtual
clock): the ones running resume with their own position, PnL and working orders rebuilt from the
journal and their bars warm from the venue's klines; the ones stopped, killed or stopped by a
clean close do not."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from pathlib import Path

from core.engine import Engine
from core.events import LogLine
from core.strategy.portfolio import Portfolio
from core.strategy.slot import StrategySnapshot
from tests.strategy.portfolio_strategies import Flipper
from tests.support.venue_under_test import InProcessVenue

SYM = "BTCUSDT"
FLIPPER = "tests.strategy.portfolio_strategies:Flipper"
TAKER = "tests.strategy.portfolio_strategies:Taker"
RESTER = "tests.strategy.portfolio_strategies:Rester"
POLL_S = 0.002
BAR_S = 61
QTY = Decimal("0.01")


async def die(portfolio: Portfolio, settle: Callable[[], Awaitable[None]]) -> dict[str, StrategySnapshot]:
    """The console process dies: every runner stops at once, an order already on its way fills
    (the engine journals it: ``settle`` lets it arrive), then nothing more reaches the journal.
    The strategies as they were when it died."""
    slots = [s for s in (portfolio.get(n.name) for n in portfolio.snapshots()) if s is not None]
    for slot in slots:
        slot.detach()
    tasks = [t for t in (portfolio._entries[s.name].task for s in slots) if t is not None]
    await asyncio.gather(*tasks, return_exceptions=True)
    await settle()
    snaps = {s.name: s for s in portfolio.snapshots()}
    for slot in slots:
        slot.release()
    return snaps


def snap(portfolio: Portfolio, name: str) -> StrategySnapshot:
    return next(s for s in portfolio.snapshots() if s.name == name)


def account_size(engine: Engine) -> Decimal:
    pos = engine.account().positions.get(SYM)
    return pos.signed_size if pos is not None else Decimal(0)


async def test_running_strategies_resume_with_their_own_position_and_stopped_ones_do_not(
    tmp_path: Path,
) -> None:
    venue = InProcessVenue()
    settings = venue.settings(tmp_path)
    first = venue.engine(settings)
    await first.start()
    portfolio = Portfolio(first, poll_s=POLL_S)
    try:
        for spec, name, params in (
            (FLIPPER, "flip", [f"qty={QTY}"]),
            (RESTER, "rest", ["price=1000", "qty=0.01"]),
            (TAKER, "gone", ["qty=0.005"]),
            (TAKER, "dead", ["qty=0.003"]),
        ):
            res = await portfolio.start(spec, SYM, params=params, name=name, allocation=Decimal(5000))
            assert res.ok, res.message
        await venue.wait_for(
            lambda: all(snap(portfolio, n).position != 0 for n in ("flip", "gone", "dead")),
            timeout=3 * BAR_S,
            what="flip, gone and dead in a position",
        )
        assert (await portfolio.stop("gone")).ok
        assert (await portfolio.kill("dead")).ok  # right after its fill: it closes its own part
        await venue.wait_for(lambda: snap(portfolio, "dead").position == 0, what="dead's own part closed")
        await venue.wait_for(
            lambda: snap(portfolio, "flip").trades >= 1, timeout=10 * BAR_S, what="a round trip of flip"
        )
        working = portfolio.get("rest")
        assert working is not None
        before = (await die(portfolio, lambda: venue.pass_time(1.0)))["flip"]
        assert len(working.working()) == 1
        rest_links = set(working.runner.links)
    finally:
        await first.stop()

    second = venue.engine(settings)
    lines: list[str] = []
    second.publisher.listeners.append(lambda e: lines.append(e.message) if isinstance(e, LogLine) else None)
    await second.start()
    again = Portfolio(second, poll_s=POLL_S)
    try:
        assert await again.resume() == 2
        assert [s.name for s in again.snapshots()] == ["flip", "rest"]
        flip = snap(again, "flip")
        assert flip.state == "running"
        assert (flip.position, flip.entry_price, flip.realised, flip.fees, flip.trades) == (
            before.position,
            before.entry_price,
            before.realised,
            before.fees,
            before.trades,
        )
        assert flip.allocation == Decimal(5000) and flip.params == {"qty": QTY}
        rest = again.get("rest")
        assert rest is not None and rest.runner.links == rest_links and len(rest.working()) == 1
        assert snap(again, "rest").open_orders == 1
        slot = again.get("flip")
        assert slot is not None and isinstance(slot.strategy, Flipper)
        flipper = slot.strategy
        assert flipper.bars_at_start >= 2  # warm from the venue's klines before it traded
        assert any(line.startswith("strategy flip resumed on BTCUSDT") for line in lines), lines
        assert second.journal.query(kinds=["strategy_resume"])

        # It trades on from its own position (one doubled by a lost position would show here).
        await venue.wait_for(
            lambda: flipper.bars_seen >= 3, timeout=5 * BAR_S, what="three bars after resume"
        )
        await venue.pass_time(1.0)
        assert abs(snap(again, "flip").position) == QTY
        assert account_size(second) == snap(again, "flip").position + Decimal("0.005")
    finally:
        await again.close()  # a clean close: journaled stops
        await second.stop()

    third = venue.engine(settings)
    await third.start()
    try:
        assert await Portfolio(third, poll_s=POLL_S).resume() == 0
    finally:
        await third.stop()
