"""A terminal screen made of what the app actually sent: every update Textual hands its driver
(full layouts and partial chops), applied cell by cell the way a terminal applies them, so a test
can compare what a trader sees with what a full render of the screen says it should be."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.segment import ControlType, Segment
from rich.style import Style
from textual.app import App
from textual.screen import Screen
from textual.strip import Strip

Cell = tuple[str, Style | None]


class VirtualTerminal:
    """The cells of a ``width`` × ``height`` terminal after the updates applied to it."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.cells: list[list[Cell]] = [[(" ", None)] * width for _ in range(height)]
        self.updates = 0

    def apply(self, segments: list[Segment]) -> None:
        """Write ``segments`` (text, cursor moves, new lines) as a terminal would."""
        x = y = 0
        for seg in segments:
            if seg.control:
                for ctrl in seg.control:
                    if ctrl[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = int(ctrl[1]), int(ctrl[2])  # type: ignore[misc]
                continue
            if seg.text == "\n":
                x, y = 0, y + 1
                continue
            for ch in seg.text:
                if 0 <= y < self.height and 0 <= x < self.width:
                    self.cells[y][x] = (ch, seg.style)
                x += 1
        self.updates += 1

    def attach(self, app: App[Any]) -> None:
        """Apply every update ``app`` displays from now on (as its driver would write it)."""
        inner = app._display
        console = Console(width=self.width, height=self.height, color_system="truecolor", record=False)

        def display(screen: Screen[object], renderable: object) -> None:
            inner(screen, renderable)  # type: ignore[arg-type]
            if renderable is not None and not app._batch_count and hasattr(renderable, "__rich_console__"):
                self.apply(list(renderable.__rich_console__(console, console.options)))

        app._display = display  # type: ignore[method-assign]

    def differences(self, strips: list[Strip]) -> list[str]:
        """Where the terminal differs from ``strips`` (a full render): ``line y: shown | rendered``."""
        out = []
        for y, strip in enumerate(strips[: self.height]):
            want: list[Cell] = []
            for seg in strip:
                want += [(ch, seg.style) for ch in seg.text]
            have = self.cells[y][: len(want)]
            if have != want:
                shown = "".join(c for c, _ in have)
                out.append(f"line {y}: {shown!r} | {''.join(c for c, _ in want)!r}")
        return out


__all__ = ["VirtualTerminal"]
