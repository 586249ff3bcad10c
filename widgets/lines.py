"""A small line-API base: a pane described as lines of (text, component-class) runs.

Subclasses build plain data into :data:`Line` lists and call :meth:`LineWidget.set_lines`. The
base turns them into cached :class:`~textual.strip.Strip` objects whose colours come from
``COMPONENT_CLASSES`` styled with theme variables in CSS, so a theme switch restyles everything
and an unchanged frame costs nothing (no refresh when the lines are equal). A frame that changes
some lines repaints only those rows (Textual re-renders only the dirty lines of a widget), and a
line whose content was drawn before, at any row, reuses its strip.
"""

from __future__ import annotations

from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

Run = tuple[str, str]
"""A run of text and the component class that styles it ("" for the widget's own style)."""
Line = tuple[Run, ...]
STRIP_CACHE_LIMIT = 512
"""Strips remembered by line content (a moving book shifts rows; their text comes back)."""


class LineWidget(Widget):
    """Renders :data:`Line` lists with ``render_line``; redraws only when the lines change."""

    COMPONENT_CLASSES: ClassVar[set[str]] = set()

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._lines: list[Line] = []
        self._strips: dict[int, Strip] = {}
        self._by_line: dict[Line, Strip] = {}
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
        width = self.size.width
        if len(old) != len(lines) or not width:
            self._strips.clear()
            self.refresh()
            return True
        start = -1
        for y, (a, b) in enumerate(zip(old, lines, strict=True)):
            if a != b:
                self._strips.pop(y, None)
                if start < 0:
                    start = y
            elif start >= 0:
                self.refresh(Region(0, start, width, y - start))
                start = -1
        if start >= 0:
            self.refresh(Region(0, start, width, len(lines) - start))
        return True

    def notify_style_update(self) -> None:
        """Theme or CSS changed: drop cached styles and strips."""
        super().notify_style_update()
        if hasattr(self, "_styles"):
            self._styles.clear()
            self._strips.clear()
            self._by_line.clear()

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
            self._by_line.clear()
            self._strip_width = width
        strip = self._strips.get(y)
        if strip is not None:
            return strip
        if y >= len(self._lines):
            strip = Strip.blank(width, self._style(""))
        else:
            line = self._lines[y]
            strip = self._by_line.get(line)
            if strip is None:
                runs = (Segment(text, self._style(cls)) for text, cls in line if text)
                segments = Segment.simplify(runs)
                strip = Strip(segments).crop_extend(0, width, self._style(""))
                if len(self._by_line) >= STRIP_CACHE_LIMIT:
                    self._by_line.clear()
                self._by_line[line] = strip
        self._strips[y] = strip
        return strip
