"""The panic modal: states what will happen, needs a deliberate ``y`` (or the button), then shows
the engine's progress and the final flat check. Nothing is sent before the confirmation.

A running panic keeps trying until the account is flat; ``s`` stops it (the report then says it
was stopped and what is still open)."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Button, Label, Log, Static

from console.screens.backdrop import DimmedModal
from core.api import PanicReport
from core.events import PanicProgress

UNREACHED = "unreached:"
"""The panic step naming the venues it could not reach (down since start-up)."""


def unreached(report: PanicReport) -> str:
    """What the panic could not reach (the venues that are down), or "" when it reached all."""
    found = next((s for s in report.steps if s.startswith(UNREACHED)), "")
    return found[len(UNREACHED) :].strip()


class PanicScreen(DimmedModal[bool]):
    """Confirm → running (progress) → done (report). Answers True when the panic ran."""

    AUTO_FOCUS = None
    BINDINGS: ClassVar = [
        Binding("y", "confirm", "Yes, PANIC"),
        Binding("n,escape", "close", "Cancel / close"),
        Binding("enter", "close_done", "Close", show=False),
        Binding("s", "stop_panic", "Stop trying", show=False),
    ]

    def __init__(
        self,
        n_orders: int,
        n_positions: int,
        n_algos: int,
        start: Callable[[], None],
        stop: Callable[[], None] | None = None,
        n_strategies: int = 0,
        held: tuple[str, ...] = (),
    ) -> None:
        super().__init__()
        self.held = held
        """Symbols whose venue is down: the panic cannot reach their orders and positions."""
        self.n_orders = n_orders
        self.n_positions = n_positions
        self.n_algos = n_algos
        self.n_strategies = n_strategies
        self._start = start
        self._stop = stop
        self.state = "confirm"
        self.report: PanicReport | None = None

    def compose(self) -> ComposeResult:
        """Plan, buttons and the progress log."""
        with Vertical(classes="modal-box panic-box"):
            yield Label("PANIC · flatten everything", classes="modal-title panic-title")
            yield Static(
                f"• cancel {self.n_orders} open order(s)\n"
                f"• stop {self.n_algos} algo(s) not ended and {self.n_strategies} running strategy(ies)\n"
                f"• close {self.n_positions} position(s) reduce-only at market\n"
                "• verify the account is flat (every step is journaled)" + self._held_text(),
                id="panic-plan",
                classes="modal-body",
                markup=False,
            )
            prompt = "Press  y  to PANIC now, or  n / Escape  to cancel."
            yield Static(prompt, id="panic-status", markup=False)
            yes = Button("PANIC: flatten now (y)", id="panic-yes", variant="error")
            yes.can_focus = False  # Enter must never confirm: only `y` or a mouse click
            yield yes
            yield Log(id="panic-progress", max_lines=200)

    def _held_text(self) -> str:
        """The plan's warning when a venue is down: what the panic will not reach."""
        if not self.held:
            return ""
        return (
            f"\n• NOT REACHABLE, venue down: {', '.join(self.held)}: "
            "their orders and positions stay as they are"
        )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Confirm only once; no closing while the engine is working."""
        if action == "confirm":
            return self.state == "confirm"
        if action == "close":
            return self.state != "running"
        if action == "close_done":
            return self.state == "done"
        if action == "stop_panic":
            return self.state == "running" and self._stop is not None
        return True

    def action_confirm(self) -> None:
        """The deliberate yes: start the panic (the app runs it)."""
        if self.state != "confirm":
            return
        self.state = "running"
        self.add_class("-started")
        self.query_one("#panic-yes", Button).display = False
        self.query_one("#panic-status", Static).update(self._running_text())
        self.refresh_bindings()
        self._start()

    def _running_text(self) -> str:
        if self._stop is None:
            return "Panic running…"
        return "Panic running… it keeps trying until the account is flat.  s  stops it."

    def action_stop_panic(self) -> None:
        """Stop trying (the engine reports what is still open)."""
        if self.state != "running" or self._stop is None:
            return
        self.query_one("#panic-status", Static).update("Stopping the panic…")
        self._stop()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """The button is the mouse user's yes."""
        event.stop()
        if event.button.id == "panic-yes":
            self.action_confirm()

    def add_progress(self, ev: PanicProgress) -> None:
        """One engine progress step."""
        self.query_one("#panic-progress", Log).write_line(f"{ev.step}: {ev.detail}")

    def finish(self, report: PanicReport | None, error: str = "") -> None:
        """Show the result and allow closing."""
        self.report = report
        self.state = "done"
        status = self.query_one("#panic-status", Static)
        if report is None:
            status.update(f"PANIC FAILED: {error}. Check the venue NOW. (Escape closes)")
            self.add_class("-not-flat")
        elif report.stopped:
            left = ", ".join(report.remaining) or "unknown"
            status.update(f"STOPPED by you — NOT FLAT: {left}. Check the venue NOW. (Escape closes)")
            self.add_class("-not-flat")
        elif report.flat and (missed := unreached(report)):
            status.update(
                f"FLAT WHERE REACHABLE — {missed}: check that venue NOW. cancelled "
                f"{report.cancelled} order(s), closed {report.closed} position(s). (Escape closes)"
            )
            self.add_class("-not-flat")
        elif report.flat:
            status.update(
                f"FLAT. cancelled {report.cancelled} order(s), closed {report.closed} position(s) "
                f"in {report.duration_s:.2f}s. (Escape closes)"
            )
            self.add_class("-flat")
        else:
            left = ", ".join(report.remaining) or "unknown"
            status.update(f"NOT FLAT — remaining: {left}. Check the venue NOW. (Escape closes)")
            self.add_class("-not-flat")
        self.refresh_bindings()

    def action_close(self) -> None:
        """Cancel before confirming, or close after the run."""
        if self.state == "running":
            return
        self.dismiss(self.state == "done")

    def action_close_done(self) -> None:
        """Enter closes once the report is shown."""
        if self.state == "done":
            self.dismiss(True)
