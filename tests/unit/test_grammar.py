"""The command-line grammar: every accepted line means exactly what it says; everything else is refused."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.model import Side
from core.orders.grammar import (
    BreakevenCommand,
    CancelAllCommand,
    CloseCommand,
    GrammarError,
    LeverageCommand,
    PlaceCommand,
    PriceSpec,
    Risk,
    RiskUnit,
    Size,
    SizeUnit,
    SymbolCommand,
    parse,
)

SYMS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")


def p(text: str) -> object:
    return parse(text, SYMS)


def contracts(x: str) -> Size:
    return Size(D(x), SizeUnit.CONTRACTS)


@pytest.mark.parametrize(
    ("text", "cmd"),
    [
        ("buy 0.01", PlaceCommand(Side.BUY, contracts("0.01"))),
        (
            "sell 0.5 @ 95100 post",
            PlaceCommand(Side.SELL, contracts("0.5"), price=PriceSpec(D("95100")), post_only=True),
        ),
        ("buy $500", PlaceCommand(Side.BUY, Size(D("500"), SizeUnit.QUOTE))),
        ("buy 0.1 @ -0.1%", PlaceCommand(Side.BUY, contracts("0.1"), price=PriceSpec(offset_pct=D("-0.1")))),
        ("buy 0.1 @-0.1%", PlaceCommand(Side.BUY, contracts("0.1"), price=PriceSpec(offset_pct=D("-0.1")))),
        (
            "buy risk 1% stop 94000",
            PlaceCommand(Side.BUY, risk=Risk(D("1"), RiskUnit.PERCENT), stop=PriceSpec(D("94000"))),
        ),
        (
            "buy risk $200 stop -1.5%",
            PlaceCommand(Side.BUY, risk=Risk(D("200"), RiskUnit.QUOTE), stop=PriceSpec(offset_pct=D("-1.5"))),
        ),
        (
            "BUY 0.1 ethusdt AT 3000 Reduce",
            PlaceCommand(
                Side.BUY, contracts("0.1"), symbol="ETHUSDT", price=PriceSpec(D("3000")), reduce_only=True
            ),
        ),
        (
            "sell 1 sol @95000 po tp -2% sl +1%",
            PlaceCommand(
                Side.SELL,
                contracts("1"),
                symbol="SOLUSDT",
                price=PriceSpec(D("95000")),
                post_only=True,
                stop=PriceSpec(offset_pct=D("1")),
                take_profit=PriceSpec(offset_pct=D("-2")),
            ),
        ),
        ("close", CloseCommand()),
        ("close 50%", CloseCommand(D("50"))),
        ("close 50% ETHUSDT", CloseCommand(D("50"), "ETHUSDT")),
        ("close eth 25%", CloseCommand(D("25"), "ETHUSDT")),
        ("cancel all", CancelAllCommand()),
        ("Cancel ALL btc", CancelAllCommand("BTCUSDT")),
        ("be", BreakevenCommand()),
        ("be ETH", BreakevenCommand("ETHUSDT")),
        ("lev 5", LeverageCommand(D("5"))),
        ("lev 12.5x sol", LeverageCommand(D("12.5"), "SOLUSDT")),
        ("sym ETH", SymbolCommand("ETHUSDT")),
        ("sym solusdt", SymbolCommand("SOLUSDT")),
    ],
)
def test_accepted_lines(text: str, cmd: object) -> None:
    assert p(text) == cmd


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "type a command"),
        ("   ", "type a command"),
        ("95000", "a number is not a command"),
        ("0.01", "a number is not a command"),
        ("hello", "unknown command 'hello'"),
        ("buy 0.1 foo", "unknown word 'foo'"),
        ("buy 0.1 market", "unknown word 'market'"),
        ("buy 0.1 XRP", "unknown word 'XRP'"),
        ("buy 0,01", "use . as the decimal point"),
        ("buy 1e3", "no exponents"),
        ("buy 1_000", "no separators"),
        ("buy ٣", "ASCII digits"),
        ("buy 0.1 @ 95,100", "use . as the decimal point"),
        ("buy risk 0,5% stop 1", "use . as the decimal point"),
        ("buy 1 @ 5 @ 6", "price (@) given twice"),
        ("buy 1 @ 5 at 6", "price (@) given twice"),
        ("buy 1 2", "size given twice"),
        ("buy 0.1 $50", "size given twice"),
        ("buy 0.1 risk 1% stop 5", "given twice"),
        ("buy 1 stop 5 sl 4", "stop (stop/sl) given twice"),
        ("buy 1 post post @ 5", "post-only given twice"),
        ("buy 1 ro reduce", "reduce-only given twice"),
        ("buy 1 btc eth", "symbol given twice"),
        ("buy 0.1 post", "post-only needs a limit price"),
        ("buy 0.1 ro stop 90", "reduce-only order cannot carry"),
        ("buy 0.1 reduce tp 90", "reduce-only order cannot carry"),
        ("buy risk 1%", "risk sizing needs a stop"),
        ("buy risk 1 stop 5", "say % of equity"),
        ("buy risk 150% stop 5", "more than 100%"),
        ("buy", "size missing"),
        ("buy @ 5", "size missing"),
        ("buy 1 @", "needs a price"),
        ("buy 1 @ 0.1%", "needs a sign"),
        ("buy 1 @ -5", "a price has no sign"),
        ("buy 1 @ -100%", "at or below 0"),
        ("buy 1 @ 0", "must be greater than 0"),
        ("buy 0", "must be greater than 0"),
        ("buy 5%", "a size is contracts"),
        ("buy -1", "no sign"),
        ("close 100", "add %"),
        ("close 0.5", "add %"),
        ("close 50% 20%", "given twice"),
        ("close 150%", "more than 100%"),
        ("close foo", "unexpected 'foo'"),
        ("cancel", "cancel all [SYMBOL]"),
        ("cancel 5", "cancel all [SYMBOL]"),
        ("cancel all now", "unexpected 'now'"),
        ("be 5", "unexpected '5'"),
        ("lev", "leverage is missing"),
        ("lev five", "not a leverage"),
        ("lev 5 10", "unexpected '10'"),
        ("lev 5,5", "use . as the decimal point"),
        ("sym", "give one symbol"),
        ("sym XRP", "not a configured symbol"),
    ],
)
def test_refused_lines_say_why(text: str, says: str) -> None:
    with pytest.raises(GrammarError) as err:
        p(text)
    assert says in str(err.value)


def test_symbol_needs_configuration() -> None:
    with pytest.raises(GrammarError, match="unknown word 'ETH'"):
        parse("buy 1 ETH")
    assert parse("buy 1 ETH", ("ETHUSDT",)) == PlaceCommand(Side.BUY, contracts("1"), symbol="ETHUSDT")


# --- properties -------------------------------------------------------------------------------
NUM = st.decimals(D("0.001"), D("99999"), places=3, allow_nan=False, allow_infinity=False)
PCT = st.decimals(D("0.01"), D("99.99"), places=2)


def _num(value: D) -> str:
    return format(value.normalize(), "f")


@st.composite
def place_commands(draw: st.DrawFn) -> tuple[str, PlaceCommand]:
    """A random well-formed place command and one way to type it (any order, any case)."""
    side = draw(st.sampled_from(list(Side)))
    by_risk = draw(st.booleans())
    parts: list[list[str]] = []
    size = risk = None
    if by_risk:
        risk = Risk(draw(PCT), RiskUnit.PERCENT) if draw(st.booleans()) else Risk(draw(NUM), RiskUnit.QUOTE)
        amount = f"{_num(risk.amount)}%" if risk.unit is RiskUnit.PERCENT else f"${_num(risk.amount)}"
        parts.append(["risk", amount])
    else:
        quote = draw(st.booleans())
        size = Size(draw(NUM), SizeUnit.QUOTE if quote else SizeUnit.CONTRACTS)
        parts.append([("$" if quote else "") + _num(size.amount)])
    symbol = draw(st.sampled_from([None, *SYMS]))
    if symbol:
        parts.append([draw(st.sampled_from([symbol, symbol.removesuffix("USDT")]))])

    def spec(kw: list[str]) -> PriceSpec | None:
        kind = draw(st.sampled_from(["none", "abs", "off"]))
        if kind == "none":
            return None
        if kind == "abs":
            value = draw(NUM)
            parts.append([draw(st.sampled_from(kw)), _num(value)])
            return PriceSpec(value)
        pct = draw(PCT) * draw(st.sampled_from([1, -1]))
        parts.append([draw(st.sampled_from(kw)), f"{'+' if pct > 0 else '-'}{_num(abs(pct))}%"])
        return PriceSpec(offset_pct=pct)

    price = spec(["@", "at"])
    stop = spec(["stop", "sl"])
    if by_risk and stop is None:
        stop = PriceSpec(D("1"))
        parts.append(["stop", "1"])
    tp = spec(["tp"])
    post = price is not None and draw(st.booleans())
    if post:
        parts.append([draw(st.sampled_from(["post", "po"]))])
    reduce = stop is None and tp is None and draw(st.booleans())
    if reduce:
        parts.append([draw(st.sampled_from(["ro", "reduce"]))])
    order = draw(st.permutations(parts))
    words = [side.value.lower()] + [w for part in order for w in part]
    words = [w.upper() if draw(st.booleans()) else w for w in words]
    cmd = PlaceCommand(side, size, risk, symbol, price, post, reduce, stop, tp)
    return " ".join(words), cmd


@settings(max_examples=400, deadline=None)
@given(place_commands())
def test_every_well_formed_line_means_exactly_its_words(case: tuple[str, PlaceCommand]) -> None:
    text, cmd = case
    assert parse(text, SYMS) == cmd


VALUED = {"@": "price", "at": "price", "stop": "stop", "sl": "stop", "tp": "take_profit", "risk": "risk"}
SOUP_WORDS = [
    "buy", "sell", "@", "at", "stop", "sl", "tp", "risk", "post", "po", "ro", "reduce",
    "0.01", "1", "95000", "$500", "$0.5", "1%", "-0.1%", "+2%", "-1.5%", "50%",
    "ETH", "BTCUSDT", "sol", "0,01", "1e3", "٣", "-5", "foo", "market", "all", "be", "",
]  # fmt: skip
BAD = {"0,01", "1e3", "٣", "foo", "market", "all", "be"}


def _spec_of(raw: str) -> PriceSpec:
    if raw.endswith("%"):
        return PriceSpec(offset_pct=D(raw[:-1]))
    return PriceSpec(D(raw))


def _risk_of(raw: str) -> Risk:
    return Risk(D(raw[1:]), RiskUnit.QUOTE) if raw.startswith("$") else Risk(D(raw[:-1]), RiskUnit.PERCENT)


def _expected_fields(words: list[str]) -> dict[str, object]:
    """What an independent reading of the words says each field is (None if the words are not a command)."""
    fields: dict[str, object] = {}
    i = 1
    while i < len(words):
        w = words[i].lower()
        if w in VALUED:
            key = "size" if w == "risk" else VALUED[w]
            value = words[i + 1]
            fields[key] = _risk_of(value) if w == "risk" else _spec_of(value)
            i += 2
            continue
        if w in ("post", "po"):
            fields["post_only"] = True
        elif w in ("ro", "reduce"):
            fields["reduce_only"] = True
        elif w.upper() in SYMS or w.upper() + "USDT" in SYMS:
            fields["symbol"] = w.upper() if w.upper() in SYMS else w.upper() + "USDT"
        else:
            unit = SizeUnit.QUOTE if w.startswith("$") else SizeUnit.CONTRACTS
            fields["size"] = Size(D(w.lstrip("$")), unit)
        i += 1
    return fields


def _check_words(words: list[str]) -> bool:
    """Parse ``words``; when they parse to an order, it must be exactly what the words say.

    Returns True when they parsed to an order (so the tests can check they are not vacuous).
    """
    text = " ".join(words)
    try:
        cmd = parse(text, SYMS)
    except GrammarError:
        return False
    if not isinstance(cmd, PlaceCommand):
        return False
    assert not BAD & {w.lower() for w in words[1:]}, f"{text!r} parsed although it has a bad word"
    assert cmd.side is (Side.BUY if words[0].lower() == "buy" else Side.SELL)
    expected = _expected_fields(words)
    got: dict[str, object] = {
        "size": cmd.size or cmd.risk,
        "symbol": cmd.symbol,
        "price": cmd.price,
        "stop": cmd.stop,
        "take_profit": cmd.take_profit,
        "post_only": cmd.post_only or None,
        "reduce_only": cmd.reduce_only or None,
    }
    assert {k: v for k, v in got.items() if v is not None} == expected, text
    # every word was used exactly once: 1 verb + 2 per valued field + 1 per other field
    valued = sum(1 for k in ("price", "stop", "take_profit") if got[k] is not None) + (cmd.risk is not None)
    assert len(words) == 1 + 2 * valued + (len(expected) - valued), text
    return True


@settings(max_examples=1000, deadline=None)
@given(
    st.sampled_from(["buy", "sell", "Buy", "SELL"]),
    st.lists(st.sampled_from(SOUP_WORDS).filter(bool), max_size=8),
)
def test_token_soup_is_refused_or_means_exactly_its_words(verb: str, words: list[str]) -> None:
    """No soup of words ever produces an order the words did not say: every word is used once,
    every field traces to its words, and a bad number or an unknown word always refuses."""
    _check_words([verb, *words])


@settings(max_examples=500, deadline=None)
@given(place_commands(), st.data())
def test_a_mutated_line_is_refused_or_means_exactly_its_words(
    case: tuple[str, PlaceCommand], data: st.DataObject
) -> None:
    """Near misses of valid lines: one word inserted, dropped or repeated."""
    words = case[0].split()
    at = data.draw(st.integers(1, len(words)))
    how = data.draw(st.sampled_from(["insert", "drop", "repeat"]))
    if how == "insert":
        words.insert(at, data.draw(st.sampled_from(SOUP_WORDS).filter(bool)))
    elif how == "drop" and at < len(words):
        del words[at]
    elif at < len(words):
        words.insert(at, words[at])
    _check_words(words)


def test_the_soups_are_not_vacuous() -> None:
    """Enough random soups parse for the soup property to mean something."""
    import random

    rng = random.Random(7)
    parsed = sum(
        _check_words(
            [rng.choice(["buy", "sell"]), *rng.choices([w for w in SOUP_WORDS if w], k=rng.randint(0, 6))]
        )
        for _ in range(5000)
    )
    assert parsed > 100


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=40))
def test_any_text_parses_or_raises_grammar_error_only(text: str) -> None:
    try:
        parse(text, SYMS)
    except GrammarError as exc:
        assert str(exc)
