"""A modal screen whose dimmed backdrop (the covered screen, tinted) is cheap to paint.

Textual draws a translucent modal's background by rendering the whole covered screen as a Rich
renderable, tinting every segment (a colour blend and two ``Style`` additions per segment), then
splitting the segments back into lines. At 160×50 that was the largest single cost of opening the
order ticket and of every command-line repaint (``docs/performance.md``). :class:`DimmedModal`
draws the same pixels from the covered screen's strips directly, and remembers the tinted style of
each distinct style it has seen: a screen has a few hundred distinct styles, so after the first
frame tinting is a dictionary lookup per segment.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.color import Color
from textual.renderables.background_screen import BackgroundScreen
from textual.screen import ModalScreen, Screen, ScreenResultType
from textual.strip import Strip
from textual.visual import Visual

if TYPE_CHECKING:
    from rich.console import RenderableType
    from textual.css.styles import RulesMap
    from textual.style import Style
    from textual.visual import RenderOptions

TINT_CACHE_LIMIT = 4096
"""Tinted styles remembered per (tint, base style); the cache starts over past this many."""
_NULL = RichStyle()
_tints: dict[tuple[Color, RichStyle], dict[RichStyle | None, RichStyle]] = {}


def _tinted(style: RichStyle | None, color: Color, base: RichStyle) -> RichStyle:
    """The style Textual's translucent-modal path gives ``style``: meta and links cleared, colours
    blended with ``color``, then laid over the modal's own ``base`` style."""
    plain = _NULL if style is None else style.clear_meta_and_links()
    if color.a != 0:
        fg = (Color.from_rich_color(plain.color) + color).rich_color if plain.color is not None else None
        bg = (Color.from_rich_color(plain.bgcolor) + color).rich_color if plain.bgcolor is not None else None
        plain = plain + RichStyle.from_color(fg, bg)
    return base + plain if base else plain


def tint_strip(strip: Strip, color: Color, base: RichStyle) -> Strip:
    """``strip`` as the dimmed backdrop shows it (same text, tinted styles, same width)."""
    cache = _tints.get((color, base))
    if cache is None or len(cache) > TINT_CACHE_LIMIT:
        cache = _tints[(color, base)] = {}
    segments = []
    for text, style, _control in strip:
        tinted = cache.get(style)
        if tinted is None:
            tinted = cache[style] = _tinted(style, color, base)
        segments.append(Segment(text, tinted))
    return Strip(segments, strip.cell_length)


class DimmedBackdrop(Visual):
    """The covered screen's current strips, tinted (what :class:`BackgroundScreen` draws)."""

    def __init__(self, screen: Screen[object], color: Color) -> None:
        self.screen = screen
        self.color = color

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        """Tint the covered screen's strips (cropped to ``width`` × ``height``)."""
        base = style.rich_style
        strips = self.screen._compositor.render_strips()
        if height is not None:
            strips = strips[:height]
        return [
            tint_strip(s if s.cell_length <= width else s.crop(0, width), self.color, base) for s in strips
        ]

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        """As wide as the container (a backdrop fills the screen)."""
        return container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        """As tall as the covered screen."""
        return self.screen._compositor.size.height


class DimmedModal(ModalScreen[ScreenResultType]):
    """A modal screen drawing its translucent backdrop through :class:`DimmedBackdrop`."""

    def render(self) -> RenderableType | Visual:  # type: ignore[override]
        """The backdrop: Textual's choice, with its dimmed-screen case drawn the cheap way."""
        backdrop = super().render()
        if isinstance(backdrop, BackgroundScreen):
            return DimmedBackdrop(backdrop.screen, backdrop.color)
        return backdrop


__all__ = ["DimmedBackdrop", "DimmedModal", "tint_strip"]
