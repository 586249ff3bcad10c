"""The fills pane after a start on an account that already traded today (another session, or
this console before a restart): the day's earlier fills are listed and the day's realised PnL is
the venue's own, through the real engine on the sim over loopback HTTP/WS with pybit."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from core.sim.runner import SimVenueThread
from tests.support.console_types import SIZE, SYM, AppReady, RealApp, WaitUntil
from tests.support.engine_types import VenueHttp, VenueRows
from widgets.lines import LineWidget

QTY = "0.010"


def _shown(pane: LineWidget) -> list[str]:
    return ["".join(text for text, _ in line) for line in pane.lines]


async def test_fills_pane_lists_the_days_fills_made_before_start(
    sim_venue: SimVenueThread,
    tmp_path: Path,
    wait_until: WaitUntil,
    app_ready: AppReady,
    make_real_app: RealApp,
    venue_http: VenueHttp,
    venue_positions: VenueRows,
) -> None:
    outside = venue_http(sim_venue)  # another session on the account, before the console starts
    for side, reduce in (("Buy", False), ("Sell", True)):
        placed = outside.place_order(
            category="linear", symbol=SYM, side=side, orderType="Market", qty=QTY, reduceOnly=reduce
        )
        assert placed["retCode"] == 0, placed
    assert venue_positions(sim_venue) == []
    execs = outside.get_executions(category="linear", symbol=SYM)["result"]["list"]
    records = outside.get_closed_pnl(category="linear", symbol=SYM)["result"]["list"]
    fees = sum(Decimal(e["execFee"]) for e in execs)
    net_venue = sum(Decimal(r["closedPnl"]) for r in records)
    assert len(execs) >= 2 and records and fees > 0

    app, engine = make_real_app(sim_venue, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await app_ready(pilot, app, engine)
        fills = app.main.fills
        await wait_until(pilot, lambda: fills.summary.count == len(execs), "the day's fills in the pane")
        assert fills.summary.fees == fees
        assert fills.summary.net == net_venue  # the venue's closed PnL, net of both trades' fees
        assert fills.summary.by_symbol == {SYM: net_venue}
        lines = _shown(fills)
        assert lines[0].startswith(f"Today realised net {'+' if net_venue > 0 else ''}{net_venue:,.2f}")
        rows = lines[2 : 2 + len(execs)]
        assert {r.split()[2] for r in rows} == {"Buy", "Sell"}
        for e in execs:
            assert any(f"{Decimal(e['execPrice']):,.1f}" in r for r in rows)
        # The closing fills carry the realised PnL in their own column.
        assert any(r.rstrip().endswith(tuple("0123456789")) and "Sell" in r for r in rows)
