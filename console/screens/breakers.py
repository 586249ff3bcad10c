"""Resetting a tripped circuit breaker: which one, and why (typed, or one of the usual reasons).

The box only answers a :class:`BreakerReset`; the app asks for a ``y`` confirmation next and
then calls the engine, which journals who reset it, the reason and the trip reason it cleared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from console.screens.backdrop import DimmedModal

PRESET_REASONS: tuple[str, ...] = (
    "venue recovered after an outage",
    "cause checked; the limit is still right",
    "false trip",
)
TYPE_OWN = "type-own"
MAX_REASON = 200


@dataclass(frozen=True, slots=True)
class BreakerReset:
    """The trader's answer: reset ``name`` because ``reason``; ``was`` is why it had tripped."""

    name: str
    reason: str
    was: str


class BreakerResetScreen(DimmedModal[BreakerReset | None]):
    """Pick the breaker (when several are tripped), then a reason; Enter answers, Escape cancels."""

    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    BreakerResetScreen #breaker-list { height: auto; max-height: 5; }
    BreakerResetScreen #breaker-reasons { height: auto; max-height: 6; }
    BreakerResetScreen #breaker-was { margin: 0; max-height: 4; }
    """

    def __init__(self, tripped: Mapping[str, str], *, selected: str | None = None) -> None:
        super().__init__()
        self.tripped = dict(tripped)
        """``{breaker name: why it tripped}``, tripped ones only."""
        names = list(self.tripped)
        self.chosen = selected in self.tripped
        """True when the caller named the breaker (the palette): the box starts at the reasons."""
        self.selected = selected if selected is not None and self.chosen else names[0]

    def compose(self) -> ComposeResult:
        """Title, the breaker list, its trip reason, the reasons and the typed-reason field."""
        with Vertical(classes="modal-box breaker-box"):
            yield Label("Reset a circuit breaker", classes="modal-title")
            names = list(self.tripped)
            breakers = OptionList(*[Option(f"✖ {n}", id=n) for n in names], id="breaker-list")
            breakers.display = len(names) > 1
            yield breakers
            yield Static(self._was_text(), id="breaker-was", markup=False)
            yield Label("Why may it trade again?  ↑/↓ and Enter, or type below:", classes="modal-hint")
            options = [Option(r, id=f"preset-{i}") for i, r in enumerate(PRESET_REASONS)]
            yield OptionList(*options, Option("type a reason…", id=TYPE_OWN), id="breaker-reasons")
            yield Input(placeholder="your reason (Enter)", id="breaker-reason", max_length=MAX_REASON)
            yield Static("", id="breaker-error", classes="modal-hint", markup=False)
            yield Label("Enter: choose · Tab: next · Esc: cancel · then y/n to confirm", classes="modal-hint")

    def on_mount(self) -> None:
        """Focus the breaker list when there is a choice to make, else the reasons."""
        breakers = self.query_one("#breaker-list", OptionList)
        breakers.highlighted = list(self.tripped).index(self.selected)
        if breakers.display and not self.chosen:
            breakers.focus()
        else:
            self.query_one("#breaker-reasons", OptionList).focus()

    def _was_text(self) -> str:
        return f"{self.selected} TRIPPED: {self.tripped[self.selected]}"

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        """Moving through the breaker list shows that breaker's trip reason."""
        if event.option_list.id == "breaker-list" and event.option.id in self.tripped:
            self.selected = event.option.id
            self.query_one("#breaker-was", Static).update(self._was_text())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Enter on a breaker moves on to the reasons; on a reason answers; on "type" opens the field."""
        event.stop()
        if event.option_list.id == "breaker-list":
            self.query_one("#breaker-reasons", OptionList).focus()
        elif event.option.id == TYPE_OWN:
            self.query_one("#breaker-reason", Input).focus()
        else:
            self._answer(str(event.option.prompt))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the field answers with the typed reason (never an empty one)."""
        event.stop()
        self._answer(event.value)

    def _answer(self, reason: str) -> None:
        text = " ".join(reason.split())
        if not text:
            self.query_one("#breaker-error", Static).update(
                "A reason is required: type why it may trade again, or pick one above."
            )
            return
        self.dismiss(BreakerReset(self.selected, text, self.tripped[self.selected]))

    def action_cancel(self) -> None:
        """Escape: nothing is reset."""
        self.dismiss(None)
