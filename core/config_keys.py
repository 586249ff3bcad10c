"""API keys per venue and per mode: which pair each venue (or each leg of the composite) signs with.

Keys are tagged twice: by the mode they belong to (demo keys are never read in live mode and live
keys never in demo) and, when more than one venue is configured, by the venue. Two sources:

* the plain pair of the mode, ``TRADE_DEMO_API_KEY``/``TRADE_DEMO_API_SECRET`` (or
  ``TRADE_LIVE_*``, or the ``[demo]``/``[live]`` tables of the 0600 ``secrets_file``): the
  configured venue's keys, and with ``venue.name = "multi"`` the first leg's (the primary);
* a venue's own pair, ``TRADE_<VENUE>_<MODE>_API_KEY``/``_SECRET`` (``TRADE_HYPERLIQUID_DEMO_API_KEY``)
  or a ``[<venue>.<mode>]`` table of the ``secrets_file`` (``[hyperliquid.demo]``). It wins over
  the plain pair for that venue, and it is the only source for a second leg of the composite: the
  plain pair never reaches a venue other than the primary when several trade at once.

Each leg of the composite is built with settings holding its own pair for the mode and nothing
else (:func:`core.config_legs.leg_settings`), so no adapter ever sees another venue's or another
mode's keys. Light: no venue package is imported.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr
from pydantic_settings import BaseSettings

from core.model import Mode

if TYPE_CHECKING:
    from core.config import Settings

KEYED_MODES = (Mode.DEMO, Mode.LIVE)
"""The modes that need API keys (sim uses the built-in venue's well-known ones)."""
KEY_FIELDS = ("api_key", "api_secret")
KEY_VENUES = ("bybit", "hyperliquid")
"""The venues that have a key pair of their own (a field per venue, mode and key below)."""

Pair = tuple[SecretStr | None, SecretStr | None]


class VenueKeyFields(BaseSettings):
    """The plain pair per mode (``TRADE_DEMO_API_KEY``...) and each venue's own pair per mode
    (``TRADE_<VENUE>_<MODE>_API_KEY``/``_SECRET``)."""

    demo_api_key: SecretStr | None = None
    demo_api_secret: SecretStr | None = None
    live_api_key: SecretStr | None = None
    live_api_secret: SecretStr | None = None

    bybit_demo_api_key: SecretStr | None = None
    bybit_demo_api_secret: SecretStr | None = None
    bybit_live_api_key: SecretStr | None = None
    bybit_live_api_secret: SecretStr | None = None
    hyperliquid_demo_api_key: SecretStr | None = None
    """Hyperliquid testnet: the account (master) address."""
    hyperliquid_demo_api_secret: SecretStr | None = None
    """Hyperliquid testnet: the agent wallet's private key."""
    hyperliquid_live_api_key: SecretStr | None = None
    hyperliquid_live_api_secret: SecretStr | None = None


def plain_names(mode: Mode) -> tuple[str, str]:
    """The settings fields of ``mode``'s plain pair (``demo_api_key``, ``demo_api_secret``)."""
    return f"{mode.value}_api_key", f"{mode.value}_api_secret"


def venue_names(venue: str, mode: Mode) -> tuple[str, str]:
    """The settings fields of ``venue``'s own pair for ``mode``."""
    return f"{venue}_{mode.value}_api_key", f"{venue}_{mode.value}_api_secret"


def secret_fields() -> tuple[str, ...]:
    """Every settings field holding a key or secret (never in the config file, never shown)."""
    out: list[str] = []
    for mode in KEYED_MODES:
        out += plain_names(mode)
        for venue in KEY_VENUES:
            out += venue_names(venue, mode)
    return tuple(out)


def _pair(s: Settings, names: tuple[str, str]) -> Pair:
    key, secret = (getattr(s, n, None) for n in names)
    return key, secret


def source_of(s: Settings, venue: str, mode: Mode, *, primary: bool) -> tuple[str, str]:
    """The fields ``venue``'s pair for ``mode`` is read from: its own when either is set (or when
    it is not the primary venue), else the plain pair."""
    own = venue_names(venue, mode)
    if venue not in KEY_VENUES:
        return plain_names(mode) if primary else own
    if not primary or any(v is not None for v in _pair(s, own)):
        return own
    return plain_names(mode)


def keys_for(s: Settings, venue: str, mode: Mode, *, primary: bool = True) -> Pair:
    """``venue``'s (key, secret) for ``mode`` (either may be None: see :func:`key_problems`)."""
    return _pair(s, source_of(s, venue, mode, primary=primary))


def env_name(field: str) -> str:
    """The environment variable of a key field (``TRADE_HYPERLIQUID_DEMO_API_KEY``)."""
    return f"TRADE_{field.upper()}"


def _fix(venue: str, mode: Mode, *, primary: bool) -> str:
    m = mode.value
    key, secret = venue_names(venue, mode)
    own = f"{env_name(key)} and {env_name(secret)}, or a [{venue}.{m}] table in secrets_file"
    if not primary:
        return f"set {own}"
    plain_key, plain_secret = plain_names(mode)
    return (
        f"set {env_name(plain_key)} and {env_name(plain_secret)}, or a [{m}] table in secrets_file, or {own}"
    )


def _other_mode_hint(s: Settings, venue: str, mode: Mode, *, primary: bool) -> str:
    other = Mode.LIVE if mode is Mode.DEMO else Mode.DEMO
    if any(v is not None for v in keys_for(s, venue, other, primary=primary)):
        return f" (found {other.value} keys, which are never used in {mode.value} mode)"
    return ""


def leg_key_problem(s: Settings, venue: str, *, primary: bool, leg: bool) -> tuple[str, str] | None:
    """What is missing of ``venue``'s pair for the mode, naming the leg, the key and the fix."""
    mode = s.mode
    if mode not in KEYED_MODES:
        return None
    names = source_of(s, venue, mode, primary=primary)
    missing = [name for name, v in zip(names, _pair(s, names), strict=True) if v is None]
    if not missing:
        return None
    hint = _other_mode_hint(s, venue, mode, primary=primary)
    fix = _fix(venue, mode, primary=primary)
    if not leg:
        return missing[0], f"{mode.value} mode needs keys{hint}; {fix}"
    role = "first leg" if primary else "leg"
    plain = "" if primary else f" (the plain {mode.value} keys are the first leg's only)"
    return missing[0], f"{venue} ({role} of venue.legs) needs its own {mode.value} keys{hint}{plain}; {fix}"


def key_problems(s: Settings, legs: tuple[str, ...] | None) -> list[tuple[str, str]]:
    """Missing keys for demo/live: the one venue's (``legs`` None), or every leg's."""
    if legs is None:
        found = leg_key_problem(s, s.venue.name, primary=True, leg=False)
        return [] if found is None else [found]
    out: list[tuple[str, str]] = []
    for i, venue in enumerate(legs):
        found = leg_key_problem(s, venue, primary=i == 0, leg=True)
        if found is not None:
            out.append(found)
    return out


def leg_key_updates(s: Settings, venue: str, *, primary: bool) -> dict[str, SecretStr | None]:
    """Settings updates giving a leg its own pair for the mode as the plain pair, and no other key
    (the other mode's and every venue's own fields cleared)."""
    updates: dict[str, SecretStr | None] = dict.fromkeys(secret_fields())
    if s.mode in KEYED_MODES:
        key, secret = keys_for(s, venue, s.mode, primary=primary)
        plain_key, plain_secret = plain_names(s.mode)
        updates[plain_key], updates[plain_secret] = key, secret
    return updates


def secrets_of(s: Settings) -> list[str]:
    """Every configured key and secret value (the sim's secret included), for the redactors."""
    out = [s.sim.api_secret.get_secret_value()]
    for name in secret_fields():
        value = getattr(s, name, None)
        if isinstance(value, SecretStr):
            out.append(value.get_secret_value())
    return out
