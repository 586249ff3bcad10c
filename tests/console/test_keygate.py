"""The key gate itself: keys wait their turn, a lost marker never stalls input for good, and the
panic key is never stuck behind a burst."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.keygate import KeyGate
from console.screens.panic import PanicScreen
from tests.support.console_fakes import amends, fake, make_app
from tests.support.console_types import SIZE, Burst, SelectOrder


async def test_a_lost_marker_is_given_up_and_keys_still_arrive_in_order(
    monkeypatch: pytest.MonkeyPatch,
    burst: Burst,
    select_order: SelectOrder,
) -> None:
    monkeypatch.setattr(KeyGate, "_post_marker", lambda self, token: None)  # every marker lost
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.key_gate._timeout_s = 0.05
        await select_order(pilot, app, "tc-0001")
        await burst(pilot, "a", "tab", "0", ".", "2", "enter")
        assert amends(app) == [("tc-0001", Decimal("0.2"), None)]
        assert app.key_gate.timeouts >= 6
        assert app.key_gate.idle


async def test_keys_are_delivered_one_at_a_time_and_counted(burst: Burst, select_order: SelectOrder) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        # Every marker must come back on its own: a loaded machine may be slower than the
        # production give-up time (0.5 s), which a lost marker's own test covers.
        app.key_gate._timeout_s = 10.0
        await select_order(pilot, app, "tc-0001")
        await burst(pilot, "a", "ctrl+u", "1", "enter")
        assert app.key_gate.delivered == 4 and app.key_gate.timeouts == 0
        assert amends(app) == [("tc-0001", None, Decimal("1"))]


async def test_panic_opens_even_while_keys_wait(burst: Burst, select_order: SelectOrder) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_order(pilot, app, "tc-0001")
        await burst(pilot, "a", "9", "ctrl+k")
        assert isinstance(app.screen, PanicScreen)
        assert not [c for c in fake(app).calls if c[0] == "panic"]


async def test_panic_jumps_the_queue_and_keys_waiting_behind_it_never_answer_the_confirmation(
    monkeypatch: pytest.MonkeyPatch,
    burst: Burst,
    select_order: SelectOrder,
) -> None:
    # Every marker is lost, so each key holds the gate for the full timeout: the keys typed before
    # the panic key (including a stray "y") are still waiting when it arrives.
    monkeypatch.setattr(KeyGate, "_post_marker", lambda self, token: None)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.key_gate._timeout_s = 5.0
        await select_order(pilot, app, "tc-0001")
        await burst(pilot, "a", "9", "y", "ctrl+k")
        await pilot.pause()
        assert isinstance(app.screen, PanicScreen)
        assert app.key_gate.dropped == 2  # "9" and "y" were waiting; neither reaches the panic box
        await pilot.pause(0.1)
        assert isinstance(app.screen, PanicScreen)
        assert not [c for c in fake(app).calls if c[0] == "panic"]
