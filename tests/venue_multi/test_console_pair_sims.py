"""Issue 14's "done when", end to end on the two real sims over loopback (started as ``run_console``
starts them: the Bybit sim on ``sim.port``, the Hyperliquid sim on the next, markets running): the
console shows the cross-venue pane updating live (``7``), a paired order is sent from the
keyboard (``P``, the quantity, Enter) through the risk chain to both venues, the Hyperliquid
leg is refused by the venue itself (its margin at 1x cannot carry it) so the pair is in LEG RISK,
and ``u`` unwinds the filled Bybit leg: both venues end flat on their own records."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from console.app import TradeConsoleApp
from console.runner import Stoppable, start_embedded_sims
from console.screens.paired import PairedTicket
from core.config import Settings
from core.engine import Engine
from core.orders.paired import PairState
from core.sim.hyperliquid.runner import HlSimThread
from core.sim.runner import SimVenueThread
from core.venues.multi.venue import MultiVenue
from tests.support.console_late_leg import A, B, pair_settings, until
from tests.support.console_types import SIZE

QTY = "1.2"
"""About 110,000 USDT of BTC: the Bybit leg fills; at 1x the Hyperliquid account (100,000) cannot."""


@pytest.fixture
def both(tmp_path: Path) -> Iterator[tuple[Settings, list[Stoppable]]]:
    sims, settings = start_embedded_sims(pair_settings(tmp_path))
    try:
        assert len(sims) == 2
        yield settings, sims
    finally:
        for sim in sims:
            sim.stop()


def cell(app: TradeConsoleApp, column: str) -> str:
    pane = app.main.crossvenue
    return pane.rows_shown[A][pane.column_keys.index(column)][0]


def positions(sims: list[Stoppable]) -> tuple[Decimal, Decimal]:
    """(Bybit BTCUSDT, Hyperliquid BTC) signed sizes, as each sim holds them."""
    bybit, hl = sims
    assert isinstance(bybit, SimVenueThread) and isinstance(hl, HlSimThread)

    def held(accounts: dict[str, Any]) -> Decimal:
        for acct in accounts.values():
            p = acct.positions.get(A)
            if p is not None and p.size:
                return Decimal(p.spec.qty(abs(p.size))) * (1 if p.size > 0 else -1)
        return Decimal(0)

    exchange: Any = bybit.exchange
    return bybit.call(lambda: held(exchange.accounts)), hl.call(lambda: held(hl.server.venue.core.accounts))


async def test_a_pair_sent_from_the_keyboard_on_both_sims_is_unwound_from_leg_risk(
    both: tuple[Settings, list[Stoppable]],
) -> None:
    settings, sims = both
    engine = Engine(settings)
    assert isinstance(engine.venue, MultiVenue)
    app = TradeConsoleApp(engine, settings)
    async with app.run_test(size=SIZE) as pilot:
        await until(
            pilot,
            lambda: app.engine_started and all(engine.store.book(s) is not None for s in (A, B)),
            "both venues' books",
        )
        assert (await engine.set_leverage(B, Decimal(1))).ok  # the Hyperliquid leg at 1x

        await pilot.press("7")
        assert app.main.crossvenue.display
        await until(pilot, lambda: A in app.main.crossvenue.rows_shown, "the BTCUSDT row")
        first = (cell(app, "bid_a"), cell(app, "bid_b"), cell(app, "ask_a"), cell(app, "ask_b"))
        await until(
            pilot,
            lambda: (cell(app, "bid_a"), cell(app, "bid_b"), cell(app, "ask_a"), cell(app, "ask_b")) != first,
            "the pane updating live",
        )

        await pilot.press("P")
        assert isinstance(app.screen, PairedTicket)
        await pilot.press(*QTY)
        preview = str(app.screen.w_preview.render())
        assert f"BUY 1.200 {A} market" in preview and f"SELL 1.200 {B} market" in preview, preview
        await pilot.press("enter")
        await until(pilot, lambda: app.crossvenue.desk.latest(A) is not None, "the pair sent")
        pair = app.crossvenue.desk.latest(A)
        assert pair is not None
        await until(pilot, lambda: pair.state == PairState.LEG_RISK, "leg risk")
        assert pair.note.startswith(f"LEG RISK {B}"), pair.note
        assert positions(sims) == (Decimal(QTY), Decimal(0))
        await until(pilot, lambda: cell(app, "pair") == "LEG RISK u/m", "the row in leg risk")

        await pilot.press("u")
        await until(pilot, lambda: pair.state == PairState.UNWOUND, "unwound")
        assert positions(sims) == (Decimal(0), Decimal(0))
        assert engine.state.positions.get(A) is None or engine.state.positions[A].is_flat
