"""Structured logging: JSON lines, context fields, and no secret in any log line.

The secrets below look like real Bybit credentials (18-char key, 36-char secret, 64-hex signature).
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from core.observability.logging import (
    LOG_FILE_NAME,
    LoggingHandle,
    bind,
    log_context,
    log_http_exchange,
    setup_logging,
)
from core.observability.redact import MASK, Redactor

API_KEY = "Xk8Lw2PqR7tZ9vBn4M"
API_SECRET = "sE3cR7tQw9ZxLp2Nv8Bk5Yh1Jd6Fg4Ma0CuT"
SIGNATURE = "b887ae5e41a02b007f5615647655aa820272b897a6ab62eb3c66ac9a17b3619b"
WEBHOOK_TOKEN = "T0KEN-hooks-9f8e7d6c5b4a"
SECRETS = (API_KEY, API_SECRET, SIGNATURE, WEBHOOK_TOKEN)

Logs = tuple[LoggingHandle, list[str]]
"""The logging handle and the lines the console pane was handed."""


def read_records(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in path.read_text().splitlines() if line.strip()]


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, "a secret reached the log"


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[Logs]:
    pane: list[str] = []
    handle = setup_logging(
        tmp_path / "log",
        mode="sim",
        venue="bybit-sim",
        console_sink=pane.append,
        secrets=[API_KEY, API_SECRET, WEBHOOK_TOKEN],
        level=logging.DEBUG,
        console_level=logging.DEBUG,
    )
    try:
        yield handle, pane
    finally:
        handle.close()


def test_records_are_json_with_mode_venue_and_context(logs: Logs) -> None:
    handle, pane = logs
    log = logging.getLogger("core.engine")
    log.info("engine up")
    with log_context(symbol="BTCUSDT", order_link_id="tc-20260101-000001"):
        log.info("placing %s %s", "Buy", "0.01")
    bind(log, symbol="ETHUSDT", order_link_id="tc-2").warning("amend rejected", extra={"retCode": 110001})
    recs = read_records(handle.path)
    assert [r["msg"] for r in recs] == ["engine up", "placing Buy 0.01", "amend rejected"]
    assert all(r["mode"] == "sim" and r["venue"] == "bybit-sim" for r in recs)
    assert "symbol" not in recs[0] and "orderLinkId" not in recs[0]
    assert (recs[1]["symbol"], recs[1]["orderLinkId"]) == ("BTCUSDT", "tc-20260101-000001")
    assert (recs[2]["symbol"], recs[2]["orderLinkId"], recs[2]["retCode"]) == ("ETHUSDT", "tc-2", 110001)
    assert recs[2]["level"] == "WARNING" and recs[2]["logger"] == "core.engine"
    assert pane[1].endswith("placing Buy 0.01 [BTCUSDT tc-20260101-000001]")


async def test_context_follows_asyncio_tasks(logs: Logs) -> None:
    handle, _ = logs
    log = logging.getLogger("core.orders")

    async def work(sym: str) -> None:
        with log_context(symbol=sym):
            await asyncio.sleep(0)
            log.info("step")

    await asyncio.gather(work("BTCUSDT"), work("SOLUSDT"))
    recs = [r for r in read_records(handle.path) if r["logger"] == "core.orders"]
    assert sorted(r["symbol"] for r in recs) == ["BTCUSDT", "SOLUSDT"]


def test_secrets_removed_from_messages_args_extras_and_exceptions(logs: Logs) -> None:
    handle, pane = logs
    log = logging.getLogger("core.venues.bybit")
    headers = {
        "X-BAPI-API-KEY": API_KEY,
        "X-BAPI-SIGN": SIGNATURE,
        "X-BAPI-SIGN-TYPE": "2",
        "X-BAPI-TIMESTAMP": "1700000000000",
    }
    log.info("headers %s", headers)
    log.info(f"GET /v5/order/realtime?api_key={API_KEY}&sign={SIGNATURE}&symbol=BTCUSDT")
    log.info(
        "auth frame %s", '{"op": "auth", "args": ["' + API_KEY + '", 1700000001000, "' + SIGNATURE + '"]}'
    )
    log.info("config", extra={"settings": {"api_secret": API_SECRET, "nested": [{"apiKey": API_KEY}]}})
    log.info("hook", extra={"url": f"https://hooks.example.invalid/services/{WEBHOOK_TOKEN}"})
    log.info("secret=%s signature: %s", API_SECRET, SIGNATURE)
    try:
        raise RuntimeError(f"signing failed for key {API_KEY} with {API_SECRET}")
    except RuntimeError:
        log.exception("venue error")
    log_http_exchange(
        log,
        method="POST",
        endpoint="/v5/order/create",
        params={"symbol": "BTCUSDT", "qty": "0.01", "sign": SIGNATURE},
        headers=headers,
        http_status=200,
        ret_code=10006,
        ret_msg="Too many visits!",
        elapsed_s=0.012,
    )
    text = handle.path.read_text()
    assert_no_secret(text)
    assert_no_secret("\n".join(pane))
    recs = read_records(handle.path)
    assert len(recs) == 8
    assert recs[0]["msg"].count(MASK) == 2 and "'X-BAPI-SIGN-TYPE': '2'" in recs[0]["msg"]
    assert "symbol=BTCUSDT" in recs[1]["msg"]
    assert recs[3]["settings"] == {"api_secret": MASK, "nested": [{"apiKey": MASK}]}
    assert "RuntimeError" in recs[6]["exc"]
    http = recs[7]["http"]
    assert recs[7]["level"] == "WARNING"
    assert http["params"] == {"symbol": "BTCUSDT", "qty": "0.01", "sign": MASK}
    assert http["headers"]["X-BAPI-API-KEY"] == MASK and http["headers"]["X-BAPI-SIGN-TYPE"] == "2"


def test_library_logger_own_handler_is_redacted(logs: Logs) -> None:
    """websocket.enableTrace attaches its own handler to the 'websocket' logger: still redacted."""
    stream = io.StringIO()
    own = logging.StreamHandler(stream)
    ws_logger = logging.getLogger("websocket")
    ws_logger.addHandler(own)
    level = ws_logger.level
    ws_logger.setLevel(logging.DEBUG)  # pybit's enableTrace(False) may have raised it in an earlier test
    try:
        ws_logger.debug('++Sent raw: b\'{"op":"auth","args":["%s",1700000001000,"%s"]}\'', API_KEY, SIGNATURE)
    finally:
        ws_logger.removeHandler(own)
        ws_logger.setLevel(level)
    assert '"args":["***"]' in stream.getvalue()
    assert_no_secret(stream.getvalue())
    assert_no_secret(logs[0].path.read_text())


async def test_real_pybit_request_logging_is_redacted(logs: Logs) -> None:
    """pybit with log_requests=True against a loopback server: its DEBUG lines carry key and sign."""
    pytest.importorskip("pybit")
    from pybit.unified_trading import HTTP

    handle, _ = logs
    seen: dict[str, str] = {}

    async def create(request: web.Request) -> web.Response:
        seen.update(request.headers)
        await request.read()
        body = {"retCode": 0, "retMsg": "OK", "result": {"orderId": "1", "orderLinkId": "tc-1"}, "time": 1}
        return web.json_response(
            body,
            headers={"X-Bapi-Limit": "10", "X-Bapi-Limit-Status": "9", "X-Bapi-Limit-Reset-Timestamp": "1"},
        )

    app = web.Application()
    app.router.add_post("/v5/order/create", create)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        session = HTTP(testnet=False, api_key=API_KEY, api_secret=API_SECRET, log_requests=True)
        session.endpoint = f"http://127.0.0.1:{port}"
        resp = await asyncio.to_thread(
            session.place_order,
            category="linear",
            symbol="BTCUSDT",
            side="Buy",
            orderType="Limit",
            qty="0.001",
            price="50000",
            orderLinkId="tc-1",
        )
    finally:
        await runner.cleanup()
    assert resp["retCode"] == 0
    sent_sign = seen["X-BAPI-SIGN"]
    text = handle.path.read_text()
    assert "Request -> POST" in text  # pybit really logged the request
    assert_no_secret(text)
    assert sent_sign not in text and API_KEY not in text


def test_rotation_keeps_json_lines(tmp_path: Path) -> None:
    handle = setup_logging(
        tmp_path, mode="demo", venue="bybit", max_bytes=2000, backup_count=2, secrets=[API_KEY]
    )
    try:
        log = logging.getLogger("core.test.rotation")
        for i in range(100):
            log.info("line %d key=%s", i, API_KEY)
    finally:
        handle.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == [LOG_FILE_NAME, LOG_FILE_NAME + ".1", LOG_FILE_NAME + ".2"]
    for name in files:
        text = (tmp_path / name).read_text()
        assert API_KEY not in text
        for line in text.splitlines():
            assert orjson.loads(line)["mode"] == "demo"


def test_close_detaches_everything(tmp_path: Path) -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    handle = setup_logging(tmp_path, mode="sim", venue="x")
    handle.close()
    assert root.handlers == before
    assert handle.filter not in logging.getLogger("pybit._http_manager").filters
    assert not isinstance(logging.getLogRecordFactory(), type(handle._factory))


def test_secrets_added_later_are_masked(logs: Logs) -> None:
    handle, _ = logs
    late = "LateKey-7Hq2Zp9Xw"
    handle.add_secrets([late])
    logging.getLogger("core").info("now using %s", late)
    assert late not in handle.path.read_text()


_alnum = st.text(
    alphabet=st.characters(categories=("Lu", "Ll", "Nd"), max_codepoint=127), min_size=6, max_size=40
)


@settings(max_examples=80, deadline=None)
@given(secret=_alnum, before=st.text(max_size=40), after=st.text(max_size=40))
def test_configured_secret_never_survives(secret: str, before: str, after: str) -> None:
    red = Redactor([secret])
    assert secret not in red.text(before + secret + after)
    assert secret not in str(red.data({"msg": [before, secret + after], "k": (secret,)}))


@settings(max_examples=80, deadline=None)
@given(
    value=st.from_regex(r"[A-Za-z0-9]{8,40}", fullmatch=True),
    key=st.sampled_from(
        ["api_key", "apiKey", "X-BAPI-API-KEY", "X-BAPI-SIGN", "sign", "signature", "api_secret", "secret"]
    ),
    style=st.sampled_from(["{k}={v}", "'{k}': '{v}'", '"{k}": "{v}"', "{k}: {v}", "&{k}={v}&x=1"]),
)
def test_credential_pairs_are_masked(value: str, key: str, style: str) -> None:
    text = "prefix " + style.format(k=key, v=value) + " suffix"
    assert value not in Redactor().text(text)


def test_redactor_leaves_ordinary_text_alone() -> None:
    red = Redactor()
    for text in [
        "placed Buy 0.01 BTCUSDT @ 50000 orderLinkId=tc-20260101-000001",
        "design signal: resync book",
        "X-BAPI-SIGN-TYPE: 2",
        "orderId=1321003749386327552",
    ]:
        assert red.text(text) == text
    assert sys.modules["core.observability.logging"].__name__ == "core.observability.logging"


def test_two_handles_each_mask_their_own_secrets(tmp_path: Path) -> None:
    first = setup_logging(tmp_path / "a", mode="sim", venue="a", secrets=[API_KEY])
    second = setup_logging(tmp_path / "b", mode="sim", venue="b", secrets=[API_SECRET])
    try:
        logging.getLogger("core").warning("both %s %s", API_KEY, API_SECRET)
    finally:
        second.close()
        first.close()
    for handle in (first, second):
        text = handle.path.read_text()
        assert "both" in text
        assert API_KEY not in text and API_SECRET not in text
