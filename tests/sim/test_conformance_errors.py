"""Bad input on every REST route gets Bybit's envelope with a retCode, never an HTTP 500.

Hypothesis builds parameter sets from the names the routes read (plus strangers) and values of
every JSON type, huge, non-finite and non-ASCII ones included; each request is signed as a real
client signs it and sent over loopback.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.config import SIM_API_KEY as KEY
from core.config import SIM_API_SECRET as SECRET
from core.sim.auth import rest_signature
from core.sim.rest import ROUTES
from core.sim.runner import SimVenueThread
from tests.support.sim_venue import MakeVenue

pytestmark = pytest.mark.timeout(300)

NAMES = (
    "category",
    "symbol",
    "side",
    "orderType",
    "qty",
    "price",
    "triggerPrice",
    "triggerDirection",
    "triggerBy",
    "timeInForce",
    "orderLinkId",
    "orderId",
    "reduceOnly",
    "closeOnTrigger",
    "takeProfit",
    "stopLoss",
    "tpTriggerBy",
    "slTriggerBy",
    "positionIdx",
    "buyLeverage",
    "sellLeverage",
    "tpslMode",
    "limit",
    "cursor",
    "startTime",
    "endTime",
    "interval",
    "accountType",
    "coin",
    "openOnly",
    "orderFilter",
    "settleCoin",
    "baseCoin",
    "status",
    "execType",
    "start",
    "end",
    "orderStatus",
    "zzz",
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(
        ["linear", "spot", "BTCUSDT", "Buy", "Limit", "Market", "0", "-1", "1e9", "NaN", "UNIFIED", "1"]
    ),
)
VALUES = st.one_of(
    SCALARS, st.lists(SCALARS, max_size=3), st.dictionaries(st.text(max_size=4), SCALARS, max_size=2)
)
PARAMS = st.dictionaries(st.sampled_from(NAMES), VALUES, max_size=8)
ENVELOPE_TYPES = {"retCode": int, "retMsg": str, "result": dict, "retExtInfo": dict, "time": int}


@pytest.fixture(scope="module")
def venue(make_venue: MakeVenue) -> Iterator[SimVenueThread]:
    v = make_venue(limits_scale=10_000.0)
    yield v
    v.stop()


@pytest.fixture(scope="module")
def http() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def _send(http: requests.Session, v: SimVenueThread, method: str, path: str, params: dict[str, Any]) -> Any:
    if method == "GET":
        payload = "&".join(f"{quote(k)}={quote(str(val), safe='')}" for k, val in params.items())
        url, body = f"{v.rest_url}{path}?{payload}", None
        signed = payload.encode()
    else:
        url = f"{v.rest_url}{path}"
        body = json.dumps(params, allow_nan=True, default=str).encode()  # NaN/Infinity: not valid JSON
        signed = body
    ts = str(int(time.time() * 1000))
    headers = {
        "X-BAPI-API-KEY": KEY,
        "X-BAPI-TIMESTAMP": ts,
        "X-BAPI-RECV-WINDOW": "5000",
        "X-BAPI-SIGN": rest_signature(SECRET, ts, KEY, "5000", signed),
        "Content-Type": "application/json",
    }
    resp = http.request(method, url, data=body, headers=headers, timeout=10)
    assert resp.status_code == 200, (resp.status_code, resp.text[:200], path, params)
    return resp.json()


@pytest.mark.parametrize(("method", "path"), sorted(ROUTES))
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=PARAMS)
def test_bad_input_gets_a_retcode_never_a_500(
    venue: SimVenueThread, http: requests.Session, method: str, path: str, params: dict[str, Any]
) -> None:
    reply = _send(http, venue, method, path, params)
    assert set(reply) == set(ENVELOPE_TYPES), reply
    for key, typ in ENVELOPE_TYPES.items():
        assert isinstance(reply[key], typ) and not isinstance(reply[key], bool), (key, reply)
    if reply["retCode"] != 0:
        assert reply["result"] == {} and reply["retMsg"], reply
        assert reply["retCode"] != 10016, f"an unforeseen failure on {path}: {reply}"


@pytest.mark.parametrize("body", [b"[1, 2]", b"{", b"\xff\xfe", b'"text"', b"null", b'{"category": NaN}'])
def test_post_bodies_that_are_not_objects(venue: SimVenueThread, http: requests.Session, body: bytes) -> None:
    ts = str(int(time.time() * 1000))
    headers = {
        "X-BAPI-API-KEY": KEY,
        "X-BAPI-TIMESTAMP": ts,
        "X-BAPI-SIGN": rest_signature(SECRET, ts, KEY, "", body),
    }
    resp = http.post(f"{venue.rest_url}/v5/order/create", data=body, headers=headers, timeout=10)
    assert resp.status_code == 200 and resp.json()["retCode"] == 10001, resp.text
