"""The checks settings pass when they load, beyond their types: keys for the mode, endpoints that
belong to the mode, symbols, metrics exposure and paths. Each returns ``(key, problem)`` pairs, so
:func:`core.config.load_settings` reports every bad key at once."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from pydantic import ValidationError

from core.config_files import ConfigError
from core.config_keys import key_problems
from core.endpoint_policy import (
    SECURE_SCHEMES,
    EndpointPolicy,
    assert_endpoint_matches_mode,
    is_loopback_host,
    known_venues,
)
from core.model import Mode

if TYPE_CHECKING:
    from core.config import MetricsSettings, Settings

COMPOSITE = "multi"
"""The venue name that trades ``venue.legs`` at once."""


def validation_problems(exc: ValidationError) -> list[tuple[str, str]]:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "settings"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg = "unknown setting; remove it or check the spelling (see config.toml for valid keys)"
        problems.append((key, msg))
    return problems


def _check_rest_override(s: Settings, policy: EndpointPolicy) -> list[tuple[str, str]]:
    """A ``venue.rest_url`` override must be one of the venue's hosts for the mode, over https."""
    url = s.venue.rest_url
    if url is None:
        return []
    mode, m = s.mode, s.mode.value
    if mode is Mode.SIM:
        return [("venue.rest_url", "is for demo/live only; in sim mode set sim.host/sim.port instead")]
    if policy.venue == COMPOSITE:
        return [
            (
                "venue.rest_url",
                'names one venue\'s host, but venue.name = "multi" trades several: each leg uses '
                "its own venue's endpoints for the mode; remove venue.rest_url",
            )
        ]
    problems: list[tuple[str, str]] = []
    parsed = urlparse(url)
    host = parsed.hostname or ""
    allowed = policy.hosts_for(mode)
    if host not in allowed:
        what = "an unknown"
        if host in policy.hosts_for(Mode.LIVE):
            what = f"{policy.venue}'s live/mainnet"
        elif host in policy.hosts_for(Mode.DEMO):
            what = f"{policy.venue}'s demo"
        problems.append(
            (
                "venue.rest_url",
                f"{url} is {what} endpoint but mode is {m}; use one of {sorted(allowed)} or change mode",
            )
        )
    if parsed.scheme not in SECURE_SCHEMES:
        problems.append(("venue.rest_url", "must use https:// for demo and live"))
    return problems


def check_mode(s: Settings, allow_live: bool) -> list[tuple[str, str]]:
    """First mode check: the venue exists and serves the mode, keys and endpoints match it."""
    try:
        policy = s.venue_policy
    except ConfigError as exc:
        return exc.problems
    mode = s.mode
    if mode not in policy.modes:
        served = ", ".join(sorted(x.value for x in policy.modes))
        others = [n for n in known_venues() if n != policy.venue]
        return [
            (
                "venue.name",
                f"venue {policy.venue!r} serves {served} mode only, not {mode.value}; "
                f"set mode = {sorted(policy.modes)[0].value!r} or venue.name to one of {others}",
            )
        ]
    problems = _check_rest_override(s, policy)
    legs: tuple[str, ...] | None = None
    if policy.venue == COMPOSITE:
        from core.config_legs import leg_problems  # light: names and policies only

        problems += leg_problems(s)  # every leg's endpoint, by its own venue's hosts
        legs = s.venue.legs
    if mode is not Mode.SIM:
        problems = key_problems(s, legs) + problems
    if not problems and legs is None:
        try:
            assert_endpoint_matches_mode(mode, s.rest_url, policy.venue)
        except ConfigError as exc:
            problems += exc.problems
    if mode is Mode.LIVE and not allow_live:
        problems.append(
            ("mode", 'live mode (real money) needs --live on the command line; use mode = "demo" for paper')
        )
    return problems


#: A linear symbol as the venue spells it: upper-case letters and digits (``1000PEPEUSDT``), with a
#: venue suffix on a second venue (``BTCUSDT.HL``, see ``core/venues/naming.py``).
_SYMBOL_RE = re.compile(r"[A-Z0-9]{2,30}(\.[A-Z]{2,4})?")


def check_symbols(s: Settings) -> list[tuple[str, str]]:
    """``risk.symbols`` is a non-empty list of distinct venue symbols holding ``ui.default_symbol``."""
    symbols = s.risk.symbols
    if not symbols:
        return [("risk.symbols", 'is empty; list at least one symbol, e.g. symbols = ["BTCUSDT"]')]
    problems: list[tuple[str, str]] = []
    bad = [sym for sym in symbols if not _SYMBOL_RE.fullmatch(sym)]
    if bad:
        problems.append(
            (
                "risk.symbols",
                f"{', '.join(map(repr, bad))} not a venue symbol; write it as the venue does, "
                "upper case, e.g. BTCUSDT",
            )
        )
    qualified = [sym for sym in symbols if "." in sym and sym not in bad]
    if qualified and s.venue.name != "multi":
        problems.append(
            (
                "risk.symbols",
                f"{', '.join(map(repr, qualified))} name a venue (the suffix) but venue.name is "
                f'{s.venue.name!r}; a suffix is for venue.name = "multi" only',
            )
        )
    dupes = sorted({sym for sym in symbols if symbols.count(sym) > 1})
    if dupes:
        problems.append(("risk.symbols", f"{', '.join(dupes)} listed more than once; list each symbol once"))
    if s.ui.default_symbol not in symbols:
        problems.append(
            (
                "ui.default_symbol",
                f"{s.ui.default_symbol!r} is not in risk.symbols {list(symbols)}; "
                "set it to one of them or add it to risk.symbols",
            )
        )
    return problems


def check_chart_history(s: Settings) -> list[tuple[str, str]]:
    """``ui.chart_history`` holds a whole correlation window of returns (``risk.correlation_window``
    returns need one candle more), so the correlation check has its data from the start."""
    need = s.risk.correlation_window + 1
    if s.ui.chart_history >= need:
        return []
    return [
        (
            "ui.chart_history",
            f"{s.ui.chart_history} candles cannot hold risk.correlation_window "
            f"{s.risk.correlation_window} returns; set it to at least {need}",
        )
    ]


def check_metrics(m: MetricsSettings) -> list[tuple[str, str]]:
    """/metrics and /healthz have no authentication: loopback only unless ``allow_public``."""
    problems: list[tuple[str, str]] = []
    if not is_loopback_host(m.host) and not m.allow_public:
        problems.append(
            (
                "metrics.host",
                f"{m.host!r} is not loopback and /metrics and /healthz have no authentication; use "
                "127.0.0.1 (and ssh -L to watch from elsewhere), or set metrics.allow_public = true "
                "if you really mean it",
            )
        )
    if m.webhook_url is not None and urlparse(m.webhook_url).scheme not in ("http", "https"):
        problems.append(("metrics.webhook_url", f"{m.webhook_url!r} must be an http:// or https:// URL"))
    return problems


def check_paths(s: Settings) -> list[tuple[str, str]]:
    """Paths the console will write to: a directory where a file goes (or the reverse) is named now."""
    problems: list[tuple[str, str]] = []
    journal = Path(s.journal.path).expanduser()
    if journal.is_dir():
        problems.append(
            ("journal.path", f"{journal} is a directory; give a file in it, e.g. {journal / 'journal.db'}")
        )
    else:
        blocker = next((p for p in journal.parents if p.exists() and not p.is_dir()), None)
        if blocker is not None:
            problems.append(("journal.path", f"{blocker} is a file, not a directory; choose another path"))
    log_dir = Path(s.metrics.log_dir).expanduser()
    if log_dir.exists() and not log_dir.is_dir():
        problems.append(("metrics.log_dir", f"{log_dir} is a file; give a directory for the log files"))
    return problems
