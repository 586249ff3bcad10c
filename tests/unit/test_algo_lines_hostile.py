"""Algo lines a hostile newcomer types, resolved against the market: each is refused before any
preview with the check and the numbers, never rounded or started in a form the text did not say.

A TWAP whose schedule has billions of slices (``twap buy 1 99999999h``) used to build that
schedule in the preview and stall the console; a chase of 0.0015 showed ``0.002`` while 0.001
would be sent; a 0.0001 chase, a 0.0001 iceberg clip and a TWAP whose slices round to nothing
showed READY and could never place an order; a market bracket's take-profit below a buy's entry
(or a stop above it) showed READY and would have closed the entry at once."""

from __future__ import annotations

from decimal import Decimal as D
from typing import cast

import pytest

from core.model import Instrument
from core.orders.algo_commands import AlgoCommand
from core.orders.algos.registry import build_algo
from core.orders.grammar import parse
from core.orders.resolve import MarketContext, ResolveError
from core.orders.resolve_algos import resolve_algo

SYMBOLS = ("BTCUSDT", "ETHUSDT")
BTC = Instrument(
    "BTCUSDT", "BTC", "USDT", D("0.1"), D("0.001"), D("0.001"), D("100"), D("100"), D("5"),
    D("1"), D("100"), D("0.01"),
)  # fmt: skip
CTX = MarketContext(BTC, best_bid=D("95000"), best_ask=D("95000.1"), mark=D("95000"))


def refusal(line: str) -> str:
    with pytest.raises(ResolveError) as info:
        resolve_algo(cast(AlgoCommand, parse(line, SYMBOLS)), CTX)
    return str(info.value)


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("twap buy 1 99999999h", ["longer than 168h"]),
        ("twap buy 1 30m x99999999", ["more than 10000"]),
        ("twap buy 0.005 10m x10", ["0.0005 each", "minimum order of 0.001", "at most 5"]),
        ("chase buy 0.0015", ["not a multiple", "qty step 0.001", "type 0.001 or 0.002"]),
        ("chase buy 0.0001", ["below BTCUSDT's minimum order of 0.001"]),
        ("scale buy 0.0035 94000..94500 x3", ["type 0.003 or 0.004"]),
        ("iceberg buy 1 @ 90000 show 0.0001", ["show: 0.0001 is below"]),
        ("iceberg buy 1 @ 90000 show 0.0015", ["show: 0.0015 is not a multiple"]),
        ("when mark >= 96000 buy 0.0015", ["not a multiple"]),
        ("bracket buy 0.01 tp 1%,2%,3%,4%,5%,6%,7%,8%,9%,10%,11%", ["11 take-profits", "at most 10"]),
        ("bracket buy 0.01 tp 90000 sl 80000", ["tp 1 90000 is not above the best ask 95000.1"]),
        ("bracket buy 0.01 tp -1%", ["tp 1 94050.1 is not above"]),
        ("bracket buy 0.01 sl +1%", ["sl 95950.1 is not below", "trigger at once"]),
        ("bracket sell 0.01 tp 96000", ["tp 1 96000 is not below the best bid 95000"]),
        ("bracket sell 0.01 sl 94000", ["sl 94000 is not above"]),
    ],
)
def test_hostile_algo_lines_are_refused_with_the_numbers(line: str, words: list[str]) -> None:
    message = refusal(line)
    for word in words:
        assert word in message, message


@pytest.mark.parametrize(
    "line",
    [
        "twap buy 1 10s x10",
        "chase buy 0.002",
        "bracket buy 0.01 tp 1%,2% sl -1%",
        "bracket sell 0.01 tp 1% sl 1%",
        "iceberg buy 1 @ 90000 show 0.1",
        "twap buy 0.005 10m x5",
    ],
)
def test_the_same_lines_done_right_resolve(line: str) -> None:
    assert resolve_algo(cast(AlgoCommand, parse(line, SYMBOLS)), CTX).kind


@pytest.mark.parametrize(
    ("duration_ms", "slices", "word"),
    [(1000, 1000, "more than one a second"), (10**12, 10, "at most 168h"), (10**8, 10**5, "at most 10000")],
)
def test_twap_params_refuse_a_schedule_it_cannot_keep(duration_ms: int, slices: int, word: str) -> None:
    """The engine's own check (strategies and the ticket start algos by params, not by line)."""
    params = {"symbol": "BTCUSDT", "side": "Buy", "qty": "1", "duration_ms": duration_ms, "slices": slices}
    with pytest.raises(ValueError, match=word):
        build_algo("twap", "t1", params)
