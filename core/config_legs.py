"""``venue.legs`` of the composite venue (``venue.name = "multi"``): each leg's settings and the
load-time checks (light: names and endpoint policies only, no venue package imported, so loading
settings never imports ``core.venues``).

Leg ``i`` of ``venue.legs`` gets the settings of a single-venue run: ``venue.name`` set to the
leg, and in sim mode the built-in sim on ``sim.port + i`` (the Bybit sim on the configured port,
the Hyperliquid sim on the next, as ``trade-console sim --venue hyperliquid`` serves it). In demo
and live each leg reaches its own venue's hosts for the mode (demo: Bybit demo and Hyperliquid
testnet; live: both mainnets) and holds its own key pair for the mode and no other key
(:mod:`core.config_keys`): the first leg the plain pair or its venue's own, every other leg only
its venue's own (``TRADE_HYPERLIQUID_DEMO_API_KEY``...).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import venue_symbols as naming
from core.config_files import ConfigError
from core.config_keys import leg_key_updates
from core.endpoint_policy import assert_endpoint_matches_mode, known_venues, venue_policy

if TYPE_CHECKING:
    from core.config import Settings

MIN_LEGS = 2
COMPOSITE = "multi"


def leg_settings(settings: Settings, index: int) -> Settings:
    """The settings leg ``index`` of ``venue.legs`` is built with."""
    name = settings.venue.legs[index]
    sim = settings.sim
    port = sim.port + index if sim.port else 0
    return settings.model_copy(
        update={
            "venue": settings.venue.model_copy(update={"name": name, "rest_url": None}),
            "sim": sim.model_copy(update={"port": port}),
            **leg_key_updates(settings, name, primary=index == 0),
        }
    )


def venues_reached(settings: Settings) -> str:
    """The venues the mode trades on, as a trader calls them (``Bybit MAINNET and Hyperliquid
    MAINNET``): one venue's, or every leg's."""
    names = settings.venue.legs if settings.venue.name == COMPOSITE else (settings.venue.name,)
    mode = settings.mode
    return " and ".join(venue_policy(n).titles.get(mode, f"{n} ({mode.value})") for n in names)


def composite_endpoints(settings: Settings) -> dict[str, str]:
    """Every leg's named endpoints for the mode: the first leg's as they are, each other leg's
    named ``<venue>:<name>`` (``hyperliquid:rest``)."""
    out: dict[str, str] = {}
    for i, name in enumerate(settings.venue.legs):
        leg = leg_settings(settings, i)
        found = venue_policy(name).endpoints(leg.mode, (leg.sim.host, leg.sim.port), None)
        out.update({key if i == 0 else f"{name}:{key}": url for key, url in found.items()})
    return out


def _name_problems(legs: tuple[str, ...]) -> list[str]:
    known = [n for n in known_venues() if n != COMPOSITE and n in naming.SUFFIXES]
    out: list[str] = []
    if len(legs) < MIN_LEGS:
        out.append(f"lists {len(legs)} venue(s); list at least {MIN_LEGS} of {known}")
    unknown = [n for n in legs if n not in known]
    if unknown:
        out.append(f"{', '.join(map(repr, unknown))} cannot be a leg; use venues of {known}")
    if len(set(legs)) != len(legs):
        out.append("lists a venue more than once; list each venue once")
    if legs and legs[0] != naming.PRIMARY_VENUE:
        out.append(f"must start with {naming.PRIMARY_VENUE!r}, the venue whose symbols carry no suffix")
    return out


def leg_problems(settings: Settings) -> list[tuple[str, str]]:
    """What is wrong with ``venue.legs`` for this mode and ``risk.symbols`` (empty when nothing)."""
    legs = settings.venue.legs
    problems = [("venue.legs", why) for why in _name_problems(legs)]
    if problems:
        return problems
    for i, name in enumerate(legs):
        policy = venue_policy(name)
        if settings.mode not in policy.modes:
            problems.append(("venue.legs", f"{name!r} does not serve mode {settings.mode.value}"))
            continue
        try:  # each leg's endpoint must belong to the mode, by its own venue's policy
            assert_endpoint_matches_mode(settings.mode, leg_settings(settings, i).rest_url, name)
        except ConfigError as exc:
            problems += [("venue.legs", f"{name}: {why}") for _, why in exc.problems]
    problems += _symbol_problems(settings)
    return problems


def _symbol_problems(settings: Settings) -> list[tuple[str, str]]:
    legs = settings.venue.legs
    off: list[str] = []
    for sym in settings.risk.symbols:
        try:
            venue = naming.venue_of(sym)
        except ValueError:
            off.append(sym)
            continue
        if venue not in legs:
            off.append(sym)
    if not off:
        return []
    examples = [naming.on_venue("BTCUSDT", leg) for leg in legs]
    return [
        (
            "risk.symbols",
            f"{', '.join(map(repr, off))} on no venue of venue.legs {list(legs)}; e.g. {examples}",
        )
    ]
