"""Confirmation modals (``ModalScreen[bool]``), the live-mode phrase gate and help.

None of them focuses a "Yes" button by default, so a stray Enter can never confirm.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Static

from console.keymap import (
    ALGO_BINDINGS,
    APP_BINDINGS,
    DESCRIPTIONS,
    MAIN_BINDINGS,
    effective_key,
    key_display,
)
from console.screens.backdrop import DimmedModal
from console.screens.ticket_form import KINDS, UNITS


def drop_keys_typed_before(screen: Screen[Any], question: str) -> None:
    """A confirmation is answered only by keys typed for it: the app's key gate drops a waiting
    burst that holds any key the box does not take (typed for another screen)."""
    gate = getattr(screen.app, "key_gate", None)
    if gate is not None:
        answers = frozenset(
            k.strip() for b in screen.BINDINGS if isinstance(b, Binding) for k in b.key.split(",")
        )
        gate.drop_waiting(question, answers)


class ConfirmScreen(DimmedModal[bool]):
    """Yes/no question: ``y`` confirms, ``n`` or Escape cancels."""

    AUTO_FOCUS = None
    BINDINGS: ClassVar = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]

    def __init__(self, title: str, body: str, *, yes: str = "Yes (y)", no: str = "No (n)") -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.yes_label = yes
        self.no_label = no
        self.purpose = ""
        """What the question is about (the app uses it to avoid stacking the same question)."""

    def compose(self) -> ComposeResult:
        """Title, body and two buttons."""
        with Vertical(classes="modal-box"):
            yield Label(self.title_text, classes="modal-title")
            yield Static(self.body, classes="modal-body", markup=False)
            with Horizontal(classes="modal-buttons"):
                yes = Button(self.yes_label, id="yes", variant="warning")
                yes.can_focus = False  # Enter must never confirm: only `y` or a mouse click
                no = Button(self.no_label, id="no")
                no.can_focus = False
                yield yes
                yield no

    def on_mount(self) -> None:
        """A burst typed for another screen before the question showed never answers it."""
        drop_keys_typed_before(self, self.title_text)

    def action_answer(self, value: bool) -> None:
        """Close with ``value``."""
        self.dismiss(value)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        """Buttons answer too (mouse users)."""
        event.stop()
        self.dismiss(event.button.id == "yes")


class LiveConfirmScreen(DimmedModal[bool]):
    """Live mode gate: the user must type the phrase shown; anything else answers False."""

    BINDINGS: ClassVar = [Binding("escape", "refuse", "Quit")]

    def __init__(self, phrase: str, where: str = "Bybit MAINNET") -> None:
        super().__init__()
        self.phrase = phrase
        self.where = where
        """The venues the console trades on (every leg's mainnet with two venues)."""

    def compose(self) -> ComposeResult:
        """Warning, phrase, input."""
        with Vertical(classes="modal-box live-box"):
            yield Label("▲ LIVE TRADING · REAL MONEY ▲", classes="modal-title live-title")
            yield Static(
                f"This console is connected to {self.where}. Orders move real money.\n"
                f"Type exactly  {self.phrase}  and press Enter to continue.\n"
                "Anything else quits without trading.",
                classes="modal-body",
                markup=False,
            )
            yield Input(placeholder=self.phrase, id="live-phrase")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Exact phrase → True, anything else → False."""
        event.stop()
        self.dismiss(event.value.strip() == self.phrase)

    def action_refuse(self) -> None:
        """Escape quits without trading."""
        self.dismiss(False)


def guide_text() -> str:
    """How to select a row, and every key of the order ticket (the ticket's real bindings)."""
    kinds = ", ".join(label for label, _ in KINDS)
    units = ", ".join(label for label, _ in UNITS)
    return "\n".join(
        [
            "",
            "SELECT A ROW  (positions and orders tables)",
            "  Tab, shift+Tab   focus the positions or orders table (title lights up)",
            "  ↑ / ↓            move the row cursor; then a, c or x act on that row",
            "  mouse click      selects a row too",
            "",
            "ORDER TICKET  (b buys, s sells)",
            "  Tab, shift+Tab   next / previous field",
            "  ← / →, Space     on type or unit: the previous / next choice",
            f"                   type: {kinds}",
            f"                   unit: {units}",
            "  Space            on reduce-only / post-only: tick or untick",
            "  ctrl+t           flip Buy / Sell",
            "  Enter            send the order the preview shows, from any field",
            "  Escape           close the ticket; nothing is sent",
            "  numbers          digits and one '.'; '0,01' is refused, never guessed",
        ]
    )


class HelpScreen(DimmedModal[None]):
    """Every binding id, its effective key and what it does."""

    BINDINGS: ClassVar = [Binding("escape,question_mark,q", "close", "Close")]

    def __init__(self, keymap: Mapping[str, str], *, aliases: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.keymap = dict(keymap)
        self.aliases = dict(aliases or {})

    def help_text(self) -> str:
        """The table as text."""
        rows = ["KEY     ID              ACTION"]
        for b in APP_BINDINGS + MAIN_BINDINGS + ALGO_BINDINGS:
            if b.id is None:
                continue
            key = key_display(effective_key(b.id, self.keymap))
            rows.append(f"{key:<7} {b.id:<15} {DESCRIPTIONS.get(b.id, b.description)}")
        rows.append(f"{'ctrl+p':<7} {'palette':<15} Switch symbol or theme, other commands")
        rows.append('Remap keys by id in config.toml:  [keys]  panic = "f12"')
        if self.aliases:
            rows.append("ALIASES (the key opens the command line with the text; Enter sends)")
            rows.extend(f"{key_display(k):<7} {text}" for k, text in self.aliases.items())
        else:
            rows.append('Aliases: [aliases]  f1 = "buy risk 0.5% stop -1%" opens the command line with it')
        return "\n".join(rows)

    def compose(self) -> ComposeResult:
        """The key table, then how to select a row and every ticket key (scrolls at 80×24)."""
        with Vertical(classes="modal-box help-box"):
            yield Label("Keys  (↑/↓ scroll · Escape closes)", classes="modal-title")
            with VerticalScroll(id="help-scroll"):
                yield Static(self.help_text(), id="help-table", markup=False)
                yield Static(guide_text(), id="help-guide", markup=False)

    def action_close(self) -> None:
        """Close help."""
        self.dismiss(None)
