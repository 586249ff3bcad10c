"""Unit tests: signing vectors, timestamp window, rate-limit window, fault spec parsing."""

from __future__ import annotations

import pytest

from core.sim.auth import Authenticator, AuthError, rest_signature, ws_signature
from core.sim.faults import FaultInjector, FaultSpec
from core.sim.ratelimit import RateLimiter

TS = "1700000000000"


def test_bybit_signature_vectors() -> None:
    get = rest_signature("testsecret", TS, "testkey", "5000", b"category=linear&symbol=BTCUSDT")
    assert get == "f2f79889fd1201752936b389c890e9d393e01e0311a6d8785fb80753aa26c69b"
    body = (
        b'{"category": "linear", "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", '
        b'"qty": "0.001", "price": "50000"}'
    )
    post = rest_signature("testsecret", TS, "testkey", "5000", body)
    assert post == "b887ae5e41a02b007f5615647655aa820272b897a6ab62eb3c66ac9a17b3619b"
    assert ws_signature("testsecret", 1700000001000) == (
        "26df689652787d6e2816d6ac43239f177f3a452676ef6c0a64e80828cb7144c7"
    )


def _headers(ts: str, sig: str, key: str = "testkey") -> dict[str, str]:
    return {"X-BAPI-API-KEY": key, "X-BAPI-SIGN": sig, "X-BAPI-TIMESTAMP": ts, "X-BAPI-RECV-WINDOW": "5000"}


@pytest.mark.parametrize(
    ("now_offset", "ok"),
    [(0, True), (5000, True), (5001, False), (-999, True), (-1000, False)],
)
def test_timestamp_window(now_offset: int, ok: bool) -> None:
    auth = Authenticator({"testkey": "testsecret"})
    payload = b"category=linear"
    sig = rest_signature("testsecret", TS, "testkey", "5000", payload)
    now = int(TS) + now_offset
    if ok:
        assert auth.verify_rest(_headers(TS, sig), payload, now) == "testkey"
    else:
        with pytest.raises(AuthError) as err:
            auth.verify_rest(_headers(TS, sig), payload, now)
        assert err.value.ret_code == 10002


def test_auth_errors_never_carry_secrets() -> None:
    auth = Authenticator({"testkey": "testsecret"})
    for headers, code in [
        ({}, 10003),
        (_headers(TS, "00", key="other"), 10003),
        (_headers(TS, "00"), 10004),
    ]:
        with pytest.raises(AuthError) as err:
            auth.verify_rest(headers, b"", int(TS))
        assert err.value.ret_code == code
        assert "testsecret" not in str(err.value)


def test_ws_auth() -> None:
    auth = Authenticator({"testkey": "testsecret"})
    exp = int(TS) + 1000
    assert auth.verify_ws(["testkey", exp, ws_signature("testsecret", exp)], int(TS)) == "testkey"
    with pytest.raises(AuthError):
        auth.verify_ws(["testkey", exp, ws_signature("testsecret", exp)], exp)  # expired
    with pytest.raises(AuthError):
        auth.verify_ws(["testkey", exp, "bad"], int(TS))


def test_rate_limit_rolling_window_and_future_reset() -> None:
    rl = RateLimiter({"/p": 3})
    now = 1_000_000
    decisions = [rl.check("u", "/p", now + i) for i in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
    refused = decisions[3]
    assert refused.reset_ms > now + 3
    assert refused.headers()["X-Bapi-Limit"] == "3"
    assert rl.check("other", "/p", now).allowed  # per UID
    assert rl.check("u", "/p", now + 1000).allowed  # window rolled


def test_rate_limit_disabled_still_reports() -> None:
    rl = RateLimiter({"/p": 1}, enabled=False)
    d = [rl.check("u", "/p", 5) for _ in range(5)]
    assert all(x.allowed for x in d)
    assert d[-1].headers()["X-Bapi-Limit-Status"] == "0"


def test_fault_spec_round_trip_and_errors() -> None:
    spec = FaultSpec.parse(
        "rate_limit=0.2,http5xx=0.1,latency_ms=30,drop_rest=0.05,stall_feed=BTCUSDT|ethusdt"
    )
    assert spec.rate_limit == 0.2 and spec.latency_ms == 30
    assert spec.stall_feed == frozenset({"BTCUSDT", "ETHUSDT"})
    assert FaultSpec.parse(str(spec)) == spec
    assert FaultSpec.parse("") == FaultSpec()
    for bad in ("rate_limit=2", "nonsense=1", "latency_ms=-1", "ws_disconnect=some", "x"):
        with pytest.raises(ValueError):
            FaultSpec.parse(bad)


def test_fault_injector_is_seeded_and_counts() -> None:
    a = FaultInjector("http5xx=0.5,seed=7")
    b = FaultInjector("http5xx=0.5,seed=7")
    seq_a = [a.rest_fault(signed=True) for _ in range(50)]
    assert seq_a == [b.rest_fault(signed=True) for _ in range(50)]
    n = FaultInjector("rate_limit_next=2")
    kinds = [n.rest_fault(signed=True)[0] for _ in range(3)]
    assert kinds == ["rate_limit", "rate_limit", None]
    assert n.rest_fault(signed=False)[0] is None
