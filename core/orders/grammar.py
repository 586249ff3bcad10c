"""The command-line order language: one line of text -> one typed command, or a :class:`GrammarError`.

Pure and venue-neutral (no market data, no engine), so the console, strategies, alerts and webhooks
can share it. Resolving a command against the market (offsets, $ sizes, risk sizing) is
:mod:`core.orders.resolve`'s job. Words are case-insensitive; ``@95000`` is ``@ 95000``.

Commands::

    buy|sell SIZE [SYMBOL] [@ PRICE] [post|po] [ro|reduce] [stop|sl PRICE] [tp PRICE]
    buy|sell risk AMOUNT stop PRICE [SYMBOL] [@ PRICE] [post|po] [tp PRICE]
    close [N%] [SYMBOL]            reduce-only market close of N % (all when no N) of the position
    cancel all [SYMBOL]            every working order (on SYMBOL only when given)
    be [SYMBOL]                    the position's stop loss to its entry price (breakeven)
    lev N [SYMBOL]                 leverage (``5`` or ``5x``)
    sym NAME                       show a configured symbol (``ETH`` is ``ETHUSDT``)
    chase|scale|twap|iceberg|bracket|trail|when ...   execution algos (:mod:`core.orders.grammar_algos`)

    SIZE    0.01 (contracts) | $500 (USDT at the order's price)
    AMOUNT  1% (of equity) | $200 (USDT)
    PRICE   95100 (absolute) | -0.1% / +0.1% (signed offset: ``@`` from the touch — best bid for
            a buy, best ask for a sell; ``stop``/``tp`` from the entry price). ``-`` is always a
            lower price and ``+`` a higher one, whatever the side.

Safety rules: every number goes through :mod:`core.orders.numparse` (``0,01``, ``1e3``, ``٣`` are
refused); an unknown word is never skipped; a line that starts with a number is refused; a field
given twice (``@ 5 @ 6``, ``stop 1 sl 2``, ``0.1 $50``) is refused; contradictory flags (``post``
without a limit price, TP/SL on a reduce-only order, ``risk`` without a stop) are refused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from core.model import Side
from core.orders.grammar_algos import ALGO_HELP, ALGO_VERBS, AlgoCommand, AlgoGrammarError
from core.orders.numparse import NumberError, parse_number, parse_positive

_HUNDRED = Decimal(100)
QUOTE_SUFFIXES = ("USDT", "USDC", "PERP")
"""A symbol token may omit one of these (``ETH`` names ``ETHUSDT`` when that is configured)."""

COMMANDS_HELP = f"buy, sell, close, cancel all, be, lev, sym; algos: {ALGO_HELP}"
PLACE_HELP = "buy|sell SIZE [SYMBOL] [@ PRICE] [post] [ro] [stop PRICE] [tp PRICE]"


class GrammarError(ValueError):
    """The line is not a valid command; the message says what is wrong and what is accepted."""


class SizeUnit(StrEnum):
    """What a typed size counts."""

    CONTRACTS = "contracts"
    QUOTE = "quote"
    """USDT, converted to contracts at the order's price."""


class RiskUnit(StrEnum):
    """How a risked amount is given."""

    PERCENT = "percent"
    """Percent of account equity."""
    QUOTE = "quote"
    """USDT."""


@dataclass(frozen=True, slots=True)
class Size:
    """An order size as typed."""

    amount: Decimal
    unit: SizeUnit


@dataclass(frozen=True, slots=True)
class Risk:
    """The amount to lose if the stop is hit."""

    amount: Decimal
    unit: RiskUnit


@dataclass(frozen=True, slots=True)
class PriceSpec:
    """A price as typed: absolute (``offset_pct`` None) or a signed percent offset (``price`` None)."""

    price: Decimal | None = None
    offset_pct: Decimal | None = None

    @property
    def is_offset(self) -> bool:
        """True for a ``-0.1%`` / ``+0.1%`` offset."""
        return self.offset_pct is not None


@dataclass(frozen=True, slots=True)
class PlaceCommand:
    """``buy``/``sell``: a new order. Exactly one of ``size`` and ``risk`` is set."""

    side: Side
    size: Size | None = None
    risk: Risk | None = None
    symbol: str | None = None
    price: PriceSpec | None = None
    post_only: bool = False
    reduce_only: bool = False
    stop: PriceSpec | None = None
    take_profit: PriceSpec | None = None


@dataclass(frozen=True, slots=True)
class CloseCommand:
    """``close [N%] [SYMBOL]``: reduce-only market close of ``percent`` of the position."""

    percent: Decimal = _HUNDRED
    symbol: str | None = None


@dataclass(frozen=True, slots=True)
class CancelAllCommand:
    """``cancel all [SYMBOL]``."""

    symbol: str | None = None


@dataclass(frozen=True, slots=True)
class BreakevenCommand:
    """``be [SYMBOL]``: move the position's stop loss to its entry price."""

    symbol: str | None = None


@dataclass(frozen=True, slots=True)
class LeverageCommand:
    """``lev N [SYMBOL]``."""

    leverage: Decimal
    symbol: str | None = None


@dataclass(frozen=True, slots=True)
class SymbolCommand:
    """``sym NAME``: switch the console to a configured symbol."""

    symbol: str


Command = (
    PlaceCommand
    | CloseCommand
    | CancelAllCommand
    | BreakevenCommand
    | LeverageCommand
    | SymbolCommand
    | AlgoCommand
)


# --- tokens -----------------------------------------------------------------------------------
def tokenize(text: str) -> list[str]:
    """Split a line into words; ``@`` is always a word of its own (``@95000`` -> ``@ 95000``)."""
    return text.replace("@", " @ ").split()


def _looks_numeric(token: str) -> bool:
    """A token the trader meant as a number (so a bad one gets the number parser's message)."""
    body = token.lstrip("$+-").rstrip("%xX")
    return bool(body) and (body[0] in ".," or any(ch.isdigit() for ch in body))


def resolve_symbol(token: str, symbols: Sequence[str]) -> str | None:
    """The configured symbol ``token`` names (``eth``, ``ETHUSDT`` -> ``ETHUSDT``), else None."""
    word = token.upper()
    if word in symbols:
        return word
    matches = [s for s in symbols if s.startswith(word) and s[len(word) :] in QUOTE_SUFFIXES]
    return matches[0] if len(matches) == 1 else None


def _number(raw: str, field: str) -> Decimal:
    try:
        return parse_positive(raw, field)
    except NumberError as exc:
        raise GrammarError(str(exc)) from None


def _percent(raw: str, field: str, *, upto_100: bool = True) -> Decimal:
    """``N%`` -> N (0 < N <= 100 unless told otherwise)."""
    value = _number(raw[:-1], field)
    if upto_100 and value > _HUNDRED:
        raise GrammarError(f"{field}: {raw} is more than 100%")
    return value


def _signed_offset(raw: str, field: str) -> Decimal:
    """``-0.1%`` -> -0.1, ``+2%`` -> 2; the sign is required and the price stays positive."""
    sign = Decimal(-1) if raw[0] == "-" else Decimal(1)
    try:
        magnitude = parse_number(raw[1:-1], field)
    except NumberError as exc:
        raise GrammarError(str(exc)) from None
    if sign < 0 and magnitude >= _HUNDRED:
        raise GrammarError(f"{field}: {raw} would put the price at or below 0")
    return sign * magnitude


def parse_price(raw: str, field: str) -> PriceSpec:
    """An absolute price (``95100``) or a signed percent offset (``-0.1%``, ``+1%``)."""
    if raw.endswith("%"):
        if raw[0] not in "+-":
            raise GrammarError(f"{field}: {raw} needs a sign: -{raw} (lower price) or +{raw} (higher price)")
        return PriceSpec(offset_pct=_signed_offset(raw, field))
    if raw[0] in "+-":
        raise GrammarError(f"{field}: {raw} — a price has no sign; for an offset add %, e.g. {raw}%")
    return PriceSpec(price=_number(raw, field))


def parse_size(raw: str) -> Size:
    """``0.01`` (contracts) or ``$500`` (USDT)."""
    if raw.startswith("$"):
        return Size(_number(raw[1:], "size in USDT"), SizeUnit.QUOTE)
    if raw.endswith("%"):
        raise GrammarError(
            f"size: {raw} — a size is contracts (0.01) or USDT ($500); to size by risk: risk 1% stop PRICE"
        )
    if raw[0] in "+-":
        raise GrammarError(f"size: {raw} — no sign: the side is buy or sell")
    return Size(_number(raw, "size"), SizeUnit.CONTRACTS)


def parse_risk(raw: str) -> Risk:
    """``1%`` (of equity) or ``$200`` (USDT)."""
    if raw.startswith("$"):
        return Risk(_number(raw[1:], "risk in USDT"), RiskUnit.QUOTE)
    if raw.endswith("%"):
        return Risk(_percent(raw, "risk % of equity"), RiskUnit.PERCENT)
    raise GrammarError(f"risk: {raw} — say % of equity (risk 1%) or USDT (risk $200)")


# --- the place command ------------------------------------------------------------------------
_POST = frozenset({"post", "po"})
_REDUCE = frozenset({"ro", "reduce"})
_PRICE_WORDS = frozenset({"@", "at"})
_STOP_WORDS = frozenset({"stop", "sl"})


class _Fields:
    """Place-command fields collected from the words, each settable once."""

    def __init__(self, side: Side) -> None:
        self.side = side
        self.sizing: Size | Risk | None = None
        self.symbol: str | None = None
        self.price: PriceSpec | None = None
        self.stop: PriceSpec | None = None
        self.tp: PriceSpec | None = None
        self.post = False
        self.reduce = False


def _once(already: bool, label: str) -> None:
    if already:
        raise GrammarError(f"{label} given twice: give it once")


def _take_value(words: list[str], i: int, what: str) -> str:
    if i + 1 >= len(words):
        raise GrammarError(f"{words[i]}: needs {what} after it")
    return words[i + 1]


def _valued_word(f: _Fields, word: str, value: str) -> None:
    """A keyword that takes the next word as its value: @/at, stop/sl, tp, risk."""
    if word in _PRICE_WORDS:
        _once(f.price is not None, "the price (@)")
        f.price = parse_price(value, "price")
    elif word in _STOP_WORDS:
        _once(f.stop is not None, "the stop (stop/sl)")
        f.stop = parse_price(value, "stop")
    elif word == "tp":
        _once(f.tp is not None, "the take profit (tp)")
        f.tp = parse_price(value, "take profit")
    else:
        _once(f.sizing is not None, "the size (a size or risk)")
        f.sizing = parse_risk(value)


_VALUE_HINTS = {
    "@": "a price (95100) or an offset (-0.1%)",
    "at": "a price (95100) or an offset (-0.1%)",
    "stop": "a price (94000) or an offset (-1.5%)",
    "sl": "a price (94000) or an offset (-1.5%)",
    "tp": "a price (99000) or an offset (+2%)",
    "risk": "an amount (1% of equity or $200)",
}


def _place_word(f: _Fields, words: list[str], i: int, symbols: Sequence[str]) -> int:
    """Consume the word at ``i`` (and its value); return the index of the next word."""
    raw = words[i]
    word = raw.lower()
    if word in _VALUE_HINTS:
        _valued_word(f, word, _take_value(words, i, _VALUE_HINTS[word]))
        return i + 2
    if word in _POST:
        _once(f.post, "post-only")
        f.post = True
    elif word in _REDUCE:
        _once(f.reduce, "reduce-only")
        f.reduce = True
    elif raw.startswith("$") or _looks_numeric(raw):
        _once(f.sizing is not None, "the size")
        f.sizing = parse_size(raw)
    elif (symbol := resolve_symbol(raw, symbols)) is not None:
        _once(f.symbol is not None, "the symbol")
        f.symbol = symbol
    else:
        known = ", ".join(symbols) if symbols else "none configured"
        raise GrammarError(f"unknown word {raw!r}: nothing was sent. Orders: {PLACE_HELP} (symbols: {known})")
    return i + 1


def _place_command(f: _Fields) -> PlaceCommand:
    if f.sizing is None:
        raise GrammarError("size missing: buy 0.01 (contracts), buy $500 (USDT) or buy risk 1% stop 94000")
    if isinstance(f.sizing, Risk) and f.stop is None:
        raise GrammarError("risk sizing needs a stop: e.g. risk 1% stop 94000 or risk $200 stop -1.5%")
    if f.post and f.price is None:
        raise GrammarError("post-only needs a limit price: add @ PRICE (a market order always takes)")
    if f.reduce and (f.stop is not None or f.tp is not None):
        raise GrammarError("a reduce-only order cannot carry a stop or take profit: drop ro, or the stop/tp")
    return PlaceCommand(
        side=f.side,
        size=f.sizing if isinstance(f.sizing, Size) else None,
        risk=f.sizing if isinstance(f.sizing, Risk) else None,
        symbol=f.symbol,
        price=f.price,
        post_only=f.post,
        reduce_only=f.reduce,
        stop=f.stop,
        take_profit=f.tp,
    )


def _parse_place(side: Side, words: list[str], symbols: Sequence[str]) -> PlaceCommand:
    fields = _Fields(side)
    i = 0
    while i < len(words):
        i = _place_word(fields, words, i, symbols)
    return _place_command(fields)


# --- the other commands -----------------------------------------------------------------------
def _symbol_only(verb: str, words: list[str], symbols: Sequence[str], usage: str) -> str | None:
    """The optional trailing symbol of ``verb``; anything else is refused with ``usage``."""
    if not words:
        return None
    if len(words) == 1 and (symbol := resolve_symbol(words[0], symbols)) is not None:
        return symbol
    raise GrammarError(f"{verb}: unexpected {' '.join(words)!r}; usage: {usage}")


def _parse_close(words: list[str], symbols: Sequence[str]) -> CloseCommand:
    usage = "close [N%] [SYMBOL], e.g. close 50% or close 100% ETHUSDT"
    percent: Decimal | None = None
    rest = []
    for raw in words:
        if raw.endswith("%") and _looks_numeric(raw):
            if percent is not None:
                raise GrammarError("close: the percentage is given twice: give it once")
            percent = _percent(raw, "close %")
        elif _looks_numeric(raw):
            raise GrammarError(
                f"close: {raw} — add % (close {raw}%): a bare number could mean contracts or percent"
            )
        else:
            rest.append(raw)
    symbol = _symbol_only("close", rest, symbols, usage)
    return CloseCommand(percent if percent is not None else _HUNDRED, symbol)


def _parse_cancel(words: list[str], symbols: Sequence[str]) -> CancelAllCommand:
    usage = "cancel all [SYMBOL] (cancel one order with c on the orders table)"
    if not words or words[0].lower() != "all":
        raise GrammarError(f"cancel: usage: {usage}")
    return CancelAllCommand(_symbol_only("cancel all", words[1:], symbols, usage))


def _parse_be(words: list[str], symbols: Sequence[str]) -> BreakevenCommand:
    return BreakevenCommand(_symbol_only("be", words, symbols, "be [SYMBOL]"))


def _parse_lev(words: list[str], symbols: Sequence[str]) -> LeverageCommand:
    usage = "lev N [SYMBOL], e.g. lev 5"
    if not words:
        raise GrammarError(f"lev: the leverage is missing; usage: {usage}")
    raw = words[0]
    number = raw[:-1] if raw[-1:] in ("x", "X") and len(raw) > 1 else raw
    if not _looks_numeric(number):
        raise GrammarError(f"lev: {raw!r} is not a leverage; usage: {usage}")
    return LeverageCommand(_number(number, "leverage"), _symbol_only("lev", words[1:], symbols, usage))


def _parse_sym(words: list[str], symbols: Sequence[str]) -> SymbolCommand:
    known = ", ".join(symbols) if symbols else "none configured"
    if len(words) != 1:
        raise GrammarError(f"sym: give one symbol, e.g. sym ETH (configured: {known})")
    symbol = resolve_symbol(words[0], symbols)
    if symbol is None:
        raise GrammarError(f"sym: {words[0]!r} is not a configured symbol (configured: {known})")
    return SymbolCommand(symbol)


_Parser = Callable[[list[str], Sequence[str]], Command]

_VERBS: dict[str, _Parser] = {
    "buy": lambda w, s: _parse_place(Side.BUY, w, s),
    "sell": lambda w, s: _parse_place(Side.SELL, w, s),
    "close": _parse_close,
    "cancel": _parse_cancel,
    "be": _parse_be,
    "lev": _parse_lev,
    "sym": _parse_sym,
}

VERBS: frozenset[str] = frozenset(_VERBS) | frozenset(ALGO_VERBS)
"""The first words the grammar knows."""


def parse(text: str, symbols: Sequence[str] = ()) -> Command:
    """Parse one command line. ``symbols`` are the configured symbols a symbol word may name.

    Raises :class:`GrammarError` (never anything else) when the line is not exactly a command.
    """
    words = tokenize(text)
    if not words:
        raise GrammarError(f"type a command: {COMMANDS_HELP}")
    verb = words[0].lower()
    algo = ALGO_VERBS.get(verb)
    if algo is not None:
        try:
            return algo(words[1:], symbols)
        except AlgoGrammarError as exc:
            raise GrammarError(str(exc)) from None
    parser = _VERBS.get(verb)
    if parser is None:
        if _looks_numeric(words[0]) or words[0] == "@":
            raise GrammarError(
                f"{words[0]!r}: a number is not a command; start with buy or sell, e.g. buy 0.01"
            )
        raise GrammarError(f"unknown command {words[0]!r}: nothing was sent. Commands: {COMMANDS_HELP}")
    return parser(words[1:], symbols)


__all__ = [
    "VERBS",
    "BreakevenCommand",
    "CancelAllCommand",
    "CloseCommand",
    "Command",
    "GrammarError",
    "LeverageCommand",
    "PlaceCommand",
    "PriceSpec",
    "Risk",
    "RiskUnit",
    "Size",
    "SizeUnit",
    "SymbolCommand",
    "parse",
    "parse_price",
    "parse_risk",
    "parse_size",
    "resolve_symbol",
    "tokenize",
]
