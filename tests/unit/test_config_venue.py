"""The venue and its endpoints in settings: the venue-neutral mode rule, ``venue.name``, the
registry that builds the adapter, and the config file reaching pydantic-settings per load."""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import pytest

from core.config import ConfigError, Settings, load_settings
from core.endpoint_policy import (
    EndpointPolicy,
    assert_endpoint_matches_mode,
    check_venue_endpoint,
    endpoint_problem,
    known_venues,
    venue_policy,
)
from core.model import Mode
from core.venues.registry import build_venue

KEY = "KeY-ab12cd34ef56"
SECRET = "sEcReT-9f8e7d6c5b4a39281706"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRADE_"):
            monkeypatch.delenv(name)


def _keys(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    monkeypatch.setenv("TRADE_MODE", mode)
    monkeypatch.setenv(f"TRADE_{mode.upper()}_API_KEY", KEY)
    monkeypatch.setenv(f"TRADE_{mode.upper()}_API_SECRET", SECRET)


# --- the mode rule ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8765",
        "ws://127.0.0.1:8765/v5/private",
        "https://localhost:1",
        "http://[::1]:8765",
        "http://127.3.2.1:80",
        "sim://in-process",
    ],
)
def test_sim_reaches_loopback_for_any_venue(url: str) -> None:
    assert endpoint_problem(Mode.SIM, url, None) is None
    assert endpoint_problem(Mode.SIM, url, "bybit") is None


@pytest.mark.parametrize(
    "url",
    [
        "https://api.bybit.com",
        "https://api-demo.bybit.com",
        "http://10.0.0.5:8765",
        "http://localhost.example.com",
        "ftp://127.0.0.1",
        "127.0.0.1:8765",
    ],
)
def test_sim_refuses_anything_off_this_machine(url: str) -> None:
    problem = endpoint_problem(Mode.SIM, url, "bybit")
    assert problem is not None and "loopback" in problem


@pytest.mark.parametrize(
    ("mode", "url", "ok"),
    [
        (Mode.DEMO, "https://api-demo.bybit.com", True),
        (Mode.DEMO, "https://api.bybit.com", False),
        (Mode.DEMO, "http://api-demo.bybit.com", False),
        (Mode.DEMO, "http://127.0.0.1:8765", False),
        (Mode.LIVE, "https://api.bybit.com", True),
        (Mode.LIVE, "https://api.bytick.com", True),
        (Mode.LIVE, "https://api-demo.bybit.com", False),
        (Mode.LIVE, "https://api.bybit.com.evil.example", False),
        (Mode.LIVE, "http://127.0.0.1:8765", False),
    ],
)
def test_demo_and_live_reach_only_the_venues_hosts_for_the_mode(mode: Mode, url: str, ok: bool) -> None:
    assert (endpoint_problem(mode, url, "bybit") is None) is ok
    if not ok:
        with pytest.raises(ConfigError) as info:
            assert_endpoint_matches_mode(mode, url, "bybit")
        assert dict(info.value.problems)["mode"].startswith(
            f"endpoint {url} does not belong to mode {mode.value}"
        )


def test_the_venue_describes_its_own_endpoints() -> None:
    assert "bybit" in known_venues()
    policy = venue_policy("bybit")
    assert isinstance(policy, EndpointPolicy) and policy.venue == "bybit"
    assert policy.hosts_for(Mode.DEMO) == frozenset({"api-demo.bybit.com"})
    assert policy.hosts_for(Mode.SIM) == frozenset()


class _Venue:
    def __init__(self, name: str, rest_url: str) -> None:
        self.name = name
        self.rest_url = rest_url


def test_the_check_before_a_send_reads_the_venue_it_is_given() -> None:
    check_venue_endpoint(Mode.SIM, _Venue("anything", "http://127.0.0.1:1"))
    check_venue_endpoint(Mode.DEMO, _Venue("bybit", "https://api-demo.bybit.com"))
    with pytest.raises(ConfigError):
        check_venue_endpoint(Mode.DEMO, _Venue("bybit", "https://api.bybit.com"))
    with pytest.raises(ConfigError) as info:
        check_venue_endpoint(Mode.LIVE, _Venue("nosuchvenue", "https://api.bybit.com"))
    assert "unknown venue 'nosuchvenue'" in dict(info.value.problems)["venue.name"]


# --- settings ----------------------------------------------------------------------------------
def test_endpoints_come_from_the_venue_for_each_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = load_settings(sim={"port": 9001})
    assert sim.venue.name == "bybit"
    assert sim.endpoints() == {
        "rest": "http://127.0.0.1:9001",
        "ws_public": "ws://127.0.0.1:9001/v5/public/linear",
        "ws_private": "ws://127.0.0.1:9001/v5/private",
    }
    _keys(monkeypatch, "demo")
    demo = load_settings()
    assert demo.rest_url == "https://api-demo.bybit.com"
    assert demo.ws_private_url == "wss://stream-demo.bybit.com/v5/private"
    assert demo.redacted()["endpoints"] == demo.endpoints()
    with pytest.raises(ConfigError) as info:
        demo.endpoint("graphql")
    assert "has no 'graphql' endpoint" in dict(info.value.problems)["venue.name"]


@pytest.mark.parametrize(
    ("env", "fragment"),
    [
        ({"TRADE_VENUE__NAME": "binance"}, "unknown venue 'binance'; use one of ['bybit'"),
        ({"TRADE_VENUE__NAME": "../bybit"}, "unknown venue '../bybit'"),
        ({"TRADE_VENUE__NAME": "Bybit"}, "unknown venue 'Bybit'"),
    ],
)
def test_an_unknown_venue_names_the_key_and_the_choices(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], fragment: str
) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert fragment in dict(info.value.problems)["venue.name"]


def test_a_rest_override_must_be_the_venues_host_for_the_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    _keys(monkeypatch, "live")
    monkeypatch.setenv("TRADE_VENUE__REST_URL", "https://api.bytick.com")
    assert load_settings(allow_live=True).rest_url == "https://api.bytick.com"
    monkeypatch.setenv("TRADE_VENUE__REST_URL", "https://api.example.com")
    with pytest.raises(ConfigError) as info:
        load_settings(allow_live=True)
    problem = dict(info.value.problems)["venue.rest_url"]
    assert "an unknown endpoint but mode is live" in problem and "api.bytick.com" in problem
    monkeypatch.setenv("TRADE_VENUE__REST_URL", "http://api.bybit.com")
    with pytest.raises(ConfigError) as info:
        load_settings(allow_live=True)
    assert "must use https://" in dict(info.value.problems)["venue.rest_url"]


def test_a_venue_that_does_not_serve_the_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    paper_only = EndpointPolicy("bybit", modes=frozenset({Mode.SIM}))
    monkeypatch.setattr(Settings, "venue_policy", property(lambda self: paper_only))
    _keys(monkeypatch, "demo")
    with pytest.raises(ConfigError) as info:
        load_settings()
    problem = dict(info.value.problems)["venue.name"]
    assert "serves sim mode only, not demo" in problem and "set mode = 'sim'" in problem


# --- the registry ------------------------------------------------------------------------------
def test_the_registry_builds_the_configured_adapter_for_the_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    _keys(monkeypatch, "demo")
    venue = build_venue(load_settings(), now_ms=lambda: 0)
    assert venue.name == "bybit" and venue.rest_url == "https://api-demo.bybit.com"


def test_the_registry_refuses_a_venue_whose_endpoint_does_not_match(monkeypatch: pytest.MonkeyPatch) -> None:
    _keys(monkeypatch, "demo")
    settings = load_settings()
    # Settings that never went through load_settings' checks: the build checks again.
    wrong = settings.model_copy(
        update={"venue": settings.venue.model_copy(update={"rest_url": "https://api.bybit.com"})}
    )
    with pytest.raises(ConfigError) as info:
        build_venue(wrong)
    assert "does not belong to mode demo" in str(info.value)
    unknown = settings.model_copy(update={"venue": settings.venue.model_copy(update={"name": "nosuchvenue"})})
    with pytest.raises(ConfigError) as info:
        build_venue(unknown)
    assert "unknown venue 'nosuchvenue'" in str(info.value)


# --- the config file source ----------------------------------------------------------------------
def _config(tmp_path: Path, name: str, max_open_orders: int) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(f"[risk]\nmax_open_orders = {max_open_orders}\n")
    return path


def test_the_config_file_is_an_init_argument_of_each_load(tmp_path: Path) -> None:
    a = _config(tmp_path, "a", 7)
    s = Settings(config_path=str(a))
    assert s.risk.max_open_orders == 7 and s.config_path == str(a)
    assert Settings().risk.max_open_orders == 50  # nothing left behind for the next load
    assert Settings(config_path=str(a), risk={"max_open_orders": 3}).risk.max_open_orders == 3


def test_concurrent_loads_of_different_files_each_read_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {7: _config(tmp_path, "a", 7), 9: _config(tmp_path, "b", 9)}
    rounds = 40
    # Every round, both loads are inside pydantic-settings, choosing their sources, at once.
    barrier = threading.Barrier(len(files), timeout=10)
    choose = Settings.settings_customise_sources.__func__  # type: ignore[attr-defined]

    def in_step(cls: type[Settings], *args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        return choose(cls, *args, **kwargs)

    monkeypatch.setattr(Settings, "settings_customise_sources", classmethod(in_step))
    seen: dict[int, list[tuple[int, str | None]]] = {n: [] for n in files}

    def load(n: int) -> None:
        for _ in range(rounds):
            s = load_settings(files[n])
            seen[n].append((s.risk.max_open_orders, s.config_path))

    threads = [threading.Thread(target=load, args=(n,)) for n in files]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads)
    for n, path in files.items():
        assert seen[n] == [(n, str(path))] * rounds
