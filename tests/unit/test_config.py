"""Settings: strict modes, clear errors naming the key, secrets never printed."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest

from console.cli import main
from core.config import ConfigError, assert_endpoint_matches_mode, load_settings
from core.model import Mode

SECRET = "sEcReT-9f8e7d6c5b4a39281706"
KEY = "KeY-ab12cd34ef56"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRADE_"):
            monkeypatch.delenv(name)


def _problems(exc: ConfigError) -> dict[str, str]:
    return dict(exc.problems)


def test_defaults_are_sim_on_loopback() -> None:
    s = load_settings()
    assert s.mode is Mode.SIM
    assert s.rest_url.startswith("http://127.0.0.1:")
    assert s.ws_public_url.endswith("/v5/public/linear")
    assert_endpoint_matches_mode(s.mode, s.rest_url)


def test_env_overrides_nested(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADE_RISK__MAX_OPEN_ORDERS", "7")
    assert load_settings().risk.max_open_orders == 7


@pytest.mark.parametrize(
    ("env", "key", "fragment"),
    [
        ({"TRADE_MODE": "demo"}, "demo_api_key", "TRADE_DEMO_API_KEY"),
        (
            {"TRADE_MODE": "live", "TRADE_LIVE_API_KEY": KEY, "TRADE_LIVE_API_SECRET": SECRET},
            "mode",
            "--live",
        ),
        (
            {"TRADE_MODE": "live", "TRADE_DEMO_API_KEY": KEY, "TRADE_DEMO_API_SECRET": SECRET},
            "live_api_key",
            "found demo keys",
        ),
        (
            {
                "TRADE_MODE": "demo",
                "TRADE_DEMO_API_KEY": KEY,
                "TRADE_DEMO_API_SECRET": SECRET,
                "TRADE_VENUE__REST_URL": "https://api.bybit.com",
            },
            "venue.rest_url",
            "live/mainnet",
        ),
        (
            {
                "TRADE_MODE": "live",
                "TRADE_LIVE_API_KEY": KEY,
                "TRADE_LIVE_API_SECRET": SECRET,
                "TRADE_VENUE__REST_URL": "https://api-demo.bybit.com",
            },
            "venue.rest_url",
            "demo",
        ),
        ({"TRADE_VENUE__REST_URL": "https://api.bybit.com"}, "venue.rest_url", "sim mode"),
        ({"TRADE_SIM__HOST": "10.0.0.5"}, "sim.host", "loopback"),
        ({"TRADE_MODE": "paper"}, "mode", "sim"),
        ({"TRADE_RISK__MAX_LEVERAGE": "-1"}, "risk.max_leverage", "greater than 0"),
    ],
)
def test_invalid_combinations_name_the_key(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], key: str, fragment: str
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError) as info:
        load_settings()
    problems = _problems(info.value)
    assert key in problems, problems
    assert fragment in problems[key]
    assert SECRET not in str(info.value)


def test_live_with_keys_and_flag_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADE_MODE", "live")
    monkeypatch.setenv("TRADE_LIVE_API_KEY", KEY)
    monkeypatch.setenv("TRADE_LIVE_API_SECRET", SECRET)
    s = load_settings(allow_live=True)
    assert s.rest_url == "https://api.bybit.com"
    assert s.credentials() == (KEY, SECRET)
    with pytest.raises(ConfigError):
        assert_endpoint_matches_mode(Mode.DEMO, s.rest_url)


def test_unknown_key_in_file(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[risk]\nmax_order_notionl = "5"\n')
    with pytest.raises(ConfigError) as info:
        load_settings(cfg)
    assert "risk.max_order_notionl" in _problems(info.value)


def test_secrets_file_must_be_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    keys = tmp_path / "keys.toml"
    keys.write_text(f'[demo]\napi_key = "{KEY}"\napi_secret = "{SECRET}"\n')
    keys.chmod(0o644)
    monkeypatch.setenv("TRADE_MODE", "demo")
    monkeypatch.setenv("TRADE_SECRETS_FILE", str(keys))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "chmod 600" in _problems(info.value)["secrets_file"]
    keys.chmod(stat.S_IRUSR | stat.S_IWUSR)
    s = load_settings()
    assert s.credentials() == (KEY, SECRET)


def test_check_config_redacts_and_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRADE_MODE", "demo")
    monkeypatch.setenv("TRADE_DEMO_API_KEY", KEY)
    monkeypatch.setenv("TRADE_DEMO_API_SECRET", SECRET)
    assert main(["check-config", "--offline"]) == 0  # offline: tests never leave loopback
    out = capsys.readouterr()
    assert SECRET not in out.out + out.err
    assert KEY not in out.out + out.err
    assert "api-demo.bybit.com" in out.out
    monkeypatch.setenv("TRADE_MODE", "live")
    assert main(["check-config", "--offline"]) == 2
    out = capsys.readouterr()
    assert "live_api_key" in out.err
    assert SECRET not in out.out + out.err


@pytest.mark.parametrize(
    ("overrides", "key", "fragment"),
    [
        ({"ui": {"default_symbol": "DOGEUSDT"}}, "ui.default_symbol", "is not in risk.symbols"),
        ({"risk": {"symbols": ["ETHUSDT"]}}, "ui.default_symbol", "set it to one of them"),
        ({"risk": {"symbols": []}}, "risk.symbols", "list at least one symbol"),
        ({"risk": {"symbols": ["BTCUSDT", "btcusdt"]}}, "risk.symbols", "upper case, e.g. BTCUSDT"),
        ({"risk": {"symbols": ["BTCUSDT", "BTC USDT"]}}, "risk.symbols", "not a venue symbol"),
        ({"risk": {"symbols": ["BTCUSDT", "BTCUSDT"]}}, "risk.symbols", "list each symbol once"),
    ],
)
def test_symbol_settings_are_checked(overrides: dict[str, Any], key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(**overrides)
    problems = _problems(info.value)
    assert key in problems, problems
    assert fragment in problems[key]


def test_default_symbol_in_symbols_loads() -> None:
    s = load_settings(risk={"symbols": ["ETHUSDT", "1000PEPEUSDT"]}, ui={"default_symbol": "1000PEPEUSDT"})
    assert s.ui.default_symbol == "1000PEPEUSDT"


def test_missing_config_names_where_the_path_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path / "none.toml")
    assert "does not exist" in _problems(info.value)["--config"]
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path)
    assert "is a directory" in _problems(info.value)["--config"]
    monkeypatch.setenv("TRADE_CONFIG", str(tmp_path / "env.toml"))
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert f"{tmp_path / 'env.toml'} does not exist" in _problems(info.value)["TRADE_CONFIG"]


def test_extra_checks_are_reported_with_core_problems() -> None:
    def ui_check(s: object) -> list[tuple[str, str]]:
        return [("ui.theme", "unknown theme; use trade-dark")]

    with pytest.raises(ConfigError) as info:
        load_settings(ui={"default_symbol": "XRPUSDT"}, extra_checks=[ui_check])
    problems = _problems(info.value)
    assert set(problems) == {"ui.theme", "ui.default_symbol"}
