"""Who signed an action: Hyperliquid's L1 action hash, the phantom agent, EIP-712 recovery, nonces.

The hash is ``keccak(msgpack(action) + nonce(8 bytes, big-endian) + vault flag [+ vault address]
[+ 0x00 + expiresAfter(8 bytes)])``; the signed message is the EIP-712 typed data of the phantom
agent ``{source, connectionId}`` in the ``Exchange`` domain (chain id 1337). The sim is not
mainnet, so the agent's source is ``"b"``.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from typing import Any

import msgpack
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

NONCE_BYTES = 8
ADDRESS_BYTES = 20
L1_CHAIN_ID = 1337
TESTNET_SOURCE = "b"
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
KEPT_NONCES = 100
NONCE_PAST_MS = 2 * 86_400_000
NONCE_FUTURE_MS = 86_400_000


class SignatureError(Exception):
    """The action's signature is malformed; the reply names it."""


def action_hash(action: Mapping[str, Any], vault: str | None, nonce: int, expires_after: int | None) -> bytes:
    """The L1 action's connection id, hashed over the action exactly as received (key order kept)."""
    data = msgpack.packb(dict(action))
    data += nonce.to_bytes(NONCE_BYTES, "big")
    if vault is None:
        data += b"\x00"
    else:
        data += b"\x01" + bytes.fromhex(vault.removeprefix("0x"))
    if expires_after is not None:
        data += b"\x00" + expires_after.to_bytes(NONCE_BYTES, "big")
    return bytes(keccak(data))


def _typed_data(connection_id: bytes) -> dict[str, Any]:
    return {
        "domain": {
            "chainId": L1_CHAIN_ID,
            "name": "Exchange",
            "verifyingContract": ZERO_ADDRESS,
            "version": "1",
        },
        "types": {
            "Agent": [{"name": "source", "type": "string"}, {"name": "connectionId", "type": "bytes32"}],
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
        },
        "primaryType": "Agent",
        "message": {"source": TESTNET_SOURCE, "connectionId": connection_id},
    }


def _sig_int(sig: Mapping[str, Any], key: str) -> int:
    v = sig.get(key)
    if isinstance(v, bool):
        raise SignatureError(f"signature {key} invalid")
    if isinstance(v, int):
        return v
    if isinstance(v, str):
        try:
            return int(v, 16) if v.startswith("0x") else int(v)
        except ValueError:
            raise SignatureError(f"signature {key} invalid") from None
    raise SignatureError(f"signature {key} missing")


def recover_signer(
    action: Mapping[str, Any], signature: object, vault: str | None, nonce: int, expires_after: int | None
) -> str:
    """The lowercase address that signed the action (any key recovers *some* address)."""
    if not isinstance(signature, Mapping):
        raise SignatureError("signature missing")
    r, s, v = _sig_int(signature, "r"), _sig_int(signature, "s"), _sig_int(signature, "v")
    msg = encode_typed_data(full_message=_typed_data(action_hash(action, vault, nonce, expires_after)))
    try:
        addr = Account.recover_message(msg, vrs=(v, r, s))
    except (ValueError, TypeError) as exc:
        raise SignatureError(f"signature invalid: {exc}") from None
    return str(addr).lower()


def checksum(addr: str) -> str:
    """An address in EIP-55 mixed case (as Hyperliquid's error text shows it)."""
    return str(to_checksum_address(addr))


class NonceBook:
    """Each signer's highest nonces: a new one must be unique, in the time window, and above the
    smallest kept one once ``KEPT_NONCES`` are kept."""

    def __init__(self) -> None:
        self._kept: dict[str, list[int]] = {}

    def check(self, signer: str, nonce: int, now_ms: int) -> str | None:
        """None if ``nonce`` is acceptable for ``signer`` now, else the reason it is refused."""
        if not now_ms - NONCE_PAST_MS < nonce < now_ms + NONCE_FUTURE_MS:
            return f"Invalid nonce: nonce {nonce} is outside the allowed time window"
        kept = self._kept.get(signer, [])
        i = bisect.bisect_left(kept, nonce)
        if i < len(kept) and kept[i] == nonce:
            return f"Invalid nonce: duplicate nonce {nonce}"
        if len(kept) >= KEPT_NONCES and nonce <= kept[0]:
            return f"Invalid nonce: nonce {nonce} is too low"
        return None

    def use(self, signer: str, nonce: int) -> None:
        """Record an accepted nonce (keeping the highest ``KEPT_NONCES``)."""
        kept = self._kept.setdefault(signer, [])
        bisect.insort(kept, nonce)
        if len(kept) > KEPT_NONCES:
            del kept[0]
