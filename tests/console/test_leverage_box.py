"""The leverage box shows the venue's margin mode even when the answer lands after the box was
composed but before it was mounted (it kept saying "asking the venue" for good)."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from textual.widget import Widget
from textual.widgets import Static

from console.screens.position_tools import LeverageScreen
from tests.support.console_fakes import make_app
from tests.support.console_types import SIZE


async def test_an_answer_between_compose_and_mount_is_drawn() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        box = LeverageScreen("BTCUSDT", Decimal(10), None, Decimal(20), "… (asking the venue)")
        composed = box.compose

        def compose() -> Iterable[Widget]:
            yield from composed()
            box.set_margin_mode("cross")  # the venue answered here: nothing mounted to update yet

        box.compose = compose  # type: ignore[method-assign]
        await app.push_screen(box)
        await pilot.pause()
        drawn = str(box.query_one("#lev-info", Static).render())
        assert "margin mode cross" in drawn, drawn
