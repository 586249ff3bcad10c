"""Checks of the settings that only the console understands: theme names and key binding ids.

``core.config`` validates everything the engine needs; it cannot know the console's themes or
binding ids (core never imports the UI), so those are checked here, by ``check-config`` and
before the console opens. Each problem is ``(key, message)`` with the fix in the message, the
same shape as :class:`core.config.ConfigError`.
"""

from __future__ import annotations

from core.config import ConfigError, Settings
from core.venues.listing import DEFAULT_TIMEOUT_S, ListingReport, check_configured_symbols


def ui_problems(settings: Settings) -> list[tuple[str, str]]:
    """Unknown theme or ``[keys]`` binding ids, each naming the key and the valid choices."""
    from console.keymap import BINDING_IDS
    from themes import theme_names

    problems: list[tuple[str, str]] = []
    themes = theme_names()
    if settings.ui.theme not in themes:
        problems.append(("ui.theme", f"unknown theme {settings.ui.theme!r}; use one of: {', '.join(themes)}"))
    for binding_id in sorted(k for k in settings.keys if k not in BINDING_IDS):
        problems.append(
            (
                f"keys.{binding_id}",
                f"unknown binding id; remove it or use one of: {', '.join(sorted(BINDING_IDS))}",
            )
        )
    return problems


def check_venue_symbols(settings: Settings, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[str]:
    """Ask the venue whether it lists every configured symbol.

    Raises :class:`ConfigError` for symbols it does not list; returns warning lines when the
    venue could not be asked (an unreachable venue is not a configuration error).
    """
    report: ListingReport = check_configured_symbols(settings, timeout_s)
    if not report.reachable:
        hint = ""
        if settings.mode.value == "sim":
            hint = "; start it with `trade-console sim` (same config) to check the symbols against it"
        return [f"venue at {report.venue} not reachable ({report.error}): symbols not checked{hint}"]
    problems = report.problems()
    if problems:
        raise ConfigError(problems)
    return []
