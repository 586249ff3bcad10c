"""The console's full garbage collections run when nobody is typing, and never later than the
longest deferral (console/gc_pacer.py)."""

from __future__ import annotations

import gc

import pytest

from console import gc_pacer
from console.app import TradeConsoleApp
from console.gc_pacer import EVERY_S, MAX_DEFER_S, NO_AUTOMATIC_FULL, QUIET_S, GcPacer
from tests.support.console_fakes import FakeEngine, console_settings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def pacer(clock: Clock) -> tuple[GcPacer, list[float]]:
    made: list[float] = []
    return GcPacer(clock=clock, collect=lambda: made.append(clock.now)), made


def test_a_full_collection_waits_until_it_is_due_and_nobody_types() -> None:
    clock = Clock()
    p, made = pacer(clock)
    clock.now += EVERY_S - 0.1
    assert not p.tick(modal_open=False, keys=0)
    clock.now += 0.2
    assert not p.tick(modal_open=False, keys=1)  # a key since the last look: typing
    clock.now += QUIET_S / 2
    assert not p.tick(modal_open=False, keys=1)
    clock.now += QUIET_S
    assert p.tick(modal_open=False, keys=1)
    assert made == [clock.now] and p.collections == 1
    clock.now += 1
    assert not p.tick(modal_open=False, keys=1)  # the next one is EVERY_S away


def test_an_open_modal_or_endless_typing_defers_it_no_longer_than_the_limit() -> None:
    clock = Clock()
    p, made = pacer(clock)
    keys = 0
    while clock.now - 1000.0 < MAX_DEFER_S - 0.5:
        clock.now += 0.5
        keys += 1
        assert not p.tick(modal_open=True, keys=keys)
    clock.now += 0.5
    assert p.tick(modal_open=True, keys=keys + 1)
    assert len(made) == 1


def test_taking_over_turns_the_automatic_full_collections_off() -> None:
    before = gc.get_threshold()
    try:
        GcPacer().take_over()
        assert gc.get_threshold() == (before[0], before[1], NO_AUTOMATIC_FULL)
    finally:
        gc.set_threshold(*before)


async def test_the_console_that_settles_its_heap_paces_its_collections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    made: list[int] = []
    monkeypatch.setattr("console.startup_flow.settle_heap", lambda: None)  # never freeze a test process
    monkeypatch.setattr(GcPacer, "take_over", lambda self: None)
    monkeypatch.setattr(gc_pacer, "EVERY_S", 0.0)
    monkeypatch.setattr(gc_pacer, "QUIET_S", 0.0)
    monkeypatch.setattr(gc, "collect", lambda *a: made.append(1))
    settings = console_settings()
    engine = FakeEngine(settings)
    app = TradeConsoleApp(engine, settings, clock=engine.clock, freeze_heap=True)
    async with app.run_test(size=(160, 50)) as pilot:
        await app.workers.wait_for_complete()
        for _ in range(50):
            if made:
                break
            await pilot.pause(0.1)
        assert made, "the pacer ticks on the app's timer and collects when nobody types"


def test_the_entry_point_holds_the_collector_for_the_console_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """``trade-console`` holds the collector before its imports; every sub-command but the console
    releases it before it runs (a backtest or a sim must collect as usual)."""
    from console import cli, launch

    seen: dict[str | None, bool] = {}

    def handler(name: str | None) -> object:
        def run(_args: object) -> int:
            seen[name] = gc.isenabled()
            return 0

        return run

    monkeypatch.setattr(cli, "HANDLERS", {None: handler(None), "journal": handler("journal")})
    try:
        monkeypatch.setattr("sys.argv", ["trade-console", "journal"])
        assert launch.main() == 0
        monkeypatch.setattr("sys.argv", ["trade-console"])
        assert launch.main() == 0
    finally:
        gc_pacer.release_collections()
    assert seen == {"journal": True, None: False}


async def test_a_console_that_never_settles_releases_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    """A console whose first full frame never comes (no engine here; a venue that never answers)
    collects again :data:`HOLD_MAX_S` after its screen mounts."""
    monkeypatch.setattr("console.startup_flow.HOLD_MAX_S", 0.2)
    settings = console_settings()
    engine = FakeEngine(settings)
    app = TradeConsoleApp(engine, settings, clock=engine.clock, freeze_heap=True, start_engine=False)
    gc_pacer.hold_collections()
    try:
        async with app.run_test(size=(160, 50)) as pilot:
            for _ in range(50):
                if gc.isenabled():
                    break
                await pilot.pause(0.05)
            assert gc.isenabled()
    finally:
        gc_pacer.release_collections()


def test_settling_the_heap_releases_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    from console.startup_flow import settle_heap

    monkeypatch.setattr(gc, "freeze", lambda: None)  # never freeze a test process
    gc_pacer.hold_collections()
    try:
        settle_heap()
        assert gc.isenabled()
    finally:
        gc_pacer.release_collections()
