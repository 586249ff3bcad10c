"""Text updates that lay the screen out again only when a widget's size can change.

Textual's ``Static.update`` asks for a layout of the whole screen on every call. In a modal that
is a reflow of every node and a full repaint, covered backdrop included: the order ticket's
preview, notes, error line and title are updated on every open, every keystroke and every market
tick while it is open, and each update cost the ticket a layout. :func:`set_text` repaints the
widget alone when the widget keeps its height with the new text at its width (a width the
stylesheet fixes, not the text): the text's height is the same, or both heights are within the
widget's ``min-height``/``max-height`` in cells. It does nothing when the text is the same.
"""

from __future__ import annotations

from typing import Self

from textual.css.scalar import Unit
from textual.geometry import Region
from textual.widgets import Input, Static


def set_text(widget: Static, text: str) -> None:
    """Show ``text`` in ``widget``; a layout only when its content height changes (or may)."""
    if widget.content == text:
        return
    width = widget.size.width
    css_width = widget.styles.width
    if not widget.is_mounted or not width or (css_width is not None and css_width.is_auto):
        widget.update(text)
        return
    before = _height(widget, widget.get_content_height(widget.size, widget.size, width))
    widget.update(text, layout=False)
    widget.clear_cached_dimensions()
    if _height(widget, widget.get_content_height(widget.size, widget.size, width)) != before:
        widget.refresh(layout=True)


def _height(widget: Static, content: int) -> int:
    """The widget's height for ``content`` lines: with its gutter, clamped by a ``min-height`` or
    ``max-height`` given in cells (any other unit counts as no bound: a layout then follows every
    change of the content's height)."""
    styles = widget.styles
    height = content + styles.gutter.height
    low, high = styles.min_height, styles.max_height
    if low is not None and low.unit == Unit.CELLS:
        height = max(height, int(low.value))
    if high is not None and high.unit == Unit.CELLS:
        height = min(height, int(high.value))
    return height


class SteadyInput(Input):
    """An input whose typing repaints the input alone.

    Textual's input records the typed text's width as its virtual size on every keystroke, and
    that asks for a layout of the whole screen (in a modal: every node, and a full repaint). An
    input whose width and height the stylesheet fixes (not ``auto``) keeps its size whatever is
    typed, so that layout changes nothing: it is skipped. The input still scrolls to the cursor
    (its scroll limits read the virtual size, which is set as before).
    """

    _typing = False

    def _watch_value(self, value: str) -> None:
        self._typing = True
        try:
            super()._watch_value(value)
        finally:
            self._typing = False

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
    ) -> Self:
        """Textual's refresh, without the layout a keystroke asks for when the size is fixed."""
        if layout and self._typing and not self.styles.auto_dimensions:
            layout = False
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)


__all__ = ["SteadyInput", "set_text"]
