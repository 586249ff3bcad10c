"""Restart the console mid-algo and find it resumed, on the real engine and a sim venue (pybit over
loopback): a TWAP started from the command line is in the algos pane; the trader quits (the
confirmation says the running algo is not cancelled and resumes at the next start) and the algo
has no end in the journal; a new console on the same journal and the same venue shows the same
algo resumed in its pane, and it completes with one child per slice on the venue (no duplicate)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from console.quitting import quit_notice
from console.screens.cmdline import CommandLine
from console.screens.modals import ConfirmScreen
from core.journal.journal import Journal
from core.model import Mode
from core.sim.runner import SimVenueThread
from tests.support.console_types import SIZE, SYM, AppReady, RealApp, WaitUntil
from tests.support.engine_types import VenueHttp

SLICES = 3
TOTAL = Decimal("0.003")
LINE = f"twap buy {TOTAL} {SYM} 30s x{SLICES}"
"""Three taker slices, one every 10 s: room to quit mid-algo on a loaded machine, short enough to
finish inside the test."""

ONE_ALGO = "1 algo not ended (running, waiting or paused): NOT cancelled"
TWO_ALGOS = "2 algos not ended (running, waiting or paused): NOT cancelled"


def _venue_children(venue: SimVenueThread, venue_http: VenueHttp, algo_id: str) -> list[str]:
    """Every order the venue holds or held whose client order id is one of the algo's children."""
    http = venue_http(venue)
    rows = [
        *http.get_open_orders(category="linear", symbol=SYM, limit=50)["result"]["list"],
        *http.get_order_history(category="linear", symbol=SYM, limit=50)["result"]["list"],
    ]
    return [r["orderLinkId"] for r in rows if str(r["orderLinkId"]).startswith(f"{algo_id}-")]


def _algo_ends(path: Path, algo_id: str) -> int:
    journal = Journal(path)
    try:
        return sum(1 for r in journal.query(kinds=["algo_end"]) if r.data.get("algo_id") == algo_id)
    finally:
        journal.close()


async def test_quit_mid_twap_and_the_next_console_resumes_it_without_duplicates(
    sim_venue: SimVenueThread,
    tmp_path: Path,
    wait_until: WaitUntil,
    app_ready: AppReady,
    make_real_app: RealApp,
    venue_http: VenueHttp,
) -> None:
    app, engine = make_real_app(sim_venue, tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await app_ready(pilot, app, engine)
        await pilot.press(":")
        screen = app.screen
        assert isinstance(screen, CommandLine)
        screen.input.value = LINE  # typed lines are slow on a live engine
        await pilot.pause()
        assert screen.plan is not None and screen.plan.ready, screen.plan
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(engine.algos()), "the TWAP started")
        (algo,) = engine.algos()
        algo_id = algo.id
        await wait_until(pilot, lambda: engine.algos()[0].filled > 0, "the first slice filled")
        assert engine.algos()[0].filled < TOTAL
        pane = app.main.algos
        await wait_until(pilot, lambda: pane.display and pane.row_count == 1, "the algo in the pane")
        await pilot.press("q")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the quit confirmation")
        confirm = app.screen
        assert isinstance(confirm, ConfirmScreen)
        body = confirm.body
        assert ONE_ALGO in body and "resume" in body, body
        await pilot.press("y")
        await pilot.pause()
    assert not engine.algos()[0].terminal  # quitting stopped working it without ending it
    journal_path = tmp_path / "journal.db"  # real_settings puts it there
    assert _algo_ends(journal_path, algo_id) == 0
    sent_before = _venue_children(sim_venue, venue_http, algo_id)
    assert 1 <= len(sent_before) < SLICES, sent_before

    again, second = make_real_app(sim_venue, tmp_path)
    async with again.run_test(size=SIZE) as pilot:
        await app_ready(pilot, again, second)
        await wait_until(pilot, lambda: [a.id for a in second.algos()] == [algo_id], "the algo resumed")
        pane = again.main.algos
        await wait_until(pilot, lambda: pane.display and pane.row_count == 1, "the resumed algo in the pane")
        assert algo_id in [key.value for key in pane.rows]
        await wait_until(
            pilot,
            lambda: any("1 algo resumed from the journal" in ln for ln in again.main.log_pane.history),
            "the log says one algo resumed (it said '1 algos')",
        )
        await wait_until(pilot, lambda: second.algos()[0].terminal, "the TWAP done", tries=600)
        snap = second.algos()[0]
        assert (snap.state, snap.filled) == ("done", TOTAL), snap.note
        await wait_until(pilot, lambda: "done" in str(pane.get_row_at(0)), "the pane says done")
    children = _venue_children(sim_venue, venue_http, algo_id)
    assert len(children) == len(set(children)) == SLICES, children
    assert set(sent_before) <= set(children)


def test_quit_asks_when_only_an_algo_runs_and_says_it_is_not_cancelled() -> None:
    alone = quit_notice(Mode.DEMO, embedded_sim=False, venue="", n_orders=0, n_positions=0, n_algos=2)
    assert alone is not None
    assert alone.startswith(TWO_ALGOS) and "resume from the journal" in alone
    assert "cancel it in the algos pane (x)" in alone
    both = quit_notice(Mode.LIVE, embedded_sim=False, venue="", n_orders=1, n_positions=1, n_algos=1)
    assert both is not None and "STAY ON Bybit MAINNET" in both and ONE_ALGO in both
    embedded = quit_notice(Mode.SIM, embedded_sim=True, venue="", n_orders=0, n_positions=1, n_algos=1)
    assert embedded is not None and "disappear" in embedded and "fresh built-in sim" in embedded
    assert quit_notice(Mode.SIM, embedded_sim=False, venue="", n_orders=0, n_positions=0, n_algos=0) is None
