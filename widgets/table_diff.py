"""Keyed DataTable with diffed updates: only changed cells are touched, unchanged frames cost nothing.

Cells are (text, style-class) pairs; the class names a component class whose colour comes from a
theme variable, so a theme switch re-renders every cell with the new colours.

A table may declare column *profiles* (widest first): it shows the widest profile that fits its
width, so the same pane stays complete at 80 columns (compact labels, fewer columns) and rich at
160. Rows are then given as ``{column key: cell}`` mappings and each profile picks its columns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar, NamedTuple

from rich.text import Text
from textual import events
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

Cell = tuple[str, str]
"""Cell text and its component class ("" for the default style)."""
Row = Sequence[Cell] | Mapping[str, Cell]
"""Cells in column order, or by column key (tables with profiles)."""


class Column(NamedTuple):
    """One column of a profile: key, header label, width (including a one-cell gap), justification."""

    key: str
    label: str
    width: int
    justify: str = "left"


def profile_width(profile: Sequence[Column]) -> int:
    """Cells a profile needs (its columns' widths; profiles use no cell padding)."""
    return sum(c.width for c in profile)


class DiffTable(DataTable[Text]):
    """A DataTable fed with whole-table snapshots, applied as the smallest set of changes."""

    COLUMNS: ClassVar[Sequence[tuple[str, str, int]]] = ()
    """(key, label, width) per column, for tables without profiles."""
    PROFILES: ClassVar[Sequence[Sequence[Column]]] = ()
    """Column sets from widest to narrowest; the widest that fits the table's width is shown."""
    KEEP_ORDER: ClassVar[bool] = False
    """Show the rows in the order they are given even when it changes (rows are re-added, the
    cursor stays on its row); otherwise a new row goes last and a kept row keeps its place."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(
            name=name, id=id, classes=classes, cursor_type="row", zebra_stripes=True, show_cursor=True
        )
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self._restyle = False
        self._profile: Sequence[Column] = ()
        self._lead: list[str] = []
        """A one-space gap before each left-aligned column that follows a right-aligned one."""
        self._rows: Mapping[str, Row] = {}
        self.updates = 0
        """Number of ``update_cell``/``add_row``/``remove_row`` calls made (for tests and benches)."""

    def on_mount(self) -> None:
        """Create the keyed columns."""
        if self.PROFILES:
            self._use_profile(self.pick_profile(self.size.width))
            return
        for key, label, width in self.COLUMNS:
            self.add_column(label, key=key, width=width)

    def on_resize(self, event: events.Resize) -> None:
        """Switch to the profile that fits the new width (rows are re-applied)."""
        if not self.PROFILES:
            return
        profile = self.pick_profile(event.size.width)
        if profile is not self._profile:
            self._use_profile(profile)

    def pick_profile(self, width: int) -> Sequence[Column]:
        """The widest profile that fits ``width`` cells (the narrowest when none does)."""
        if not width:
            return self.PROFILES[0]
        usable = width - self.styles.scrollbar_size_vertical  # room for a vertical scrollbar
        for profile in self.PROFILES:
            if profile_width(profile) <= usable:
                return profile
        return self.PROFILES[-1]

    @property
    def column_keys(self) -> list[str]:
        """The keys of the columns shown now."""
        if self.PROFILES:
            return [c.key for c in self._profile]
        return [c[0] for c in self.COLUMNS]

    def _use_profile(self, profile: Sequence[Column]) -> None:
        selected = self.selected_key
        self.clear(columns=True)
        self.cell_padding = 0
        self._profile = profile
        self._lead = [
            " " if i and profile[i - 1].justify == "right" and c.justify != "right" else ""
            for i, c in enumerate(profile)
        ]
        for col, lead in zip(profile, self._lead, strict=True):
            label = Text(lead + col.label, justify=col.justify)  # type: ignore[arg-type]
            self.add_column(label, key=col.key, width=col.width)
        self._cells = {}
        rows, self._rows = self._rows, {}
        if rows:
            self.apply_rows(rows)
        if selected is not None and selected in self._cells:
            self.move_cursor(row=self.get_row_index(selected))

    def notify_style_update(self) -> None:
        """Theme or CSS changed: rewrite every cell on the next update."""
        super().notify_style_update()
        if hasattr(self, "_restyle"):
            self._restyle = True

    def _text(self, cell: Cell, justify: str = "left", lead: str = "") -> Text:
        text, cls = cell
        style = self.get_component_rich_style(cls, partial=True) if cls else ""
        return Text(lead + text, style=style, justify=justify)  # type: ignore[arg-type]

    def _project(self, row: Row) -> tuple[Cell, ...]:
        if isinstance(row, Mapping):
            return tuple(row.get(c.key, ("", "")) for c in self._profile)
        return tuple(row)

    def apply_rows(self, rows: Mapping[str, Row]) -> int:
        """Make the table show exactly ``rows`` (row key → cells, in display order).

        Returns the number of table operations performed (0 when nothing changed).
        """
        if self.KEEP_ORDER and self._order_changes(rows):
            return self._reorder(rows)
        ops = 0
        self._rows = rows
        restyle = self._restyle
        self._restyle = False
        for key in [k for k in self._cells if k not in rows]:
            self.remove_row(key)
            del self._cells[key]
            ops += 1
        col_keys = self.column_keys
        n = len(col_keys)
        justify = [c.justify for c in self._profile] if self.PROFILES else ["left"] * n
        lead = self._lead if self.PROFILES else [""] * n
        for key, row in rows.items():
            cells_t = self._project(row)
            old = self._cells.get(key)
            if old is None:
                self.add_row(*(self._text(c, justify[i], lead[i]) for i, c in enumerate(cells_t)), key=key)
                ops += 1
            elif old != cells_t or restyle:
                for i, (col, a, b) in enumerate(zip(col_keys, old, cells_t, strict=True)):
                    if a != b or restyle:
                        self.update_cell(key, col, self._text(b, justify[i], lead[i]))
                        ops += 1
            self._cells[key] = cells_t
        self.updates += ops
        return ops

    def _order_changes(self, rows: Mapping[str, Row]) -> bool:
        """True when applying ``rows`` in place (removals, new rows last) would not show their order."""
        kept = [k for k in self._cells if k in rows]
        return kept + [k for k in rows if k not in self._cells] != list(rows)

    def _reorder(self, rows: Mapping[str, Row]) -> int:
        selected = self.selected_key
        removed = len(self._cells)
        self.clear()
        self._cells = {}
        self._restyle = False
        ops = removed + self.apply_rows(rows)
        if selected is not None and selected in self._cells:
            self.move_cursor(row=self.get_row_index(selected))
        return ops

    @property
    def rows_shown(self) -> dict[str, tuple[Cell, ...]]:
        """The cells shown now, by row key, in the current profile's column order."""
        return dict(self._cells)

    @property
    def selected_key(self) -> str | None:
        """The row key under the cursor, if any."""
        if not self._cells or self.row_count == 0:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except CellDoesNotExist:  # the cursor is past the last row (rows were just removed)
            return None
        return None if row_key.value is None else str(row_key.value)
