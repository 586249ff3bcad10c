"""The cross-venue pane marks a venue whose book is down or stale: its last prices stay, dimmed,
and the spreads and basis against it read ``stale`` instead of numbers that look live (before,
the pane showed a down venue's last prices as if they were current, and the spread from them)."""

from __future__ import annotations

from decimal import Decimal

from core.market.crossvenue import VenueQuote, cross_view
from tests.support.console_fakes import fake
from tests.support.crossvenue_fake import NOW, book, pair_app
from widgets.crossvenue import STALE, cross_cells

D = Decimal
TAKER = D("0.00055")
THRESHOLD = D(5)
ROW = cross_view(
    "BTCUSDT",
    VenueQuote("BTCUSDT", D("95000.1"), D("95000.2"), TAKER),
    VenueQuote("BTCUSDT.HL", D("95210.0"), D("95211.0"), TAKER),
)


def test_a_stale_venue_is_dimmed_and_nothing_computed_from_it_looks_live() -> None:
    live = cross_cells(ROW, (1, 1), THRESHOLD, NOW, "")
    assert live["bid_b"] == ("95,210.0", "xv--bid") and live["ab"][0].startswith("!+")
    stale = cross_cells(ROW, (1, 1), THRESHOLD, NOW, "", (False, True))
    assert stale["bid_b"] == ("95,210.0", "xv--stale") and stale["ask_b"][1] == "xv--stale"
    assert stale["bid_a"] == ("95,000.1", "xv--bid")  # the live venue as it is
    assert stale["ab"] == stale["ba"] == stale["basis"] == (STALE, "xv--stale")


async def test_the_pane_marks_a_stale_venue_and_recovers_when_it_is_live_again() -> None:
    app = pair_app()
    store = fake(app).store
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("7")
        pane = app.main.crossvenue

        def show(*, stale: bool) -> dict[str, tuple[str, str]]:
            store.put_book(book("BTCUSDT", "95000.0", "95000.1"))
            store.put_book(book("BTCUSDT.HL", "95200.0", "95300.0", stale=stale))
            app.refresh_ui(force=True)
            row = pane.rows_shown["BTCUSDT"]
            return {key: (str(row[i][0]), str(row[i][1])) for i, key in enumerate(pane.column_keys)}

        def alerts() -> list[str]:
            return [line for line in app.main.log_pane.history if "ALERT BTCUSDT" in line]

        shown = show(stale=True)
        await pilot.pause()
        assert shown["bid_b"] == ("95,200.00", "xv--stale")
        assert shown["ab"][0] == shown["ba"][0] == shown["basis"][0] == STALE
        assert shown["bid_a"][1] == "xv--bid"
        assert alerts() == []  # no alert against a stale venue

        shown = show(stale=False)
        await pilot.pause()
        assert shown["bid_b"] == ("95,200.00", "xv--bid")
        assert shown["ab"][0].startswith("!+") and shown["basis"][0] != STALE
        assert len(alerts()) == 1

        store.put_book(book("BTCUSDT", "95000.0", "95000.1", stale=True))  # the primary goes stale too
        app.refresh_ui(force=True)
        await pilot.pause()
        assert pane.rows_shown["BTCUSDT"][pane.column_keys.index("bid_a")][1] == "xv--stale"
