"""The Bybit client wiring: each mode gets its own endpoints, and nothing else (no network here)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from core.config import ConfigError, load_settings
from core.model import Trade
from core.venues.base import FeedTiming
from core.venues.bybit.feeds import BybitFeeds, _ws_class
from core.venues.bybit.rest import BybitVenue
from core.venues.bybit.session import make_http

KEY, SECRET = "KeY-0123456789ab", "SeCrEt-0123456789abcdef0123"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("TRADE_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize(
    ("mode", "rest", "public", "private"),
    [
        (
            "sim",
            "http://127.0.0.1:8765",
            "ws://127.0.0.1:8765/v5/public/linear",
            "ws://127.0.0.1:8765/v5/private",
        ),
        (
            "demo",
            "https://api-demo.bybit.com",
            "wss://stream.bybit.com/v5/public/linear",
            "wss://stream-demo.bybit.com/v5/private",
        ),
        (
            "live",
            "https://api.bybit.com",
            "wss://stream.bybit.com/v5/public/linear",
            "wss://stream.bybit.com/v5/private",
        ),
    ],
)
def test_each_mode_builds_clients_for_its_own_endpoints(
    monkeypatch: pytest.MonkeyPatch, mode: str, rest: str, public: str, private: str
) -> None:
    monkeypatch.setenv("TRADE_MODE", mode)
    monkeypatch.setenv(f"TRADE_{mode.upper()}_API_KEY", KEY)
    monkeypatch.setenv(f"TRADE_{mode.upper()}_API_SECRET", SECRET)
    settings = load_settings(allow_live=True)
    http = make_http(settings)
    assert http.endpoint == rest
    # pybit's own retries are off: ours (tenacity) run instead, and pybit never sleeps on a worker.
    assert http.retry_codes == {-1} and http.max_retries == 1 and not http.force_retry
    assert settings.ws_public_url == public and settings.ws_private_url == private
    # The pinned WebSocket class connects to the mode's URL whatever pybit's template says.
    connected: list[str] = []
    cls = _ws_class(private)
    monkeypatch.setattr(cls.__mro__[1], "_connect", lambda self, url: connected.append(url))
    cls._connect(object.__new__(cls), "wss://{SUBDOMAIN}.{DOMAIN}.{TLD}/v5/private")
    assert connected == [private]


def test_a_venue_refuses_an_endpoint_of_another_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADE_MODE", "demo")
    monkeypatch.setenv("TRADE_DEMO_API_KEY", KEY)
    monkeypatch.setenv("TRADE_DEMO_API_SECRET", SECRET)
    settings = load_settings()
    venue = BybitVenue(settings)
    # Someone repoints the session at mainnet: the check before every call refuses it.
    venue._session().endpoint = "https://api.bybit.com"
    with pytest.raises(ConfigError):
        venue.call("server_time")


def test_the_venue_builds_feeds_that_deliver_to_the_sink_and_share_its_bad_data() -> None:
    """BybitVenue.feeds(): the streams for the given symbols, not started, pinned to the mode's URLs."""
    settings = load_settings()
    venue = BybitVenue(settings)
    sink = _Sink()
    feeds = venue.feeds(("BTCUSDT",), sink, FeedTiming(reconnect_backoff_s=(0.5, 4.0), ack_timeout_s=3.0))
    assert isinstance(feeds, BybitFeeds)
    assert feeds.bad_data is venue.bad_data and feeds.symbols == ("BTCUSDT",)
    assert not feeds.is_connected("public") and not feeds.is_connected("private")  # not started
    feeds._on_public_msg(
        {
            "topic": "publicTrade.BTCUSDT",
            "data": [{"T": 1, "s": "BTCUSDT", "S": "Buy", "v": "0.01", "p": "95000.5", "i": "t-1"}],
        }
    )
    assert [t.trade_id for t in sink.trades] == ["t-1"]


class _Sink:
    """Only what this test sends."""

    def __init__(self) -> None:
        self.trades: list[Trade] = []

    def trade(self, trade: Trade) -> None:
        self.trades.append(trade)

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"unexpected {name}")
