"""Typing in the command line repaints it without laying the screen out: the prompt's size is
fixed, and at 160x50 the preview keeps a fixed minimum height, so a line going from refused to
ready and back keeps the box where it is. A prompt longer than its width still shows the cursor."""

from __future__ import annotations

import pytest

from console.screens.cmdline import CommandLine
from tests.support.console_fakes import make_app

KEYS = {" ": "space", ".": "full_stop", "@": "at", "-": "minus", "%": "percent_sign"}


async def test_typing_into_a_ready_and_refused_line_does_not_lay_the_command_line_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("colon")
        screen = app.screen
        assert isinstance(screen, CommandLine)
        for ch in "buy 0.01 @ -0.1":
            await pilot.press(KEYS.get(ch, ch))
        await pilot.pause()
        layouts: list[object] = []
        refresh_layout = type(screen)._refresh_layout

        def counting(self: CommandLine, *args: object, **kwargs: object) -> None:
            layouts.append(self)
            refresh_layout(self, *args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(type(screen), "_refresh_layout", counting)
        box = screen.query_one("#cmd-box").region
        for _ in range(3):
            await pilot.press("percent_sign")
            await pilot.pause()
            assert screen.plan is not None and screen.plan.ready, screen.plan
            await pilot.press("backspace")
            await pilot.pause()
            assert screen.plan is not None and not screen.plan.ready
        assert layouts == []
        assert screen.query_one("#cmd-box").region == box


async def test_a_prompt_longer_than_the_screen_still_shows_its_cursor() -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("colon")
        screen = app.screen
        assert isinstance(screen, CommandLine)
        text = "buy 0.01 " + "x" * 120 + " end"
        for ch in text:
            await pilot.press(KEYS.get(ch, ch))
        await pilot.pause()
        prompt = screen.input
        assert prompt.value == text
        assert prompt.scroll_offset.x > 0  # scrolled to the cursor
        shown = "".join(strip.text for strip in prompt.render_lines(prompt.region.reset_offset))
        assert shown.rstrip().endswith("end")
