"""The key bar at the bottom of the main screen: each key and what it does, on one line.

It replaces Textual's ``Footer``, which recomposes its ``FooterKey`` children on every screen and
focus change and, through ``data_bind``, leaves each discarded child registered as a watcher on
the long-lived footer (Textualize/textual#6666). In a console that opens the order ticket all day
that was ~2,000 live objects per ticket open, and full garbage collections grew to 100 ms+.

The bar renders plain data with the line API: the console hands it ``(key, description)`` pairs
(after the user's keymap) and it draws them once; nothing is created per frame or per screen change.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from widgets.lines import Line, LineWidget, Run


class KeyBar(LineWidget):
    """One line of ``key description`` hints, with an optional hint pinned to the right edge."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"keybar--key", "keybar--description"}

    DEFAULT_CSS = """
    KeyBar { dock: bottom; height: 1; background: $footer-background; color: $footer-foreground; }
    KeyBar > .keybar--key {
        color: $footer-key-foreground; background: $footer-key-background; text-style: bold;
    }
    KeyBar > .keybar--description {
        color: $footer-description-foreground; background: $footer-description-background;
    }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._keys: tuple[tuple[str, str], ...] = ()
        self._right: tuple[str, str] | None = None

    @property
    def keys(self) -> tuple[tuple[str, str], ...]:
        """The ``(key, description)`` pairs shown, left to right."""
        return self._keys

    def set_keys(self, keys: Sequence[tuple[str, str]], right: tuple[str, str] | None = None) -> bool:
        """Show ``keys`` left to right and ``right`` (if any) at the right edge."""
        self._keys = tuple(keys)
        self._right = right
        return self.set_lines([self.build_line(self.size.width)])

    def on_resize(self) -> None:
        """Re-place the right-hand hint for the new width."""
        self.set_lines([self.build_line(self.size.width)])

    def build_line(self, width: int) -> Line:
        """The runs for one bar of ``width`` cells.

        When the keys do not fit, the palette hint goes first, then keys from the middle (shown
        as ``…``): the last :data:`KEEP_LAST` keys (panic, help, quit) always stay visible.
        """
        runs: list[Run] = _runs(self._keys)
        used = sum(len(t) for t, _ in runs)
        if width and used > width:
            return tuple(_fit(self._keys, width))
        if self._right is not None:
            key, description = self._right
            tail: list[Run] = [("▏", "keybar--description"), (f"{key} ", "keybar--key")]
            tail.append((f"{description} ", "keybar--description"))
            room = width - sum(len(t) for t, _ in tail)
            if used > room:  # room for the keys but not the palette hint too
                return tuple(runs)
            if room >= 0:
                runs.append((" " * (room - used), ""))
                runs += tail
        return tuple(runs)


KEEP_LAST = 3
"""Trailing keys (the app-wide panic, help and quit) that stay on a narrow bar."""


def _runs(keys: Sequence[tuple[str, str]]) -> list[Run]:
    runs: list[Run] = []
    for key, description in keys:
        runs += [(f" {key} ", "keybar--key"), (f"{description} ", "keybar--description")]
    return runs


def _fit(keys: Sequence[tuple[str, str]], width: int) -> list[Run]:
    """The first keys that fit, ``…``, then the last :data:`KEEP_LAST` keys."""
    head, last = list(keys[:-KEEP_LAST]), list(keys[-KEEP_LAST:])
    end = _runs(last)
    room = width - sum(len(t) for t, _ in end) - 1
    while head and sum(len(t) for t, _ in _runs(head)) > room:
        head.pop()
    if room < 0:
        return _cut(end, width)
    return [*_runs(head), ("…", "keybar--description"), *end]


def _cut(runs: list[Run], width: int) -> list[Run]:
    """The first ``width`` cells of ``runs``."""
    out: list[Run] = []
    left = width
    for text, cls in runs:
        if left <= 0:
            break
        out.append((text[:left], cls))
        left -= len(text[:left])
    return out
