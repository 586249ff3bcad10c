"""A journal on a full disk, for real: SQLite's SQLITE_FULL made with ``PRAGMA max_page_count``.

:func:`fill_journal` leaves the database with no free page and the last leaf of ``records``
packed, so every further record needs a page SQLite may not allocate: the genuine
"database or disk is full" error, with no mock in the way. :func:`make_room` undoes it.
"""

from __future__ import annotations

from core.journal.journal import Journal

LAST_LEAF = (
    "SELECT unused FROM dbstat WHERE name = 'records' AND pagetype = 'leaf' ORDER BY path DESC LIMIT 1"
)
FILLER = "INSERT INTO records (ts_ms, kind, symbol, order_link_id, data) VALUES (0, '', '', '', '{}')"


def fill_journal(journal: Journal) -> None:
    """Make ``journal``'s database full for real: no free page left, the last ``records`` leaf packed.

    Tiny filler rows pack the rightmost leaf of ``records`` (rows are appended there: ``seq``
    only grows) until fewer bytes are free than any real record needs; the page limit is then
    set to the current size. Any real record now needs a new page, and SQLite refuses it with
    SQLITE_FULL. Undo with :func:`make_room`.
    """
    conn = journal._conn  # the journal's own connection: max_page_count is per connection
    conn.execute("CREATE TABLE IF NOT EXISTS filler (b BLOB)")
    while conn.execute("PRAGMA freelist_count").fetchone()[0]:
        conn.execute("INSERT INTO filler VALUES (zeroblob(3000))")
    while True:
        (unused,) = conn.execute(LAST_LEAF).fetchone()
        if unused < 24:
            break
        conn.execute(FILLER)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.execute(f"PRAGMA max_page_count = {pages}")


def make_room(journal: Journal) -> None:
    """The disk has space again."""
    journal._conn.execute("PRAGMA max_page_count = 1073741823")
