"""Which endpoints a mode may reach (invariant 1), venue-neutral.

The rule: ``sim`` reaches loopback only (``http``/``https``/``ws``/``wss`` on 127.0.0.0/8, ::1
or localhost, or an in-process venue's ``sim://`` endpoint: no network at all); ``demo`` reaches the venue's
paper-money hosts only; ``live`` the venue's live hosts only, both over ``https``/``wss``.

Each venue package describes its own hosts in a light module, ``core/venues/<name>/endpoints.py``
(no client library imported), exporting ``POLICY`` (an :class:`EndpointPolicy`) and ``ADAPTER``
(``"module:callable"`` building its :class:`~core.venues.base.Venue`). Core finds it by the
venue's name (:func:`venue_policy`), so nothing here imports a venue: adding one is writing its
package. The rule is applied three times: when settings load, when a venue is built, and before
every send (:func:`check_venue_endpoint`, cached: one dictionary look-up per order).
"""

from __future__ import annotations

import importlib
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from core.config_files import ConfigError
from core.model import Mode

LOOPBACK_SCHEMES = frozenset({"http", "https", "ws", "wss"})
"""Schemes a sim-mode endpoint may use (on a loopback host)."""
SECURE_SCHEMES = frozenset({"https", "wss"})
"""Schemes a demo or live endpoint must use."""
IN_PROCESS_SCHEME = "sim"
"""The scheme of an in-process venue's endpoint (``sim://in-process``): nothing leaves the process."""

_VENUES_DIR = Path(__file__).resolve().parent / "venues"
_NAME_RE = re.compile(r"[a-z][a-z0-9_]{0,31}")


def is_loopback_host(host: str) -> bool:
    """True when ``host`` is a loopback name or address (127.0.0.0/8, ::1, localhost)."""
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True, slots=True)
class EndpointPolicy:
    """Where one venue may connect in each mode, and its default endpoints.

    ``urls`` holds the named endpoints (``rest`` first; streams such as ``ws_public``) for demo
    and live; ``sim_paths`` the same names as paths on the built-in sim server (``""`` for its
    root). ``hosts`` lists the hosts each paper/live mode may reach; a ``rest`` override in the
    settings must be one of them.
    """

    venue: str
    modes: frozenset[Mode]
    hosts: Mapping[Mode, frozenset[str]] = field(default_factory=dict)
    urls: Mapping[Mode, Mapping[str, str]] = field(default_factory=dict)
    sim_paths: Mapping[str, str] = field(default_factory=lambda: {"rest": ""})
    in_process_url: str | None = None
    """The endpoint of a venue inside this process (``sim://in-process``; sim mode only)."""
    titles: Mapping[Mode, str] = field(default_factory=dict)
    """What a trader calls the venue in each paper/live mode (``Hyperliquid testnet``)."""

    def hosts_for(self, mode: Mode) -> frozenset[str]:
        """The hosts ``mode`` may reach at this venue (empty for sim: loopback is the rule)."""
        return self.hosts.get(mode, frozenset())

    def endpoints(self, mode: Mode, sim_base: tuple[str, int], rest_override: str | None) -> dict[str, str]:
        """The named endpoints for ``mode`` (sim: on ``sim_base`` = (host, port))."""
        if mode is Mode.SIM:
            if self.in_process_url is not None:
                return {"rest": self.in_process_url}
            host, port = sim_base
            shown = f"[{host}]" if ":" in host else host
            return {
                name: f"{'http' if name == 'rest' else 'ws'}://{shown}:{port}{path}"
                for name, path in self.sim_paths.items()
            }
        out = dict(self.urls.get(mode, {}))
        if rest_override is not None:
            out["rest"] = rest_override
        return out


class VenueLike(Protocol):
    """What the endpoint check reads of a venue."""

    @property
    def name(self) -> str:
        """The venue's registered name."""
        ...

    @property
    def rest_url(self) -> str:
        """The endpoint its requests go to."""
        ...


def known_venues() -> tuple[str, ...]:
    """Names of the venue packages that describe their endpoints (``core/venues/*/endpoints.py``)."""
    return tuple(sorted(p.parent.name for p in _VENUES_DIR.glob("*/endpoints.py")))


@cache
def venue_descriptor(name: str) -> tuple[EndpointPolicy, str]:
    """``(POLICY, ADAPTER)`` of the venue called ``name``, imported by name (no client library).

    Raises :class:`ConfigError` on ``venue.name`` when there is no such venue.
    """
    known = known_venues()
    if not _NAME_RE.fullmatch(name) or name not in known:
        raise ConfigError([("venue.name", f"unknown venue {name!r}; use one of {list(known)}")])
    module = importlib.import_module(f"core.venues.{name}.endpoints")
    policy = module.POLICY
    adapter = module.ADAPTER
    if not isinstance(policy, EndpointPolicy) or policy.venue != name or not isinstance(adapter, str):
        raise ConfigError(
            [("venue.name", f"venue {name!r} describes its endpoints wrongly (POLICY/ADAPTER)")]
        )
    return policy, adapter


def venue_policy(name: str) -> EndpointPolicy:
    """The :class:`EndpointPolicy` of the venue called ``name`` (see :func:`venue_descriptor`)."""
    return venue_descriptor(name)[0]


def _sim_problem(url: str) -> str | None:
    parsed = urlparse(url)
    if parsed.scheme == IN_PROCESS_SCHEME:
        return None
    if parsed.scheme in LOOPBACK_SCHEMES and is_loopback_host(parsed.hostname or ""):
        return None
    return f"endpoint {url} does not belong to mode sim: sim reaches this machine (loopback, 127.0.0.1) only"


def endpoint_problem(mode: Mode, url: str, venue: str | None) -> str | None:
    """Why ``url`` may not be reached in ``mode`` (None when it may).

    ``venue`` names the venue whose hosts demo/live must use; ``None`` accepts the matching
    hosts of any known venue (for a check that does not know which venue is in use). Sim mode
    needs no venue: loopback is the rule for every venue.
    """
    if mode is Mode.SIM:
        return _sim_problem(url)
    parsed = urlparse(url)
    host = parsed.hostname or ""
    names = (venue,) if venue is not None else known_venues()
    allowed = frozenset().union(*(venue_policy(n).hosts_for(mode) for n in names))
    if parsed.scheme not in SECURE_SCHEMES or host not in allowed:
        where = f"{venue}'s" if venue is not None else "a venue's"
        return (
            f"endpoint {url} does not belong to mode {mode.value}: {mode.value} reaches only "
            f"{where} {mode.value} hosts {sorted(allowed)} over https"
        )
    return None


@lru_cache(maxsize=64)
def _cached_problem(mode: Mode, url: str, venue: str | None) -> str | None:
    return endpoint_problem(mode, url, venue)


def assert_endpoint_matches_mode(mode: Mode, url: str, venue: str | None = None) -> None:
    """Raise :class:`ConfigError` (key ``mode``) when ``url`` may not be reached in ``mode``.

    Cached per ``(mode, url, venue)``: cheap enough to run before every order.
    """
    problem = _cached_problem(mode, url, venue)
    if problem is not None:
        raise ConfigError([("mode", problem)])


def check_venue_endpoint(mode: Mode, venue: VenueLike) -> None:
    """Second and third mode checks: ``venue``'s endpoint must belong to ``mode`` at that venue.

    A composite venue (one with ``legs``, :mod:`core.venues.multi`) is checked leg by leg, each
    by its own venue's hosts.
    """
    legs: tuple[VenueLike, ...] = getattr(venue, "legs", ())
    if legs:
        for leg in legs:
            check_venue_endpoint(mode, leg)
        return
    assert_endpoint_matches_mode(mode, venue.rest_url, None if mode is Mode.SIM else venue.name)
