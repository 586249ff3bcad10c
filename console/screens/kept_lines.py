"""A widget's rendered lines kept while nothing they are made of changed.

The main screen's compositor asks the screen itself for its lines (its background under every
pane) on every frame, the whole screen wide, although the panes cover them and the background
never changes between a theme switch and a resize. Textual caches each line but still filters
and copies all 50 of them per frame (~1 ms at 160×50). :class:`KeptLines` returns the list it
returned last time when the request is the same (crop, size, filters, colours) and Textual's own
line cache still holds the very strips that list was made from, with none marked dirty; anything
else renders as before.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget


class KeptLines:
    """The last ``render_lines`` answer of one widget, reused while it would be the same."""

    def __init__(self) -> None:
        self._key: tuple[object, ...] = ()
        self._sources: list[Strip | None] = []
        self._lines: list[Strip] = []
        self.reused = 0
        """Answers given from the kept lines (for tests and diagnostics)."""

    def lines(self, widget: Widget, crop: Region, render: Callable[[Region], list[Strip]]) -> list[Strip]:
        """``render(crop)``, or the lines it gave last time when they would be the same."""
        cache = widget._styles_cache
        key = (crop, widget.region.size, tuple(map(id, widget.get_line_filters())), widget.background_colors)
        rows = crop.line_range
        if key == self._key and not cache._dirty_lines.intersection(rows):
            held = cache._cache
            if all(held.get(y) is src for y, src in zip(rows, self._sources, strict=True)):
                self.reused += 1
                return list(self._lines)
        lines = render(crop)
        self._key = key
        self._sources = [cache._cache.get(y) for y in rows]
        self._lines = list(lines)
        return lines


__all__ = ["KeptLines"]
