"""msgspec frame decoding: topic dispatch for public and private streams."""

from __future__ import annotations

from decimal import Decimal

import orjson

from bench.decode import (
    BookFrame,
    ExecutionFrame,
    KlineFrame,
    OrderFrame,
    PositionFrame,
    TickerFrame,
    TradeFrame,
    WalletFrame,
    decode_private,
    decode_public,
    trades_from_frame,
    trades_from_message,
)
from core.model import Side

TRADE = {
    "topic": "publicTrade.BTCUSDT",
    "type": "snapshot",
    "ts": 1672304486868,
    "data": [
        {
            "T": 1672304486865,
            "s": "BTCUSDT",
            "S": "Buy",
            "v": "0.001",
            "p": "16578.50",
            "L": "PlusTick",
            "i": "20f43950-d8dd-5b31-9112-a178eb6023af",
            "BT": False,
            "RPI": False,
            "seq": 1783284617,
        }
    ],
}


def test_public_dispatch() -> None:
    book = {
        "topic": "orderbook.50.BTCUSDT",
        "type": "snapshot",
        "ts": 1,
        "data": {
            "s": "BTCUSDT",
            "b": [["16493.50", "0.006"]],
            "a": [["16611.00", "0.029"]],
            "u": 18521288,
            "seq": 7961638724,
        },
        "cts": 1,
    }
    f = decode_public(orjson.dumps(book))
    assert isinstance(f, BookFrame) and f.data.seq == 7961638724 and f.data.a == [(16611.0, 0.029)]
    t = decode_public(orjson.dumps(TRADE).decode())  # str frames work too
    assert isinstance(t, TradeFrame) and t.data[0].p == "16578.50"
    tick = {
        "topic": "tickers.BTCUSDT",
        "type": "delta",
        "data": {"symbol": "BTCUSDT", "markPrice": "17217.33", "fundingRate": "0.0001"},
        "cs": 24987956059,
        "ts": 1673272861686,
    }
    tf = decode_public(orjson.dumps(tick))
    assert isinstance(tf, TickerFrame) and tf.data.markPrice == "17217.33" and tf.data.lastPrice is None
    kl = {
        "topic": "kline.5.BTCUSDT",
        "type": "snapshot",
        "ts": 1,
        "data": [
            {
                "start": 1672324800000,
                "end": 1672325099999,
                "interval": "5",
                "open": "16649.5",
                "close": "16677",
                "high": "16677",
                "low": "16608",
                "volume": "2.081",
                "turnover": "34666.4005",
                "confirm": False,
                "timestamp": 1672324988882,
            }
        ],
    }
    assert isinstance(decode_public(orjson.dumps(kl)), KlineFrame)
    pong = decode_public(b'{"success":true,"ret_msg":"pong","conn_id":"abc","req_id":"","op":"ping"}')
    assert pong == {"success": True, "ret_msg": "pong", "conn_id": "abc", "req_id": "", "op": "ping"}
    unknown = decode_public(b'{"topic":"liquidation.BTCUSDT","data":{}}')
    assert isinstance(unknown, dict)


def test_trades_to_model() -> None:
    f = decode_public(orjson.dumps(TRADE))
    assert isinstance(f, TradeFrame)
    (t,) = trades_from_frame(f)
    assert t.side is Side.BUY and t.price == Decimal("16578.50") and t.qty == Decimal("0.001")
    assert trades_from_message(TRADE) == [t]


def test_private_dispatch() -> None:
    order = {
        "id": "5923240c6880ab-c59f-420b-9adb-3639adc9dd90",
        "topic": "order",
        "creationTime": 1672364262474,
        "data": [
            {
                "symbol": "BTCUSDT",
                "orderId": "5cf98598",
                "orderLinkId": "tc-1",
                "side": "Buy",
                "orderType": "Limit",
                "price": "72.5",
                "qty": "1",
                "orderStatus": "New",
                "reduceOnly": False,
                "positionIdx": 0,
                "triggerDirection": 0,
                "cumExecQty": "0",
                "createdTime": "1672364262444",
                "updatedTime": "1672364262457",
                "category": "linear",
                "someNewField": "ignored",
            }
        ],
    }
    o = decode_private(orjson.dumps(order))
    assert isinstance(o, OrderFrame) and o.data[0].orderLinkId == "tc-1" and o.data[0].orderStatus == "New"
    ex = {
        "topic": "execution",
        "id": "x",
        "creationTime": 1,
        "data": [
            {
                "symbol": "BTCUSDT",
                "execId": "e1",
                "orderId": "o1",
                "orderLinkId": "tc-1",
                "execPrice": "65000.1",
                "execQty": "0.01",
                "execFee": "0.35",
                "isMaker": False,
                "side": "Sell",
                "execTime": "1672364174443",
                "seq": 4688002127,
            }
        ],
    }
    e = decode_private(orjson.dumps(ex))
    assert isinstance(e, ExecutionFrame) and e.data[0].execPrice == "65000.1" and not e.data[0].isMaker
    pos = {
        "topic": "position",
        "id": "p",
        "creationTime": 1,
        "data": [
            {
                "symbol": "BTCUSDT",
                "side": "",
                "size": "0",
                "positionIdx": 0,
                "entryPrice": "0",
                "markPrice": "65000",
                "leverage": "10",
            }
        ],
    }
    assert isinstance(decode_private(orjson.dumps(pos)), PositionFrame)
    wal = {
        "topic": "wallet",
        "id": "w",
        "creationTime": 1,
        "data": [
            {
                "accountType": "UNIFIED",
                "totalEquity": "100000",
                "coin": [{"coin": "USDT", "equity": "100000", "walletBalance": "100000"}],
            }
        ],
    }
    w = decode_private(orjson.dumps(wal))
    assert isinstance(w, WalletFrame) and w.data[0].coin[0].walletBalance == "100000"
    auth = decode_private(b'{"success":true,"ret_msg":"","op":"auth","conn_id":"c"}')
    assert isinstance(auth, dict) and auth["op"] == "auth"
