"""Resetting circuit breakers from the console (a key and a palette command).

The flow: the tripped breakers and their reasons come from the engine's risk status; the reset
box asks which one and why; a ``y``/``n`` confirmation restates it; the engine resets it and
journals who, the reason and the trip reason it cleared. Nothing is reset without a reason.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.screens.breakers import BreakerReset, BreakerResetScreen
from console.screens.modals import ConfirmScreen

if TYPE_CHECKING:
    from console.app import TradeConsoleApp

CLOSED_STATES = frozenset({"closed", "ok"})
WHO = "console"
"""How the journal names a reset made from the console."""


def tripped_breakers(app: TradeConsoleApp) -> dict[str, str]:
    """``{name: trip reason}`` for every breaker that is not closed (account and endpoint ones)."""
    status = app.engine.risk_status().breakers
    return {name: reason for name, (state, reason) in status.items() if state.lower() not in CLOSED_STATES}


class BreakerActions:
    """The breaker-reset flow for one app."""

    def __init__(self, app: TradeConsoleApp) -> None:
        self.app = app

    def open_reset(self, name: str | None = None) -> None:
        """Open the reset box (for ``name`` when given); says so when nothing is tripped."""
        app = self.app
        if any(isinstance(s, BreakerResetScreen) for s in app.screen_stack):
            return
        tripped = tripped_breakers(app)
        if not tripped:
            app.notify("no circuit breaker is tripped", timeout=4)
            return
        if name is not None and name not in tripped:
            app.notify(f"breaker {name} is not tripped", severity="warning", timeout=4)
            return
        app.push_screen(BreakerResetScreen(tripped, selected=name), self._confirm)

    def _confirm(self, answer: BreakerReset | None) -> None:
        if answer is None:
            return
        app = self.app
        body = (
            f"Reset {answer.name}?\n"
            f"Reason: {answer.reason}\n"
            f"It tripped because: {answer.was}\n"
            "Risk-increasing orders are allowed again; it trips again if the cause persists."
        )

        def done(ok: bool | None) -> None:
            if not ok:
                return
            coro = app.engine.reset_breaker(answer.name, who=WHO, reason=answer.reason)
            app.run_worker(app._run_command(f"reset breaker {answer.name}", coro), group="orders")

        app.push_screen(ConfirmScreen("Reset circuit breaker?", body, yes="Reset (y)", no="Keep (n)"), done)
