"""Text updates that lay the screen out again only when a widget's size can change.

Textual's ``Static.update`` asks for a layout of the whole screen on every call. In a modal that
is a reflow of every node and a full repaint, covered backdrop included: the order ticket's
preview, notes, error line and title are updated on every open, every keystroke and every market
tick while it is open, and each update cost the ticket a layout. :func:`set_text` repaints the
widget alone when the new text has the same height at the widget's width (a width the stylesheet
fixes, not the text), and does nothing when the text is the same.
"""

from __future__ import annotations

from textual.widgets import Static


def set_text(widget: Static, text: str) -> None:
    """Show ``text`` in ``widget``; a layout only when its content height changes (or may)."""
    if widget.content == text:
        return
    width = widget.size.width
    css_width = widget.styles.width
    if not widget.is_mounted or not width or (css_width is not None and css_width.is_auto):
        widget.update(text)
        return
    before = widget.get_content_height(widget.size, widget.size, width)
    widget.update(text, layout=False)
    widget.clear_cached_dimensions()
    if widget.get_content_height(widget.size, widget.size, width) != before:
        widget.refresh(layout=True)


__all__ = ["set_text"]
