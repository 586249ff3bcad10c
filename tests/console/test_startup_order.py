"""Start-up order on the deterministic fake engine: the engine's start overlaps building the main
screen, the reused modals are composed after the engine's first frame (and still open on the first
key), and a ticket's preview following the market repaints without laying the ticket out again."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest
from textual.pilot import Pilot
from textual.screen import Screen

from console.app import TradeConsoleApp
from console.screens.ticket import OrderTicket
from tests.support.console_fakes import fake, make_app
from tests.support.console_types import SIZE
from widgets.log_pane import EventLog


class _StartSeen:
    """What the app looked like when the engine's ``start`` was called."""

    def __init__(self, app: TradeConsoleApp) -> None:
        self.main_mounted: bool | None = None
        self.ticket_built: bool | None = None
        self.metrics: bool | None = None
        engine = fake(app)
        inner = engine.start

        async def start(*, metrics: bool = True) -> None:
            self.main_mounted = app.main.is_mounted
            self.ticket_built = app.tickets.ticket is not None
            self.metrics = metrics
            await inner(metrics=metrics)

        engine.start = start  # type: ignore[method-assign]


async def test_the_engine_starts_while_the_main_screen_is_built() -> None:
    """The engine's start-up (mostly waiting on the venue) no longer waits for the main screen to
    be composed and mounted; what it says is shown once the screen is up."""
    app = make_app(refresh=True)
    seen = _StartSeen(app)
    async with app.run_test(size=SIZE) as pilot:
        while not app.engine_started:
            await pilot.pause(0.05)
        assert seen.main_mounted is False, "the engine started before the main screen was mounted"
        assert app.main.is_mounted
        await pilot.pause()
        log = app.main.query_one(EventLog)
        assert any("engine started" in line for line in log.history)


async def test_reused_modals_are_composed_after_the_engines_first_frame() -> None:
    """The ticket is not composed ahead of the engine's start (it competed with it for the loop);
    it is composed right after, and the first ``b`` opens that same ticket."""
    app = make_app()
    seen = _StartSeen(app)
    async with app.run_test(size=SIZE) as pilot:
        while app.tickets.ticket is None or not app.tickets.ticket.is_mounted:
            await pilot.pause(0.05)
        assert seen.ticket_built is False
        built = app.tickets.ticket
        await pilot.press("b")
        assert app.screen is built


async def test_the_metrics_server_starts_after_the_first_frame() -> None:
    """The engine starts without its metrics/health server (importing its HTTP stack and starting
    its thread was ~0.1 s of the launch); the console starts it once the modals are composed."""
    app = make_app()
    seen = _StartSeen(app)
    engine = fake(app)
    async with app.run_test(size=SIZE) as pilot:
        while app.tickets.ticket is None or not app.tickets.ticket.is_mounted:
            await pilot.pause(0.05)
        assert seen.metrics is False, "the engine's start-up started the metrics server"
        while not engine.metrics_started:
            await pilot.pause(0.05)


async def test_a_start_up_that_never_ends_still_starts_the_metrics_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A venue that does not answer keeps the engine's start-up (and so the first full frame)
    waiting: /healthz must still come up and say why, a moment after the screen mounts."""
    monkeypatch.setattr("console.startup_flow.METRICS_AT_LATEST_S", 0.2)
    app = make_app()
    engine = fake(app)
    never = asyncio.Event()

    async def start(*, metrics: bool = True) -> None:
        await never.wait()

    engine.start = start  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(100):
            if engine.metrics_started:
                break
            await pilot.pause(0.05)
        assert engine.metrics_started and not app.engine_started


async def test_the_first_ticket_opens_even_before_it_was_prebuilt() -> None:
    """``b`` pressed before the reused ticket exists composes it on the spot (as before)."""
    base = make_app()
    app = TradeConsoleApp(base.engine, base.settings, clock=base.clock, refresh=False, start_engine=False)
    app.prebuild_modals = lambda *, settle=False, metrics=False: None  # type: ignore[method-assign]
    async with app.run_test(size=SIZE) as pilot:
        assert app.tickets.ticket is None
        await pilot.press("b")
        assert isinstance(app.screen, OrderTicket) and app.screen is app.tickets.ticket


async def test_the_ticket_follows_the_market_without_a_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    """A market move changes the ticket's title and preview text, not their sizes: the ticket is
    repainted, not laid out again (each layout was a reflow and a full repaint, backdrop included)."""
    app = make_app()
    layouts: list[Screen[object]] = []
    refresh_layout = Screen._refresh_layout

    def counted(self: Screen[object], *args: object, **kwargs: object) -> None:
        layouts.append(self)
        refresh_layout(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Screen, "_refresh_layout", counted)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b", "1")
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        await pilot.pause()
        before = str(ticket.w_title.render())
        layouts.clear()
        ref = ticket.ref_price
        assert ref is not None and ticket.best_bid is not None and ticket.best_ask is not None
        step = Decimal(7)
        assert ticket.market_update(ref + step, ticket.best_bid + step, ticket.best_ask + step, ticket.equity)
        await pilot.pause()
        assert str(ticket.w_title.render()) != before, "the title followed the market"
        assert ticket not in layouts


async def _as_laid_out(pilot: Pilot[int], ticket: OrderTicket) -> bool:
    """Every text of the ticket has the size a full layout gives it (nothing clipped or stale)."""
    texts = (ticket.w_title, ticket.w_preview, ticket.w_notes, ticket.w_error)
    sizes = [w.size for w in texts]
    ticket.refresh(layout=True)
    await pilot.pause()
    return sizes == [w.size for w in texts]


async def test_text_that_changes_height_still_lays_the_ticket_out() -> None:
    """When a text's height changes (the error line appears, the preview shrinks to one line and
    grows back), the ticket is laid out: each text is painted whole, not at its old height."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b", "1")
        ticket = app.screen
        assert isinstance(ticket, OrderTicket)
        await pilot.pause()
        assert ticket.preview is not None and await _as_laid_out(pilot, ticket)
        await pilot.press("comma")
        await pilot.pause()
        assert ticket.error and "use . as the decimal point" in str(ticket.w_error.render())
        assert await _as_laid_out(pilot, ticket)
        await pilot.press("backspace")
        await pilot.pause()
        assert not ticket.error and ticket.preview is not None
        assert await _as_laid_out(pilot, ticket)
