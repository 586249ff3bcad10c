"""Checks of the settings that only the console understands: theme names, key binding ids and
``[aliases]`` command lines.

``core.config`` validates everything the engine needs; it cannot know the console's themes or
binding ids (core never imports the UI), so those are checked here, by ``check-config`` and
before the console opens. Each problem is ``(key, message)`` with the fix in the message, the
same shape as :class:`core.config.ConfigError`.
"""

from __future__ import annotations

from core.config import ConfigError, Settings
from core.venues.listing import DEFAULT_TIMEOUT_S, ListingReport, check_configured_symbols


def ui_problems(settings: Settings) -> list[tuple[str, str]]:
    """Unknown (or unreadable) theme, unknown ``[keys]`` binding ids and ``[aliases]`` that are not
    commands or whose key is taken, each naming the key and the fix."""
    from console.keymap import BINDING_IDS
    from themes import offered_themes

    problems: list[tuple[str, str]] = []
    themes = list(offered_themes())
    if settings.ui.theme not in themes:
        problems.append(("ui.theme", f"unknown theme {settings.ui.theme!r}; use one of: {', '.join(themes)}"))
    for binding_id in sorted(k for k in settings.keys if k not in BINDING_IDS):
        problems.append(
            (
                f"keys.{binding_id}",
                f"unknown binding id; remove it or use one of: {', '.join(sorted(BINDING_IDS))}",
            )
        )
    return problems + alias_problems(settings)


def alias_problems(settings: Settings) -> list[tuple[str, str]]:
    """``[aliases]`` whose text the command-line grammar refuses, or whose key is already bound."""
    from console.keymap import APP_BINDINGS, BINDING_IDS, MAIN_BINDINGS, effective_key
    from core.orders.grammar import GrammarError, parse

    keymap = {k: v for k, v in settings.keys.items() if k in BINDING_IDS}
    used = {
        k.strip()
        for b in MAIN_BINDINGS + APP_BINDINGS
        if b.id
        for k in effective_key(b.id, keymap).split(",")
    }
    problems: list[tuple[str, str]] = []
    for key, text in settings.aliases.items():
        if key in used:
            problems.append(
                (f"aliases.{key}", "the key is already a console key; bind the alias to a free key")
            )
            continue
        try:
            parse(text, list(settings.risk.symbols))
        except GrammarError as exc:
            problems.append((f"aliases.{key}", f"{text!r} is not a command line: {exc}"))
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
