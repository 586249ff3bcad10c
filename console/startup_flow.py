"""The console's start-up and shut-down around the engine (:class:`StartupFlow`, owned by the app).

The engine starts while the main screen is built (sim and demo at load, live after the typed
phrase); once the main screen is up and the engine started, the first full frame is drawn, then
the reused modals are composed, start-up's heap is frozen (:func:`settle_heap`) and the engine's
metrics/health server starts. A start-up that never ends (a venue that does not answer) still
gets the server after :data:`METRICS_AT_LATEST_S` and a working collector after
:data:`console.gc_pacer.HOLD_MAX_S`. The engine is stopped once on the way out, whether its start
finished, failed or was cut short.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import TYPE_CHECKING

from console.gc_pacer import HOLD_MAX_S, pace_collections, release_collections

if TYPE_CHECKING:
    from console.app import TradeConsoleApp

log = logging.getLogger(__name__)

METRICS_AT_LATEST_S = 2.0
"""The engine's metrics/health server starts after the first full frame, or this long after the
screen mounts if that frame has not come (a venue that does not answer: /healthz says so)."""


def settle_heap() -> None:
    """Collect once, then move every surviving start-up object out of the collector's sight.

    The console keeps ~120k long-lived objects (Textual's DOM and styles, pybit, instruments); a
    full collection walks all of them, ~60 ms on this class of machine, and a keypress that lands
    behind one waits that long. Frozen, a full collection walks only what was created since: ~9 ms
    (``bench/ui.py``). Called once, after start-up, so nothing frozen is garbage. Only the
    console's own process does this (``freeze_heap``): a test process hosting many apps would
    keep each one's frozen objects for good.
    """
    gc.collect()
    gc.freeze()
    release_collections()  # held since the process started (console.gc_pacer)


class StartupFlow:
    """Starts the engine, composes the reused modals after the first frame, stops the engine."""

    def __init__(self, app: TradeConsoleApp) -> None:
        self.app = app
        self.opened = False
        """The engine's start was begun (and it has not been stopped since)."""
        self.main_shown = asyncio.Event()
        """Set once the main screen is mounted: the engine's start-up may finish before that."""

    def start(self) -> None:
        """Start the engine in a worker (exclusive: once)."""
        self.app.run_worker(self._start_engine(), group="engine", exclusive=True)

    def mounted(self) -> None:
        """The main screen is up: the engine's news may be shown; the fallback timers start."""
        app = self.app
        self.main_shown.set()
        if app.freeze_heap:  # a venue that never answers or a live gate left open: not held for good
            app.set_timer(HOLD_MAX_S, release_collections)
        if app.start_engine:
            app.set_timer(METRICS_AT_LATEST_S, self._metrics_at_latest)

    async def _start_engine(self) -> None:
        app = self.app
        self.opened = True
        try:
            await app.engine.start(metrics=False)  # the metrics server starts after the first frame
        except asyncio.CancelledError:  # quit during start-up: what it opened (the journal) is closed
            await self.stop_engine()
            raise
        except Exception as exc:
            log.exception("engine failed to start")
            await self.main_shown.wait()
            app.log_line(f"ENGINE FAILED TO START: {exc}")
            app.notify(f"Engine failed to start: {exc}", severity="error", timeout=30)
            app.call_after_refresh(app.prebuild_modals, settle=app.freeze_heap, metrics=True)
            return
        try:
            await self.main_shown.wait()
        except asyncio.CancelledError:  # the app closed before its screen was up
            await self.stop_engine()
            raise
        app.engine_started = True
        self._drop_unlisted_symbols()
        app.crossvenue.restore()
        app.refresh_ui(force=True)
        app.call_after_refresh(app.prebuild_modals, settle=app.freeze_heap, metrics=True)

    def _metrics_at_latest(self) -> None:
        """Start the metrics/health server now if the first full frame has not (the engine starts
        it once however often it is asked)."""
        self.app.run_worker(self.app.engine.start_metrics(), group="metrics")

    async def prebuild_modals(self, *, settle: bool, metrics: bool) -> None:
        """Compose the reused modals (order ticket, command line, algo ticket) off-stack, so the
        first key opens each at once; then, with ``settle``, freeze the start-up heap (at once: the
        first full frames were drawn before the modals were composed); then, with ``metrics``,
        start the engine's metrics/health server (held back from the engine's start-up: importing
        its HTTP stack is ~0.1 s of CPU the first frame no longer waits for).

        With the engine starting this runs after its first full frame: composing them is the
        loop's work, and before that frame it competed with the engine's start-up for the loop.
        A modal opened earlier than this is composed on its first push (and kept), as before.
        """
        app = self.app
        for mounting in (app.tickets.prebuild(), app.command_line.prebuild(), app.algo_actions.prebuild()):
            if mounting is not None:
                await mounting
        if settle:
            settle_heap()
            modal_open = lambda: app.screen is not app.main  # noqa: E731
            pace_collections(app.set_interval, modal_open, lambda: app.key_gate.delivered)
        if metrics:
            await app.engine.start_metrics()

    def _drop_unlisted_symbols(self) -> None:
        """Say loudly which configured symbols the venue does not list (no book will ever come for
        them) and show a listed one instead."""
        app = self.app
        held = app.engine.held_symbols()  # their venue is down: listed once it is admitted
        listed = [s for s in app.symbols if s in app.engine.instruments or s in held]
        missing = [s for s in app.symbols if s not in listed]
        if not missing:
            return
        msg = (
            f"{', '.join(missing)} not listed by the venue at {app.settings.rest_url}: no market data "
            "will come; fix risk.symbols in the config (check with `trade-console check-config`)"
        )
        app.log_line(msg)
        app.notify(msg, title="Symbol not listed", severity="error", timeout=30)
        if listed:
            app.symbols = listed
            if app.symbol in missing:
                app.select_symbol(listed[0])

    async def stop_engine(self) -> None:
        """Stop the engine once, whether its start finished, failed or was cut short by a quit (a
        journal left open is reported as a crash by the next run)."""
        if not self.opened:
            return
        self.opened = False
        app = self.app
        if app.engine_started:
            app.engine_started = False
            await app.strategy_actions.close()
        await app.engine.stop()


__all__ = ["METRICS_AT_LATEST_S", "StartupFlow", "settle_heap"]
