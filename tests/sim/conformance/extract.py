"""Rebuild the conformance fixtures from a checkout of Bybit's official docs (``bybit-exchange/docs``).

    python tests/sim/conformance/extract.py PATH_TO_DOCS_CHECKOUT [COMMIT]

(``COMMIT`` names the docs commit when the checkout is an export without ``.git``.)

Each fixture is one endpoint or topic the sim serves: the page's response example (the linear one
when the page has several) and its response-parameter table (the linear tab), flattened to
``path -> JSON type``. What the table lists for other products only, what a page gets wrong and
every edit made to an example is written into the fixture with the doc's own words, so the test
never silently ignores a field. Run it when the docs move on and review the diff.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
TYPE_MAP = {
    "string": "string",
    "datetime": "string",
    "integer": "integer",
    "long": "integer",
    "number": "integer",
    "boolean": "boolean",
    "array": "array",
    "list": "array",
    "array<object>": "array",
    "object": "object",
    "map": "object",
    "json": "object",
}
ENVELOPE = {"retCode": 0, "retMsg": "OK", "result": {}, "retExtInfo": {}, "time": 1672211918471}

# One entry per endpoint/topic: the page, which example to take, and the reviewed exceptions.
SPECS: dict[str, dict[str, Any]] = {
    "market_time": {"page": "market/time", "endpoint": "GET /v5/market/time"},
    "market_instruments_info": {
        "page": "market/instrument",
        "endpoint": "GET /v5/market/instruments-info",
        "not_linear": {
            "result.list[].displayName": "The USDC futures & perpetual name displayed in the Web or App",
            "result.list[].forbidUplWithdrawal": "not in the linear USDT example; applies to USDC contracts",
            "result.list[].preListingInfo.curAuctionPhase": "If isPreListing=false, preListingInfo=null",
            "result.list[].preListingInfo.phases": "If isPreListing=false, preListingInfo=null",
            "result.list[].preListingInfo.auctionFeeInfo": "If isPreListing=false, preListingInfo=null",
            "result.list[].preListingInfo.skipCallAuction": "If isPreListing=false, preListingInfo=null",
        },
        "types": {"result.list[].preListingInfo": ["null"]},
    },
    "market_tickers": {
        "page": "market/tickers",
        "endpoint": "GET /v5/market/tickers",
        "example_marker": '"category": "inverse"',
        "example_edits": [
            "the page's only linear/inverse example is inverse (BTCUSD): category set to linear, "
            "symbol to BTCUSDT; the field set is the same tab's"
        ],
        "rewrite_example": {"result.category": "linear", "result.list[].symbol": "BTCUSDT"},
    },
    "market_kline": {
        "page": "market/kline",
        "endpoint": "GET /v5/market/kline",
        "example_edits": ["the example is inverse (BTCUSD): category set to linear, symbol to BTCUSDT"],
        "rewrite_example": {"result.category": "linear", "result.symbol": "BTCUSDT"},
    },
    "market_orderbook": {"page": "market/orderbook", "endpoint": "GET /v5/market/orderbook"},
    "market_recent_trade": {
        "page": "market/recent-trade",
        "endpoint": "GET /v5/market/recent-trade",
        "example_edits": ["the example is spot: category set to linear"],
        "rewrite_example": {"result.category": "linear"},
        "not_linear": {
            "result.list[].mP": "Mark price, unique field for option",
            "result.list[].iP": "Index price, unique field for option",
            "result.list[].mIv": "Mark iv, unique field for option",
            "result.list[].iv": "iv, unique field for option",
        },
    },
    "order_create": {"page": "order/create-order", "endpoint": "POST /v5/order/create"},
    "order_amend": {"page": "order/amend-order", "endpoint": "POST /v5/order/amend"},
    "order_cancel": {"page": "order/cancel-order", "endpoint": "POST /v5/order/cancel"},
    "order_cancel_all": {"page": "order/cancel-all", "endpoint": "POST /v5/order/cancel-all"},
    "order_realtime": {
        "page": "order/open-order",
        "endpoint": "GET /v5/order/realtime",
        "not_linear": {
            "result.list[].marketUnit": "The unit for qty when create Spot market orders",
            "result.list[].ocoTriggerBy": "The trigger type of Spot OCO order",
            "result.list[].basePrice": "Last price when place the order, Spot has this field only",
        },
        "maps": ["result.list[].cumFeeDetail"],
    },
    "order_history": {
        "page": "order/order-list",
        "endpoint": "GET /v5/order/history",
        "not_linear": {
            "result.list[].marketUnit": "The unit for qty when create Spot market orders",
            "result.list[].ocoTriggerBy": "The trigger type of Spot OCO order",
            "result.list[].basePrice": "Last price when place the order, Spot has this field only",
        },
        "maps": ["result.list[].cumFeeDetail"],
    },
    "execution_list": {
        "page": "order/execution",
        "endpoint": "GET /v5/execution/list",
        "not_linear": {
            "result.list[].execFeeV2": "Spot leg transaction fee, only works for execType=FutureSpread"
        },
        "example_edits": ["the example is ETHPERP (USDC): symbol set to BTCUSDT"],
        "rewrite_example": {"result.list[].symbol": "BTCUSDT"},
    },
    "position_list": {
        "page": "position/position",
        "endpoint": "GET /v5/position/list",
        "example_edits": [
            "the example is inverse (BTCUSD): category set to linear, symbol to BTCUSDT",
            "the example spells mmrSysUpdateTime; the table (and the position topic) mmrSysUpdatedTime: "
            "the table's name is kept",
        ],
        "rewrite_example": {"result.category": "linear", "result.list[].symbol": "BTCUSDT"},
        "rename_example": {"result.list[].mmrSysUpdateTime": "mmrSysUpdatedTime"},
        "not_linear": {
            "result.list[].delta": "option greek (the position topic: only pushed for option positions)",
            "result.list[].gamma": "option greek (the position topic: only pushed for option positions)",
            "result.list[].vega": "option greek (the position topic: only pushed for option positions)",
            "result.list[].theta": "option greek (the position topic: only pushed for option positions)",
        },
    },
    "position_set_leverage": {"page": "position/leverage", "endpoint": "POST /v5/position/set-leverage"},
    "position_trading_stop": {"page": "position/trading-stop", "endpoint": "POST /v5/position/trading-stop"},
    "position_closed_pnl": {
        "page": "position/close-pnl",
        "endpoint": "GET /v5/position/closed-pnl",
        "example_edits": ["the example is ETHPERP (USDC): symbol set to BTCUSDT"],
        "rewrite_example": {"result.list[].symbol": "BTCUSDT"},
    },
    "account_wallet_balance": {
        "page": "account/wallet-balance",
        "endpoint": "GET /v5/account/wallet-balance",
        "example_edits": ["the example's coin is BTC: set to USDT"],
        "rewrite_example": {"result.list[].coin[].coin": "USDT"},
        "optional": {
            "result.list[].coin[].free": "Deprecated since there is no Spot wallet any more; not in the "
            "example",
        },
    },
    "account_fee_rate": {
        "page": "account/fee-rate",
        "endpoint": "GET /v5/account/fee-rate",
        "not_linear": {
            "result.category": "Product type. spot, option. Derivatives does not have this field",
            "result.list[].baseCoin": "Spot and Derivatives does not have this field",
        },
    },
    "account_info": {
        "page": "account/account-info",
        "endpoint": "GET /v5/account/info",
        "example_edits": [
            "the example stops after result: retExtInfo and time added from the guide's envelope"
        ],
        "complete_envelope": True,
    },
    "ws_orderbook": {
        "page": "websocket/public/orderbook",
        "endpoint": "WS /v5/public/linear orderbook.{depth}.{symbol}",
        "example_marker": '"type": "delta"',
        "example_edits": ["the delta example (the snapshot example is not valid JSON: it elides levels)"],
        "prefix": "",
    },
    "ws_public_trade": {
        "page": "websocket/public/trade",
        "endpoint": "WS /v5/public/linear publicTrade.{symbol}",
        "prefix": "",
        "not_linear": {
            "id": "Message id. Unique field for option",
            "data[].mP": "Mark price, unique field for option",
            "data[].iP": "Index price, unique field for option",
            "data[].mIv": "Mark iv, unique field for option",
            "data[].iv": "iv, unique field for option",
        },
    },
    "ws_tickers": {
        "page": "websocket/public/ticker",
        "endpoint": "WS /v5/public/linear tickers.{symbol}",
        "example_marker": "LinearPerpetual",
        "prefix": "",
        "table_is_wrong": {
            "data": "the table says array; every example (and pybit's delta merge) is an object"
        },
        "not_linear": {
            "data.deliveryTime": "Delivery date time (UTC+0), applicable to expired futures only",
            "data.basisRate": "Unique field for inverse futures & USDT/USDC futures",
            "data.deliveryFeeRate": "Unique field for inverse futures & USDT/USDC futures",
            "data.predictedDeliveryPrice": "Unique field for inverse futures & USDT/USDC futures",
            "data.basisRateYear": "Only for Futures, For Perpetual, this field will not return",
        },
    },
    "ws_kline": {
        "page": "websocket/public/kline",
        "endpoint": "WS /v5/public/linear kline.{interval}.{symbol}",
        "prefix": "",
    },
    "ws_order": {
        "page": "websocket/private/order",
        "endpoint": "WS /v5/private order",
        "example_marker": '"topic": "order"',
        "prefix": "",
        "example_edits": ["the example is an option order: category set to linear, symbol to BTCUSDT"],
        "rewrite_example": {"data[].category": "linear", "data[].symbol": "BTCUSDT"},
        "not_linear": {
            "data[].brokerOrderPrice": "Dedicated field for EU liquidity provider",
            "data[].ocoTriggerBy": "The trigger type of Spot OCO order",
            "data[].marketUnit": "The unit for qty when create Spot market orders",
        },
        "maps": ["data[].cumFeeDetail"],
    },
    "ws_execution": {
        "page": "websocket/private/execution",
        "endpoint": "WS /v5/private execution",
        "example_marker": '"topic": "execution"',
        "prefix": "",
        "types": {"data[].extraFees": ["string"]},
        "type_notes": {
            "data[].extraFees": "the table: 'In other cases, an empty string is returned' (the example is an "
            "Indian-KYC fill with a list)"
        },
    },
    "ws_position": {
        "page": "websocket/private/position",
        "endpoint": "WS /v5/private position",
        "example_marker": '"topic": "position"',
        "prefix": "",
        "not_linear": {
            "data[].delta": "Delta. It is only pushed when you subscribe to the option position.",
            "data[].gamma": "Gamma. It is only pushed when you subscribe to the option position.",
            "data[].vega": "Vega. It is only pushed when you subscribe to the option position.",
            "data[].theta": "Theta. It is only pushed when you subscribe to the option position.",
        },
    },
    "ws_wallet": {
        "page": "websocket/private/wallet",
        "endpoint": "WS /v5/private wallet",
        "example_marker": '"topic": "wallet"',
        "prefix": "",
        "example_edits": ["the example's coin is BTC: set to USDT"],
        "rewrite_example": {"data[].coin[].coin": "USDT"},
        "optional": {
            "data[].coin[].free": "Deprecated since there is no Spot wallet any more; not in the example"
        },
    },
}


def _section(text: str, title: str) -> str:
    start = text.index(title)
    nxt = re.search(r"^### ", text[start + len(title) :], re.M)
    return text[start : start + len(title) + nxt.start()] if nxt else text[start:]


def _clean(cell: str) -> str:
    cell = re.sub(r"<[^>]+>", "", cell)
    cell = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", cell)
    return html.unescape(cell).strip()


def _rows(section: str) -> list[tuple[str, str]]:
    """(name with its '>' depth markers, type) of the first (linear) table in a section."""
    if "<table" in section:
        table = section[section.index("<table") : section.index("</table>")]
        cells = re.findall(r"<td>(.*?)</td>", table, re.S)  # rows are name, type, comment
        return [(_clean(cells[i]), _clean(cells[i + 1])) for i in range(0, len(cells) - 2, 3)]
    out = []
    started = False
    for line in section.splitlines():
        if line.startswith("|"):
            started = True
            parts = line.split("|")
            if (
                len(parts) >= 3
                and not set(parts[1].strip()) <= {":", "-"}
                and parts[1].strip() != "Parameter"
            ):
                out.append((_clean(parts[1]), _clean(parts[2])))
        elif started and line.strip() == "":
            break
    return out


def _fields(rows: list[tuple[str, str]], prefix: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    stack: list[str] = [prefix.rstrip(".")] if prefix else [""]
    kinds: list[str] = ["object"]
    for raw, typ in rows:
        depth = len(raw) - len(raw.lstrip(">"))
        name = raw.lstrip(">").strip()
        jtype = TYPE_MAP[typ.strip().lower()]
        parent, kind = stack[depth], kinds[depth]
        if re.match(r"^\w+\[\d+\]", name):  # "b[0]": the parent is an array of arrays of these
            fields[f"{parent}[]"] = "array"
            path = f"{parent}[][]"
        else:
            sep = "[]." if kind == "array" else "."
            path = f"{parent}{sep}{name}" if parent else name
        fields[path] = jtype
        del stack[depth + 1 :], kinds[depth + 1 :]
        stack.append(path)
        kinds.append(jtype)
    return fields


def _balanced(text: str, start: int) -> str:
    i = text.index("{", start)
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i : j + 1]
    raise ValueError("unbalanced example")


def _example(text: str, marker: str | None) -> Any:
    sec = text[text.index("### Response Example") :] if "### Response Example" in text else text
    if "### Response Example" not in text:
        sec = text[text.index("### Subscribe Example") :]
    start = sec.index(marker) if marker else sec.index("```json")
    if marker and marker.startswith('"'):  # a key inside the wanted block: back to the block's start
        start = sec.rindex("```json", 0, start)
    body = _balanced(sec, start)
    body = "\n".join(line for line in body.splitlines() if not line.strip().startswith("//"))
    return json.loads(body)


def _walk_set(obj: Any, path: list[str], value: Any, rename: bool = False) -> None:
    head, rest = path[0], path[1:]
    if head.endswith("[]"):
        for item in obj[head[:-2]]:
            _walk_set(item, rest, value, rename) if rest else None
        return
    if not rest:
        if rename:
            obj[value] = obj.pop(head)
        else:
            obj[head] = value
        return
    _walk_set(obj[head], rest, value, rename)


def build(docs: Path, spec: dict[str, Any], commit: str) -> dict[str, Any]:
    """One fixture from its page."""
    page = f"docs/v5/{spec['page']}.mdx"
    text = (docs / page).read_text()
    example = _example(text, spec.get("example_marker"))
    if spec.get("complete_envelope"):
        example = {**ENVELOPE, **example}
    for dotted, value in spec.get("rewrite_example", {}).items():
        _walk_set(example, dotted.split("."), value)
    for dotted, new in spec.get("rename_example", {}).items():
        _walk_set(example, dotted.split("."), new, rename=True)
    section = _section(text, "### Response Parameters")
    fields = _fields(_rows(section), spec.get("prefix", "result."))
    for path in spec.get("table_is_wrong", {}):  # an object the table calls an array
        fields[path] = "object"
        fields = {k.replace(f"{path}[].", f"{path}."): v for k, v in fields.items()}
    return {
        "source": {"repo": "bybit-exchange/docs", "commit": commit, "page": page},
        "endpoint": spec["endpoint"],
        "example": example,
        "example_edits": spec.get("example_edits", []),
        "fields": fields,
        "not_linear": spec.get("not_linear", {}),
        "table_is_wrong": spec.get("table_is_wrong", {}),
        "types": spec.get("types", {}),
        "type_notes": spec.get("type_notes", {}),
        "optional": spec.get("optional", {}),
        "maps": spec.get("maps", []),
    }


def main(argv: list[str]) -> int:
    """Write every fixture next to this file."""
    docs = Path(argv[1])
    got = subprocess.run(
        ["git", "-C", str(docs), "rev-parse", "--short=12", "HEAD"], capture_output=True, text=True
    )
    commit = got.stdout.strip() if got.returncode == 0 else (argv[2] if len(argv) > 2 else "unknown")
    for name, spec in SPECS.items():
        fixture = build(docs, spec, commit)
        (HERE / f"{name}.json").write_text(json.dumps(fixture, indent=2, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
