"""A small line-API base: a pane described as lines of (text, component-class) runs.

Subclasses build plain data into :data:`Line` lists and call :meth:`LineWidget.set_lines`. The
base turns them into cached :class:`~textual.strip.Strip` objects whose colours come from
``COMPONENT_CLASSES`` styled with theme variables in CSS, so a theme switch restyles everything
and an unchanged frame costs nothing (no refresh when the lines are equal).
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

Run = tuple[str, str]
"""A run of text and the component class that styles it ("" for the widget's own style)."""
Line = tuple[Run, ...]


class LineWidget(Widget):
    """Renders :data:`Line` lists with ``render_line``; redraws only when the lines change."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set()

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._lines: list[Line] = []
        self._strips: dict[int, Strip] = {}
        self._styles: dict[str, Style] = {}
        self._strip_width = -1

    @property
    def lines(self) -> list[Line]:
        """The lines currently shown (for tests and debugging)."""
        return self._lines

    def set_lines(self, lines: list[Line]) -> bool:
        """Show ``lines``; returns True when anything changed (and a repaint was requested)."""
        if lines == self._lines:
            return False
        old = self._lines
        self._lines = lines
        if len(old) != len(lines):
            self._strips.clear()
        else:
            for y, (a, b) in enumerate(zip(old, lines, strict=True)):
                if a != b:
                    self._strips.pop(y, None)
        self.refresh()
        return True

    def notify_style_update(self) -> None:
        """Theme or CSS changed: drop cached styles and strips."""
        super().notify_style_update()
        if hasattr(self, "_styles"):
            self._styles.clear()
            self._strips.clear()

    def _style(self, cls: str) -> Style:
        style = self._styles.get(cls)
        if style is None:
            base = self.rich_style
            style = base + self.get_component_rich_style(cls, partial=True) if cls else base
            self._styles[cls] = style
        return style

    def render_line(self, y: int) -> Strip:
        """One row of the pane."""
        width = self.size.width
        if width != self._strip_width:
            self._strips.clear()
            self._strip_width = width
        strip = self._strips.get(y)
        if strip is not None:
            return strip
        if y >= len(self._lines):
            strip = Strip.blank(width, self._style(""))
        else:
            runs = (Segment(text, self._style(cls)) for text, cls in self._lines[y] if text)
            segments = Segment.simplify(runs)
            strip = Strip(segments).crop_extend(0, width, self._style(""))
        self._strips[y] = strip
        return strip
