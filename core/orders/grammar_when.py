"""The command-line language of conditional orders (``when``), pure.

::

    when COND [and|or COND ...] buy|sell QTY [SYMBOL] [@ PRICE] [ro] [post] [expire DURATION]

    COND  mark|last|index >=|<= LEVEL      the price at or beyond a level
          mark|last|index >=|<= sma N [TF]  the price above/below SMA(N) of TF candles (1m default)
          time >= HH:MM | ISO               the clock reached a time (UTC; HH:MM = the next one)
          filled LINK [any]                 another order (by client id) filled, fully or any part
          pos long|short|flat | pos >=|<= SIZE   the symbol's position

One kind of join per line: ``a and b or c`` is refused (the grouping is never guessed); the
preview says the grouping in words. Every number goes through :mod:`core.orders.numparse`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from core.market.candles import TIMEFRAMES
from core.orders.algo_commands import (
    FilledTrigger,
    PositionTrigger,
    SmaTrigger,
    TimeTrigger,
    Trigger,
    WhenCommand,
    WhenTrigger,
)
from core.orders.algo_words import (
    JOINS,
    OPS,
    PRICE_TYPES,
    AlgoGrammarError,
    Words,
    count,
    num,
    parse_duration,
    parse_offset,
)

WHEN_USAGE = (
    "when mark|last|index >=|<= LEVEL|sma N [TF] | time >= HH:MM | filled ID | pos long|short|flat|>= SIZE"
    " [and|or ...] buy|sell QTY [SYMBOL] [@ PRICE] [ro] [post] [expire 2h]"
)
CONDITION_STARTS = (*PRICE_TYPES, "time", "filled", "pos")
_CLOCK = re.compile(r"\d{2}:\d{2}\Z")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?Z?\Z")
POSITION_WORDS = ("long", "short", "flat")


def _op(w: Words, example: str) -> str:
    op = w.value(">= or <=")
    if op not in OPS:
        raise AlgoGrammarError(f"when: {op!r} — compare with >= or <= ({example})")
    return op


def _price(w: Words, price_type: str) -> WhenTrigger:
    op = _op(w, f"when {price_type} >= 96000 ...")
    if w.more() and w.words[w.i].lower() == "sma":
        w.next()
        length = count(w.value("the SMA length (sma 20)"), "sma length")
        timeframe = "1m"
        if w.more() and w.words[w.i].lower() in TIMEFRAMES:
            timeframe = w.next().lower()
        return SmaTrigger(price_type, op, length, timeframe)
    return Trigger(price_type, op, num(w.value("a price level"), f"{price_type} level"))


def _time(w: Words) -> TimeTrigger:
    if _op(w, "when time >= 09:00 ...") != ">=":
        raise AlgoGrammarError("when: time <= means 'already'; a time condition is time >= WHEN")
    at = w.value("a time (09:00 UTC, or 2026-12-01T09:00)")
    if not (_CLOCK.match(at) or _ISO.match(at)):
        raise AlgoGrammarError(f"when: time {at!r} — give HH:MM (UTC) or an ISO date and time")
    return TimeTrigger(at)


def _filled(w: Words) -> FilledTrigger:
    link = w.value("the client order id of the order to wait for")
    if w.more() and w.words[w.i].lower() == "any":
        w.next()
        return FilledTrigger(link, "any")
    return FilledTrigger(link)


def _position(w: Words) -> PositionTrigger:
    word = w.value("long, short, flat, >= SIZE or <= SIZE")
    if word.lower() in POSITION_WORDS:
        return PositionTrigger(word.lower())
    if word not in OPS:
        raise AlgoGrammarError(f"when: pos {word!r} — say pos long, pos short, pos flat or pos >= SIZE")
    return PositionTrigger(word, num(w.value("a position size"), "pos size"))


def _condition(w: Words) -> WhenTrigger:
    if not w.more() or w.words[w.i].lower() not in CONDITION_STARTS:
        raise AlgoGrammarError(
            f"when: a condition starts with {', '.join(CONDITION_STARTS)}; usage: {WHEN_USAGE}"
        )
    start = w.next().lower()
    if start in PRICE_TYPES:
        return _price(w, start)
    if start == "time":
        return _time(w)
    return _filled(w) if start == "filled" else _position(w)


def _when_triggers(w: Words) -> tuple[tuple[WhenTrigger, ...], str]:
    triggers: list[WhenTrigger] = []
    joins: set[str] = set()
    while True:
        triggers.append(_condition(w))
        if w.more() and w.words[w.i].lower() in JOINS:
            joins.add(w.next().lower())
            continue
        break
    if len(joins) > 1:
        raise AlgoGrammarError("when: mix of and/or: use one kind per line (the grouping is never guessed)")
    return tuple(triggers), (joins.pop() if joins else "and")


def _when_word(w: Words, raw: str, out: dict[str, Any]) -> None:
    word = raw.lower()
    if word in ("@", "at"):
        w.once("the price (@)")
        out["price"] = parse_offset(w.value("a price (95000) or an offset (-0.1%)"), "price")
    elif word in ("post", "po", "ro", "reduce"):
        flag = "post" if word in ("post", "po") else "ro"
        w.once(flag)
        out[flag] = True
    elif word in ("expire", "expires"):
        w.once("expire")
        out["expire"] = parse_duration(w.value("how long it waits (expire 2h)"))
    else:
        w.symbol_or_fail(raw)


def _spaced(text: str) -> list[str]:
    """Words, with ``>=`` / ``<=`` split off what they touch (``mark>=96000``)."""
    return text.replace(">=", " >= ").replace("<=", " <= ").split()


def parse_conditions(text: str) -> tuple[tuple[WhenTrigger, ...], str]:
    """Just the condition part (``mark >= 96000 and time >= 09:00``): its triggers and join, every
    word used (the algo ticket's condition field)."""
    w = Words("when", _spaced(text), (), WHEN_USAGE)
    triggers, join = _when_triggers(w)
    if w.more():
        raise AlgoGrammarError(f"when: {' '.join(w.words[w.i :])!r} after the condition — join with and/or")
    return triggers, join


def parse_when(words: Sequence[str], symbols: Sequence[str]) -> WhenCommand:
    """``when mark >= 96000 buy 0.1``, ``when time >= 09:00 and last >= sma 20 5m buy 0.1``."""
    w = Words("when", _spaced(" ".join(words)), symbols, WHEN_USAGE)
    triggers, join = _when_triggers(w)
    rest = Words("when", w.words[w.i :], symbols, WHEN_USAGE)
    side, qty = rest.side_qty()
    out: dict[str, Any] = {}
    while rest.more():
        _when_word(rest, rest.next(), out)
    price = out.get("price")
    if out.get("post") and price is None:
        raise AlgoGrammarError("when: post-only needs a limit price: add @ PRICE")
    return WhenCommand(
        triggers,
        join,
        side,
        qty,
        rest.symbol,
        price,
        out.get("ro", False),
        out.get("post", False),
        out.get("expire"),
    )


__all__ = ["WHEN_USAGE", "parse_conditions", "parse_when"]
