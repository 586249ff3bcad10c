"""The journal's sanitising shortcuts change nothing: the redactor's text rules answer the same with
or without their early return, and a record sanitised twice (the field-name and dataclass caches
warm the second time) comes out the same, secrets masked."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum

from hypothesis import given, settings
from hypothesis import strategies as st

from core.journal.sanitize import sanitize
from core.observability import redact
from core.observability.redact import MASK, Redactor

SECRET = "Zp5Hy2Nc8Wq4Lt7Vd1Fk3Sg9"
HEX64 = "4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce"


def _full_text(red: Redactor, value: str) -> str:
    """Every rule applied, no early return (the redactor's rules as they were written)."""
    out = value
    for secret in (SECRET,):
        out = out.replace(secret, MASK)
    out = redact._WS_AUTH_RE.sub(lambda m: f'{m.group(1)}["{MASK}"]', out)
    out = redact._AUTH_HEADER_RE.sub(lambda m: m.group(1) + MASK, out)
    out = redact._PAIR_RE.sub(lambda m: m.group(1) + MASK, out)
    return redact._HEX64_RE.sub(MASK, out)


PIECES = st.sampled_from(
    ["sign", "token", "api_key", "secret", "auth", "Authorization", "op", "args", ":", "=", '"', "'",
     " ", ",", "[", "]", "{", "}", "Bearer ", "a", "f", "0", "9", "-", HEX64[:32], HEX64, SECRET, "BTCUSDT"]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=12).map("".join))
def test_the_text_rules_answer_as_without_the_early_return(text: str) -> None:
    red = Redactor([SECRET])
    assert red.text(text) == _full_text(red, text)


def test_boundary_strings_of_the_early_return() -> None:
    red = Redactor([SECRET])
    for text in (HEX64, HEX64[:63], "x" + HEX64, f"sign={HEX64[:8]}", "token:abc", SECRET, f"id-{SECRET}-x"):
        assert red.text(text) == _full_text(red, text), text
    assert red.text(HEX64) == MASK
    assert red.text(HEX64[:63]) == HEX64[:63]


class Side(Enum):
    BUY = "Buy"


@dataclass(frozen=True)
class Order:
    side: Side
    qty: Decimal
    api_secret: str
    note: str


def test_a_record_sanitises_the_same_with_warm_caches_and_masks_its_secrets() -> None:
    red = Redactor([SECRET])
    record = {
        "order": Order(Side.BUY, Decimal("0.010"), SECRET, f"query sign={HEX64}"),
        "X-BAPI-SIGN": HEX64,
        "headers": {"X-BAPI-SIGN-TYPE": "2", "token": "t"},
        "items": (1, 2.5, True, None, {"password": "p"}),
        "tags": {"b", "a"},
        "blob": b"\x00\x01",
        "text": f"free text {SECRET}",
        3: "int key",
    }
    first, second = sanitize(record, red), sanitize(record, red)
    assert first == second
    assert first["order"] == {"side": "Buy", "qty": "0.010", "api_secret": MASK, "note": f"query sign={MASK}"}
    assert first["X-BAPI-SIGN"] == MASK
    assert first["headers"] == {"X-BAPI-SIGN-TYPE": "2", "token": MASK}
    assert first["items"] == [1, 2.5, True, None, {"password": MASK}]
    assert first["tags"] == ["a", "b"]
    assert first["blob"] == "<2 bytes>"
    assert first["text"] == f"free text {MASK}"
    assert first["3"] == "int key"
    assert not re.search(SECRET + "|" + HEX64, repr(first))
