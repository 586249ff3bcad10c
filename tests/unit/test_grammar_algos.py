"""The algo command line: each verb parses into exactly what was typed, resolves into params the
algo classes accept, and garbage is refused with what is accepted (hypothesis)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import cast

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Instrument, Position, Side
from core.orders.algo_commands import (
    AlgoCommand,
    BracketCommand,
    ChaseCommand,
    IcebergCommand,
    ScaleCommand,
    TrailCommand,
    Trigger,
    TwapCommand,
    WhenCommand,
)
from core.orders.algos.registry import build_algo
from core.orders.grammar import GrammarError, parse
from core.orders.grammar_algos import ALGO_VERBS
from core.orders.resolve import MarketContext, ResolveError
from core.orders.resolve_algos import AlgoOrder, resolve_algo

SYMBOLS = ("BTCUSDT", "ETHUSDT")
D = Decimal


def _inst(symbol: str = "BTCUSDT") -> Instrument:
    return Instrument(
        symbol=symbol,
        base_coin=symbol[:3],
        quote_coin="USDT",
        tick_size=D("0.1"),
        qty_step=D("0.001"),
        min_order_qty=D("0.001"),
        max_order_qty=D("100"),
        max_mkt_order_qty=D("100"),
        min_notional=D("5"),
        min_leverage=D("1"),
        max_leverage=D("100"),
        leverage_step=D("0.01"),
    )


def _ctx(position: Position | None = None) -> MarketContext:
    return MarketContext(
        _inst(), best_bid=D("95000"), best_ask=D("95000.1"), mark=D("95000"), position=position
    )


def _long() -> Position:
    return Position("BTCUSDT", Side.BUY, D("0.5"), D("94000"), D("95000"), D("500"))


def _resolve(line: str, ctx: MarketContext) -> AlgoOrder:
    return resolve_algo(cast(AlgoCommand, parse(line, SYMBOLS)), ctx)


# --- parse ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("chase buy 0.1", ChaseCommand(Side.BUY, D("0.1"))),
        ("chase sell 0.1 max 0.5% ro", ChaseCommand(Side.SELL, D("0.1"), max_pct=D("0.5"), reduce_only=True)),
        ("chase buy 0.1 eth max 50", ChaseCommand(Side.BUY, D("0.1"), "ETHUSDT", max_abs=D("50"))),
        (
            "scale sell 1 95000..96000 x10",
            ScaleCommand(Side.SELL, D("1"), D("95000"), D("96000"), 10),
        ),
        (
            "scale sell 1 95000..96000 x10 exp skew down",
            ScaleCommand(Side.SELL, D("1"), D("95000"), D("96000"), 10, shape="exp", larger_high=False),
        ),
        ("twap buy 2 30m", TwapCommand(Side.BUY, D("2"), 1800)),
        (
            "twap buy 2 30m x12 limit 95500 maker",
            TwapCommand(Side.BUY, D("2"), 1800, slices=12, limit=D("95500"), maker=True),
        ),
        ("trail 0.5%", TrailCommand(D("0.5"), True)),
        ("trail 50 from 96000", TrailCommand(D("50"), False, activation=D("96000"))),
    ],
)
def test_parse_says_what_was_typed(line: str, expected: object) -> None:
    assert parse(line, SYMBOLS) == expected


def test_iceberg_bracket_when() -> None:
    ice = parse("iceberg buy 5 @ 95000 show 0.5", SYMBOLS)
    assert isinstance(ice, IcebergCommand) and ice.display == D("0.5") and ice.price.price == D("95000")
    br = parse("bracket buy 0.1 @95000 tp 1%,2% sl -1%", SYMBOLS)
    assert isinstance(br, BracketCommand)
    assert [t.pct for t in br.take_profits] == [D("1"), D("2")]
    assert br.stop is not None and br.stop.pct == D("-1") and br.stop.signed
    when = parse("when mark>=96000 buy 0.1", SYMBOLS)
    assert isinstance(when, WhenCommand) and when.triggers == (Trigger("mark", ">=", D("96000")),)


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("chase buy", "quantity is missing"),
        ("chase hold 0.1", "buy or sell"),
        ("chase buy 0,1", "use . as the decimal point"),
        ("chase buy 0.1 max 1 max 2", "given twice"),
        ("chase buy 0.1 fast", "unknown word 'fast'"),
        ("scale sell 1 96000..95000 x10", "lower price first"),
        ("scale sell 1 95000..96000", "range and the count are required"),
        ("scale sell 1 95000..96000 x2.5", "whole number"),
        ("twap buy 2", "duration is missing"),
        ("twap buy 2 1e3m", "not a number"),
        ("iceberg buy 5 @ 95000 show 6", "more than the quantity"),
        ("bracket buy 0.1", "tp and/or sl"),
        ("trail -1%", "no sign"),
        ("when mark >= 1 and last <= 2 or index >= 3 buy 1", "mix of and/or"),
        ("when mark > 1 buy 1", ">= or <="),
        ("twap buy $500 30m", "give contracts"),
        ("bracket sell 0.1 tp 1,5%", "mixes prices and percents"),
        ("bracket sell 0.1 tp 1%,", "tp 2: required"),
    ],
)
def test_refused_with_what_is_accepted(line: str, says: str) -> None:
    with pytest.raises(GrammarError, match=re.escape(says)):
        parse(line, SYMBOLS)


# --- resolve: the params the algos accept ------------------------------------------------------
@pytest.mark.parametrize(
    "line",
    [
        "chase buy 0.1 max 0.5%",
        "chase sell 0.1 max 50 ro",
        "scale sell 1 95000..96000 x10 exp",
        "scale buy 1 94000..95000 x5 exp skew down geo",
        "scale buy 1 94000..95000 x5 skew down",
        "twap buy 2 30m",
        "twap buy 2 30m x12 limit 95500 maker",
        "iceberg buy 5 @ 95000 show 0.5",
        "iceberg buy 5 @ -0.1% show 0.5",
        "bracket buy 0.1 @ 95000 tp 1%,2% sl -1%",
        "bracket sell 0.1 tp 1%,2%,3% sl 1%",
        "trail 0.5%",
        "trail 50 from 96000",
        "when mark >= 96000 buy 0.1",
        "when mark >= 96000 or last <= 90000 sell 0.1 @ 97000 post",
    ],
)
def test_resolved_params_build_the_algo(line: str) -> None:
    out = _resolve(line, _ctx(_long()))
    algo = build_algo(out.kind, "a1", out.params)
    assert algo.symbol == "BTCUSDT"


def test_bracket_percent_exits_from_the_entry() -> None:
    out = _resolve("bracket buy 0.1 @ 95000 tp 1%,2% sl -1%", _ctx())
    assert out.params["take_profits"] == [["95950.0", "0.5"], ["96900.0", "0.5"]]
    assert out.params["stop_price"] == "94050.0"
    sell = _resolve("bracket sell 0.1 tp 1% sl 1%", _ctx())
    assert sell.params["entry_type"] == "market"
    assert D(sell.params["take_profits"][0][0]) < D("95000") < D(sell.params["stop_price"])


def test_three_take_profits_split_exactly() -> None:
    out = _resolve("bracket buy 0.1 tp 1%,2%,3%", _ctx())
    assert sum(D(f) for _, f in out.params["take_profits"]) == 1


def test_trail_needs_a_position() -> None:
    with pytest.raises(ResolveError, match="no open position"):
        _resolve("trail 0.5%", _ctx())
    out = _resolve("trail 0.5%", _ctx(_long()))
    assert out.params["position_side"] == "Buy" and out.params["distance_type"] == "pct"


# --- properties ---------------------------------------------------------------------------------
_WORDS = st.sampled_from(
    [*ALGO_VERBS, "buy", "sell", "0.1", "5", "1e3", "0,5", "-1%", "1%", "+2%", "max", "x10", "x", "@",
     "95000..96000", "96000..95000", "30m", "m", "show", "tp", "sl", "from", "limit", "maker", "exp",
     "lin", "skew", "up", "down", "ro", "post", "mark", ">=", "<=", "and", "or", "eth", "BTCUSDT",
     "٣", "nan", "$5", "..", ","]
)  # fmt: skip
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def _numbers_in(value: object) -> set[Decimal]:
    out: set[Decimal] = set()
    for field in getattr(value, "__slots__", ()):
        item = getattr(value, field)
        items = item if isinstance(item, tuple) else (item,)
        for x in items:
            if isinstance(x, Decimal):
                out.add(abs(x))
            elif hasattr(x, "__slots__"):
                out |= _numbers_in(x)
    return out


@settings(max_examples=400, deadline=None)
@given(verb=st.sampled_from(sorted(ALGO_VERBS)), words=st.lists(_WORDS, max_size=9))
def test_no_algo_the_text_did_not_say(verb: str, words: list[str]) -> None:
    """Any line either parses into the verb's command whose every number was typed, or is refused
    with a GrammarError (never another exception)."""
    line = " ".join([verb, *words])
    try:
        cmd = parse(line, SYMBOLS)
    except GrammarError as exc:
        assert str(exc)
        return
    assert type(cmd).__name__.lower().startswith(verb)
    typed = {D(n) for n in _NUMBER.findall(line)}
    assert _numbers_in(cmd) <= typed | {D(1)}  # a duration's unit count stays as typed, in seconds
    if isinstance(cmd, TwapCommand):
        assert any(cmd.duration_s in (n, n * 60, n * 3600) for n in typed)


@settings(max_examples=200, deadline=None)
@given(text=st.text(max_size=30))
def test_garbage_is_refused_with_what_is_accepted(text: str) -> None:
    for verb in ALGO_VERBS:
        try:
            parse(f"{verb} {text}", SYMBOLS)
        except GrammarError as exc:
            assert str(exc)


_QTY = st.decimals(min_value=D("0.001"), max_value=D("50"), places=3)
_PX = st.integers(min_value=90000, max_value=99000)


@settings(max_examples=150, deadline=None)
@given(
    verb=st.sampled_from(["chase", "twap", "scale", "iceberg", "bracket"]),
    side=st.sampled_from(["buy", "sell"]),
    qty=_QTY,
    px=_PX,
    n=st.integers(min_value=1, max_value=20),
)
def test_resolved_params_carry_exactly_the_typed_side_qty_and_kind(
    verb: str, side: str, qty: Decimal, px: int, n: int
) -> None:
    """Whatever the numbers, the algo that would start is the typed kind, side and quantity on the
    selected symbol, and every typed price reaches the params unchanged."""
    up = 1 if side == "buy" else -1
    tails = {
        "chase": f"max {n}",
        "twap": f"{n}m x{min(n, int(qty / D('0.001')))}",  # every slice at least one qty step
        "scale": f"{px}..{px + n} x{n}",
        "iceberg": f"@ {px} show {qty}",
        "bracket": f"@ {px} tp {px + up * n} sl {px - up * n}",
    }
    line = f"{verb} {side} {qty} {tails[verb]}"
    out = _resolve(line, _ctx())
    p = out.params
    assert out.kind == verb and p["symbol"] == "BTCUSDT" and p["side"] == side.capitalize()
    assert D(p["total_qty" if verb == "scale" else "qty"]) == qty
    typed = {D(x) for x in _NUMBER.findall(line)}
    prices = [
        p.get(k) for k in ("price", "entry_price", "stop_price", "price_from", "price_to", "limit_price")
    ]
    prices += [tp for tp, _ in p.get("take_profits", [])]
    assert {D(x) for x in prices if x is not None} <= typed
