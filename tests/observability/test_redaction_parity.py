"""One redactor: the log formatter and the journal mask the same secret-bearing record identically."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest

from core.clock import FrozenClock
from core.journal.journal import Journal
from core.observability.logging import LoggingHandle, setup_logging
from core.observability.redact import MASK

API_KEY = "Qm4Vt8Ls2Xn6Rb9Kw1"
API_SECRET = "Zp5Hy2Nc8Wq4Lt7Vd1Fk3Sg9Bm6Jr0Xe2Ua8"
SIGNATURE = "4e07408562bedb8b60ce05c1decfe3ad16b72230967de01f640b7e4729b49fce"
SECRETS = (API_KEY, API_SECRET, SIGNATURE)


def _record() -> dict[str, Any]:
    """A request record carrying every kind of secret the rules cover."""
    return {
        "headers": {
            "X-BAPI-API-KEY": API_KEY,
            "X-BAPI-SIGN": SIGNATURE,
            "X-BAPI-SIGN-TYPE": "2",
            "Content-Type": "application/json",
        },
        "body": {"symbol": "BTCUSDT", "qty": "0.01", "demo_api_secret": API_SECRET, "request_sign": "x"},
        "dump": f"Request -> POST /v5/order/create. Headers: {{'X-BAPI-API-KEY': '{API_KEY}'}}",
        "query": f"api_key={API_KEY}&sign={SIGNATURE}&symbol=BTCUSDT",
        "note": f"a registered secret {API_SECRET} in free text",
        "auth": ["op", "auth"],
        "nested": [{"apiKey": API_KEY, "count": 3}, "plain text"],
    }


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[LoggingHandle]:
    handle = setup_logging(tmp_path / "log", mode="sim", venue="x", secrets=[API_KEY, API_SECRET])
    try:
        yield handle
    finally:
        handle.close()


def test_log_and_journal_redact_a_record_identically(logs: LoggingHandle, tmp_path: Path) -> None:
    logging.getLogger("core.test").warning("request", extra={"req": _record()})
    logged = orjson.loads(logs.path.read_text().splitlines()[-1])["req"]

    journal = Journal(tmp_path / "j.db", FrozenClock())
    try:
        journal.add_secret(API_KEY)
        journal.add_secret(API_SECRET)
        journal.record("request", req=_record())
        journaled = journal.query(kinds=["request"])[-1].data["req"]
    finally:
        journal.close()

    assert journaled == logged
    flat = repr(journaled)
    for secret in SECRETS:
        assert secret not in flat
    assert journaled["headers"] == {
        "X-BAPI-API-KEY": MASK,
        "X-BAPI-SIGN": MASK,
        "X-BAPI-SIGN-TYPE": "2",
        "Content-Type": "application/json",
    }
    assert journaled["body"] == {
        "symbol": "BTCUSDT",
        "qty": "0.01",
        "demo_api_secret": MASK,
        "request_sign": MASK,
    }
    assert journaled["auth"] == MASK
    assert journaled["query"] == f"api_key={MASK}&sign={MASK}&symbol=BTCUSDT"
    assert journaled["note"] == f"a registered secret {MASK} in free text"
    assert journaled["nested"] == [{"apiKey": MASK, "count": 3}, "plain text"]
