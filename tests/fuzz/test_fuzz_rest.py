"""Fuzz the REST replies through the real client: pybit over loopback, then the venue adapter.

A tiny HTTP server on 127.0.0.1 answers every request with Bybit's envelope around a ``result``
hypothesis spoiled: list items with fields missing, of the wrong type or NaN/Infinity/negative/
huge, lists that are not arrays, cursors that repeat. Each :class:`BybitVenue` method must return
a sound value (items it cannot read dropped and counted, where dropping hides nothing) or raise a
classified :class:`VenueError` naming the field — never ``KeyError``/``TypeError``/
``AttributeError`` from deep inside. (The envelope itself — a body that is not an object, a
non-integer ``retCode`` — is the adapter's reply decoding, tested with the outcome reporting.)
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.config import load_settings
from core.market.timerange import TimeRange
from core.observability.baddata import BadDataTracker
from core.resilience.errors import VenueError
from core.venues.bybit.rest import BybitVenue
from tests.support.fuzz_records import EXECUTION, INSTRUMENT, KLINE_ROW, ORDER, POSITION, TICKER, WALLET
from tests.support.fuzzing import assert_sound, junk, mutated

NOW_MS = 1767225600000


class _Reply(BaseHTTPRequestHandler):
    """Answers every request with the server's current body."""

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        body: bytes = self.server.body  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = _answer
    do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class FakeVenue:
    """A loopback HTTP server whose every reply is Bybit's envelope around ``result``."""

    def __init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Reply)
        self.server.body = b"{}"  # type: ignore[attr-defined]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def answer(self, result: Any) -> None:
        envelope = {"retCode": 0, "retMsg": "OK", "result": result, "retExtInfo": {}, "time": NOW_MS}
        # stdlib json: big integers and bare NaN/Infinity tokens go on the wire as a broken venue's would
        self.server.body = json.dumps(envelope).encode()  # type: ignore[attr-defined]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeVenue]:
    venue = FakeVenue()
    try:
        yield venue
    finally:
        venue.close()


@pytest.fixture(scope="module")
def venue(fake: FakeVenue) -> BybitVenue:
    settings_ = load_settings(sim={"port": fake.port}, metrics={"enabled": False})
    out = BybitVenue(settings_, now_ms=lambda: NOW_MS, bad_data=BadDataTracker())
    out.max_pages = 3
    return out


WINDOW = TimeRange.last(timedelta(hours=1), NOW_MS)
METHODS: dict[str, tuple[dict[str, Any], Callable[[BybitVenue], Any]]] = {
    "server_time": (
        {"timeSecond": "1767225600", "timeNano": "1767225600000000000"},
        lambda v: v.server_time_ms(),
    ),
    "instruments": ({"category": "linear", "list": [INSTRUMENT]}, lambda v: v.instruments(("BTCUSDT",))),
    "fee_rates": (
        {"list": [{"symbol": "BTCUSDT", "takerFeeRate": "0.00055", "makerFeeRate": "0.0002"}]},
        lambda v: v.fee_rates(),
    ),
    "cancel_all": ({"list": [{"orderId": "o1", "orderLinkId": "tc-1"}]}, lambda v: v.cancel_all("BTCUSDT")),
    "open_orders": ({"list": [ORDER], "nextPageCursor": ""}, lambda v: v.open_orders()),
    "positions": ({"list": [POSITION], "nextPageCursor": ""}, lambda v: v.positions()),
    "position": ({"list": [POSITION]}, lambda v: v.position("BTCUSDT")),
    "balance": ({"list": [WALLET]}, lambda v: v.balance()),
    "klines": ({"list": [KLINE_ROW, KLINE_ROW]}, lambda v: v.klines("BTCUSDT", "1m")),
    "ticker": ({"list": [TICKER]}, lambda v: v.ticker("BTCUSDT")),
    "executions": ({"list": [EXECUTION], "nextPageCursor": ""}, lambda v: v.executions(WINDOW)),
    "margin_mode": ({"marginMode": "REGULAR_MARGIN"}, lambda v: v.margin_mode()),
    "find_order": ({"list": [ORDER]}, lambda v: v.find_order("BTCUSDT", "tc-1", within=WINDOW)),
}


@st.composite
def spoiled_results(draw: st.DrawFn) -> tuple[str, Any]:
    """A method and its reply's result with the list, an item, or the result's own keys spoiled."""
    name = draw(st.sampled_from(sorted(METHODS)))
    result = dict(METHODS[name][0])
    where = draw(st.sampled_from(["result", "item", "list"]))
    if where == "result":
        result = draw(
            mutated(result, ("list", "nextPageCursor", "time")).filter(lambda r: isinstance(r, dict))
        )
    elif where == "list":
        result["list"] = draw(junk)
    elif isinstance(result.get("list"), list) and result["list"]:
        item = result["list"][0]
        spoiled = draw(mutated(item)) if isinstance(item, dict) else draw(st.lists(junk, max_size=8))
        result["list"] = [spoiled, *result["list"][1:]]
    return name, result


@settings(max_examples=250, deadline=None)
@given(spoiled_results())
def test_every_reply_is_sound_or_a_classified_venue_error(
    fake: FakeVenue, venue: BybitVenue, case: tuple[str, Any]
) -> None:
    name, result = case
    fake.answer(result)
    try:
        value = METHODS[name][1](venue)
    except VenueError as err:
        assert str(err) and err.endpoint, err
        return
    assert_sound(value, name)


@pytest.mark.parametrize("name", sorted(METHODS))
def test_each_sound_reply_reads_as_sent(fake: FakeVenue, venue: BybitVenue, name: str) -> None:
    """The fuzz starts from replies that parse: nothing dropped, nothing reported."""
    fake.answer(METHODS[name][0])
    before = venue.bad_data.total
    value = METHODS[name][1](venue)
    assert value not in (None, [], {}) and venue.bad_data.total == before, (name, value)


@pytest.mark.parametrize(
    ("name", "result", "outcome"),
    [
        # Before the fix each of these escaped the adapter as KeyError/TypeError/ValueError/
        # AttributeError (start-up and the account sync died on them) or, for klines, gave
        # 0-priced candles.
        ("server_time", {"timeSecond": "soon"}, "timeSecond"),
        ("server_time", {}, "timeSecond"),
        ("instruments", {"list": {"symbol": "BTCUSDT"}}, "list"),
        ("fee_rates", {"list": [{"takerFeeRate": "0.1"}]}, {}),
        ("cancel_all", {"list": ["tc-1"]}, []),
        ("position", {"list": "BTCUSDT"}, "list"),
        ("balance", {"list": 5}, None),
        ("ticker", {"list": [TICKER], "time": "now"}, None),
        ("klines", {"list": [["1", "abc", "2", "1", "1", "1"], KLINE_ROW]}, 1),
        ("find_order", {"list": {"orderLinkId": "tc-1"}}, "list"),  # was KeyError: 0
    ],
)
def test_findings_are_refused_or_dropped_by_field(
    fake: FakeVenue, venue: BybitVenue, name: str, result: dict[str, Any], outcome: Any
) -> None:
    fake.answer(result)
    before = venue.bad_data.total
    if isinstance(outcome, str):
        with pytest.raises(VenueError, match=f"bad value in the reply: {outcome} "):
            METHODS[name][1](venue)
    elif isinstance(outcome, int):
        assert len(METHODS[name][1](venue)) == outcome
    else:
        assert METHODS[name][1](venue) == outcome
    assert venue.bad_data.total == before + 1


def test_find_order_never_takes_another_order_for_the_one_asked(fake: FakeVenue, venue: BybitVenue) -> None:
    """A lookup reply listing other orders (a flooded or broken venue) is not the order asked for."""
    other = {**ORDER, "orderLinkId": "someone-else"}
    fake.answer({"list": [other], "nextPageCursor": ""})
    assert venue.find_order("BTCUSDT", ORDER["orderLinkId"], within=WINDOW) is None
    fake.answer({"list": [other, ORDER], "nextPageCursor": ""})
    found = venue.find_order("BTCUSDT", ORDER["orderLinkId"], within=WINDOW)
    assert found is not None and found.order_link_id == ORDER["orderLinkId"]
