"""Settings: ``config.toml`` + ``TRADE_*`` environment + secrets, validated strictly.

Precedence (highest first): explicit keyword arguments, ``TRADE_*`` environment variables
(nested with ``__``, e.g. ``TRADE_RISK__MAX_ORDER_NOTIONAL``), the TOML file, defaults.

Secrets never live in ``config.toml``. For ``demo`` and ``live`` they come from
``TRADE_DEMO_API_KEY``/``TRADE_DEMO_API_SECRET`` or ``TRADE_LIVE_API_KEY``/``TRADE_LIVE_API_SECRET``,
or from a key file (``secrets_file``) with ``[demo]``/``[live]`` tables that must not be readable by
group or others; a venue may have its own pair (``TRADE_HYPERLIQUID_DEMO_API_KEY``, a
``[hyperliquid.demo]`` table), which each leg of two venues at once needs (:mod:`core.config_keys`).
Keys are tagged by the environment they belong to, so demo keys can never be sent to a live
endpoint.

Mode → endpoint is a fixed rule (invariant 1, :mod:`core.endpoint_policy`): sim → loopback
only, demo → the venue's paper-money hosts, live → the venue's live hosts. ``venue.name`` picks
the venue (default ``bybit``); its package describes its hosts. Every mismatch fails at load with
the key that is wrong and the fix.

The config file reaches pydantic-settings as an ordinary init argument (``config_path``) that
:meth:`Settings.settings_customise_sources` turns into a TOML source for that one instance, so
loads of different files never see each other (threads included).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings.exceptions import SettingsError

from core.config_checks import (
    check_chart_history,
    check_metrics,
    check_mode,
    check_paths,
    check_symbols,
    validation_problems,
)
from core.config_files import ConfigError, config_file, env_source_problem, load_secrets_file
from core.config_keys import VenueKeyFields, keys_for, secret_fields, secrets_of
from core.config_risk import checked_group_caps, checked_groups
from core.endpoint_policy import (
    EndpointPolicy,
    assert_endpoint_matches_mode,
    is_loopback_host,
    venue_policy,
)
from core.market.candles import TIMEFRAMES
from core.model import Mode

__all__ = [
    "ConfigError",
    "Settings",
    "assert_endpoint_matches_mode",
    "is_loopback_host",
    "load_settings",
]

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"

#: The sim's well-known credentials. They only ever open the built-in venue on loopback.
SIM_API_KEY = "SIMKEY0000000000000"
SIM_API_SECRET = "SIMSECRET00000000000000000000000000000000"


MAX_MONEY = Decimal("1e12")
"""The largest amount (USDT) any limit may be: a larger one is a typo or an attempt to switch the
check off (``"1e999999"``), not a limit."""

Money = Annotated[Decimal, Field(gt=0, le=MAX_MONEY, decimal_places=8)]
"""A positive USDT amount: finite, at most :data:`MAX_MONEY`, at most 8 decimal places."""


class _Section(BaseModel):
    # ``inf``/``nan`` would switch a limit off (``book_stale_s = inf`` disables the stale-book guard).
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class SimSettings(_Section):
    """The built-in venue."""

    host: str = "127.0.0.1"
    port: int = Field(8765, ge=0, le=65535)
    seed: int = 42
    api_key: str = SIM_API_KEY
    api_secret: SecretStr = SecretStr(SIM_API_SECRET)
    starting_balance: Money = Decimal("100000")
    market_rate_hz: float = Field(20.0, gt=0, le=5000)
    rate_limits: bool = True
    ack_delay_ms: tuple[Annotated[int, Field(ge=0, le=10_000)], Annotated[int, Field(ge=0, le=10_000)]] = (
        20,
        50,
    )
    faults: str = ""
    embedded: bool = True

    @field_validator("host")
    @classmethod
    def _loopback_only(cls, v: str) -> str:
        if not is_loopback_host(v):
            raise ValueError(f"sim.host must be a loopback address (127.0.0.1), got {v!r}")
        return v

    @field_validator("ack_delay_ms")
    @classmethod
    def _ordered(cls, v: tuple[int, int]) -> tuple[int, int]:
        if v[0] > v[1]:
            raise ValueError(f"is [min, max] in ms; {v[0]} > {v[1]}: write the smaller one first")
        return v

    @field_validator("faults")
    @classmethod
    def _valid_faults(cls, v: str) -> str:
        from core.sim.faults import FaultSpec  # the sim's own parser; no venue or engine code

        try:
            FaultSpec.parse(v)
        except ValueError as exc:
            raise ValueError(f'{exc} (see docs/sim.md for the fault spec, e.g. "rate_limit=0.05")') from None
        return v


class VenueSettings(_Section):
    """The venue to trade on, and an optional REST endpoint override for demo/live (it must be
    one of that venue's hosts for the mode)."""

    name: str = "bybit"
    """The venue package (``core/venues/<name>/``): ``bybit``, ``hyperliquid`` (keys: the account
    address as ``api_key``, the agent wallet's private key as ``api_secret``), ``simulated``
    (sim mode only), or ``multi``: the venues in :attr:`legs` at once, each with its own keys."""
    legs: tuple[str, ...] = ("bybit", "hyperliquid")
    """With ``name = "multi"``: the venues traded at once, the first one's symbols plain
    (``BTCUSDT``), the others' with their suffix (``BTCUSDT.HL``, see ``core/venues/naming.py``).
    In sim mode leg ``i`` is the built-in sim on ``sim.port + i``; in demo and live each leg reaches
    its own venue's hosts for the mode with its own keys (:mod:`core.config_keys`)."""
    rest_url: str | None = None
    recv_window_ms: int = Field(5000, ge=1000, le=60000)
    timeout_s: float = Field(10.0, gt=0, le=60)
    dead_mans_switch_s: int | None = Field(None, ge=3, le=300)
    """Dead-man's switch window in seconds (Bybit's disconnect-cancel-all, [3, 300]): the venue
    cancels every order when the engine's private stream is gone that long. None = off."""


_MAX_CORRELATION_WINDOW = 299
"""Returns in a correlation window at most: the engine keeps 300 candles per series."""


class RiskSettings(_Section):
    """Pre-trade limits, in USDT unless named otherwise."""

    symbols: tuple[str, ...] = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
    max_order_notional: Money = Decimal("250000")
    max_position_notional: Money = Decimal("500000")
    max_gross_exposure: Money = Decimal("1000000")
    max_leverage: Decimal = Field(Decimal("20"), gt=0, le=200, decimal_places=2)
    price_band_pct: Decimal = Field(Decimal("5"), gt=0, le=100, decimal_places=4)
    max_open_orders: int = Field(50, ge=1, le=10_000)
    book_stale_s: float = Field(5.0, gt=0, le=300)
    groups: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    """``[risk.groups]``: asset-class groups, ``majors = ["BTCUSDT", "ETHUSDT"]``."""
    group_caps: dict[str, Money] = Field(default_factory=dict, validate_default=True)
    """``[risk.group_caps]``: each group's gross notional cap, ``majors = "750000"``."""
    max_correlated_exposure: Money | None = None
    """Cap on the gross notional of the symbols whose returns move with the order's (None = off)."""
    correlation_threshold: Decimal = Field(Decimal("0.8"), gt=0, le=1, decimal_places=4)
    correlation_timeframe: str = "5m"
    correlation_window: int = Field(60, ge=2, le=_MAX_CORRELATION_WINDOW)
    correlation_min_returns: int = Field(20, ge=2, le=_MAX_CORRELATION_WINDOW)

    @field_validator("groups")
    @classmethod
    def _known_group_symbols(
        cls, v: dict[str, tuple[str, ...]], info: ValidationInfo
    ) -> dict[str, tuple[str, ...]]:
        """Group names are lower-case words; members are distinct symbols of ``risk.symbols``."""
        return checked_groups(v, tuple(info.data.get("symbols", ())))

    @field_validator("group_caps")
    @classmethod
    def _one_cap_per_group(cls, v: dict[str, Decimal], info: ValidationInfo) -> dict[str, Decimal]:
        """Every group has a cap and every cap a group (once the groups themselves are valid)."""
        if "groups" not in info.data:  # the groups' own error says what is wrong
            return v
        return checked_group_caps(v, info.data["groups"])

    @field_validator("correlation_timeframe")
    @classmethod
    def _known_timeframe(cls, v: str) -> str:
        """A timeframe the engine keeps candles for."""
        if v not in TIMEFRAMES:
            raise ValueError(
                f"{v!r} is not a candle timeframe the engine keeps; use one of {list(TIMEFRAMES)}"
            )
        return v

    @field_validator("correlation_min_returns")
    @classmethod
    def _min_within_window(cls, v: int, info: ValidationInfo) -> int:
        """The minimum sample fits in the window."""
        window = info.data.get("correlation_window")
        if window is not None and v > window:
            raise ValueError(
                f"{v} > risk.correlation_window {window}; set it to at most the window, e.g. {window // 2}"
            )
        return v


class BreakerSettings(_Section):
    """Circuit breakers. A tripped breaker blocks risk-increasing orders only."""

    daily_loss_limit: Money = Decimal("5000")
    min_balance: Decimal = Field(Decimal("1000"), ge=0, le=MAX_MONEY, decimal_places=8)
    timezone: str = "UTC"
    api_failures: int = Field(5, ge=1, le=10_000)
    api_failure_window_s: float = Field(60.0, gt=0, le=86_400)
    endpoint_open_after: int = Field(5, ge=1, le=10_000)
    endpoint_half_open_s: float = Field(30.0, gt=0, le=3_600)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, v: str) -> str:
        """An IANA zone name the daily-loss breaker can find its midnight in."""
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            raise ValueError(
                f'unknown time zone {v!r}; use an IANA name such as "UTC" or "Europe/London"'
            ) from None
        return v


class JournalSettings(_Section):
    """The SQLite audit journal."""

    path: str = "var/journal.db"


class MetricsSettings(_Section):
    """Prometheus /metrics and /healthz."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(9108, ge=0, le=65535)
    allow_public: bool = False
    slow_op_s: float = Field(1.0, gt=0, le=3_600)
    webhook_url: str | None = None
    log_dir: str = "var/log"


class UISettings(_Section):
    """Console look and refresh budget."""

    theme: str = "trade-dark"
    refresh_hz: float = Field(10.0, ge=1, le=30)
    table_hz: float = Field(4.0, ge=1, le=10)
    default_symbol: str = "BTCUSDT"
    live_phrase_prefix: str = "LIVE"
    chart_history: int = Field(200, ge=2, le=_MAX_CORRELATION_WINDOW + 1)
    """Candles the engine loads per symbol and timeframe at start and after a reconnect (one
    request each; the engine keeps 300 per series). More than ``risk.correlation_window``: the
    correlation check reads its returns from these candles."""


class CrossVenueSettings(_Section):
    """The cross-venue pane and the paired order ticket."""

    alert_bps: Decimal = Field(Decimal("5"), gt=0, le=10_000, decimal_places=2)
    """An alert fires once when an executable spread (after both taker fees) reaches this many bps,
    and re-arms when it falls back below."""
    leg_timeout_s: float = Field(10.0, gt=0, le=3_600)
    """A paired order with one leg filled and the other not filled after this long is in leg risk."""


class Settings(VenueKeyFields):
    """Effective settings. Build with :func:`load_settings`, not directly."""

    model_config = SettingsConfigDict(
        env_prefix="TRADE_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    mode: Mode = Mode.SIM
    sim: SimSettings = SimSettings()
    venue: VenueSettings = VenueSettings()
    risk: RiskSettings = RiskSettings()
    breakers: BreakerSettings = BreakerSettings()
    journal: JournalSettings = JournalSettings()
    metrics: MetricsSettings = MetricsSettings()
    ui: UISettings = UISettings()
    crossvenue: CrossVenueSettings = CrossVenueSettings()
    keys: dict[str, str] = Field(default_factory=dict)
    aliases: dict[str, str] = Field(default_factory=dict)
    """``[aliases]``: key = command line (``f1 = "buy risk 0.5% stop -1%"``); the key opens the
    command line prefilled with it (Enter still sends)."""
    secrets_file: str | None = None

    config_path: str | None = Field(default=None, exclude=True)
    """The TOML file these settings were read from (``None``: defaults and environment only)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """init > env > the TOML file named by the ``config_path`` init argument (if any).

        The file comes from this instance's own init arguments, never from shared state, so
        concurrent loads of different files each read their own.
        """
        path = None
        if isinstance(init_settings, InitSettingsSource):
            path = init_settings.init_kwargs.get("config_path")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if path is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(path)))
        return tuple(sources)

    # --- derived endpoints -------------------------------------------------------------
    @property
    def venue_policy(self) -> EndpointPolicy:
        """Where the configured venue may connect in each mode."""
        return venue_policy(self.venue.name)

    def endpoints(self) -> dict[str, str]:
        """The configured venue's named endpoints for the current mode (``rest`` first; with two
        venues the first leg's, then each other leg's named ``<venue>:<name>``)."""
        if self.venue.name == "multi":
            from core.config_legs import composite_endpoints

            return composite_endpoints(self)
        return self.venue_policy.endpoints(self.mode, (self.sim.host, self.sim.port), self.venue.rest_url)

    def endpoint(self, name: str) -> str:
        """One named endpoint of the configured venue for the current mode (``rest``, ...)."""
        found = self.endpoints().get(name)
        if found is None:
            raise ConfigError([("venue.name", f"venue {self.venue.name!r} has no {name!r} endpoint")])
        return found

    @property
    def rest_url(self) -> str:
        """REST base URL for the current mode."""
        return self.endpoint("rest")

    @property
    def ws_public_url(self) -> str:
        """Public stream URL for the current mode (the venue's ``ws_public`` endpoint)."""
        return self.endpoint("ws_public")

    @property
    def ws_private_url(self) -> str:
        """Private stream URL for the current mode (the venue's ``ws_private`` endpoint)."""
        return self.endpoint("ws_private")

    def credentials(self) -> tuple[str, str]:
        """(api_key, api_secret) of the configured venue for the current mode (with two venues,
        the first leg's; each leg's adapter reads its own from its leg settings). Only the
        engine's venue calls this."""
        if self.mode is Mode.SIM:
            return self.sim.api_key, self.sim.api_secret.get_secret_value()
        key, secret = keys_for(self, self.venue.name, self.mode)
        if key is None or secret is None:  # validated at load; kept for type narrowing
            raise ConfigError([(f"{self.mode.value}_api_key", "missing")])
        return key.get_secret_value(), secret.get_secret_value()

    def secret_values(self) -> list[str]:
        """Every configured key and secret (every mode's and venue's), for the redactors."""
        return secrets_of(self)

    def redacted(self) -> dict[str, Any]:
        """The effective settings as plain data with every secret replaced by ``***``."""
        data = self.model_dump(mode="json", exclude={"config_path"})
        for name in secret_fields():  # masked, and listed after the settings proper
            value = data.pop(name, None)
            data[name] = None if value is None else "***"
        data["sim"]["api_secret"] = "***"
        data["endpoints"] = self.endpoints()
        data["config_path"] = self.config_path
        return data


#: A check of loaded settings by a layer core cannot import (the console's themes and key ids):
#: returns ``(key, message)`` problems, each message saying how to fix it.
SettingsCheck = Callable[["Settings"], list[tuple[str, str]]]


def load_settings(
    config_path: str | os.PathLike[str] | None = None,
    *,
    allow_live: bool = False,
    extra_checks: Sequence[SettingsCheck] = (),
    **overrides: Any,
) -> Settings:
    """Load, merge and validate settings. Raises :class:`ConfigError` naming every bad key.

    ``config_path`` defaults to ``$TRADE_CONFIG`` or the project's ``config.toml``; a path that
    is not a file is an error. ``extra_checks`` run on the loaded settings and their problems are
    reported together with core's own.
    """
    path = config_file(config_path, DEFAULT_CONFIG)
    try:
        settings = Settings(config_path=str(path) if path else None, **overrides)
    except ValidationError as exc:
        raise ConfigError(validation_problems(exc)) from None
    except SettingsError as exc:  # a TRADE_* variable that should hold JSON and does not
        raise ConfigError([env_source_problem(str(exc))]) from None
    updates: dict[str, Any] = {}
    if settings.secrets_file:
        from_file = load_secrets_file(Path(settings.secrets_file).expanduser())
        for name, value in from_file.items():
            if getattr(settings, name) is None:
                updates[name] = value
    settings = settings.model_copy(update=updates)
    problems = check_mode(settings, allow_live) + check_symbols(settings) + check_paths(settings)
    problems += check_metrics(settings.metrics) + check_chart_history(settings)
    for check in extra_checks:
        problems += check(settings)
    if problems:
        raise ConfigError(problems)
    return settings
