"""Every ticket flag shows its state in text, not only in colour: a trader on a monochrome
terminal, with ``NO_COLOR`` or reading a plain-text capture must see whether reduce-only is on.
Checked on the drawn characters (styles dropped) of the order ticket's and the algo ticket's
flags, each toggled with Space as a trader does."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from console.screens.algo_ticket import AlgoTicket
from console.screens.ticket import FlagBox, OrderTicket
from tests.support.console_fakes import make_app

SIZE = (80, 24)


def drawn(flag: FlagBox) -> str:
    """The characters the flag puts on screen, without any style."""
    return flag.render_line(0).text


async def _toggle_and_read(pilot: Pilot[int], flag: FlagBox) -> tuple[str, str]:
    flag.focus()
    await pilot.pause()
    before = drawn(flag)
    assert not flag.value
    await pilot.press("space")
    await pilot.pause()
    assert flag.value
    return before, drawn(flag)


@pytest.mark.parametrize(("key", "ticket_type", "flag_ids"), [
    ("b", OrderTicket, ("#t-ro", "#t-po")),
    ("A", AlgoTicket, ("#a-ro", "#a-flag2")),
])  # fmt: skip
async def test_ticked_and_unticked_flags_differ_in_text(
    key: str, ticket_type: type, flag_ids: tuple[str, ...]
) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, ticket_type)
        for flag_id in flag_ids:
            flag = app.screen.query_one(flag_id, FlagBox)
            off, on = await _toggle_and_read(pilot, flag)
            assert off != on, (flag_id, off, on)
            assert "[ ]" in off and "[x]" in on, (flag_id, off, on)
