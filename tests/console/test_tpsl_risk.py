"""The position TP/SL box (``p``) shows what its stop and take profit will close and lose or make:
the whole position, at the level that will be sent (rounded to the tick), the taker fee on the
exit included, and it follows every keystroke. Fake engine: BTCUSDT long 0.500 @ 49,500.0 with a
TP at 52,000.0 and no stop; ETHUSDT short 2.00 @ 3,010.00 with a stop at 3,100.00."""

from __future__ import annotations

from decimal import Decimal as D

from textual.widgets import Static

from console.screens.modals import ConfirmScreen
from console.screens.position_tools import TpSlScreen
from tests.support.console_fakes import fake, make_app
from tests.support.console_types import SIZE, Keys

TAKER = D("0.00055")


def risk(app: object) -> str:
    return str(app.screen.query_one("#tpsl-risk", Static).render())  # type: ignore[attr-defined]


def long_loss(size: D, entry: D, stop: D) -> D:
    """Worked by hand: the move to the stop plus the taker fee on the exit notional."""
    return size * (entry - stop) + size * stop * TAKER


async def test_the_box_shows_the_loss_at_the_stop_for_the_whole_position_as_typed(keys: Keys) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, TpSlScreen)
        shown = risk(app)
        assert "loss@stop  — no stop: the loss is not limited" in shown, shown
        # TP 52,000: 0.5 x 2,500 - 0.5 x 52,000 x 0.00055 = 1,250 - 14.30
        assert "profit@TP  +1,235.70 USDT at 52000.0 on 0.500 (the whole position" in shown, shown
        await pilot.press("tab", *keys("48000.07"))  # a long's stop rounds up to 48,000.1 when sent
        assert long_loss(D("0.5"), D("49500"), D("48000.1")).quantize(D("0.01")) == D("763.15")
        assert "loss@stop  763.15 USDT at 48000.1 on 0.500 (the whole position, fees incl.)" in risk(app)
        await pilot.press("ctrl+u", *keys("49000.5"))
        assert "loss@stop  263.23 USDT at 49000.5 on 0.500" in risk(app), risk(app)
        await pilot.press("ctrl+u", *keys("0"))  # 0 removes the stop
        assert "no stop: the loss is not limited" in risk(app)
        await pilot.press("ctrl+u", *keys("4,9"))
        assert "fix the field first" in risk(app)
        await pilot.press("escape")
        assert not [c for c in fake(app).calls if c[0] == "set_trading_stop"]


async def test_an_existing_stop_shows_its_loss_when_the_box_opens() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.main.positions.focus()
        await pilot.press("down")
        assert app.main.positions.selected_key == "ETHUSDT"
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, TpSlScreen)
        # short 2 @ 3,010, stop 3,100: 2 x 90 + 2 x 3,100 x 0.00055 = 180 + 3.41
        assert "loss@stop  183.41 USDT at 3100.00 on 2.00 (the whole position" in risk(app), risk(app)


async def test_the_breakeven_confirmation_shows_the_loss_at_the_new_stop() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmScreen)
        body = str(app.screen.query_one(".modal-body", Static).render())
        # stop at the entry 49,500.0: only the exit fee, 0.5 x 49,500 x 0.00055 = 13.6125
        assert "loss@stop  13.61 USDT on 0.500, the whole position" in body, body
