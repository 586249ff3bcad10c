"""The command-line language of execution algos: one line -> one typed algo command, pure.

Part of :mod:`core.orders.grammar` (its :func:`~core.orders.grammar.parse` dispatches the algo
verbs here); resolving offsets and the position against the market is
:mod:`core.orders.resolve_algos`' job. Every number goes through :mod:`core.orders.numparse`;
an unknown word, a field given twice or a missing one is refused with what is accepted::

    chase buy|sell QTY [SYMBOL] [max N%|max N] [ro]
    scale buy|sell QTY [SYMBOL] LOW..HIGH xN [lin|exp] [skew up|down] [geo] [ro] [post]
    twap buy|sell QTY [SYMBOL] DURATION [xN] [limit PRICE] [maker] [ro]
    iceberg buy|sell QTY [SYMBOL] @ PRICE show QTY [post] [ro]
    bracket buy|sell QTY [SYMBOL] [@ PRICE] [tp P[,P...]] [sl P]
    trail DISTANCE|N% [SYMBOL] [from PRICE] [ex]
    trail off [SYMBOL] ex
    when COND [and|or COND ...] buy|sell QTY [SYMBOL] [@ PRICE] [ro] [post] [expire 2h]
                  (COND: price >=|<= LEVEL or SMA, time, filled ID, pos: core.orders.grammar_when)

    QTY       contracts (0.1)
    DURATION  90s, 30m, 2h (whole numbers)
    P         an absolute price, or a percent offset from the entry (the touch for a market
              entry): ``-1%`` is lower and ``+1%`` higher; an unsigned ``1%`` is a distance in
              the trade's favour for ``tp`` and against it for ``sl``.

``trail ... ex`` is the venue's own trailing stop on the whole position (Bybit ``trailingStop``,
on the last price), not an engine algo; ``trail off ex`` removes it.

Scale sizes: no shape word and no ``skew`` is equal sizes; ``lin`` (or ``skew`` alone) grows
linearly, ``exp`` by 1.5x a level; ``skew up`` (the default) puts the larger sizes at the higher
prices, ``skew down`` at the lower ones. ``geo`` spaces the prices by equal ratios.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from core.orders.algo_commands import (
    AlgoCommand,
    BracketCommand,
    ChaseCommand,
    IcebergCommand,
    Offset,
    ScaleCommand,
    TrailCommand,
    Trigger,
    TwapCommand,
    WhenCommand,
)
from core.orders.algo_words import (
    DURATION_UNITS,
    RANGE,
    AlgoGrammarError,
    Words,
    count,
    num,
    parse_duration,
    parse_offset,
    parse_take_profits,
    percent_or_abs,
)
from core.orders.grammar_when import parse_when

ALGO_HELP = "chase, scale, twap, iceberg, bracket, trail, when"


# --- the commands ------------------------------------------------------------------------------
CHASE_USAGE = "chase buy|sell QTY [SYMBOL] [max 0.5%|max 50] [ro]"


def parse_chase(words: Sequence[str], symbols: Sequence[str]) -> ChaseCommand:
    """``chase buy 0.1 max 0.5% ro``."""
    w = Words("chase", words, symbols, CHASE_USAGE)
    side, qty = w.side_qty()
    max_abs = max_pct = None
    reduce_only = False
    while w.more():
        raw = w.next()
        word = raw.lower()
        if word == "max":
            w.once("max")
            value, pct = percent_or_abs(w.value("a distance (50) or a percent (0.5%)"), "max")
            max_pct, max_abs = (value, None) if pct else (None, value)
        elif word in ("ro", "reduce"):
            w.once("reduce-only")
            reduce_only = True
        else:
            w.symbol_or_fail(raw)
    return ChaseCommand(side, qty, w.symbol, max_abs, max_pct, reduce_only)


SCALE_USAGE = "scale buy|sell QTY [SYMBOL] LOW..HIGH xN [lin|exp] [skew up|down] [geo] [ro] [post]"
_SCALE_FLAGS = {"geo": "geo", "ro": "ro", "reduce": "ro", "post": "post", "po": "post"}


def _scale_range(raw: str) -> tuple[Decimal, Decimal]:
    low_raw, _, high_raw = raw.partition(RANGE)
    low, high = num(low_raw, "range low"), num(high_raw, "range high")
    if low >= high:
        raise AlgoGrammarError(f"scale: range {raw} — give the lower price first (95000..96000)")
    return low, high


def _scale_word(w: Words, raw: str, out: dict[str, Any]) -> None:
    word = raw.lower()
    if RANGE in raw:
        w.once("the range")
        out["range"] = _scale_range(raw)
    elif word.startswith("x") and len(word) > 1:
        w.once("the count (xN)")
        out["count"] = count(word[1:], "count")
    elif word in ("lin", "exp"):
        w.once("the size shape (lin/exp)")
        out["shape"] = word
    elif word == "skew":
        w.once("skew")
        direction = w.value("up or down").lower()
        if direction not in ("up", "down"):
            raise AlgoGrammarError(f"scale: skew {direction!r} — say skew up or skew down")
        out["up"] = direction == "up"
    elif word in _SCALE_FLAGS:
        w.once(_SCALE_FLAGS[word])
        out[_SCALE_FLAGS[word]] = True
    else:
        w.symbol_or_fail(raw)


def parse_scale(words: Sequence[str], symbols: Sequence[str]) -> ScaleCommand:
    """``scale sell 1 95000..96000 x10 exp skew up``."""
    w = Words("scale", words, symbols, SCALE_USAGE)
    side, qty = w.side_qty()
    out: dict[str, Any] = {}
    while w.more():
        _scale_word(w, w.next(), out)
    if "range" not in out or "count" not in out:
        raise AlgoGrammarError(f"scale: the price range and the count are required; usage: {SCALE_USAGE}")
    shape = out.get("shape", "lin" if "up" in out else "flat")
    low, high = out["range"]
    return ScaleCommand(
        side,
        qty,
        low,
        high,
        out["count"],
        symbol=w.symbol,
        shape=shape,
        larger_high=out.get("up", True),
        geometric=out.get("geo", False),
        reduce_only=out.get("ro", False),
        post_only=out.get("post", False),
    )


TWAP_USAGE = "twap buy|sell QTY [SYMBOL] DURATION(30m) [xN] [limit PRICE] [maker] [ro]"


def _twap_word(w: Words, raw: str, out: dict[str, Any]) -> None:
    word = raw.lower()
    if word == "limit":
        w.once("limit")
        out["limit"] = num(w.value("a price"), "limit")
    elif word == "maker":
        w.once("maker")
        out["maker"] = True
    elif word in ("ro", "reduce"):
        w.once("reduce-only")
        out["ro"] = True
    elif word.startswith("x") and len(word) > 1:
        w.once("the slices (xN)")
        out["slices"] = count(word[1:], "slices")
    elif word[:1].isdigit() and word[-1:] in DURATION_UNITS:
        w.once("the duration")
        out["duration"] = parse_duration(word)
    else:
        w.symbol_or_fail(raw)


def parse_twap(words: Sequence[str], symbols: Sequence[str]) -> TwapCommand:
    """``twap buy 2 30m x12 limit 95500 maker``."""
    w = Words("twap", words, symbols, TWAP_USAGE)
    side, qty = w.side_qty()
    out: dict[str, Any] = {}
    while w.more():
        _twap_word(w, w.next(), out)
    if "duration" not in out:
        raise AlgoGrammarError(f"twap: the duration is missing (30m); usage: {TWAP_USAGE}")
    return TwapCommand(
        side,
        qty,
        out["duration"],
        symbol=w.symbol,
        slices=out.get("slices"),
        limit=out.get("limit"),
        maker=out.get("maker", False),
        reduce_only=out.get("ro", False),
    )


ICEBERG_USAGE = "iceberg buy|sell QTY [SYMBOL] @ PRICE show QTY [post] [ro]"


def parse_iceberg(words: Sequence[str], symbols: Sequence[str]) -> IcebergCommand:
    """``iceberg buy 5 @ 95000 show 0.5``."""
    w = Words("iceberg", words, symbols, ICEBERG_USAGE)
    side, qty = w.side_qty()
    out: dict[str, Any] = {}
    while w.more():
        raw = w.next()
        word = raw.lower()
        if word in ("@", "at"):
            w.once("the price (@)")
            out["price"] = parse_offset(w.value("a price (95000) or an offset (-0.1%)"), "price")
        elif word == "show":
            w.once("show")
            out["display"] = num(w.value("the visible quantity"), "show")
        elif word in ("post", "po", "ro", "reduce"):
            flag = "post" if word in ("post", "po") else "ro"
            w.once(flag)
            out[flag] = True
        else:
            w.symbol_or_fail(raw)
    if "price" not in out or "display" not in out:
        raise AlgoGrammarError(
            f"iceberg: the price and the shown quantity are required; usage: {ICEBERG_USAGE}"
        )
    if out["display"] > qty:
        raise AlgoGrammarError(f"iceberg: show {out['display']} is more than the quantity {qty}")
    return IcebergCommand(
        side, qty, out["price"], out["display"], w.symbol, out.get("post", False), out.get("ro", False)
    )


BRACKET_USAGE = "bracket buy|sell QTY [SYMBOL] [@ PRICE] [tp 1%,2% | tp 96000] [sl -1% | sl 94000]"


def parse_bracket(words: Sequence[str], symbols: Sequence[str]) -> BracketCommand:
    """``bracket buy 0.1 @ 95000 tp 1%,2% sl -1%``."""
    w = Words("bracket", words, symbols, BRACKET_USAGE)
    side, qty = w.side_qty()
    out: dict[str, Any] = {}
    while w.more():
        raw = w.next()
        word = raw.lower()
        if word in ("@", "at"):
            w.once("the entry price (@)")
            out["entry"] = parse_offset(w.value("a price (95000) or an offset (-0.1%)"), "entry")
        elif word == "tp":
            w.once("tp")
            out["tp"] = parse_take_profits(w.value("take-profit prices or percents (1%,2%)"))
        elif word in ("sl", "stop"):
            w.once("the stop (sl)")
            out["sl"] = parse_offset(w.value("a price (94000) or an offset (-1%)"), "sl")
        else:
            w.symbol_or_fail(raw)
    if "tp" not in out and "sl" not in out:
        raise AlgoGrammarError(f"bracket: give tp and/or sl; usage: {BRACKET_USAGE}")
    return BracketCommand(side, qty, w.symbol, out.get("entry"), out.get("tp", ()), out.get("sl"))


TRAIL_USAGE = (
    "trail DISTANCE|N% [SYMBOL] [from PRICE] [ex] | trail off [SYMBOL] ex"
    "  (trail 0.5%, trail 50 from 96000, trail 0.5% ex: the venue's own)"
)


def parse_trail(words: Sequence[str], symbols: Sequence[str]) -> TrailCommand:
    """``trail 0.5%``, ``trail 50 from 96000``; ``ex``: the venue's own (``trail off ex`` removes it)."""
    w = Words("trail", words, symbols, TRAIL_USAGE)
    if not w.more():
        raise AlgoGrammarError(f"trail: the distance is missing; usage: {TRAIL_USAGE}")
    first = w.next()
    off = first.lower() == "off"
    distance, pct = (Decimal(0), False) if off else percent_or_abs(first, "trail distance")
    activation = None
    while w.more():
        raw = w.next()
        if raw.lower() == "from" and not off:
            w.once("from")
            activation = num(w.value("the activation price"), "from")
        elif raw.lower() == "ex":
            w.once("ex")
        else:
            w.symbol_or_fail(raw)
    if off and "ex" not in w.seen:
        raise AlgoGrammarError("trail off: only the venue's trailing stop is removed this way: trail off ex")
    return TrailCommand(distance, pct, w.symbol, activation, on_venue="ex" in w.seen)


ALGO_VERBS: dict[str, Callable[[Sequence[str], Sequence[str]], AlgoCommand]] = {
    "chase": parse_chase,
    "scale": parse_scale,
    "twap": parse_twap,
    "iceberg": parse_iceberg,
    "bracket": parse_bracket,
    "trail": parse_trail,
    "when": parse_when,
}
"""Algo verb -> its parser (``words`` after the verb, the configured symbols)."""


__all__ = [
    "ALGO_HELP",
    "ALGO_VERBS",
    "AlgoCommand",
    "AlgoGrammarError",
    "BracketCommand",
    "ChaseCommand",
    "IcebergCommand",
    "Offset",
    "ScaleCommand",
    "TrailCommand",
    "Trigger",
    "TwapCommand",
    "WhenCommand",
    "parse_duration",
    "parse_offset",
]
