"""Nonces never reused, signatures are the SDK's for the same key and nonce, the signing network
follows the mode, and Hyperliquid's replies map onto the port's classified errors."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from hyperliquid.utils import constants
from hyperliquid.utils.signing import sign_l1_action

from core.config_files import ConfigError
from core.model import Mode
from core.resilience.errors import (
    AuthFailed,
    OrderGone,
    RateLimited,
    Rejected,
    Transient,
    Unknown,
)
from core.venues.hyperliquid import endpoints, errors
from core.venues.hyperliquid.session import HLSession, NonceGuard

KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"
ADDRESS = "0x14791697260e4c9a71f18484c9f997b308e59325"


def test_nonces_strictly_increase_on_a_frozen_clock_across_threads() -> None:
    guard = NonceGuard(lambda: 1_700_000_000_000)
    out: list[int] = []
    lock = threading.Lock()

    def take() -> None:
        mine = [guard.next() for _ in range(500)]
        with lock:
            out.extend(mine)

    threads = [threading.Thread(target=take) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(out)) == len(out) == 2000
    assert min(out) == 1_700_000_000_000


def test_nonces_never_go_back_when_the_clock_does() -> None:
    times = iter([1000, 2000, 1500, 1500, 3000])
    guard = NonceGuard(lambda: next(times))
    assert [guard.next() for _ in range(5)] == [1000, 2000, 2001, 2002, 3000]


def session(mode: Mode, url: str) -> HLSession:
    return HLSession(
        mode, url, KEY, {"universe": []}, timeout_s=1.0, nonces=NonceGuard(lambda: 1_677_777_606_040)
    )


def test_signature_is_the_sdks_for_the_same_key_and_nonce() -> None:
    s = session(Mode.SIM, "http://127.0.0.1:1")
    assert s.signer == ADDRESS
    action = {"type": "order", "orders": [], "grouping": "na"}
    signature, nonce = s.signed(action)
    assert nonce == 1_677_777_606_040
    assert signature == sign_l1_action(s.wallet, action, None, nonce, None, False)
    signature2, nonce2 = s.signed(action)
    assert nonce2 == nonce + 1
    assert signature2 != signature


def test_payload_posted_carries_the_guarded_nonce() -> None:
    s = session(Mode.SIM, "http://127.0.0.1:1")
    sent: list[dict[str, Any]] = []

    def post(path: str, payload: dict[str, Any]) -> dict[str, str]:
        sent.append(payload)
        return {"status": "ok"}

    s.exchange.post = post
    s.act({"type": "scheduleCancel"})
    s.act({"type": "scheduleCancel"})
    assert [p["nonce"] for p in sent] == [1_677_777_606_040, 1_677_777_606_041]
    assert sent[0]["action"] == {"type": "scheduleCancel"}
    assert sent[0]["vaultAddress"] is None
    assert "builder" not in sent[0]["action"]


def test_signing_network_follows_the_mode() -> None:
    assert session(Mode.DEMO, endpoints.TESTNET_URL).is_mainnet is False
    assert session(Mode.LIVE, endpoints.MAINNET_URL).is_mainnet is True
    with pytest.raises(ConfigError):  # a testnet key never signs for mainnet
        session(Mode.DEMO, endpoints.MAINNET_URL)
    with pytest.raises(ConfigError):
        session(Mode.SIM, endpoints.TESTNET_URL)
    with pytest.raises(ConfigError):
        HLSession(Mode.SIM, "http://127.0.0.1:1", "not-a-key", {}, timeout_s=1.0, nonces=NonceGuard())


def test_endpoint_constants_are_the_sdks() -> None:
    assert endpoints.MAINNET_URL == constants.MAINNET_API_URL
    assert endpoints.TESTNET_URL == constants.TESTNET_API_URL


def ok(statuses: list[Any]) -> dict[str, Any]:
    return {"status": "ok", "response": {"type": "order", "data": {"statuses": statuses}}}


@pytest.mark.parametrize(
    ("body", "kind", "reason"),
    [
        (ok([{"error": "Order must have minimum value of $10."}]), Rejected, "minimum value"),
        (ok([{"error": "Price must be divisible by tick size."}]), Rejected, "tick size"),
        (ok([{"error": "Insufficient margin to place order."}]), Rejected, "margin"),
        (ok([{"error": "Order was never placed, already canceled, or filled."}]), OrderGone, "never placed"),
        (
            {"status": "err", "response": "User or API Wallet 0xabc does not exist."},
            AuthFailed,
            "does not exist",
        ),
        ({"status": "err", "response": "Too many cumulative requests sent"}, RateLimited, "Too many"),
    ],
)
def test_refusals_are_classified(body: Any, kind: type[Exception], reason: str) -> None:
    with pytest.raises(kind) as caught:
        errors.first_status(body, endpoint="/exchange:order", idempotent=False)
    assert reason in str(caught.value)


def test_statuses_and_malformed_replies() -> None:
    assert errors.first_status(ok([{"resting": {"oid": 7}}]), endpoint="e", idempotent=False) == {
        "resting": {"oid": 7}
    }
    assert (
        errors.action_statuses(
            {"status": "ok", "response": {"type": "default"}}, endpoint="e", idempotent=True
        )
        == []
    )
    with pytest.raises(Unknown):  # an order create whose reply cannot be read: ask by client id
        errors.first_status({"error": "Could not parse JSON: <html>"}, endpoint="e", idempotent=False)
    with pytest.raises(Unknown):  # a statuses list shorter than the batch
        errors.first_status(ok([]), endpoint="e", idempotent=False)
    with pytest.raises(Transient):
        errors.first_status([], endpoint="e", idempotent=True)


def test_http_statuses() -> None:
    assert isinstance(errors.classify_http(429, "", endpoint="e", idempotent=False), RateLimited)
    assert isinstance(errors.classify_http(502, "", endpoint="e", idempotent=False), Unknown)
    assert isinstance(errors.classify_http(502, "", endpoint="e", idempotent=True), Transient)
    refused = errors.classify_http(
        422, "Failed to deserialize the JSON body into the target type", endpoint="e", idempotent=False
    )
    assert isinstance(refused, Rejected) and refused.http_status == 422
