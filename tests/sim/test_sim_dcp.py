"""Disconnection protection (DCP) on the sim venue, over loopback with pybit.

The venue runs on a clock that follows wall time plus a skip the test controls, so the DCP window
runs out on the sim's clock (the market steps check it), not after a wall-clock sleep.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pybit.unified_trading as ut
import pytest
from pybit.exceptions import InvalidRequestError
from pybit.unified_trading import HTTP, WebSocket

from core.config import SIM_API_KEY as KEY
from core.config import SIM_API_SECRET as SECRET
from core.config import SimSettings
from core.sim.exchange import SimExchange
from core.sim.runner import SimVenueThread

pytestmark = pytest.mark.timeout(60)

WINDOW_S = 10
AUTH_EXPIRE_S = 3600
"""The private sockets' auth expiry: long enough to survive the skipped clock."""


class SkipClock:
    """Wall time plus a skip the test advances (the sim's clock)."""

    def __init__(self) -> None:
        self.skip_ms = 0

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.skip_ms

    def monotonic(self) -> float:
        return time.monotonic() + self.skip_ms / 1000

    def advance(self, ms: int) -> None:
        self.skip_ms += ms


@pytest.fixture
def skip_clock() -> SkipClock:
    return SkipClock()


@pytest.fixture
def dcp_venue(skip_clock: SkipClock, monkeypatch: pytest.MonkeyPatch) -> Iterator[SimVenueThread]:
    settings = SimSettings(port=0, market_rate_hz=50.0)
    exchange = SimExchange(seed=settings.seed, clock=skip_clock, starting_balance=settings.starting_balance)
    venue = SimVenueThread(settings, skip_clock, exchange=exchange, limits_scale=100.0).start()
    monkeypatch.setattr(ut, "PRIVATE_WSS", venue.ws_private_url)
    yield venue
    venue.stop()


def _wait(pred: Callable[[], bool], timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return pred()


def _http(venue: SimVenueThread) -> HTTP:
    http = HTTP(api_key=KEY, api_secret=SECRET, retry_codes={-1}, max_retries=1, recv_window=60_000)
    http.endpoint = venue.rest_url
    return http


def _exchange(venue: SimVenueThread) -> SimExchange:
    ex = venue.exchange
    assert isinstance(ex, SimExchange)
    return ex


class OrderTape:
    """A private socket subscribed to ``order`` (and to ``dcp.future`` when asked): every order
    update it receives, with an event per cancelled order id."""

    def __init__(self, dcp: bool) -> None:
        self.lock = threading.Lock()
        self.updates: list[dict[str, Any]] = []
        self.ws = WebSocket(
            "private", testnet=False, api_key=KEY, api_secret=SECRET, private_auth_expire=AUTH_EXPIRE_S
        )
        self.ws.order_stream(self._on_order)
        if dcp:
            self.ws.subscribe("dcp.{symbol}", self._unused, ["future"])

    @staticmethod
    def _unused(_msg: dict[str, Any]) -> None:
        return None

    def _on_order(self, msg: dict[str, Any]) -> None:
        with self.lock:
            self.updates.extend(dict(o) for o in msg["data"])

    def cancelled(self, order_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [o for o in self.updates if o["orderId"] == order_id and o["orderStatus"] == "Cancelled"]


def _resting_buy(http: HTTP, venue: SimVenueThread) -> str:
    def far_bid() -> str:
        sm = _exchange(venue).gen.symbols["BTCUSDT"]
        return str(sm.spec.px(sm.mark_tick() * 9 // 10))

    price = venue.call(far_bid)
    r = http.place_order(
        category="linear", symbol="BTCUSDT", side="Buy", orderType="Limit", qty="0.001", price=str(price)
    )
    return str(r["result"]["orderId"])


def _open(venue: SimVenueThread, order_id: str) -> bool:
    def look() -> bool:
        o = next((o for o in _exchange(venue).accounts[KEY].orders.values() if o.order_id == order_id), None)
        return o is not None and o.is_open

    return venue.call(look)


def _conns(venue: SimVenueThread) -> dict[str, int | None]:
    return venue.call(lambda: _exchange(venue).dcp.connections(KEY))


def _armed(venue: SimVenueThread) -> bool:
    return venue.call(lambda: _exchange(venue).dcp.deadline_ms(KEY) is not None)


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"timeWindow": 2, "product": "DERIVATIVES"}, "timeWindow invalid"),
        ({"timeWindow": 301, "product": "DERIVATIVES"}, "timeWindow invalid"),
        ({"timeWindow": "ten", "product": "DERIVATIVES"}, "timeWindow invalid"),
        ({"product": "DERIVATIVES"}, "timeWindow is required"),
        ({"timeWindow": 10, "product": "FUTURES"}, "product invalid"),
    ],
)
def test_set_dcp_refuses_bad_params(dcp_venue: SimVenueThread, params: dict[str, Any], fragment: str) -> None:
    with pytest.raises(InvalidRequestError) as err:
        _http(dcp_venue).set_dcp(**params)
    assert err.value.status_code == 10001
    assert fragment in err.value.message


def test_set_dcp_accepts_a_window_and_reports_it(dcp_venue: SimVenueThread) -> None:
    http = _http(dcp_venue)
    assert http.set_dcp(timeWindow=3, product="DERIVATIVES")["retCode"] == 0
    assert http.set_dcp(timeWindow=300)["retCode"] == 0  # OPTIONS by default: not the linear window
    info = http.get_account_info()["result"]
    assert (info["dcpStatus"], info["timeWindow"]) == ("ON", 3)


def test_dropped_dcp_socket_cancels_after_the_window(
    dcp_venue: SimVenueThread, skip_clock: SkipClock
) -> None:
    http = _http(dcp_venue)
    http.set_dcp(timeWindow=WINDOW_S, product="DERIVATIVES")
    watcher = OrderTape(dcp=False)  # not subscribed to dcp: it neither protects nor triggers
    guarded = OrderTape(dcp=True)
    try:
        assert _wait(lambda: _armed(dcp_venue)), "dcp subscription never registered"
        oid = _resting_buy(http, dcp_venue)
        guarded.ws.exit()
        assert _wait(lambda: None not in _conns(dcp_venue).values()), "drop not seen"
        skip_clock.advance(WINDOW_S * 1000 - 2000)
        dcp_venue.call(lambda: _exchange(dcp_venue).step())
        assert _open(dcp_venue, oid), "cancelled before the window ran out"
        skip_clock.advance(3000)
        assert _wait(lambda: bool(watcher.cancelled(oid))), "no cancel pushed after the window"
        assert watcher.cancelled(oid)[0]["cancelType"] == "CancelByDCP"
        assert not _open(dcp_venue, oid)
        assert dcp_venue.call(lambda: _exchange(dcp_venue).dcp.triggered.get(KEY)) == 1
    finally:
        watcher.ws.exit()
        guarded.ws.exit()


def test_reconnect_within_the_window_cancels_nothing(
    dcp_venue: SimVenueThread, skip_clock: SkipClock
) -> None:
    http = _http(dcp_venue)
    http.set_dcp(timeWindow=WINDOW_S, product="DERIVATIVES")
    first = OrderTape(dcp=True)
    second: OrderTape | None = None
    try:
        assert _wait(lambda: _armed(dcp_venue)), "dcp subscription never registered"
        oid = _resting_buy(http, dcp_venue)
        first.ws.exit()
        skip_clock.advance(WINDOW_S * 1000 // 2)
        second = OrderTape(dcp=True)
        assert _wait(lambda: list(_conns(dcp_venue).values()) == [None]), "reconnect not registered"
        skip_clock.advance(WINDOW_S * 1000)  # well past the first socket's deadline
        dcp_venue.call(lambda: _exchange(dcp_venue).step())
        assert _open(dcp_venue, oid)
        assert dcp_venue.call(lambda: _exchange(dcp_venue).dcp.triggered.get(KEY)) is None
    finally:
        first.ws.exit()
        if second is not None:
            second.ws.exit()


def test_legacy_dcp_topic_arms_and_unsubscribing_disarms(dcp_venue: SimVenueThread) -> None:
    _http(dcp_venue).set_dcp(timeWindow=WINDOW_S, product="DERIVATIVES")
    ws = WebSocket(
        "private", testnet=False, api_key=KEY, api_secret=SECRET, private_auth_expire=AUTH_EXPIRE_S
    )
    try:
        ws.subscribe("dcp{symbol}", OrderTape._unused, [""])  # the legacy topic: "dcp"
        assert _wait(lambda: list(_conns(dcp_venue).values()) == [None]), "legacy dcp not registered"
        ws.unsubscribe("dcp")
        assert _wait(lambda: _conns(dcp_venue) == {}), "unsubscribe did not disarm"
    finally:
        ws.exit()
    assert dcp_venue.call(lambda: _exchange(dcp_venue).dcp.deadline_ms(KEY)) is None
