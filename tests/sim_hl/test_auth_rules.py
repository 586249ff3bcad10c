"""Signatures, nonces and Hyperliquid's order rules: refused with Hyperliquid's errors."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import hyperliquid.exchange as sdk_exchange
import pytest
from hyperliquid.exchange import Exchange

from tests.support.hl_sim import SPOT_META, HlSim, statuses

DAY_MS = 86_400_000


def gtc(
    ex: Exchange, sim: HlSim, coin: str = "ETH", sz: float = 0.05, px: float | None = None
) -> dict[str, Any]:
    bid, _ = sim.bbo(coin)
    price = px if px is not None else float(f"{bid * Decimal('0.98'):.5g}")
    reply: dict[str, Any] = ex.order(coin, True, sz, price, {"limit": {"tif": "Gtc"}})
    return reply


def test_an_unregistered_signer_is_refused(sim: HlSim, nonces: Callable[[], int]) -> None:
    stranger = Exchange(
        sim.stranger, sim.base_url, account_address=sim.user, meta=sim.meta, spot_meta=SPOT_META
    )
    reply = gtc(stranger, sim)
    assert reply == {
        "status": "err",
        "response": f"L1 error: User or API Wallet {sim.stranger.address} does not exist.",
    }
    assert sim.orders() == []


def test_the_account_key_itself_may_sign(sim: HlSim, nonces: Callable[[], int]) -> None:
    master = Exchange(sim.master, sim.base_url, meta=sim.meta, spot_meta=SPOT_META)
    assert "resting" in statuses(gtc(master, sim))[0]


def test_a_reused_nonce_is_refused(sim: HlSim, ex: Exchange, monkeypatch: pytest.MonkeyPatch) -> None:
    fixed = sim.clock.now_ms()
    monkeypatch.setattr(sdk_exchange, "get_timestamp_ms", lambda: fixed)
    assert statuses(gtc(ex, sim))
    reply = gtc(ex, sim)
    assert reply == {"status": "err", "response": f"Invalid nonce: duplicate nonce {fixed}"}
    assert len(sim.orders()) == 1


@pytest.mark.parametrize("offset", [-2 * DAY_MS - 1, DAY_MS + 1])
def test_a_nonce_out_of_the_window_is_refused(
    sim: HlSim, ex: Exchange, monkeypatch: pytest.MonkeyPatch, offset: int
) -> None:
    nonce = sim.clock.now_ms() + offset
    monkeypatch.setattr(sdk_exchange, "get_timestamp_ms", lambda: nonce)
    reply = gtc(ex, sim)
    assert reply["status"] == "err"
    assert "outside the allowed time window" in str(reply["response"])
    assert sim.orders() == []


def test_a_nonce_below_the_kept_hundred_is_refused(
    sim: HlSim, ex: Exchange, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = sim.clock.now_ms()
    seq = iter(range(base + 1, base + 101))
    monkeypatch.setattr(sdk_exchange, "get_timestamp_ms", lambda: next(seq))
    for _ in range(100):
        assert ex.schedule_cancel(None)["status"] == "ok"
    monkeypatch.setattr(sdk_exchange, "get_timestamp_ms", lambda: base)  # unused, but below all 100
    reply = ex.schedule_cancel(None)
    assert reply == {"status": "err", "response": f"Invalid nonce: nonce {base} is too low"}


def test_six_significant_figures_is_not_a_price(sim: HlSim, ex: Exchange) -> None:
    reply = gtc(ex, sim, px=3300.55)  # 6 significant figures (ETH allows 4 decimals, 5 figures)
    assert statuses(reply) == [{"error": "Price must be divisible by tick size."}]
    assert "resting" in statuses(gtc(ex, sim, px=3300.5))[0]
    reply = gtc(ex, sim, "BTC", 0.001, px=90000.5)  # 6 figures
    assert statuses(reply) == [{"error": "Price must be divisible by tick size."}]
    assert "resting" in statuses(gtc(ex, sim, "BTC", 0.001, px=90001))[0]


def test_below_ten_dollars_is_refused(sim: HlSim, ex: Exchange) -> None:
    reply = gtc(ex, sim, "SOL", 0.1)  # ~ $17.6: fine
    assert "resting" in statuses(reply)[0]
    bid, _ = sim.bbo("SOL")
    px = float(f"{bid * Decimal('0.5'):.5g}")  # 0.1 SOL at half the price: < $10
    assert statuses(gtc(ex, sim, "SOL", 0.1, px=px)) == [{"error": "Order must have minimum value of $10."}]


def test_too_many_size_decimals_is_refused(sim: HlSim, ex: Exchange) -> None:
    assert statuses(gtc(ex, sim, "ETH", 0.055)) == [{"error": "Order has invalid size."}]


def test_a_malformed_body_is_http_422(sim: HlSim) -> None:
    import requests

    r = requests.post(sim.base_url + "/exchange", data=b"{not json", timeout=5)
    assert (r.status_code, r.text) == (422, "Failed to deserialize the JSON body into the target type")
    r = requests.post(sim.base_url + "/info", json={"type": "nope"}, timeout=5)
    assert r.status_code == 422
