"""Two venues at once outside the sim: each leg's strict mode mapping and its own keys, checked
when settings load (no venue is built and nothing is reached here)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from core.config import Settings, load_settings
from core.config_files import ConfigError
from core.config_keys import secret_fields
from core.config_legs import leg_settings, venues_reached

SYMBOLS = ["BTCUSDT", "BTCUSDT.HL"]
BYBIT_KEY, BYBIT_SECRET = "bYbItKeY0123456789", "bYbItSeCrEt0123456789abcdef0123456789"
HL_ADDRESS = "0x14791697260E4c9A71f18484C9f997B308e59325"
HL_AGENT = "0x" + "ab" * 32
HL_LIVE_AGENT = "0x" + "cd" * 32


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRADE_"):
            monkeypatch.delenv(name)


def multi(mode: str, **kw: Any) -> Settings:
    values: dict[str, Any] = {"venue": {"name": "multi"}, "risk": {"symbols": SYMBOLS}}
    return load_settings(None, mode=mode, allow_live=mode == "live", **{**values, **kw})


DEMO_KEYS: dict[str, Any] = {
    "demo_api_key": BYBIT_KEY,
    "demo_api_secret": BYBIT_SECRET,
    "hyperliquid_demo_api_key": HL_ADDRESS,
    "hyperliquid_demo_api_secret": HL_AGENT,
}
LIVE_KEYS: dict[str, Any] = {
    "live_api_key": BYBIT_KEY,
    "live_api_secret": BYBIT_SECRET,
    "hyperliquid_live_api_key": HL_ADDRESS,
    "hyperliquid_live_api_secret": HL_LIVE_AGENT,
}


def problems(exc: pytest.ExceptionInfo[ConfigError]) -> dict[str, str]:
    return dict(exc.value.problems)


def test_demo_maps_each_leg_to_its_own_paper_venue() -> None:
    s = multi("demo", **DEMO_KEYS)
    bybit, hl = leg_settings(s, 0), leg_settings(s, 1)
    assert bybit.rest_url == "https://api-demo.bybit.com"
    assert hl.rest_url == "https://api.hyperliquid-testnet.xyz"
    assert s.rest_url == bybit.rest_url
    assert s.endpoints()["hyperliquid:rest"] == hl.rest_url
    assert venues_reached(s) == "Bybit demo trading and Hyperliquid testnet"


def test_live_maps_each_leg_to_its_mainnet_and_needs_the_flag() -> None:
    s = multi("live", **LIVE_KEYS)
    assert leg_settings(s, 0).rest_url == "https://api.bybit.com"
    assert leg_settings(s, 1).rest_url == "https://api.hyperliquid.xyz"
    assert venues_reached(s) == "Bybit MAINNET and Hyperliquid MAINNET"
    with pytest.raises(ConfigError, match="needs --live"):
        load_settings(None, mode="live", venue={"name": "multi"}, risk={"symbols": SYMBOLS}, **LIVE_KEYS)


def test_each_leg_holds_its_own_keys_for_the_mode_and_no_other() -> None:
    s = multi("demo", **DEMO_KEYS, **LIVE_KEYS)  # every key set: only demo's, one pair per leg
    bybit, hl = leg_settings(s, 0), leg_settings(s, 1)
    assert bybit.credentials() == (BYBIT_KEY, BYBIT_SECRET)
    assert hl.credentials() == (HL_ADDRESS, HL_AGENT)
    for leg in (bybit, hl):
        held = {name for name in secret_fields() if getattr(leg, name) is not None}
        assert held == {"demo_api_key", "demo_api_secret"}
    live = multi("live", **DEMO_KEYS, **LIVE_KEYS)
    assert leg_settings(live, 1).credentials() == (HL_ADDRESS, HL_LIVE_AGENT)
    assert all(leg_settings(live, i).demo_api_secret is None for i in (0, 1))


def test_a_missing_leg_key_names_the_leg_the_key_and_the_fix() -> None:
    with pytest.raises(ConfigError) as info:  # the plain pair is the first leg's only
        multi("demo", demo_api_key=BYBIT_KEY, demo_api_secret=BYBIT_SECRET)
    msg = problems(info)["hyperliquid_demo_api_key"]
    assert "hyperliquid (leg of venue.legs)" in msg
    assert "TRADE_HYPERLIQUID_DEMO_API_KEY and TRADE_HYPERLIQUID_DEMO_API_SECRET" in msg
    assert "[hyperliquid.demo] table in secrets_file" in msg
    with pytest.raises(ConfigError) as info:
        multi("demo", hyperliquid_demo_api_key=HL_ADDRESS, hyperliquid_demo_api_secret=HL_AGENT)
    msg = problems(info)["demo_api_key"]
    assert "bybit (first leg of venue.legs)" in msg and "TRADE_DEMO_API_KEY" in msg
    with pytest.raises(ConfigError) as info:  # half a pair: the missing half is named
        multi(
            "demo", demo_api_key=BYBIT_KEY, demo_api_secret=BYBIT_SECRET, hyperliquid_demo_api_key=HL_ADDRESS
        )
    assert "hyperliquid_demo_api_secret" in problems(info)


def test_demo_keys_never_reach_mainnet_on_any_leg() -> None:
    with pytest.raises(ConfigError) as info:
        multi("live", **DEMO_KEYS)
    found = problems(info)
    assert set(found) == {"live_api_key", "hyperliquid_live_api_key"}
    assert all("found demo keys, which are never used in live mode" in m for m in found.values())


def test_a_venues_own_pair_wins_over_the_plain_pair_for_one_venue() -> None:
    s = load_settings(
        None,
        mode="demo",
        venue={"name": "hyperliquid"},
        demo_api_key=BYBIT_KEY,
        demo_api_secret=BYBIT_SECRET,
        hyperliquid_demo_api_key=HL_ADDRESS,
        hyperliquid_demo_api_secret=HL_AGENT,
    )
    assert s.credentials() == (HL_ADDRESS, HL_AGENT)
    assert venues_reached(s) == "Hyperliquid testnet"


def test_a_rest_override_is_refused_with_two_venues() -> None:
    with pytest.raises(ConfigError) as info:
        multi("demo", **DEMO_KEYS, venue={"name": "multi", "rest_url": "https://api-demo.bybit.com"})
    assert "each leg uses its own venue's endpoints" in problems(info)["venue.rest_url"]


def test_leg_keys_come_from_the_environment_and_the_secrets_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TRADE_HYPERLIQUID_DEMO_API_KEY", HL_ADDRESS)
    monkeypatch.setenv("TRADE_HYPERLIQUID_DEMO_API_SECRET", HL_AGENT)
    secrets = tmp_path / "keys.toml"
    secrets.write_text(f'[demo]\napi_key = "{BYBIT_KEY}"\napi_secret = "{BYBIT_SECRET}"\n')
    secrets.chmod(0o600)
    s = multi("demo", secrets_file=str(secrets))
    assert leg_settings(s, 1).credentials() == (HL_ADDRESS, HL_AGENT)
    assert leg_settings(s, 0).credentials() == (BYBIT_KEY, BYBIT_SECRET)
    monkeypatch.delenv("TRADE_HYPERLIQUID_DEMO_API_KEY")
    monkeypatch.delenv("TRADE_HYPERLIQUID_DEMO_API_SECRET")
    secrets.write_text(
        f'[demo]\napi_key = "{BYBIT_KEY}"\napi_secret = "{BYBIT_SECRET}"\n'
        f'[hyperliquid.demo]\napi_key = "{HL_ADDRESS}"\napi_secret = "{HL_AGENT}"\n'
    )
    s = multi("demo", secrets_file=str(secrets))
    assert leg_settings(s, 1).credentials() == (HL_ADDRESS, HL_AGENT)
    shown = str(s.redacted())
    assert HL_AGENT not in shown and BYBIT_SECRET not in shown and HL_AGENT not in repr(s)
    assert HL_AGENT in s.secret_values() and BYBIT_SECRET in s.secret_values()


def test_a_venues_key_written_in_the_config_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'hyperliquid_demo_api_secret = "{HL_AGENT}"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(config)
    msg = problems(info)["hyperliquid_demo_api_secret"]
    assert "never go in the config file" in msg and "[hyperliquid.demo]" in msg
    assert HL_AGENT not in str(info.value)


def test_a_venue_secrets_table_of_the_wrong_shape_is_named(tmp_path: Path) -> None:
    secrets = tmp_path / "keys.toml"
    secrets.write_text('hyperliquid = "0xabc"\n[bybit]\ndemo = 5\n')
    secrets.chmod(0o600)
    with pytest.raises(ConfigError) as info:
        multi("demo", secrets_file=str(secrets))
    found = problems(info)
    assert "must hold tables" in found["secrets_file [hyperliquid]"]
    assert "must be a table" in found["secrets_file [bybit.demo]"]
