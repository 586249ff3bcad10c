"""The sim's own action hash and signer recovery agree with the SDK's signatures (an oracle)."""

from __future__ import annotations

from eth_account import Account
from hyperliquid.utils.signing import (
    order_request_to_order_wire,
    order_wires_to_order_action,
    sign_l1_action,
)

from core.sim.hyperliquid.signing import action_hash, recover_signer

SDK_TEST_KEY = "0x0123456789012345678901234567890123456789012345678901234567890123"


def test_action_hash_matches_the_published_vector() -> None:
    wire = order_request_to_order_wire(
        {
            "coin": "ETH",
            "is_buy": True,
            "sz": 100,
            "limit_px": 100,
            "reduce_only": False,
            "order_type": {"limit": {"tif": "Gtc"}},
        },  # fmt: skip
        1,
    )
    action = order_wires_to_order_action([wire])
    assert action_hash(action, None, 0, None).hex() == (
        "884f2c32bb6dbdd65f6033e32fb28c0cb6f5b345db0f6471fd3366d85c9252c1"
    )


def test_the_signer_is_recovered_from_testnet_signatures_only() -> None:
    wallet = Account.from_key(SDK_TEST_KEY)
    action = {"type": "scheduleCancel", "time": 1_700_000_005_000}
    for vault, expires in ((None, None), ("0x1719884eb866cb12b2287399b15f7db5e7d775ea", 1_700_000_100_000)):
        sig = sign_l1_action(wallet, action, vault, 1_700_000_000_000, expires, False)
        assert recover_signer(action, sig, vault, 1_700_000_000_000, expires) == wallet.address.lower()
    mainnet = sign_l1_action(wallet, action, None, 1_700_000_000_000, None, True)
    assert recover_signer(action, mainnet, None, 1_700_000_000_000, None) != wallet.address.lower()
    tampered = dict(action, time=1_700_000_006_000)
    sig = sign_l1_action(wallet, action, None, 1_700_000_000_000, None, False)
    assert recover_signer(tampered, sig, None, 1_700_000_000_000, None) != wallet.address.lower()
