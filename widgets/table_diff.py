"""Keyed DataTable with diffed updates: only changed cells are touched, unchanged frames cost nothing.

Cells are (text, style-class) pairs; the class names a component class whose colour comes from a
theme variable, so a theme switch re-renders every cell with the new colours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist

Cell = tuple[str, str]
"""Cell text and its component class ("" for the default style)."""


class DiffTable(DataTable[Text]):
    """A DataTable fed with whole-table snapshots, applied as the smallest set of changes."""

    COLUMNS: ClassVar[Sequence[tuple[str, str, int]]] = ()
    """(key, label, width) per column."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(
            name=name, id=id, classes=classes, cursor_type="row", zebra_stripes=True, show_cursor=True
        )
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self._restyle = False
        self.updates = 0
        """Number of ``update_cell``/``add_row``/``remove_row`` calls made (for tests and benches)."""

    def on_mount(self) -> None:
        """Create the keyed columns."""
        for key, label, width in self.COLUMNS:
            self.add_column(label, key=key, width=width)

    def notify_style_update(self) -> None:
        """Theme or CSS changed: rewrite every cell on the next update."""
        super().notify_style_update()
        if hasattr(self, "_restyle"):
            self._restyle = True

    def _text(self, cell: Cell) -> Text:
        text, cls = cell
        if not cls:
            return Text(text)
        return Text(text, style=self.get_component_rich_style(cls, partial=True))

    def apply_rows(self, rows: Mapping[str, Sequence[Cell]]) -> int:
        """Make the table show exactly ``rows`` (row key → cells, in display order).

        Returns the number of table operations performed (0 when nothing changed).
        """
        ops = 0
        restyle = self._restyle
        self._restyle = False
        for key in [k for k in self._cells if k not in rows]:
            self.remove_row(key)
            del self._cells[key]
            ops += 1
        col_keys = [c[0] for c in self.COLUMNS]
        for key, cells in rows.items():
            cells_t = tuple(cells)
            old = self._cells.get(key)
            if old is None:
                self.add_row(*(self._text(c) for c in cells_t), key=key)
                ops += 1
            elif old != cells_t or restyle:
                for col, (a, b) in zip(col_keys, zip(old, cells_t, strict=True), strict=True):
                    if a != b or restyle:
                        self.update_cell(key, col, self._text(b))
                        ops += 1
            self._cells[key] = cells_t
        self.updates += ops
        return ops

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
