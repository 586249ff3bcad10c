"""``trail ... ex``: the venue's own trailing stop in the command-line grammar."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.orders.algo_commands import TrailCommand
from core.orders.grammar import GrammarError, parse
from core.orders.resolve import ResolveError
from core.orders.resolve_algos import resolve_algo

D = Decimal
SYMBOLS = ["BTCUSDT", "ETHUSDT"]


@pytest.mark.parametrize(
    ("line", "cmd"),
    [
        ("trail 50 ex", TrailCommand(D(50), False, on_venue=True)),
        ("trail 0.5% ETH ex", TrailCommand(D("0.5"), True, "ETHUSDT", on_venue=True)),
        ("trail 50 from 96000 ex", TrailCommand(D(50), False, activation=D(96000), on_venue=True)),
        ("trail off ex", TrailCommand(D(0), False, on_venue=True)),
        ("trail 50", TrailCommand(D(50), False)),
    ],
)
def test_parsed(line: str, cmd: TrailCommand) -> None:
    assert parse(line, SYMBOLS) == cmd


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("trail off", "trail off ex"),
        ("trail 50 ex ex", "given twice"),
        ("trail off from 9 ex", "from"),
    ],
)
def test_refused(line: str, why: str) -> None:
    with pytest.raises(GrammarError, match=why):
        parse(line, SYMBOLS)


def test_a_venue_trail_is_never_resolved_as_an_algo() -> None:
    cmd = parse("trail 50 ex", SYMBOLS)
    with pytest.raises(ResolveError, match="not an engine algo"):
        resolve_algo(cmd, None)  # type: ignore[arg-type]
