"""Two venues at once in demo and live: the composite built for a mode has each leg on its own
venue's hosts for that mode (demo: Bybit demo + Hyperliquid testnet; live: both mainnets), and a
leg whose endpoint is not the mode's is refused at build and right before each send, by the
executor and by the leg's own adapter. Nothing here reaches beyond loopback: demo and live venues
are only built (no request is made), and every send guard is exercised on a loopback sim or with
the adapters' senders replaced."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from console.app import EXIT_LIVE_REFUSED, TradeConsoleApp
from console.screens.modals import LiveConfirmScreen
from core.config import Settings, load_settings
from core.config_files import ConfigError
from core.endpoint_policy import check_venue_endpoint
from core.engine import Engine
from core.model import Mode
from core.orders.built import BuiltOrder
from core.orders.executor import OrderExecutor
from core.resilience.breaker import EndpointBreaker
from core.resilience.ratelimit import RateLimiter
from core.resilience.retry import RetryPolicy
from core.venues.bybit.rest import BybitVenue
from core.venues.hyperliquid.endpoints import MAINNET_URL, TESTNET_URL
from core.venues.hyperliquid.rest import HyperliquidVenue
from core.venues.multi.venue import MultiVenue
from core.venues.registry import build_venue
from tests.support.orders import limit_buy
from tests.support.recording_journal import RecordingJournal
from tests.venue_multi.conftest import BothSims, multi_settings

SYMBOLS = ["BTCUSDT", "BTCUSDT.HL"]
BYBIT_KEY, BYBIT_SECRET = "bYbItKeY0123456789", "bYbItSeCrEt0123456789abcdef0123456789"
HL_ADDRESS = "0x14791697260E4c9A71f18484C9f997B308e59325"
HL_AGENT = "0x" + "ab" * 32
KEYS: dict[str, dict[str, Any]] = {
    "demo": {
        "demo_api_key": BYBIT_KEY,
        "demo_api_secret": BYBIT_SECRET,
        "hyperliquid_demo_api_key": HL_ADDRESS,
        "hyperliquid_demo_api_secret": HL_AGENT,
    },
    "live": {
        "live_api_key": BYBIT_KEY,
        "live_api_secret": BYBIT_SECRET,
        "hyperliquid_live_api_key": HL_ADDRESS,
        "hyperliquid_live_api_secret": HL_AGENT,
    },
}
SIZE = (160, 50)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRADE_"):
            monkeypatch.delenv(name)


def paper_or_live(mode: str, tmp_path: Path) -> Settings:
    return load_settings(
        None,
        mode=mode,
        allow_live=mode == "live",
        venue={"name": "multi"},
        risk={"symbols": SYMBOLS},
        journal={"path": str(tmp_path / "journal.db")},
        metrics={"enabled": False},
        **KEYS[mode],
    )


def order(symbol: str, link: str) -> BuiltOrder:
    return limit_buy(symbol, link, qty="0.01", price="1000")


def executor(venue: MultiVenue, mode: Mode, journal: RecordingJournal) -> OrderExecutor:
    async def no_sleep(_s: float) -> None:
        return None

    return OrderExecutor(
        venue,
        mode,
        RateLimiter(venue.rate_table, enabled=False),
        EndpointBreaker(open_after=1),
        journal,
        policy=RetryPolicy(base_s=0.0, cap_s=0.0, max_attempts=1, sleep=no_sleep),
    )


class Sent:
    """Replaces a built leg's ``place``: records instead of sending (nothing leaves the machine)."""

    def __init__(self) -> None:
        self.orders: list[BuiltOrder] = []

    def __call__(self, built: BuiltOrder) -> Any:
        self.orders.append(built)
        raise AssertionError("a send got past the mode check")


@pytest.mark.parametrize(
    ("mode", "bybit_url", "hl_url", "hl_mainnet"),
    [
        ("demo", "https://api-demo.bybit.com", TESTNET_URL, False),
        ("live", "https://api.bybit.com", MAINNET_URL, True),
    ],
)
def test_the_composite_for_a_mode_has_each_leg_on_its_own_venue_for_it(
    mode: str, bybit_url: str, hl_url: str, hl_mainnet: bool, tmp_path: Path
) -> None:
    venue = build_venue(paper_or_live(mode, tmp_path))
    assert isinstance(venue, MultiVenue)
    bybit, hl = venue.legs
    assert isinstance(bybit, BybitVenue) and isinstance(hl, HyperliquidVenue)
    assert (bybit.rest_url, hl.rest_url) == (bybit_url, hl_url)
    assert hl._session().is_mainnet is hl_mainnet  # the SDK signs for the leg's own network
    assert venue.capabilities.dead_mans_switch_deadline  # Hyperliquid's: re-armed inside its window
    assert hl.account == HL_ADDRESS.lower()
    assert bybit.settings.credentials() == (BYBIT_KEY, BYBIT_SECRET)
    assert hl.settings.credentials() == (HL_ADDRESS, HL_AGENT)
    assert HL_AGENT not in repr(vars(bybit.settings)) and BYBIT_SECRET not in str(hl.settings.redacted())


async def test_the_engine_built_for_demo_trades_bybit_demo_and_hyperliquid_testnet(tmp_path: Path) -> None:
    settings = paper_or_live("demo", tmp_path)
    engine = Engine(settings)  # builds the composite through the registry; nothing is reached yet
    venue = engine.venue
    assert isinstance(venue, MultiVenue)
    assert [(leg.name, leg.rest_url) for leg in venue.legs] == [
        ("bybit", "https://api-demo.bybit.com"),
        ("hyperliquid", TESTNET_URL),
    ]
    assert not engine.started
    assert engine.health_snapshot().venue == "multi-demo"  # /healthz and metrics name it


async def test_live_with_two_venues_asks_for_the_typed_phrase_naming_both_mainnets(tmp_path: Path) -> None:
    settings = paper_or_live("live", tmp_path)
    engine = Engine(settings)
    app = TradeConsoleApp(engine, settings, refresh=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, LiveConfirmScreen)
        shown = " ".join(str(w.render()) for w in screen.query(Static))
        assert "Bybit MAINNET and Hyperliquid MAINNET" in shown
        await pilot.press(*"LIVE", "enter")  # not the phrase: quits without trading
        await pilot.pause()
    assert app.return_code == EXIT_LIVE_REFUSED
    assert not engine.started


def test_a_leg_off_the_modes_hosts_is_refused_at_build(tmp_path: Path) -> None:
    demo = build_venue(paper_or_live("demo", tmp_path))
    live = build_venue(paper_or_live("live", tmp_path / "live"))
    assert isinstance(demo, MultiVenue) and isinstance(live, MultiVenue)
    mixed = MultiVenue([demo.legs[0], live.legs[1]])  # Bybit demo + Hyperliquid MAINNET
    with pytest.raises(ConfigError, match="api.hyperliquid.xyz does not belong to mode demo"):
        check_venue_endpoint(Mode.DEMO, mixed)
    with pytest.raises(ConfigError, match="does not belong to mode demo"):
        Engine(paper_or_live("demo", tmp_path / "e"), venue=mixed)


async def test_a_leg_repointed_at_mainnet_is_refused_before_the_send(tmp_path: Path) -> None:
    venue = build_venue(paper_or_live("demo", tmp_path))
    assert isinstance(venue, MultiVenue)
    sent = [Sent(), Sent()]
    for leg, recorder in zip(venue.legs, sent, strict=True):
        leg.place = recorder  # type: ignore[method-assign,assignment]
    venue.legs[1].rest_url = MAINNET_URL  # the Hyperliquid leg moved to mainnet
    journal = RecordingJournal()
    with pytest.raises(ConfigError, match="does not belong to mode demo"):
        await executor(venue, Mode.DEMO, journal).create(order("BTCUSDT", "tc-demo-1"))  # a Bybit order
    assert sent[0].orders == [] and sent[1].orders == [] and journal.records == []


async def test_loopback_legs_under_a_demo_mode_send_nothing(sims: BothSims, tmp_path: Path) -> None:
    venue = build_venue(multi_settings(sims, tmp_path))  # both legs on the loopback sims
    assert isinstance(venue, MultiVenue)
    journal = RecordingJournal()
    ex = executor(venue, Mode.DEMO, journal)  # a mode that claims the paper venues
    for symbol in SYMBOLS:
        with pytest.raises(ConfigError, match="does not belong to mode demo"):
            await ex.create(order(symbol, f"tc-loop-{len(symbol)}"))
    assert sims.bybit_open_links() == [] and sims.hl.orders() == [] and journal.records == []


def test_the_hyperliquid_legs_session_checks_its_endpoint_before_each_action(
    sims: BothSims, tmp_path: Path
) -> None:
    demo = build_venue(paper_or_live("demo", tmp_path))
    assert isinstance(demo, MultiVenue)
    hl = demo.legs[1]
    assert isinstance(hl, HyperliquidVenue)
    session = hl._session()
    posted: list[Any] = []
    session.exchange._post_action = lambda *a: posted.append(a)
    for elsewhere in (MAINNET_URL, sims.hl.base_url):  # mainnet, or a loopback sim under demo
        session.exchange.base_url = elsewhere
        with pytest.raises(ConfigError, match="does not belong to mode demo"):
            session.act({"type": "scheduleCancel"})
    assert posted == [] and sims.hl.scheduled_cancel() is None


def test_the_bybit_legs_call_checks_bybits_own_hosts_before_each_request(tmp_path: Path) -> None:
    demo = build_venue(paper_or_live("demo", tmp_path))
    assert isinstance(demo, MultiVenue)
    bybit = demo.legs[0]
    assert isinstance(bybit, BybitVenue)
    session = bybit._session()
    called: list[Any] = []
    session.get_server_time = lambda **kw: called.append(kw)
    session.endpoint = TESTNET_URL  # a paper host, but Hyperliquid's: not Bybit demo's
    with pytest.raises(ConfigError, match="does not belong to mode demo"):
        bybit.call("server_time")
    assert called == []


def test_quitting_names_every_venue_the_orders_stay_on(tmp_path: Path) -> None:
    from console.quitting import quit_notice
    from core.config_legs import venues_reached

    for mode, where in (
        ("demo", "Bybit demo trading and Hyperliquid testnet (paper money)"),
        ("live", "Bybit MAINNET and Hyperliquid MAINNET"),
    ):
        settings = paper_or_live(mode, tmp_path)
        text = quit_notice(
            settings.mode,
            embedded_sim=False,
            venue=settings.rest_url,
            where=venues_reached(settings),
            n_orders=1,
            n_positions=1,
        )
        assert text is not None and f"STAY ON {where} after you quit" in text
