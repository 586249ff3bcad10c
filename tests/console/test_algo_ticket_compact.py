"""The algo ticket at 80x24 shows what Enter does and what it sends. Its preview is at most 18
lines tall; a bracket with three take-profits explained its plan first (each take-profit's
source, the shares, the stop, the exits in words) and the order it would send and the verdict
(``✔ entry Buy 0.010 at market``, ``READY — Enter starts it``) fell below the box's edge. The
verdict and the orders now come first, the explanation after."""

from __future__ import annotations

from textual.pilot import Pilot

from console.screens.algo_ticket import AlgoTicket
from tests.support.console_fakes import make_app
from tests.support.console_types import Keys

COMPACT = (80, 24)


def visible(ticket: AlgoTicket) -> str:
    """The preview's lines as drawn (what overflows its height is not)."""
    box = ticket.w_preview
    return "\n".join(box.render_line(y).text for y in range(box.size.height))


async def _bracket(pilot: Pilot[int], keys: Keys, tps: str) -> AlgoTicket:
    await pilot.press("A", *(["ctrl+n"] * 4))  # twap -> chase -> scale -> iceberg -> bracket
    ticket = pilot.app.screen
    assert isinstance(ticket, AlgoTicket) and ticket.kind == "bracket"
    await pilot.press(*keys("0.01"), "tab", "tab", *keys(tps), "tab", *keys("-1%"))
    await pilot.pause()
    return ticket


async def test_a_bracket_preview_at_80x24_shows_its_entry_and_verdict(keys: Keys) -> None:
    app = make_app()
    async with app.run_test(size=COMPACT) as pilot:
        ticket = await _bracket(pilot, keys, "1%,2%,3%")
        assert ticket.preview is not None and ticket.preview.ok, ticket.error
        shown = visible(ticket)
        assert "READY — Enter starts it" in shown, shown
        assert "entry" in shown and "Buy 0.010" in shown, shown
        await pilot.press("escape")
