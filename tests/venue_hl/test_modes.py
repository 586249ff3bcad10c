"""Strict modes for Hyperliquid: sim on loopback, demo on testnet, live on mainnet, checked at
load, at venue build and before each send; testnet keys never reach mainnet; keys never shown."""

from __future__ import annotations

from typing import Any

import pytest

from core.config import Settings, load_settings
from core.config_files import ConfigError
from core.endpoint_policy import check_venue_endpoint
from core.model import Mode
from core.venues.hyperliquid.endpoints import MAINNET_URL, SIM_ACCOUNT, SIM_AGENT_KEY, TESTNET_URL
from core.venues.hyperliquid.rest import HyperliquidVenue
from core.venues.registry import build_venue

ADDRESS = "0x14791697260E4c9A71f18484C9f997B308e59325"
AGENT = "0x" + "ab" * 32


def hl(mode: str, venue: dict[str, Any] | None = None, **kw: Any) -> Settings:
    where = venue or {"name": "hyperliquid"}
    return load_settings(None, mode=mode, venue=where, allow_live=mode == "live", **kw)


def test_each_mode_reaches_its_own_network_only() -> None:
    assert hl("sim").rest_url == "http://127.0.0.1:8765"
    demo = hl("demo", demo_api_key=ADDRESS, demo_api_secret=AGENT)
    assert demo.rest_url == TESTNET_URL
    venue = build_venue(demo)
    assert venue.rest_url == TESTNET_URL
    assert isinstance(venue, HyperliquidVenue) and venue._session().is_mainnet is False
    live = hl("live", live_api_key=ADDRESS, live_api_secret=AGENT)
    assert build_venue(live).rest_url == MAINNET_URL


def test_testnet_keys_never_reach_mainnet() -> None:
    with pytest.raises(ConfigError, match="live mode needs keys"):  # demo keys are never read in live
        hl("live", demo_api_key=ADDRESS, demo_api_secret=AGENT)
    with pytest.raises(ConfigError, match="live/mainnet"):
        hl(
            "demo",
            demo_api_key=ADDRESS,
            demo_api_secret=AGENT,
            venue={"name": "hyperliquid", "rest_url": MAINNET_URL},
        )
    with pytest.raises(ConfigError):  # the send-time check: a sim venue may not point at testnet
        check_venue_endpoint(Mode.SIM, type("V", (), {"name": "hyperliquid", "rest_url": TESTNET_URL})())


def test_sim_mode_without_a_key_signs_with_the_sim_key() -> None:
    # The same well-known keys the sim registers (tests/support/hl_sim, python -m core.sim.hyperliquid).
    venue = build_venue(hl("sim"))
    assert isinstance(venue, HyperliquidVenue)
    assert venue.account == SIM_ACCOUNT.lower()
    assert venue._session().signer != venue.account  # an agent trading for the account
    assert SIM_AGENT_KEY not in repr(vars(venue)) and SIM_AGENT_KEY not in repr(vars(venue._session()))


def test_agent_key_is_registered_as_a_secret() -> None:
    demo = hl("demo", demo_api_key=ADDRESS, demo_api_secret=AGENT)
    assert AGENT not in str(demo.redacted()) and AGENT not in repr(demo)
    assert demo.credentials() == (ADDRESS, AGENT)  # what the engine registers with its redactor


def test_default_sim_keys_trade_on_the_standalone_sim() -> None:
    from eth_account import Account

    from tests.support.hl_sim import AGENT_KEY, USER_KEY, hl_sim

    assert SIM_AGENT_KEY == AGENT_KEY
    assert Account.from_key(USER_KEY).address == SIM_ACCOUNT
    with hl_sim(seed=7) as sim:
        from urllib.parse import urlparse

        port = urlparse(sim.base_url).port
        venue = build_venue(load_settings(None, venue={"name": "hyperliquid"}, sim={"port": port}))
        balance = venue.balance()
        assert balance is not None and balance.equity > 0
