"""A compositor that keeps the frame it last drew, so a modal's backdrop need not draw it again.

A translucent modal (the order ticket, the command line) shows the covered main screen dimmed
behind it. Textual draws that backdrop by rendering the whole covered screen from its widgets,
and at 160×50 that was most of the cost of opening the ticket, although the main screen had
painted those same pixels a few milliseconds before.

:class:`FrameKeepingCompositor` is the main screen's compositor. Every frame it renders for the
terminal (a full update, or a partial one for the widgets that changed) is also kept, line by
line, as the *chops* Textual renders a line in (one strip per cut: the places where the widgets
on that line start and end). It also remembers every region of the screen that changed and was
not drawn: while a modal covers the screen, Textual forwards the covered screen's changes to the
modal instead of drawing them. :meth:`frame_lines` draws just those regions and returns the
screen's current lines; a line keeps its strip object while it is unchanged, so a backdrop can
tint only the lines that changed.

The kept frame is only ever a cache of what a full render would give: a line the compositor
cannot patch exactly (a change covering part of a cut, a line whose cuts moved after a layout)
is rendered again, and a new size or a frame never drawn renders the whole screen, as before.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from textual._compositor import ChopsUpdate, Compositor, LayoutUpdate, ReflowResult
from textual._context import NoActiveAppError
from textual.app import ScreenStackError
from textual.geometry import Region, Size
from textual.strip import Strip

if TYPE_CHECKING:
    from textual.widget import Widget

Chops = dict[int, Strip]
"""One line of the kept frame: the strip drawn at each cut (x offset) of the line."""
Span = tuple[int, int, int]
"""A line and the columns drawn on it: (y, x1, x2)."""


class FrameKeepingCompositor(Compositor):
    """Textual's compositor, keeping the last frame it drew and what changed since."""

    def __init__(self) -> None:
        super().__init__()
        self._frame: list[Chops] | None = None
        self._frame_size = Size(0, 0)
        self._root_look: tuple[object, ...] = ()
        self._frame_cuts: list[list[int]] = []
        self._redo: set[int] = set()
        self._joined: list[Strip | None] = []
        self._undrawn: set[Region] = set()
        self.full_renders = 0
        """Whole-screen renders made for :meth:`frame_lines` (for tests and diagnostics)."""

    # --- what changed ------------------------------------------------------------------------
    def _note_dirty(self) -> None:
        self._undrawn.update(self._dirty_regions)

    def reflow(self, parent: Widget, size: Size) -> ReflowResult:
        """Textual's reflow; the regions it marks dirty are remembered as changed."""
        result = super().reflow(parent, size)
        self._note_dirty()
        return result

    def reflow_visible(self, parent: Widget, size: Size) -> set[Widget]:
        """Textual's visible-only reflow; the regions it marks dirty are remembered as changed."""
        result = super().reflow_visible(parent, size)
        self._note_dirty()
        return result

    def update_widgets(self, widgets: set[Widget]) -> None:
        """Textual's update; the regions of the widgets that changed are remembered.

        A repaint of the screen itself stands for every change below it (Textual drops the
        widgets' own updates then): when the screen's look is unchanged (Textual asks for such a
        repaint each time a modal is pushed over the screen), only the regions of the widgets
        that asked to be repainted count as changed, not the whole screen.
        """
        root = self.root
        if root is None or root not in widgets:
            super().update_widgets(widgets)
            self._note_dirty()
            return
        pending = self._pending_repaints(root)
        before = set(self._dirty_regions)  # a reflow's, noted before this update
        super().update_widgets(widgets)
        if _look(root) != self._root_look:
            self._note_dirty()
        elif root is not self._on_top():
            # Covered, the repaint does not ask the modal on top to draw the whole screen either
            # (Textual hands a covered screen's dirty regions to it: the ticket drew its whole
            # backdrop and every widget a second time after each push).
            self._dirty_regions.clear()
            self._dirty_regions.update(before, pending)
            self._undrawn.update(pending)
        else:
            self._undrawn.update(pending)

    def _on_top(self) -> Widget | None:
        """The screen the app shows on top now (None before the app runs)."""
        root = self.root
        try:
            return root.app.screen if root is not None else None
        except (NoActiveAppError, ScreenStackError):  # not running, or no screen yet: none on top
            return None

    def _pending_repaints(self, root: Widget) -> list[Region]:
        """The screen regions the widgets below ``root`` have asked to repaint (not taken)."""
        regions = []
        for widget, (region, clip) in self.visible_widgets.items():
            if widget is root:
                continue
            for dirty in widget._repaint_regions:
                if update := clip.intersection(dirty.translate(region.offset)):
                    regions.append(update)
        return regions

    # --- keeping the frame -------------------------------------------------------------------
    def render_full_update(self, simplify: bool = False) -> LayoutUpdate:
        """A full update: the kept frame with what changed since drawn into it (the screen
        coming back from under a modal repaints whole, mostly unchanged), or Textual's full
        render when there is no frame of this size. A simplified export is not kept."""
        if simplify:
            return super().render_full_update(simplify=simplify)
        if self._frame is None or self._frame_size != self.size:
            update = super().render_full_update()
            self._keep([_chops(values.mapping) for values in update.strips])  # type: ignore[attr-defined]
            return update
        self._dirty_regions.clear()
        self._draw_undrawn()
        return LayoutUpdate([line.values() for line in self._frame], self.size.region)

    def render_partial_update(self) -> ChopsUpdate | None:
        """Textual's partial update; the regions it drew are patched into the kept frame."""
        drawn = set(self._dirty_regions)
        update = super().render_partial_update()
        if update is not None:
            self._patch(update.chops, update.spans)
            self._undrawn -= drawn
        return update

    def _keep(self, chops: list[Chops]) -> None:
        old, joined = self._frame, self._joined
        self._joined = [None] * len(chops)
        if old is not None and len(old) == len(chops):
            for y, line in enumerate(chops):
                if joined[y] is not None and _same(old[y], line):
                    self._joined[y] = joined[y]  # unchanged line: same strip, not tinted again
        self._frame = chops
        self._frame_size = self.size
        self._root_look = _look(self.root) if self.root is not None else ()
        self._frame_cuts = [list(cuts) for cuts in self.cuts]
        self._undrawn.clear()
        self._redo.clear()

    def _patch(self, chops: Sequence[Mapping[int, Strip | None]], spans: Iterable[Span]) -> None:
        """Copy the chops drawn inside each span into the frame; a line that cannot be patched
        exactly is noted to be rendered whole."""
        frame = self._frame
        if frame is None:
            return
        cuts = self.cuts
        for y, x1, x2 in spans:
            same_cuts = y < len(frame) and cuts[y] == self._frame_cuts[y]
            copied = _copy_span(frame[y], chops[y], cuts[y], x1, x2) if same_cuts else None
            if copied is None:
                self._redo.add(y)
                self._joined[y] = None  # partly copied before the chop that could not be
            elif copied:
                self._joined[y] = None

    def frame_lines(self) -> list[Strip]:
        """The screen's current lines: the kept frame with every change since drawn into it.

        A line's strip is the same object as last time while the line has not changed.
        """
        if self._frame is None or self._frame_size != self.size:
            self._render_whole()
        else:
            self._draw_undrawn()
        frame = self._frame
        assert frame is not None
        joined = self._joined
        for y, line in enumerate(frame):
            if joined[y] is None:
                joined[y] = Strip.join(line.values())
        return [strip for strip in joined if strip is not None]

    def _render_whole(self) -> None:
        self.full_renders += 1
        chops = self._render_chops(self.size.region, _every_line)
        self._keep([_chops(line) for line in chops])

    def _draw_undrawn(self) -> None:
        """Render the regions that changed without being drawn, and the lines cut anew."""
        cuts = self.cuts
        self._redo.update(y for y, line_cuts in enumerate(cuts) if line_cuts != self._frame_cuts[y])
        undrawn, self._undrawn = self._undrawn, set()
        screen = self.size.region
        undrawn = {region.intersection(screen) for region in undrawn} - {Region()}
        whole = screen in undrawn
        if undrawn:
            spans = list(self._regions_to_spans(undrawn))
            rows = {y for y, _, _ in spans} - self._redo
            self._patch(self._render_chops(Region.from_union(list(undrawn)), rows.__contains__), spans)
        if self._redo:
            redo, self._redo = self._redo, set()
            self._redo_lines(redo)
        if whole and self.root is not None:
            self._root_look = _look(self.root)  # the screen itself was drawn again: its look now

    def _redo_lines(self, lines: set[int]) -> None:
        frame = self._frame
        assert frame is not None
        chops = self._render_chops(self.size.region, lines.__contains__)
        cuts = self.cuts
        for y in lines:
            line = _chops(chops[y])
            if not _same(frame[y], line):
                frame[y] = line
                self._joined[y] = None
            self._frame_cuts[y] = list(cuts[y])


def _look(root: Widget) -> tuple[object, ...]:
    """What the screen's own drawing depends on besides its children (its colours)."""
    styles = root.styles
    return (root.rich_style, styles.background, styles.background_tint, styles.tint, styles.color)


def _every_line(_y: int) -> bool:
    return True


def _chops(line: Mapping[int, Strip | None]) -> Chops:
    """A rendered line's chops, without the cuts nothing was drawn at."""
    return {x: strip for x, strip in line.items() if strip is not None}


def _same(old: Chops, new: Chops) -> bool:
    """The two lines hold the same strips at the same cuts (strips are immutable)."""
    return old.keys() == new.keys() and all(a is b for a, b in zip(old.values(), new.values(), strict=True))


def _copy_span(
    line: Chops, drawn: Mapping[int, Strip | None], cuts: list[int], x1: int, x2: int
) -> bool | None:
    """Copy the chops of ``drawn`` at the cuts that meet ``x1..x2`` into ``line``: whether any
    changed, or None when one is missing (the line must then be rendered whole).

    A drawn chop is whole even where the span covers only part of it: the widgets covering a
    cut's range are the same over all of it, so each of them met the drawn region and was
    rendered, full width."""
    changed = False
    for i in range(len(cuts) - 1):
        x, end = cuts[i], cuts[i + 1]
        if end <= x1 or x >= x2:
            continue
        strip = drawn.get(x)
        if strip is None:
            return None
        if line.get(x) is not strip:
            line[x] = strip
            changed = True
    return changed


__all__ = ["FrameKeepingCompositor"]
