"""A paired order left in leg risk survives a restart of the console: the real engine over the
composite venue whose legs are in-process venues on virtual clocks (as in
``tests/console/test_crossvenue_console.py``). The first session sends a pair from the keyboard
whose second leg the venue refuses (LEG RISK) and quits; the second session, on the same journal
and venues, shows the pair in leg risk again (the pane's row, the log) and ``u`` unwinds it: both
venues end flat and the journal says how the leg risk ended."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from console.app import TradeConsoleApp
from core.clock import FrozenClock
from core.engine import Engine
from core.orders import paired_journal as pj
from core.orders.paired import PairState
from core.resilience.errors import Rejected
from core.venues.multi.venue import MultiVenue
from tests.support.console_types import SIZE
from tests.support.crossvenue_rig import (
    REJECT_CODE,
    A,
    TwoVenues,
    advance_until,
    cell,
    open_pane,
    send_pair,
)

D = Decimal


async def test_leg_risk_is_shown_again_after_a_restart_and_unwound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    two = TwoVenues(tmp_path)
    clock = two.clock
    assert isinstance(clock, FrozenClock)

    def refuse(order: Any) -> Any:
        raise Rejected(REJECT_CODE, "injected: ab not enough for new order", endpoint="place")

    app = TradeConsoleApp(two.engine, two.settings, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_pane(pilot, app, two)
        with monkeypatch.context() as patch:
            patch.setattr(two.b, "place", refuse)
            await send_pair(pilot, app, two, "0.01")
            pair = app.crossvenue.desk.latest(A)
            assert pair is not None
            await advance_until(pilot, two, lambda: pair.state == PairState.LEG_RISK, "leg risk")
        pair_id = pair.pair_id
    assert two.size(two.a) == D("0.01") and two.size(two.b) == 0

    # the restart: a new engine and console on the same journal and venues
    engine = Engine(two.settings, clock=clock, venue=MultiVenue([two.a, two.b]))
    two.engine = engine
    app = TradeConsoleApp(engine, two.settings, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await open_pane(pilot, app, two)
        again = app.crossvenue.desk.latest(A)
        assert again is not None and again.pair_id == pair_id and again.state == PairState.LEG_RISK
        assert any("still in leg risk" in line for line in app.main.log_pane.history)
        await advance_until(pilot, two, lambda: cell(app, "pair") == "LEG RISK u/m", "the row in leg risk")

        await pilot.press("u")
        await advance_until(pilot, two, lambda: again.state == PairState.UNWOUND, "unwound")
        assert two.size(two.a) == 0 and two.size(two.b) == 0
        hows = [r.data.get("how") for r in engine.journal_notes(pj.KINDS) if r.kind == pj.RESOLVED]
        assert hows == [pj.UNWOUND]
