"""Realistic Bybit V5 records (REST list items and push items) for the fuzzers to spoil."""

from __future__ import annotations

from typing import Any

ORDER: dict[str, Any] = {
    "symbol": "BTCUSDT", "side": "Buy", "orderType": "Limit", "qty": "0.010", "price": "94000.0",
    "orderLinkId": "tc-1", "orderId": "o1", "orderStatus": "New", "cumExecQty": "0", "avgPrice": "",
    "timeInForce": "GTC", "reduceOnly": False, "triggerPrice": "95000", "triggerDirection": 1,
    "takeProfit": "", "stopLoss": "", "rejectReason": "EC_NoError", "createdTime": "1767225600000",
    "updatedTime": "1767225600001",
}  # fmt: skip
POSITION: dict[str, Any] = {
    "symbol": "BTCUSDT", "side": "Sell", "size": "0.020", "avgPrice": "94000.0", "markPrice": "95001.2",
    "unrealisedPnl": "-20.02", "cumRealisedPnl": "-1.5", "leverage": "10", "liqPrice": "105000.0",
    "takeProfit": "", "stopLoss": "", "positionIM": "190.0", "updatedTime": "1767225600000",
}  # fmt: skip
EXECUTION: dict[str, Any] = {
    "symbol": "BTCUSDT", "side": "Buy", "execId": "e1", "orderId": "o1", "orderLinkId": "tc-1",
    "execQty": "0.01", "execPrice": "95000.5", "execFee": "0.52", "isMaker": False,
    "execTime": "1767225600000", "execPnl": "0",
}  # fmt: skip
WALLET: dict[str, Any] = {
    "accountType": "UNIFIED", "totalAvailableBalance": "99000",
    "coin": [{"coin": "USDT", "equity": "100020.0", "walletBalance": "100000.0", "unrealisedPnl": "20.0",
              "totalPositionIM": "190.0", "totalOrderIM": "0", "totalPositionMM": "9.5",
              "cumRealisedPnl": "0"}],
}  # fmt: skip
TICKER: dict[str, Any] = {
    "symbol": "BTCUSDT", "lastPrice": "95000.1", "markPrice": "95001.2", "indexPrice": "94999.9",
    "bid1Price": "95000.0", "ask1Price": "95000.1", "volume24h": "1234.5", "price24hPcnt": "-0.012",
    "fundingRate": "0.0001", "nextFundingTime": "1767254400000", "turnover24h": "117277500",
    "openInterest": "8000", "openInterestValue": "760000000", "highPrice24h": "96000",
    "lowPrice24h": "94000", "prevPrice24h": "96180",
}  # fmt: skip
INSTRUMENT: dict[str, Any] = {
    "symbol": "BTCUSDT", "baseCoin": "BTC", "quoteCoin": "USDT", "status": "Trading",
    "priceFilter": {"tickSize": "0.10", "minPrice": "0.10", "maxPrice": "1999999.80"},
    "lotSizeFilter": {"qtyStep": "0.001", "minOrderQty": "0.001", "maxOrderQty": "1190",
                      "maxMktOrderQty": "119", "minNotionalValue": "5"},
    "leverageFilter": {"minLeverage": "1", "maxLeverage": "100", "leverageStep": "0.01"},
}  # fmt: skip
KLINE: dict[str, Any] = {
    "start": 1767225600000, "end": 1767225659999, "interval": "1", "open": "95000.1", "close": "95010.5",
    "high": "95020", "low": "94990.2", "volume": "12.345", "turnover": "1172829.3", "confirm": False,
}  # fmt: skip
KLINE_ROW = ["1767225600000", "95000.1", "95020", "94990.2", "95010.5", "12.345", "1172829.3"]
