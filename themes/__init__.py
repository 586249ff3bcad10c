"""Theme definitions: trading colours (PnL, bid/ask, risk, mode badges) as Textual theme variables."""

from __future__ import annotations

from functools import cache

from textual.theme import Theme

from themes.contrast import readable
from themes.definitions import DEFAULT_THEME, THEME_VARIABLE_DEFAULTS, THEMES, theme_names


@cache
def offered_themes() -> dict[str, Theme]:
    """The console themes that pass the contrast check, in cycling order: the only ones offered."""
    return readable(THEMES.values(), defaults=THEME_VARIABLE_DEFAULTS)


__all__ = ["DEFAULT_THEME", "THEMES", "THEME_VARIABLE_DEFAULTS", "offered_themes", "theme_names"]
