"""The cross-venue pane on fixed data: its cells (spread highlighted at the threshold, signs,
funding, countdowns, LEG RISK) and snapshots of the pane at a wide and a compact size."""

from __future__ import annotations

from decimal import Decimal

from textual.app import App, ComposeResult

from core.market.crossvenue import VenueQuote, cross_view
from core.model import BookView
from tests.support.console_fakes import fake
from tests.support.console_types import SnapCompare
from tests.support.crossvenue_fake import NOW, book, pair_app
from themes import THEME_VARIABLE_DEFAULTS
from widgets.crossvenue import CrossVenuePane, countdown, cross_cells

D = Decimal
HOUR = 3_600_000
TAKER = D("0.00055")
THRESHOLD = D(5)

ROWS = [
    cross_view(
        "BTCUSDT",
        VenueQuote("BTCUSDT", D("95000.1"), D("95000.2"), TAKER, D("0.0001"), NOW + 8 * HOUR - 60_000),
        VenueQuote(
            "BTCUSDT.HL", D("95210.0"), D("95211.0"), D("0.00035"), D("0.0000125"), NOW + HOUR - 61_000
        ),
    ),
    cross_view(
        "ETHUSDT",
        VenueQuote("ETHUSDT", D("3400.10"), D("3400.20"), TAKER, D("-0.00005"), NOW + 8 * HOUR),
        VenueQuote("ETHUSDT.HL", D("3399.9"), D("3400.4"), D("0.00035"), None, 0),
    ),
]
PAIRS = {"ETHUSDT": "LEG RISK u/m"}
PLACES = {"BTCUSDT": 1, "BTCUSDT.HL": 1, "ETHUSDT": 2, "ETHUSDT.HL": 1}


class PaneApp(App[None]):
    """Only the pane, fed once."""

    def get_theme_variable_defaults(self) -> dict[str, str]:
        return dict(THEME_VARIABLE_DEFAULTS)

    def compose(self) -> ComposeResult:
        yield CrossVenuePane(id="crossvenue")

    def on_mount(self) -> None:
        self.query_one(CrossVenuePane).update_cross(
            ROWS, now_ms=NOW, threshold_bps=THRESHOLD, price_places=PLACES, pairs=PAIRS
        )


def test_cells_highlight_the_threshold_and_say_leg_risk() -> None:
    btc = cross_cells(ROWS[0], (1, 1), THRESHOLD, NOW, "")
    # buy BTC on A at 95000.2 (+5.5 bps fee), sell on B at 95210.0 (-3.5 bps fee): about +13 bps
    assert btc["ab"] == ("!+13.1", "xv--alert")
    assert btc["ba"][1] == "xv--neg" and btc["ba"][0].startswith("-")
    assert btc["fund_a"] == ("+0.0100%", "xv--pos")
    assert btc["next"][0] == "7h59m/58m59s"
    assert btc["bid_b"] == ("95,210.0", "xv--bid")
    eth = cross_cells(ROWS[1], (2, 1), THRESHOLD, NOW, "LEG RISK u/m")
    assert eth["pair"] == ("LEG RISK u/m", "xv--legrisk")
    assert eth["fund_b"] == ("—", "") and eth["next"][0] == "8h00m/—"
    assert eth["fund_a"] == ("-0.0050%", "xv--neg")


def test_every_cell_leaves_a_gap_before_the_next_column() -> None:
    """A cell as wide as its column ran into its neighbour ("+0.0020%5h49m/49m32s")."""
    cells = cross_cells(ROWS[0], (1, 1), THRESHOLD, NOW, "")
    cells["next"] = (f"{countdown(NOW + 28_799_000, NOW)}/{countdown(NOW + 3_599_000, NOW)}", "")
    for profile in CrossVenuePane.PROFILES:
        for col in profile:
            assert len(cells[col.key][0]) < col.width, (col, cells[col.key])


def test_countdown_units() -> None:
    assert countdown(0, NOW) == "—"
    assert countdown(NOW - 5, NOW) == "0s"
    assert countdown(NOW + 59_999, NOW) == "59s"
    assert countdown(NOW + 61_000, NOW) == "1m01s"


def test_pane_snapshot_wide(snap_compare: SnapCompare) -> None:
    assert snap_compare(PaneApp(), terminal_size=(118, 6))


def test_pane_snapshot_compact(snap_compare: SnapCompare) -> None:
    assert snap_compare(PaneApp(), terminal_size=(56, 6))


async def test_alert_fires_once_through_the_toast_and_the_log_and_rearms() -> None:
    """On the deterministic engine: the pane follows the store, and the spread alert fires once
    when the spread after fees reaches alert_bps, again only after falling back below."""
    app = pair_app()
    store = fake(app).store
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("7")

        def show(bid_b: str) -> None:
            store.put_book(book("BTCUSDT", "95000.0", "95000.1"))
            store.put_book(book("BTCUSDT.HL", bid_b, "95300.0"))
            app.refresh_ui(force=True)

        def alerts() -> list[str]:
            return [line for line in app.main.log_pane.history if "ALERT BTCUSDT A→B" in line]

        show("95000.0")  # A→B about -11 bps after both taker fees: no alert
        await pilot.pause()
        assert app.main.crossvenue.rows_shown["BTCUSDT"][3][0] == "95,000.00"
        assert alerts() == []
        show("95200.0")  # about +10 bps: alert
        await pilot.pause()
        assert app.main.crossvenue.rows_shown["BTCUSDT"][3][0] == "95,200.00"  # the pane followed
        assert len(alerts()) == 1
        assert any("alert crossvenue" in str(n.message) for n in app._notifications)
        show("95210.0")  # still above: no repeat
        show("95000.0")  # below: re-armed
        show("95200.0")  # above again: a second alert
        await pilot.pause()
        assert len(alerts()) == 2


async def test_no_spread_alert_against_a_stale_book() -> None:
    """Before: with one venue down its last book stayed in the store, and the spread against it
    alerted (a log line and a toast) as if it could be traded."""
    app = pair_app()
    store = fake(app).store
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("7")

        def show(*, stale: bool) -> None:
            store.put_book(book("BTCUSDT", "95000.0", "95000.1"))
            hl = book("BTCUSDT.HL", "95200.0", "95300.0")  # about +10 bps after fees
            store.put_book(BookView(hl.symbol, hl.bids, hl.asks, hl.update_id, hl.seq, hl.ts_ms, stale))
            app.refresh_ui(force=True)

        def alerts() -> list[str]:
            return [line for line in app.main.log_pane.history if "ALERT BTCUSDT A→B" in line]

        show(stale=True)
        await pilot.pause()
        assert alerts() == []
        show(stale=False)  # the venue is back: the same spread alerts
        await pilot.pause()
        assert len(alerts()) == 1
