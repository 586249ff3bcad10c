"""A modal screen whose dimmed backdrop (the covered screen, tinted) is cheap to paint.

Textual draws a translucent modal's background by rendering the whole covered screen as a Rich
renderable, tinting every segment (a colour blend and two ``Style`` additions per segment), then
splitting the segments back into lines. At 160×50 that was the largest single cost of opening the
order ticket and of every command-line repaint (``docs/performance.md``). :class:`DimmedModal`
draws the same pixels from the covered screen's strips directly, and remembers the tinted style of
each distinct style it has seen: a screen has a few hundred distinct styles, so after the first
frame tinting is a dictionary lookup per segment. The modal also keeps its last backdrop until the
covered screen repaints (Textual tells the modal which regions of the covered screen changed), so
a repaint of the modal itself (a focus change, the preview updating) does not draw the covered
screen again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Self

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.color import Color
from textual.geometry import Region
from textual.renderables.background_screen import BackgroundScreen
from textual.screen import ModalScreen, Screen, ScreenResultType
from textual.strip import Strip
from textual.visual import Visual

from console.screens.frame import FrameKeepingCompositor

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


@dataclass(slots=True)
class BackdropMemo:
    """The last backdrop a modal drew, and what it was drawn for.

    ``sources`` are the covered screen's lines each tinted line was made from (kept when the
    covered screen keeps its frame: a line whose source is the same object is not tinted again);
    ``stale`` is set when the covered screen changed (the whole-screen path draws again then).
    """

    key: tuple[object, ...] = ()
    lines: list[Strip] = field(default_factory=list)
    sources: list[Strip] = field(default_factory=list)
    stale: bool = False


class DimmedBackdrop(Visual):
    """The covered screen's current strips, tinted (what :class:`BackgroundScreen` draws).

    With a ``memo``, the strips drawn last time are returned again when drawn for the same
    screen, tint, style and size (the owner drops the memo when the covered screen changes).
    """

    def __init__(self, screen: Screen[object], color: Color, *, memo: BackdropMemo | None = None) -> None:
        self.screen = screen
        self.color = color
        self.memo = memo

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        """Tint the covered screen's strips (cropped to ``width`` × ``height``)."""
        base = style.rich_style
        memo = self.memo
        compositor = self.screen._compositor
        if memo is not None and isinstance(compositor, FrameKeepingCompositor):
            return self._from_frame(compositor, memo, width, height, base)
        key = (id(self.screen), self.color, base, width, height, compositor.size)
        if memo is not None and memo.key == key and not memo.stale:
            return list(memo.lines)
        strips = compositor.render_strips()
        if height is not None:
            strips = strips[:height]
        lines = [
            tint_strip(s if s.cell_length <= width else s.crop(0, width), self.color, base) for s in strips
        ]
        if memo is not None:
            memo.key, memo.lines, memo.sources, memo.stale = key, lines, [], False
        return list(lines)

    def _from_frame(
        self,
        compositor: FrameKeepingCompositor,
        memo: BackdropMemo,
        width: int,
        height: int | None,
        base: RichStyle,
    ) -> list[Strip]:
        """Tint the covered screen's kept frame, only the lines that changed since last time."""
        frame = compositor.frame_lines()
        if height is not None:
            frame = frame[:height]
        key = ("frame", id(self.screen), self.color, base, width)
        if memo.key != key or len(memo.sources) != len(memo.lines):
            memo.key, memo.lines, memo.sources = key, [], []
        sources, lines = memo.sources, memo.lines
        del sources[len(frame) :], lines[len(frame) :]
        for y, source in enumerate(frame):
            if y < len(sources) and sources[y] is source:
                continue
            tinted = tint_strip(
                source if source.cell_length <= width else source.crop(0, width), self.color, base
            )
            if y < len(sources):
                sources[y], lines[y] = source, tinted
            else:
                sources.append(source)
                lines.append(tinted)
        memo.stale = False
        return list(lines)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        """As wide as the container (a backdrop fills the screen)."""
        return container_width

    def get_height(self, rules: RulesMap, width: int) -> int:
        """As tall as the covered screen."""
        return self.screen._compositor.size.height


@dataclass(slots=True)
class StyledMemo:
    """The modal's own lines as Textual's styles made them, each with the backdrop line it was
    made from, and what else they were made with (``key``)."""

    key: tuple[object, ...] = ()
    lines: dict[int, tuple[Strip, Strip]] = field(default_factory=dict)


class DimmedModal(ModalScreen[ScreenResultType]):
    """A modal screen drawing its translucent backdrop through :class:`DimmedBackdrop`."""

    _backdrop_memo: BackdropMemo | None = None
    _styled: StyledMemo | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        """The modal's own lines (its backdrop with the screen's styles applied), as Textual
        renders them; a line whose backdrop line is unchanged since it was styled, with the same
        size, colours and styles, is not styled again (each open repaints the whole modal)."""
        memo = self._styled
        if memo is None:
            memo = self._styled = StyledMemo()
        key = self._styled_key()
        if key != memo.key:
            memo.key, memo.lines = key, {}
        cache = self._styles_cache
        if self._dirty_regions:
            self._render_content()
        sources = self._render_cache.lines
        rows = range(crop.y, min(crop.bottom, len(sources)))
        for y in rows:
            if y in cache._dirty_lines or y not in cache._cache:
                kept = memo.lines.get(y)
                if kept is not None and kept[0] is sources[y]:
                    cache._cache[y] = kept[1]
                    cache._dirty_lines.discard(y)
        strips = super().render_lines(crop)
        for y in rows:
            styled = cache._cache.get(y)
            if styled is not None:
                memo.lines[y] = (sources[y], styled)
        return strips

    def _styled_key(self) -> tuple[object, ...]:
        styles = self.styles
        app = self.app
        return (
            self.size,
            self.background_colors,
            self.visual_style,
            styles.padding,
            styles.tint,
            styles.background_tint,
            self.opacity,
            id(app.ansi_theme),
            app.native_ansi_color,
        )

    def render(self) -> RenderableType | Visual:  # type: ignore[override]
        """The backdrop: Textual's choice, with its dimmed-screen case drawn the cheap way."""
        backdrop = super().render()
        if not isinstance(backdrop, BackgroundScreen):
            return backdrop
        if self._backdrop_memo is None:
            self._backdrop_memo = BackdropMemo()
        return DimmedBackdrop(backdrop.screen, backdrop.color, memo=self._backdrop_memo)

    def refresh(
        self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False
    ) -> Self:
        """Regions come from the covered screen repainting (Textual's background path): the
        remembered backdrop is stale then. A refresh of the whole modal keeps it."""
        if regions and self._backdrop_memo is not None:
            self._backdrop_memo.stale = True
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def _on_screen_suspend(self) -> None:
        if self._backdrop_memo is not None:
            self._backdrop_memo.stale = True  # the covered screen goes on without us
        super()._on_screen_suspend()


__all__ = ["BackdropMemo", "DimmedBackdrop", "DimmedModal", "tint_strip"]
