"""Command-palette providers (ctrl+p): switch symbol, switch theme, and the trading actions."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from console.breaker_actions import tripped_breakers

if TYPE_CHECKING:
    from console.app import TradeConsoleApp


class SymbolCommands(Provider):
    """``Symbol: BTCUSDT`` for every configured symbol."""

    def _choices(self) -> list[tuple[str, str]]:
        app = cast("TradeConsoleApp", self.app)
        return [(f"Symbol: {s}", s) for s in app.symbols]

    async def discover(self) -> Hits:
        """Every symbol, unfiltered."""
        app = cast("TradeConsoleApp", self.app)
        for label, sym in self._choices():
            yield DiscoveryHit(label, partial(app.select_symbol, sym), help=f"Show {sym} in the market panes")

    async def search(self, query: str) -> Hits:
        """Symbols matching ``query``."""
        app = cast("TradeConsoleApp", self.app)
        matcher = self.matcher(query)
        for label, sym in self._choices():
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(label), partial(app.select_symbol, sym), help=f"Show {sym}"
                )


class ThemeCommands(Provider):
    """``Theme: trade-dark`` for every console theme."""

    async def discover(self) -> Hits:
        """Every console theme."""
        app = cast("TradeConsoleApp", self.app)
        for name in app.console_themes:
            yield DiscoveryHit(f"Theme: {name}", partial(app.set_theme, name), help="Switch the colour theme")

    async def search(self, query: str) -> Hits:
        """Themes matching ``query``."""
        app = cast("TradeConsoleApp", self.app)
        matcher = self.matcher(query)
        for name in app.console_themes:
            label = f"Theme: {name}"
            score = matcher.match(label)
            if score > 0:
                yield Hit(score, matcher.highlight(label), partial(app.set_theme, name), help="Switch theme")


class BreakerCommands(Provider):
    """``Reset breaker: <name>`` for every tripped breaker, and ``Reset a circuit breaker…``."""

    def _choices(self) -> list[tuple[str, str | None, str]]:
        app = cast("TradeConsoleApp", self.app)
        tripped = tripped_breakers(app)
        out: list[tuple[str, str | None, str]] = [
            # Help text is markup; reasons carry endpoint paths in brackets ("[/v5/order/realtime]").
            (f"Reset breaker: {name}", name, escape(f"Tripped: {reason}"))
            for name, reason in tripped.items()
        ]
        out.append(("Reset a circuit breaker…", None, "Pick a tripped breaker and say why (asks first)"))
        return out

    async def discover(self) -> Hits:
        """Every tripped breaker, then the general entry."""
        app = cast("TradeConsoleApp", self.app)
        for label, name, help_text in self._choices():
            yield DiscoveryHit(label, partial(app.breaker_actions.open_reset, name), help=help_text)

    async def search(self, query: str) -> Hits:
        """Entries matching ``query`` (e.g. ``breaker``, ``reset``, ``api_failures``)."""
        app = cast("TradeConsoleApp", self.app)
        matcher = self.matcher(query)
        for label, name, help_text in self._choices():
            score = matcher.match(label)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(label),
                    partial(app.breaker_actions.open_reset, name),
                    help=help_text,
                )
