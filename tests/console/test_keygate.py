"""The key gate itself: keys wait their turn, a slow marker is waited for, a marker whose path was
torn down is sent again through the current screen, a lost one never stalls input for good, and
the panic key is never stuck behind a burst."""

from __future__ import annotations

from decimal import Decimal

import pytest
from textual.widgets import Static

from console.keygate import KeyGate, KeySettled
from console.screens.panic import PanicScreen
from tests.support.console_fakes import amends, fake, make_app
from tests.support.console_types import SIZE, Burst, SelectOrder


async def test_a_marker_whose_path_was_torn_down_is_sent_again_and_keys_arrive_in_order(
    monkeypatch: pytest.MonkeyPatch,
    burst: Burst,
    select_order: SelectOrder,
) -> None:
    post = KeyGate._post_marker

    def into_a_removed_box(self: KeyGate) -> None:
        if self._marker is None:  # each key's first marker goes into a widget no longer attached
            self._token += 1
            self._marker = self._token
            self._target = Static()
            return
        post(self)

    monkeypatch.setattr(KeyGate, "_post_marker", into_a_removed_box)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.key_gate._timeout_s = 0.05
        await select_order(pilot, app, "tc-0001")
        await burst(pilot, "a", "tab", "0", ".", "2", "enter")
        assert amends(app) == [("tc-0001", Decimal("0.2"), None)]
        assert app.key_gate.timeouts >= 6 and app.key_gate.stalls == 0
        assert app.key_gate.idle


async def test_a_marker_lost_on_a_live_path_drops_the_waiting_keys_with_a_warning_then_input_works(
    monkeypatch: pytest.MonkeyPatch,
    burst: Burst,
    select_order: SelectOrder,
) -> None:
    lost = [True]
    post = KeyGate._post_marker
    monkeypatch.setattr(KeyGate, "_post_marker", lambda self: None if lost[0] else post(self))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.key_gate._timeout_s = 0.02
        app.key_gate._stall_s = 0.3
        await select_order(pilot, app, "tc-0001")
        # "a" opens the box, its marker never comes back: the keys typed after it are dropped,
        # never delivered blind (they could land in a field before the previous key took effect)
        await burst(pilot, "a", "tab", "0", ".", "2", "enter")
        gate = app.key_gate
        assert (gate.stalls, gate.dropped) == (1, 5)
        assert amends(app) == []
        assert any("were dropped, type them again" in str(n.message) for n in app._notifications)
        lost[0] = False
        await burst(pilot, "tab", "0", ".", "3", "enter")  # the box is open: typing works again
        assert amends(app) == [("tc-0001", Decimal("0.3"), None)]
        assert gate.idle


async def test_keys_are_delivered_one_at_a_time_and_counted(burst: Burst, select_order: SelectOrder) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await select_order(pilot, app, "tc-0001")
        await burst(pilot, "a", "ctrl+u", "1", "enter")
        gate = app.key_gate
        assert (gate.delivered, gate.stalls, gate.dropped) == (4, 0, 0)
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
    # Every marker is lost, so the first key holds the gate (up to the stall time): the keys typed
    # before the panic key (including a stray "y") are still waiting when it arrives.
    monkeypatch.setattr(KeyGate, "_post_marker", lambda self: None)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        app.key_gate._stall_s = 30.0
        await select_order(pilot, app, "tc-0001")
        await burst(pilot, "a", "9", "y", "ctrl+k")
        await pilot.pause()
        assert isinstance(app.screen, PanicScreen)
        assert app.key_gate.dropped == 2  # "9" and "y" were waiting; neither reaches the panic box
        await pilot.pause(0.1)
        assert isinstance(app.screen, PanicScreen)
        assert not [c for c in fake(app).calls if c[0] == "panic"]


async def test_a_marker_that_comes_back_after_the_app_closed_frees_the_gate() -> None:
    # Seen at exit: Escape's marker was still on its way when the screens were torn down, and the
    # gate asked the empty screen stack for the current screen (ScreenStackError at quit).
    app = make_app()
    async with app.run_test(size=SIZE):
        gate = app.key_gate
    gate._busy = gate._marker = gate._token = 99
    await gate.settled(KeySettled(99))
    assert gate.idle
