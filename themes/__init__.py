"""Theme definitions: trading colours (PnL, bid/ask, risk, mode badges) as Textual theme variables."""

from themes.definitions import DEFAULT_THEME, THEME_VARIABLE_DEFAULTS, THEMES, theme_names

__all__ = ["DEFAULT_THEME", "THEMES", "THEME_VARIABLE_DEFAULTS", "theme_names"]
