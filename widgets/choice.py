"""A one-line option picker (``◀ Limit ▶``): left/right or space cycles; fits a 1-row form grid,
unlike ``Select`` which needs three rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Static


class Choice(Static, can_focus=True):
    """Cycles through (label, value) options."""

    BINDINGS: ClassVar = [
        Binding("left", "step(-1)", "Prev", show=False),
        Binding("right,space", "step(1)", "Next", show=False),
    ]
    DEFAULT_CSS = """
    Choice { height: 1; width: 1fr; background: $boost; padding: 0 1; }
    Choice:focus { background: $primary 40%; text-style: bold; }
    """

    index: reactive[int] = reactive(0)

    class Changed(Message):
        """The selected value changed."""

        def __init__(self, choice: Choice, value: str) -> None:
            super().__init__()
            self.choice = choice
            self.value = value

        @property
        def control(self) -> Choice:
            """The Choice that changed."""
            return self.choice

    def __init__(
        self, options: Sequence[tuple[str, str]], value: str | None = None, *, id: str | None = None
    ) -> None:
        super().__init__("", id=id)
        self.options = list(options)
        values = [v for _, v in self.options]
        self.set_reactive(Choice.index, values.index(value) if value in values else 0)

    @property
    def value(self) -> str:
        """The selected value."""
        return self.options[self.index][1]

    def render(self) -> str:
        """``◀ label ▶``."""
        return f"◀ {self.options[self.index][0]} ▶"

    def action_step(self, step: int) -> None:
        """Next / previous option."""
        self.index = (self.index + step) % len(self.options)

    def watch_index(self, index: int) -> None:
        """Announce the change."""
        self.post_message(self.Changed(self, self.options[index][1]))
