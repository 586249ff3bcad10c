"""Client order ids follow the venue's rule (its capabilities), not one exchange's."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from core.model import Instrument, OrderRequest, Side
from core.orders.builder import BuildError, OrderBuilder
from core.orders.ids import STRICTEST, ClientIdRule, new_client_order_id
from core.venues.base import Capabilities

NOW_MS = 1_767_225_600_000


def _inst() -> Instrument:
    d = Decimal
    return Instrument(
        "BTCUSDT",
        "BTC",
        "USDT",
        d("0.1"),
        d("0.001"),
        d("0.001"),
        d("100"),
        d("100"),
        d("5"),
        d("1"),
        d("100"),
        d("0.01"),
    )


def test_the_default_rule_is_the_strictest_common_one() -> None:
    assert STRICTEST.max_len == 36
    assert STRICTEST.accepts("tc-abc_DEF-123")
    assert not STRICTEST.accepts("x" * 37)
    assert not STRICTEST.accepts("")
    assert not STRICTEST.accepts("has space")
    assert ClientIdRule.of(None) is STRICTEST


def test_a_rule_comes_from_the_venues_capabilities() -> None:
    caps = Capabilities(name="short", client_id_max_len=20, client_id_pattern=r"^[a-z0-9-]+$")
    rule = ClientIdRule.of(caps)
    assert rule == ClientIdRule(20, r"^[a-z0-9-]+$")
    assert rule.problem("x" * 21) == f"{'x' * 21!r} is not 1-20 characters long"
    problem = rule.problem("UPPER")
    assert problem is not None and "does not match the venue's pattern" in problem


@pytest.mark.parametrize("max_len", [36, 30, 26, 22, 18])
def test_fresh_ids_fit_the_venues_length_and_stay_unique_and_sorted(max_len: int) -> None:
    rule = ClientIdRule(max_len, r"^[a-z0-9-]+$")
    ids = [new_client_order_id("tc", now_ms=NOW_MS + i // 10, rule=rule) for i in range(500)]
    assert all(rule.accepts(i) and len(i) <= max_len for i in ids)
    assert len(set(ids)) == len(ids)
    stamps = [re.search(r"[0-9a-z]{13}", i.removeprefix("tc-")).group(0) for i in ids]  # type: ignore[union-attr]
    assert stamps == sorted(stamps)
    if max_len >= 26:
        assert all(i.startswith("tc-") for i in ids)


def test_a_venue_rule_no_id_can_meet_is_said_not_guessed() -> None:
    with pytest.raises(ValueError, match="too short to be unique"):
        new_client_order_id("tc", rule=ClientIdRule(16))
    with pytest.raises(ValueError, match="does not match the venue's pattern"):
        new_client_order_id("tc", rule=ClientIdRule(36, r"^0x[0-9a-f]{32}$"))


def test_the_builder_makes_and_checks_ids_by_the_rule_it_is_given() -> None:
    request = OrderRequest("BTCUSDT", Side.BUY, Decimal("0.1"), price=Decimal("100"))
    short = OrderBuilder(client_ids=ClientIdRule(20))
    built = short.build(request, _inst())
    assert len(built.order_link_id) <= 20 and short.client_ids.accepts(built.order_link_id)
    with pytest.raises(BuildError) as info:
        short.build(request, _inst(), order_link_id="x" * 21)
    assert info.value.check == "order_link_id" and "1-20 characters" in info.value.reason
    # The default builder takes the strictest common rule: 36 characters of [A-Za-z0-9_-].
    assert OrderBuilder().build(request, _inst(), order_link_id="x" * 36).order_link_id == "x" * 36
    with pytest.raises(BuildError):
        OrderBuilder().build(request, _inst(), order_link_id="x" * 37)
