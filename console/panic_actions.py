"""The panic key's flow: the confirmation modal, the engine's panic run with its progress, the
trader's stop, and the report. One per app; the app forwards ``action_panic`` here."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from console.algo_actions import running_algos
from console.screens.panic import PanicScreen, unreached

if TYPE_CHECKING:
    from console.app import TradeConsoleApp

log = logging.getLogger(__name__)


class PanicFlow:
    """Opens the panic modal (never twice), runs the engine's panic and reports its outcome."""

    def __init__(self, app: TradeConsoleApp) -> None:
        self.app = app
        self.running = False
        """True from the confirmation until the engine's panic returned."""

    def screen(self) -> PanicScreen | None:
        """The panic modal, wherever it is on the screen stack."""
        for screen in reversed(self.app.screen_stack):
            if isinstance(screen, PanicScreen):
                return screen
        return None

    def open(self) -> None:
        """The confirmation modal with the real counts of orders, positions and algos."""
        if self.screen() is not None or self.running:
            return
        acct = self.app.engine.account()
        n_pos = sum(1 for p in acct.positions.values() if not p.is_flat)
        n_algos = running_algos(self.app.engine.algos())
        n_strats = self.app.strategy_actions.running()
        self.app.push_screen(
            PanicScreen(
                len(acct.orders),
                n_pos,
                n_algos,
                self.start,
                self.stop,
                n_strategies=n_strats,
                held=self.app.engine.held_symbols(),
            )
        )

    def start(self) -> None:
        """Confirmed: run the engine's panic in a worker."""
        self.running = True
        self.app.run_worker(self.run(), group="panic", exclusive=True)

    def stop(self) -> None:
        """The panic screen's ``s``: the engine stops trying and reports what is still open."""
        if self.app.engine.stop_panic("stopped by the trader"):
            self.app.log_line("PANIC: stop requested; the positions and orders still open stay open")

    async def run(self) -> None:
        """The engine's panic; its outcome goes to the log pane and the modal."""
        app = self.app
        screen = self.screen()
        try:
            report = await app.engine.panic()
        except Exception as exc:
            log.exception("panic failed")
            app.log_line(f"PANIC FAILED: {exc}")
            if screen is not None:
                screen.finish(None, str(exc))
            return
        finally:
            self.running = False
        app.refresh_ui(force=True)
        outcome = "FLAT" if report.flat else "STOPPED, NOT FLAT" if report.stopped else "NOT FLAT"
        if report.flat and (missed := unreached(report)):
            outcome = f"FLAT WHERE REACHABLE ({missed})"
        app.log_line(
            f"PANIC {outcome}: cancelled {report.cancelled}, "
            f"closed {report.closed} in {report.duration_s:.2f}s"
        )
        if screen is not None and screen.is_attached:
            screen.finish(report)


__all__ = ["PanicFlow"]
